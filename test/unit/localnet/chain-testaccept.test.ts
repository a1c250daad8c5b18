// Chain.testAccept (main/localnet/chain/chain.ts): checks a batch of transactions the way submit() would, in
// order, without changing the chain; used by the exchange to refuse a margin-in batch before broadcasting any of it.
import { describe, expect, it } from 'vitest';
import { buildP2pkhSpend } from '../../../main/localnet/chain/build';
import { Chain } from '../../../main/localnet/chain/chain';
import { ChainError } from '../../../main/localnet/chain/errors';
import { alice, aliceAddr, bob, bobAddr, BTC, funded, malloryAddr, T0 } from './chain-helpers';

/** Everything observable about a chain's state, to show testAccept left it untouched. */
function state(chain: Chain): string {
  return JSON.stringify({ snap: chain.toJSON(), mempool: chain.mempoolTxids(), alice: chain.utxos(aliceAddr), bob: chain.utxos(bobAddr) });
}

function refusal(fn: () => unknown): ChainError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ChainError);
    return err as ChainError;
  }
  throw new Error('expected a ChainError');
}

/** A chain with two confirmed faucet UTXOs of alice. */
function twoUtxos(): { chain: Chain; u1: { txid: string; vout: number; value: number; address: string }; u2: { txid: string; vout: number; value: number; address: string } } {
  const { chain, utxo: u1 } = funded(aliceAddr);
  const { utxo: u2 } = funded(aliceAddr, 2 * BTC, chain);
  return { chain, u1, u2 };
}

describe('Chain.testAccept', () => {
  it('accepts a valid batch, returns the txids and changes nothing (no mempool entry, no event)', () => {
    const { chain, u1, u2 } = twoUtxos();
    const a = buildP2pkhSpend({ utxos: [u1], outputs: [{ address: bobAddr, value: 10_000_000 }], keys: [alice] });
    const b = buildP2pkhSpend({ utxos: [u2], outputs: [{ address: bobAddr, value: 20_000_000 }], keys: [alice] });
    const events: unknown[] = [];
    chain.onTx((e) => events.push(e));
    chain.onBlock((e) => events.push(e));
    const before = state(chain);
    expect(chain.testAccept([a.hex, b.hex], T0 + 2000)).toEqual([a.tx.getId(), b.tx.getId()]);
    expect(state(chain)).toBe(before);
    expect(events).toEqual([]);
    // and submit() then does accept them
    expect(chain.submit(a.hex, T0 + 2000)).toBe(a.tx.getId());
    expect(chain.submit(b.hex, T0 + 2000)).toBe(b.tx.getId());
  });

  it('lets a later transaction spend an earlier one of the batch', () => {
    const { chain, utxo } = funded(aliceAddr);
    const first = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 50_000_000 }], keys: [alice] });
    const bobUtxo = { txid: first.tx.getId(), vout: 0, value: 50_000_000, address: bobAddr };
    const second = buildP2pkhSpend({ utxos: [bobUtxo], outputs: [{ address: malloryAddr, value: 10_000_000 }], keys: [bob] });
    const before = state(chain);
    expect(chain.testAccept([first.hex, second.hex], T0 + 2000)).toEqual([first.tx.getId(), second.tx.getId()]);
    expect(state(chain)).toBe(before);
    // the child alone is missing its parent
    expect(refusal(() => chain.testAccept([second.hex], T0 + 2000)).code).toBe('missing-input');
  });

  it('refuses two transactions of the batch spending the same output', () => {
    const { chain, utxo } = funded(aliceAddr);
    const a = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 10_000_000 }], keys: [alice] });
    const b = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: malloryAddr, value: 10_000_000 }], keys: [alice] });
    const before = state(chain);
    const err = refusal(() => chain.testAccept([a.hex, b.hex], T0 + 2000));
    expect(err.code).toBe('double-spend');
    expect(err.message).toMatch(/^transaction 1: input 0: double spend, .* same batch/);
    expect(state(chain)).toBe(before);
    // the same transaction twice is refused too
    expect(refusal(() => chain.testAccept([a.hex, a.hex], T0 + 2000)).message).toMatch(/^transaction 1: transaction is listed twice/);
  });

  it('refuses what submit() refuses: spent inputs, bad scripts, bad hex, confirmed duplicates', () => {
    const { chain, u1, u2 } = twoUtxos();
    const spent = buildP2pkhSpend({ utxos: [u1], outputs: [{ address: bobAddr, value: 10_000_000 }], keys: [alice] });
    chain.submit(spent.hex, T0 + 2000);
    const again = buildP2pkhSpend({ utxos: [u1], outputs: [{ address: malloryAddr, value: 10_000_000 }], keys: [alice] });
    const good = buildP2pkhSpend({ utxos: [u2], outputs: [{ address: bobAddr, value: 10_000_000 }], keys: [alice] });
    const forged = buildP2pkhSpend({ utxos: [u2], outputs: [{ address: bobAddr, value: 10_000_000 }], keys: [alice] }).tx;
    forged.outs[0]!.value = 5_000_000n; // changed after signing
    const before = state(chain);
    expect(refusal(() => chain.testAccept([good.hex, again.hex], T0 + 2000))).toMatchObject({ code: 'double-spend', status: 400 });
    expect(refusal(() => chain.testAccept([forged.toHex()], T0 + 2000)).code).toBe('script');
    expect(refusal(() => chain.testAccept([good.hex, 'zz'], T0 + 2000)).code).toBe('bad-hex');
    expect(refusal(() => chain.testAccept(['zz'], T0 + 2000)).message).toBe('transaction is not valid hex'); // one: no prefix
    expect(state(chain)).toBe(before);
    chain.mine(1, T0 + 3000);
    expect(refusal(() => chain.testAccept([spent.hex], T0 + 3000))).toMatchObject({ code: 'duplicate', message: 'transaction already in block chain' });
    const spentMallory = buildP2pkhSpend({ utxos: [u1], outputs: [{ address: malloryAddr, value: 20_000 }], keys: [alice] });
    expect(refusal(() => chain.testAccept([spentMallory.hex], T0 + 3000)).code).toBe('spent');
  });

  it('accepts a transaction already in the mempool again, as submit() does', () => {
    const { chain, utxo } = funded(aliceAddr);
    const a = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 10_000_000 }], keys: [alice] });
    chain.submit(a.hex, T0 + 2000);
    expect(chain.testAccept([a.hex], T0 + 2000)).toEqual([a.tx.getId()]);
  });
});

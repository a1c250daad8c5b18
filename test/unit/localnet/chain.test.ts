import { readFileSync } from 'node:fs';
import { networks, opcodes, script as bscript, Transaction } from 'bitcoinjs-lib';
import { describe, expect, it, vi } from 'vitest';
import { buildP2pkhSpend, buildSpend, estimateSize } from '../../../main/localnet/chain/build';
import { Chain, type BlockEvent, type TxEvent } from '../../../main/localnet/chain/chain';
import { ChainError } from '../../../main/localnet/chain/errors';
import { addressToScript, fromHex, multisigRedeem, p2shAddress, toHex } from '../../../main/localnet/chain/script';
import { signMultisigInput, signP2pkhInput } from '../../../main/localnet/chain/sign';
import { multisigSignatures } from '../../../main/localnet/chain/verify';
import { alice, aliceAddr, bob, bobAddr, BTC, ECPair, funded, key, mallory, malloryAddr, multisigAddr, redeem, server, serverAddr, T0, unsigned } from './chain-helpers';

const txutil = JSON.parse(readFileSync('test/fixtures/vectors/txutil.json', 'utf8'));
const insight = JSON.parse(readFileSync('test/fixtures/vectors/insight.json', 'utf8'));

function rejects(fn: () => unknown, code: string, message?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ChainError);
  expect((err as ChainError).code).toBe(code);
  expect((err as ChainError).status).toBe(400);
  if (message) expect((err as ChainError).message).toMatch(message);
}

describe('blocks, faucet and confirmations', () => {
  it('starts at a deterministic genesis block', () => {
    const a = new Chain({ genesisTime: T0 });
    const b = new Chain({ genesisTime: T0 });
    expect(a.tipHeight()).toBe(0);
    expect(a.tipHash()).toMatch(/^[0-9a-f]{64}$/);
    expect(a.tipHash()).toBe(b.tipHash());
    expect(new Chain({ genesisTime: T0 + 1000 }).tipHash()).not.toBe(a.tipHash());
  });

  it('faucet mines a block paying the address; mining adds confirmations', () => {
    const chain = new Chain({ genesisTime: T0 });
    const r = chain.faucet(aliceAddr, 2 * BTC, T0 + 5000);
    expect(r.height).toBe(1);
    expect(chain.tipHash()).toBe(r.blockHash);
    expect(chain.balance(aliceAddr)).toEqual({ confirmed: 2 * BTC, unconfirmed: 0 });
    let [u] = chain.utxos(aliceAddr);
    expect(u).toMatchObject({ txid: r.txid, vout: 0, value: 2 * BTC, height: 1, confirmations: 1, blockHash: r.blockHash, blockTime: T0 + 5000 });
    expect(u!.script).toBe(toHex(addressToScript(aliceAddr)));
    const hashes = chain.mine(2, T0 + 9000);
    expect(hashes).toHaveLength(2);
    expect(chain.tipHeight()).toBe(3);
    [u] = chain.utxos(aliceAddr);
    expect(u!.confirmations).toBe(3);
    expect(chain.txStatus(r.txid)).toEqual({ confirmed: true, height: 1, blockHash: r.blockHash, blockTime: T0 + 5000, confirmations: 3 });
    expect(chain.tx(r.txid)!.coinbase).toBe(true);
    expect(chain.block(1)!.txids).toEqual([r.txid]);
    expect(chain.block(r.blockHash)!.height).toBe(1);
  });

  it('faucet coinbases are unique per block and pay P2SH and bech32 addresses too', () => {
    const chain = new Chain();
    const a = chain.faucet(multisigAddr, 1000, 1);
    const b = chain.faucet(multisigAddr, 1000, 2);
    expect(a.txid).not.toBe(b.txid);
    expect(chain.balance(multisigAddr).confirmed).toBe(2000);
    const tb1 = 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx';
    chain.faucet(tb1, 500, 3);
    expect(chain.balance(tb1).confirmed).toBe(500);
    expect(chain.balance(tb1.toUpperCase()).confirmed).toBe(500);
  });

  it('faucet refuses bad addresses and amounts, and caps the amount', () => {
    const chain = new Chain({ faucetMax: 10 * BTC });
    rejects(() => chain.faucet('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', 1000, 1), 'bad-address'); // mainnet
    rejects(() => chain.faucet('not an address', 1000, 1), 'bad-address');
    rejects(() => chain.faucet(aliceAddr.slice(0, -1) + 'x', 1000, 1), 'bad-address');
    for (const amount of [0, -1, 1.5, Number.NaN, 10 * BTC + 1]) rejects(() => chain.faucet(aliceAddr, amount, 1), 'bad-amount');
    rejects(() => chain.faucet(aliceAddr, '1000' as unknown as number, 1), 'bad-amount');
    expect(chain.tipHeight()).toBe(0);
    expect(chain.faucet(aliceAddr, 10 * BTC, 1).height).toBe(1);
  });

  it('mine validates the count and keeps block time monotonic', () => {
    const chain = new Chain({ genesisTime: T0 });
    for (const n of [0, -1, 1.5, 1001]) rejects(() => chain.mine(n, T0), 'bad-amount');
    chain.mine(1, T0 - 5000);
    expect(chain.block(1)!.time).toBe(T0);
  });

  it('reports fee estimates in sat/vB and lets the rate change', () => {
    const chain = new Chain({ feeRate: 12 });
    const est = chain.feeEstimates();
    expect(est['1']).toBe(12);
    expect(est['144']).toBe(12);
    chain.setFeeRate(3);
    expect(chain.feeEstimates()['2']).toBe(3);
    rejects(() => chain.setFeeRate(-1), 'bad-amount');
  });
});

describe('P2PKH spends', () => {
  it('accepts a valid spend, tracks mempool balances and confirms it', () => {
    const { chain, utxo } = funded(aliceAddr);
    const txEvents: TxEvent[] = [];
    const blockEvents: BlockEvent[] = [];
    chain.onTx((e) => txEvents.push(e));
    chain.onBlock((e) => blockEvents.push(e));
    const built = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 30_000_000 }], keys: [alice] });
    const txid = chain.submit(built.hex, T0 + 2000);
    expect(txid).toBe(built.tx.getId());
    expect(chain.mempoolTxids()).toEqual([txid]);
    expect(chain.balance(aliceAddr)).toEqual({ confirmed: 0, unconfirmed: built.change });
    expect(chain.balance(bobAddr)).toEqual({ confirmed: 0, unconfirmed: 30_000_000 });
    expect(chain.txStatus(txid)).toEqual({ confirmed: false, height: null, blockHash: null, blockTime: null, confirmations: 0 });
    expect(chain.tx(txid)!.fee).toBe(built.fee);
    expect(built.fee).toBe(Math.round((50000 * estimateSize([utxo], 2)) / 1000));
    expect(txEvents).toEqual([{ txid, confirmed: false, addresses: expect.arrayContaining([aliceAddr, bobAddr]) }]);

    const [hash] = chain.mine(1, T0 + 3000);
    expect(chain.mempoolTxids()).toEqual([]);
    expect(chain.txStatus(txid)).toMatchObject({ confirmed: true, height: 2, blockHash: hash, confirmations: 1 });
    expect(chain.balance(bobAddr)).toEqual({ confirmed: 30_000_000, unconfirmed: 0 });
    expect(blockEvents).toHaveLength(1);
    expect(blockEvents[0]).toMatchObject({ height: 2, hash, txids: [txid] });
    expect(blockEvents[0]!.addresses.sort()).toEqual([aliceAddr, bobAddr].sort());
    expect(chain.tx(utxo.txid)!.outputs[0]!.spentBy).toEqual({ txid, vin: 0, height: 2 });
  });

  it('accepts a chain of unconfirmed spends and mines them in order', () => {
    const { chain, utxo } = funded(aliceAddr);
    const first = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 50_000_000 }], keys: [alice] });
    const id1 = chain.submit(first.hex, T0 + 2000);
    const bobUtxo = { txid: id1, vout: 0, value: 50_000_000, address: bobAddr };
    const second = buildP2pkhSpend({ utxos: [bobUtxo], outputs: [{ address: malloryAddr, value: 10_000_000 }], keys: [bob] });
    const id2 = chain.submit(second.hex, T0 + 2500);
    expect(chain.mempoolTxids()).toEqual([id1, id2]);
    chain.mine(1, T0 + 3000);
    expect(chain.block(2)!.txids).toEqual([id1, id2]);
    expect(chain.balance(malloryAddr).confirmed).toBe(10_000_000);
  });

  it('rejects a signature by the wrong key', () => {
    const { chain, utxo } = funded(aliceAddr);
    const tx = unsigned(utxo, bobAddr, 1000_000);
    signP2pkhInput(tx, 0, mallory); // mallory's pubkey does not hash to alice's address
    rejects(() => chain.submit(tx.toHex(), T0 + 2000), 'script', /public key does not match/);

    const forged = unsigned(utxo, bobAddr, 1000_000);
    signP2pkhInput(forged, 0, mallory);
    const [sig] = bscript.decompile(forged.ins[0]!.script)!;
    forged.setInputScript(0, bscript.compile([sig as Uint8Array, alice.publicKey]));
    rejects(() => chain.submit(forged.toHex(), T0 + 2000), 'script', /signature does not verify/);
    expect(chain.mempoolTxids()).toEqual([]);
  });

  it('rejects a transaction whose output was changed after signing', () => {
    const { chain, utxo } = funded(aliceAddr);
    const built = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 10_000_000 }], keys: [alice] });
    const tx = Transaction.fromHex(built.hex);
    tx.outs[0]!.script = addressToScript(malloryAddr);
    rejects(() => chain.submit(tx.toHex(), T0 + 2000), 'script', /signature does not verify/);
    const tx2 = Transaction.fromHex(built.hex);
    tx2.outs[0]!.value = 10_000_001n;
    rejects(() => chain.submit(tx2.toHex(), T0 + 2000), 'script', /signature does not verify/);
    expect(chain.submit(built.hex, T0 + 2000)).toBe(built.tx.getId());
  });

  it('rejects a malformed scriptSig and non-SIGHASH_ALL signatures', () => {
    const { chain, utxo } = funded(aliceAddr);
    const tx = unsigned(utxo, bobAddr, 1000_000);
    tx.setInputScript(0, bscript.compile([alice.publicKey]));
    rejects(() => chain.submit(tx.toHex(), T0 + 2000), 'script', /<sig> <pubkey>/);
    const hash = tx.hashForSignature(0, addressToScript(aliceAddr), Transaction.SIGHASH_NONE);
    tx.setInputScript(0, bscript.compile([bscript.signature.encode(alice.sign(hash), Transaction.SIGHASH_NONE), alice.publicKey]));
    rejects(() => chain.submit(tx.toHex(), T0 + 2000), 'script', /SIGHASH_ALL/);
    tx.setInputScript(0, Uint8Array.from([0x4c])); // truncated push
    rejects(() => chain.submit(tx.toHex(), T0 + 2000), 'script', /does not parse/);
    tx.setInputScript(0, Uint8Array.from([opcodes.OP_DUP]));
    rejects(() => chain.submit(tx.toHex(), T0 + 2000), 'nonstandard', /push-only/);
  });
});

describe('P2SH 2-of-2 multisig spends', () => {
  function multisigSpend(chain: Chain, utxoTxid: string, value = 40_000_000): Transaction {
    return buildSpend({ utxos: [{ txid: utxoTxid, vout: 0, value: BTC, address: multisigAddr }], outputs: [{ address: bobAddr, value }] }).tx;
  }

  it('accepts a spend signed by both keys in any signing order', () => {
    const { chain, utxo } = funded(multisigAddr);
    const tx = multisigSpend(chain, utxo.txid);
    const partial = signMultisigInput(tx, 0, redeem, alice);
    expect(partial).toMatchObject({ signed: 1, valid: 1, complete: false });
    const full = signMultisigInput(tx, 0, redeem, server);
    expect(full).toMatchObject({ signed: 2, valid: 2, complete: true });
    const txid = chain.submit(tx.toHex(), T0 + 2000);
    expect(chain.balance(bobAddr).unconfirmed).toBe(40_000_000);
    expect(chain.balance(multisigAddr)).toEqual({ confirmed: 0, unconfirmed: chain.tx(txid)!.outputs[1]!.value });

    const other = funded(multisigAddr);
    const tx2 = multisigSpend(other.chain, other.utxo.txid);
    signMultisigInput(tx2, 0, redeem, server);
    signMultisigInput(tx2, 0, redeem, alice);
    expect(other.chain.submit(tx2.toHex(), T0 + 2000)).toBe(tx2.getId());
    expect(tx2.toHex()).toBe(tx.toHex()); // deterministic signatures, same slots
  });

  it('rejects a spend with one signature only', () => {
    const { chain, utxo } = funded(multisigAddr);
    const tx = multisigSpend(chain, utxo.txid);
    signMultisigInput(tx, 0, redeem, alice);
    rejects(() => chain.submit(tx.toHex(), T0 + 2000), 'script', /1 of 2 signatures/);
    const tx2 = multisigSpend(chain, utxo.txid);
    signMultisigInput(tx2, 0, redeem, server);
    rejects(() => chain.submit(tx2.toHex(), T0 + 2000), 'script', /1 of 2 signatures/);
    const empty = multisigSpend(chain, utxo.txid);
    empty.setInputScript(0, bscript.compile([opcodes.OP_0, opcodes.OP_0, opcodes.OP_0, redeem]));
    rejects(() => chain.submit(empty.toHex(), T0 + 2000), 'script', /0 of 2 signatures/);
  });

  it('rejects a wrong key, swapped signatures and a foreign redeem script', () => {
    const { chain, utxo } = funded(multisigAddr);
    expect(() => signMultisigInput(multisigSpend(chain, utxo.txid), 0, redeem, mallory)).toThrow(/not part of the redeem/);

    // mallory's signature placed in the server's slot
    const tx = multisigSpend(chain, utxo.txid);
    signMultisigInput(tx, 0, redeem, alice);
    const status = multisigSignatures(tx, 0, redeem);
    const hash = tx.hashForSignature(0, redeem, Transaction.SIGHASH_ALL);
    const malSig = bscript.signature.encode(mallory.sign(hash), Transaction.SIGHASH_ALL);
    const aliceSlot = status.slots.findIndex((s) => s.signature !== null);
    const sigs: (Uint8Array | number)[] = [opcodes.OP_0, opcodes.OP_0];
    sigs[aliceSlot] = fromHex(status.slots[aliceSlot]!.signature!);
    sigs[1 - aliceSlot] = malSig;
    tx.setInputScript(0, bscript.compile([opcodes.OP_0, ...sigs, redeem]));
    expect(multisigSignatures(tx, 0, redeem)).toMatchObject({ signed: 2, valid: 1, complete: false });
    rejects(() => chain.submit(tx.toHex(), T0 + 2000), 'script', /signature \d: signature does not verify/);

    // both valid signatures, but in the wrong order for CHECKMULTISIG
    const ok = multisigSpend(chain, utxo.txid);
    signMultisigInput(ok, 0, redeem, alice);
    signMultisigInput(ok, 0, redeem, server);
    const [, s1, s2] = bscript.decompile(ok.ins[0]!.script)!;
    const swapped = Transaction.fromHex(ok.toHex());
    swapped.setInputScript(0, bscript.compile([opcodes.OP_0, s2 as Uint8Array, s1 as Uint8Array, redeem]));
    rejects(() => chain.submit(swapped.toHex(), T0 + 2000), 'script', /does not verify/);

    // a valid 2-of-2 for other keys does not unlock this address
    const otherRedeem = multisigRedeem(bob.publicKey, server.publicKey);
    const foreign = multisigSpend(chain, utxo.txid);
    signMultisigInput(foreign, 0, otherRedeem, bob);
    signMultisigInput(foreign, 0, otherRedeem, server);
    rejects(() => chain.submit(foreign.toHex(), T0 + 2000), 'script', /redeem script does not match/);

    expect(chain.submit(ok.toHex(), T0 + 2000)).toBe(ok.getId());
  });

  it('rejects a multisig spend whose output was changed after signing', () => {
    const { chain, utxo } = funded(multisigAddr);
    const tx = multisigSpend(chain, utxo.txid);
    signMultisigInput(tx, 0, redeem, alice);
    signMultisigInput(tx, 0, redeem, server);
    const tampered = Transaction.fromHex(tx.toHex());
    tampered.outs[0]!.script = addressToScript(malloryAddr);
    rejects(() => chain.submit(tampered.toHex(), T0 + 2000), 'script', /does not verify/);
    expect(multisigSignatures(tampered, 0, redeem)).toMatchObject({ signed: 2, valid: 0 });
  });

  it('rejects redeem scripts other than 2-of-2 multisig', () => {
    const opTrue = Uint8Array.from([opcodes.OP_TRUE]);
    const { chain, utxo } = funded(p2shAddress(opTrue));
    const tx = buildSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 1000_000 }] }).tx;
    tx.setInputScript(0, bscript.compile([opTrue]));
    rejects(() => chain.submit(tx.toHex(), T0 + 2000), 'nonstandard', /only 2-of-2/);

    const oneOfOne = bscript.compile([opcodes.OP_1, alice.publicKey, opcodes.OP_1, opcodes.OP_CHECKMULTISIG]);
    const f = funded(p2shAddress(oneOfOne));
    const tx2 = buildSpend({ utxos: [f.utxo], outputs: [{ address: bobAddr, value: 1000_000 }] }).tx;
    const sig = bscript.signature.encode(alice.sign(tx2.hashForSignature(0, oneOfOne, 1)), 1);
    tx2.setInputScript(0, bscript.compile([opcodes.OP_0, sig, oneOfOne]));
    rejects(() => f.chain.submit(tx2.toHex(), T0 + 2000), 'nonstandard', /only 2-of-2/);
  });
});

describe('multisigSignatures and signMultisigInput', () => {
  it('reads an empty scriptSig as nothing signed and refuses a foreign layout', () => {
    const tx = unsigned({ txid: 'ab'.repeat(32), vout: 0, value: BTC, address: multisigAddr }, bobAddr, 1000_000);
    expect(multisigSignatures(tx, 0, redeem)).toMatchObject({ signed: 0, valid: 0, complete: false });
    expect(() => multisigSignatures(tx, 1, redeem)).toThrow(ChainError);
    tx.setInputScript(0, bscript.compile([opcodes.OP_0, opcodes.OP_0, redeem]));
    expect(() => multisigSignatures(tx, 0, redeem)).toThrow(/OP_0 <sig> <sig> <redeem>/);
    const other = multisigRedeem(bob.publicKey, server.publicKey);
    tx.setInputScript(0, bscript.compile([opcodes.OP_0, opcodes.OP_0, opcodes.OP_0, other]));
    expect(() => multisigSignatures(tx, 0, redeem)).toThrow(/different redeem/);
    expect(() => multisigSignatures(tx, 0, Uint8Array.from([0x51]))).toThrow(/only 2-of-2/);
  });

  it('drops a stale signature that no longer verifies when re-signing', () => {
    const tx = unsigned({ txid: 'ab'.repeat(32), vout: 0, value: BTC, address: multisigAddr }, bobAddr, 1000_000);
    signMultisigInput(tx, 0, redeem, alice);
    tx.outs[0]!.value = 2000_000n; // invalidates alice's signature
    const st = signMultisigInput(tx, 0, redeem, server);
    expect(st).toMatchObject({ signed: 1, valid: 1, complete: false });
  });

  it('reproduces the bitcoinutil sign vectors exactly (RFC 6979, slot order, OP_0 placeholders)', () => {
    for (const c of txutil.bitcoinutil_sign.cases) {
      const tx = Transaction.fromHex(c.tx);
      const signer = ECPair.fromWIF(c.privateKey, networks.testnet);
      const r = fromHex(c.redeem);
      for (let i = 0; i < tx.ins.length; i++) signMultisigInput(tx, i, r, signer);
      expect(tx.toHex()).toBe(c.expected);
      for (let i = 0; i < tx.ins.length; i++) {
        const st = multisigSignatures(tx, i, r);
        expect(st.signed).toBeGreaterThan(0);
        expect(st.valid).toBe(st.signed);
        expect(st.complete).toBe(st.signed === 2);
      }
    }
  });

  it('verifies both signatures of the fully signed Insight send vector', () => {
    const tx = Transaction.fromHex(insight.send.rawtx);
    // the fixture's response txid is a mocked HTTP reply, not this transaction's id
    expect(tx.getId()).toMatch(/^[0-9a-f]{64}$/);
    const chunks = bscript.decompile(tx.ins[0]!.script)!;
    const r = chunks[chunks.length - 1] as Uint8Array;
    for (let i = 0; i < tx.ins.length; i++) expect(multisigSignatures(tx, i, r)).toMatchObject({ signed: 2, valid: 2, complete: true });
    // a chain that never saw its inputs refuses it as missing inputs, not as a bad signature
    rejects(() => new Chain().submit(insight.send.rawtx, T0), 'missing-input');
  });

  it('computes txids as the bitcoinutil txidFromHex vector', () => {
    for (const c of txutil.txidFromHex.cases) expect(Transaction.fromHex(c.input).getId()).toBe(c.expected);
  });
});

describe('inputs, amounts and encoding', () => {
  it('rejects a double spend against the mempool and a spend of a confirmed-spent output', () => {
    const { chain, utxo } = funded(aliceAddr);
    const a = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 10_000_000 }], keys: [alice] });
    const b = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: malloryAddr, value: 10_000_000 }], keys: [alice] });
    const idA = chain.submit(a.hex, T0 + 2000);
    rejects(() => chain.submit(b.hex, T0 + 2001), 'double-spend', new RegExp(idA));
    chain.mine(1, T0 + 3000);
    rejects(() => chain.submit(b.hex, T0 + 4000), 'spent', /already spent/);
    expect(chain.balance(malloryAddr)).toEqual({ confirmed: 0, unconfirmed: 0 });
  });

  it('treats resubmission idempotently in the mempool and refuses it once confirmed', () => {
    const { chain, utxo } = funded(aliceAddr);
    const a = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 10_000_000 }], keys: [alice] });
    const events = vi.fn();
    chain.onTx(events);
    expect(chain.submit(a.hex, T0 + 2000)).toBe(chain.submit(a.hex.toUpperCase(), T0 + 2001));
    expect(events).toHaveBeenCalledTimes(1);
    chain.mine(1, T0 + 3000);
    rejects(() => chain.submit(a.hex, T0 + 4000), 'duplicate', /already in block chain/);
  });

  it('rejects missing inputs, duplicate inputs and overspends', () => {
    const { chain, utxo } = funded(aliceAddr);
    const missing = unsigned({ ...utxo, txid: 'cd'.repeat(32) }, bobAddr, 1000_000);
    signP2pkhInput(missing, 0, alice);
    rejects(() => chain.submit(missing.toHex(), T0 + 2000), 'missing-input', /missing input/);
    const badVout = unsigned({ ...utxo, vout: 5 }, bobAddr, 1000_000);
    signP2pkhInput(badVout, 0, alice);
    rejects(() => chain.submit(badVout.toHex(), T0 + 2000), 'missing-input');

    const dup = new Transaction();
    dup.addInput(fromHex(utxo.txid).reverse(), 0);
    dup.addInput(fromHex(utxo.txid).reverse(), 0);
    dup.addOutput(addressToScript(bobAddr), 1000n);
    signP2pkhInput(dup, 0, alice);
    signP2pkhInput(dup, 1, alice);
    rejects(() => chain.submit(dup.toHex(), T0 + 2000), 'duplicate', /duplicate input/);

    const over = new Transaction();
    over.addInput(fromHex(utxo.txid).reverse(), 0);
    over.addOutput(addressToScript(bobAddr), BigInt(BTC + 1));
    signP2pkhInput(over, 0, alice);
    rejects(() => chain.submit(over.toHex(), T0 + 2000), 'overspend', /exceed inputs/);

    const exact = new Transaction();
    exact.addInput(fromHex(utxo.txid).reverse(), 0);
    exact.addOutput(addressToScript(bobAddr), BigInt(BTC));
    signP2pkhInput(exact, 0, alice);
    const id = chain.submit(exact.toHex(), T0 + 2000);
    expect(chain.tx(id)!.fee).toBe(0);
  });

  it('rejects malformed hex and undecodable transactions', () => {
    const { chain, utxo } = funded(aliceAddr);
    const good = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 10_000_000 }], keys: [alice] }).hex;
    rejects(() => chain.submit('', T0), 'bad-hex');
    rejects(() => chain.submit('zz', T0), 'bad-hex');
    rejects(() => chain.submit('abc', T0), 'bad-hex');
    rejects(() => chain.submit(undefined as unknown as string, T0), 'bad-hex');
    rejects(() => chain.submit({ hex: good } as unknown as string, T0), 'bad-hex');
    rejects(() => chain.submit('00', T0), 'decode');
    rejects(() => chain.submit(good.slice(0, -10), T0), 'decode', /TX decode failed/);
    rejects(() => chain.submit(good + '00', T0), 'decode');
    rejects(() => chain.submit('ab'.repeat(100_001), T0), 'nonstandard', /larger than/);
    expect(chain.mempoolTxids()).toEqual([]);
    expect(chain.submit(` ${good}\n`, T0 + 2000)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects nonstandard outputs, witness inputs and non-final transactions', () => {
    const { chain, utxo } = funded(aliceAddr);
    const odd = unsigned(utxo, bobAddr, 1000_000);
    odd.outs[0]!.script = Uint8Array.from([opcodes.OP_TRUE]);
    signP2pkhInput(odd, 0, alice);
    rejects(() => chain.submit(odd.toHex(), T0 + 2000), 'nonstandard', /output 0/);

    const tb1 = 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx';
    const w = chain.faucet(tb1, 1000_000, T0 + 2000);
    const spendW = new Transaction();
    spendW.addInput(fromHex(w.txid).reverse(), 0);
    spendW.addOutput(addressToScript(bobAddr), 1000n);
    rejects(() => chain.submit(spendW.toHex(), T0 + 3000), 'nonstandard', /unsupported script type \(v0_p2wpkh\)/);

    const locked = unsigned(utxo, bobAddr, 1000_000);
    locked.locktime = chain.tipHeight() + 2;
    locked.ins[0]!.sequence = 0xfffffffe;
    signP2pkhInput(locked, 0, alice);
    rejects(() => chain.submit(locked.toHex(), T0 + 3000), 'non-final', /locktime/);
    chain.mine(2, T0 + 4000);
    expect(chain.submit(locked.toHex(), T0 + 5000)).toBe(locked.getId());

    const f2 = funded(aliceAddr);
    const timeLocked = unsigned(f2.utxo, bobAddr, 1000_000);
    timeLocked.locktime = Math.floor(T0 / 1000) + 3600;
    timeLocked.ins[0]!.sequence = 0;
    signP2pkhInput(timeLocked, 0, alice);
    rejects(() => f2.chain.submit(timeLocked.toHex(), T0 + 2000), 'non-final');
    expect(f2.chain.submit(timeLocked.toHex(), T0 + 3601_000)).toBe(timeLocked.getId());
  });
});

describe('address queries', () => {
  it('reports Esplora-style stats and address history newest first', () => {
    const { chain, utxo } = funded(aliceAddr);
    const a = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 10_000_000 }], keys: [alice] });
    const id = chain.submit(a.hex, T0 + 2000);
    const st = chain.addressStats(aliceAddr);
    expect(st.chain).toEqual({ funded_txo_count: 1, funded_txo_sum: BTC, spent_txo_count: 0, spent_txo_sum: 0, tx_count: 1 });
    expect(st.mempool).toEqual({ funded_txo_count: 1, funded_txo_sum: a.change, spent_txo_count: 1, spent_txo_sum: BTC, tx_count: 1 });
    expect(chain.addressTxs(aliceAddr)).toEqual([id, utxo.txid]);
    chain.mine(1, T0 + 3000);
    expect(chain.addressStats(aliceAddr).chain).toEqual({ funded_txo_count: 2, funded_txo_sum: BTC + a.change, spent_txo_count: 1, spent_txo_sum: BTC, tx_count: 2 });
    expect(chain.addressTxs(aliceAddr)).toEqual([id, utxo.txid]);
    expect(chain.utxos(aliceAddr).map((u) => u.txid)).toEqual([id]);
    expect(() => chain.utxos('bogus')).toThrow(ChainError);
    expect(chain.utxos(serverAddr)).toEqual([]);
    expect(chain.tx('00'.repeat(32))).toBeUndefined();
    expect(chain.txHex(id)).toBe(a.hex);
  });
});

describe('buildSpend / buildP2pkhSpend', () => {
  it('reproduces the coinpit-client createTx vector (fee 11350, change 189465523)', () => {
    const v = txutil.createtx;
    const utxos = v.unspents.map((u: { txid: string; vout: number; amount: number; addresses: string[] }) => ({ txid: u.txid, vout: u.vout, value: u.amount, address: u.addresses[0] }));
    const built = buildSpend({ utxos, outputs: [{ address: v.destination, value: v.amount }] });
    expect(built.hex).toBe(v.expected);
    expect(built.fee).toBe(v.derived_breakdown.fee);
    expect(built.change).toBe(v.derived_breakdown.outputs_decoded[1].value);
    expect(built.inputs).toHaveLength(1);
  });

  it('selects more inputs when needed, folds dust change into the fee and sweeps', () => {
    const small = [1, 2, 3].map((i) => ({ txid: String(i).repeat(64), vout: 0, value: 100_000, address: aliceAddr }));
    const two = buildSpend({ utxos: small, outputs: [{ address: bobAddr, value: 150_000 }] });
    expect(two.inputs).toHaveLength(2);
    expect(two.fee).toBe(Math.round((50000 * (2 * 149 + 2 * 34 + 10)) / 1000));
    expect(two.change).toBe(200_000 - 150_000 - two.fee);

    // one input: change would be 100000 - 88000 - 11350 = 650 (dust), and 12000 covers the 1-output fee of 9650
    const noChange = buildSpend({ utxos: small, outputs: [{ address: bobAddr, value: 88_000 }] });
    expect(noChange.inputs).toHaveLength(1);
    expect(noChange.tx.outs).toHaveLength(1);
    expect(noChange.fee).toBe(12_000);
    expect(noChange.change).toBe(0);
  });

  it('refuses insufficient funds, dust outputs and non-P2PKH inputs for signing', () => {
    const utxos = [{ txid: 'aa'.repeat(32), vout: 0, value: 100_000, address: aliceAddr }];
    rejects(() => buildSpend({ utxos, outputs: [{ address: bobAddr, value: 100_000 }] }), 'overspend', /insufficient funds/);
    rejects(() => buildSpend({ utxos, outputs: [{ address: bobAddr, value: 5430 }] }), 'bad-amount', /dust/);
    rejects(() => buildSpend({ utxos, outputs: [{ address: 'nope', value: 10_000 }] }), 'bad-address');
    rejects(() => buildSpend({ utxos: [], outputs: [{ address: bobAddr, value: 10_000 }] }), 'bad-amount');
    rejects(() => buildSpend({ utxos: [{ ...utxos[0]!, value: -5 }], outputs: [{ address: bobAddr, value: 10_000 }] }), 'bad-amount');
    rejects(() => buildP2pkhSpend({ utxos: [{ ...utxos[0]!, address: multisigAddr }], outputs: [{ address: bobAddr, value: 10_000 }], keys: [alice] }), 'nonstandard');
    rejects(() => buildP2pkhSpend({ utxos, outputs: [{ address: bobAddr, value: 10_000 }], keys: [bob] }), 'script', /no key/);
  });

  it('sweeps every UTXO into one output with multisig size estimates and custom version/sequence', () => {
    const { chain, utxo } = funded(multisigAddr);
    const second = chain.faucet(multisigAddr, BTC, T0 + 2000);
    const utxos = [utxo, { txid: second.txid, vout: 0, value: BTC, address: multisigAddr }];
    const built = buildSpend({ utxos, sweepTo: aliceAddr, feePerKB: 25000, version: 2, sequence: 0xfffffffe });
    expect(built.fee).toBe(Math.round((25000 * (2 * 250 + 34 + 10)) / 1000));
    expect(built.tx.outs).toHaveLength(1);
    expect(Number(built.tx.outs[0]!.value)).toBe(2 * BTC - built.fee);
    expect(built.tx.version).toBe(2);
    for (let i = 0; i < 2; i++) {
      expect(built.tx.ins[i]!.sequence).toBe(0xfffffffe);
      signMultisigInput(built.tx, i, redeem, server);
      signMultisigInput(built.tx, i, redeem, alice);
    }
    chain.submit(built.tx.toHex(), T0 + 3000);
    expect(chain.balance(aliceAddr).unconfirmed).toBe(2 * BTC - built.fee);
  });
});

describe('listeners and snapshots', () => {
  it('keeps going when a listener throws, and unsubscribes', () => {
    const errors: unknown[] = [];
    const chain = new Chain({ onListenerError: (e) => errors.push(e) });
    const off = chain.onBlock(() => {
      throw new Error('boom');
    });
    const seen: number[] = [];
    chain.onBlock((e) => seen.push(e.height));
    chain.mine(1, 1);
    expect(errors).toHaveLength(1);
    expect(seen).toEqual([1]);
    off();
    chain.mine(1, 2);
    expect(errors).toHaveLength(1);
    expect(seen).toEqual([1, 2]);
  });

  it('round-trips through toJSON / fromJSON, mempool included', () => {
    const { chain, utxo } = funded(aliceAddr);
    const ms = chain.faucet(multisigAddr, BTC, T0 + 1500);
    const a = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 10_000_000 }], keys: [alice] });
    chain.submit(a.hex, T0 + 2000);
    chain.mine(3, T0 + 3000);
    const pending = buildSpend({ utxos: [{ txid: ms.txid, vout: 0, value: BTC, address: multisigAddr }], outputs: [{ address: malloryAddr, value: 20_000_000 }] }).tx;
    signMultisigInput(pending, 0, redeem, alice);
    signMultisigInput(pending, 0, redeem, server);
    const pendingId = chain.submit(pending.toHex(), T0 + 4000);
    chain.setFeeRate(7);

    const snap = JSON.parse(JSON.stringify(chain));
    const restored = Chain.fromJSON(snap);
    expect(restored.toJSON()).toEqual(chain.toJSON());
    expect(restored.tipHash()).toBe(chain.tipHash());
    expect(restored.mempoolTxids()).toEqual([pendingId]);
    for (const addr of [aliceAddr, bobAddr, malloryAddr, multisigAddr]) {
      expect(restored.utxos(addr)).toEqual(chain.utxos(addr));
      expect(restored.addressStats(addr)).toEqual(chain.addressStats(addr));
    }
    expect(restored.tx(pendingId)).toEqual(chain.tx(pendingId));
    expect(restored.feeEstimates()['2']).toBe(7);
    // the restored mempool still guards against double spends and mines normally
    const conflict = buildSpend({ utxos: [{ txid: ms.txid, vout: 0, value: BTC, address: multisigAddr }], outputs: [{ address: bobAddr, value: 20_000_000 }] }).tx;
    signMultisigInput(conflict, 0, redeem, alice);
    signMultisigInput(conflict, 0, redeem, server);
    rejects(() => restored.submit(conflict.toHex(), T0 + 5000), 'double-spend');
    restored.mine(1, T0 + 6000);
    expect(restored.balance(malloryAddr).confirmed).toBe(20_000_000);
  });

  it('refuses a corrupt snapshot', () => {
    const { chain } = funded(aliceAddr);
    chain.mine(1, T0 + 3000);
    const good = chain.toJSON();
    const clone = () => JSON.parse(JSON.stringify(good));
    const expectBad = (s: unknown) => expect(() => Chain.fromJSON(s)).toThrow(/invalid chain snapshot/);
    expectBad(null);
    expectBad({ ...clone(), format: 'other' });
    const timeChanged = clone();
    timeChanged.blocks[2].time += 1000;
    expectBad(timeChanged);
    const missingTx = clone();
    missingTx.blocks[1].txs = [];
    expectBad(missingTx);
    const badHex = clone();
    badHex.blocks[1].txs[0].hex = 'zz';
    expect(() => Chain.fromJSON(badHex)).toThrow(ChainError);
    const genesis = clone();
    genesis.options.genesisTime = 5;
    expectBad(genesis);
    expect(Chain.fromJSON(clone()).tipHash()).toBe(chain.tipHash());
  });

  it('a fresh key pair set gives distinct addresses (fixture sanity)', () => {
    expect(new Set([aliceAddr, bobAddr, malloryAddr, serverAddr, multisigAddr]).size).toBe(5);
    expect(multisigAddr.startsWith('2')).toBe(true);
    expect(key('alice').publicKey).toEqual(alice.publicKey);
  });
});

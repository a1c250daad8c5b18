// The fees of the transactions the local exchange builds itself (money.ts): margin out (§8.8) and
// withdrawtx / recoverytx (§8.9). Every one pays at least config.minimumFee — the floor the wallet applies to
// its own spends (wallet/txbuild selectCoins) — on top of the feePerKB × size estimate of §6.2.
// Fixture-style: each case states the chain, the free margin and what must come out.
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../main/coinpit/types';
import { Chain } from '../../../main/localnet/chain/chain';
import { classifyOutput } from '../../../main/localnet/chain/script';
import { DEFAULT_CONFIG } from '../../../main/localnet/engine/listing';
import { buildMarginOut, buildRecoveryTx, exchangeFeePolicy } from '../../../main/localnet/money';
import { HttpError } from '../../../main/localnet/server/router';
import { Users } from '../../../main/localnet/server/users';
import { walletAccount } from '../../../main/wallet/account';
import { parseRedeem, signerFromWif, signTransaction } from '../../../main/wallet/multisig';
import { review } from '../../../main/wallet/review';
import { estimateSize, feeForSize, recoveryShapeProblems } from '../../../main/wallet/txbuild';
import { alice, T0 } from './chain-helpers';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const user = new Users(new Uint8Array(32).fill(7)).ensure(toHex(alice.publicKey));
const account = walletAccount({ network: 'testnet', publicKey: user.publicKey, userid: user.userid, serverPublicKey: user.serverPublicKey });
const MIN = DEFAULT_CONFIG.minimumFee; // 50 000
const DUST = DEFAULT_CONFIG.bitcoinDust; // 10 000
const cfg = (over: Partial<Config> = {}): Config => ({ ...DEFAULT_CONFIG, ...over });
/** the fee feePerKB alone would give (no floor) */
const sizeFee = (nIn: number, nOut: number, type: 'p2pkh' | 'multisig', perKB: number) => feeForSize(estimateSize(nIn, nOut, type), perKB);

/** A chain whose blocks pay `values` to `address`, one faucet block each (so the UTXOs are ordered). */
function chainPaying(address: string, values: readonly number[]): Chain {
  const chain = new Chain({ genesisTime: T0 });
  values.forEach((v, i) => chain.faucet(address, v, T0 + 1000 * (i + 1)));
  return chain;
}

/** What a transaction does, from the chain's view of its inputs. */
function effect(chain: Chain, hex: string) {
  const tx = Transaction.fromHex(hex);
  const inTotal = tx.ins.reduce((s, i) => s + chain.tx(toHex(Uint8Array.from(i.hash).reverse()))!.outputs[i.index]!.value, 0);
  const outTotal = tx.outs.reduce((s, o) => s + Number(o.value), 0);
  const paid = (address: string) => tx.outs.filter((o) => classifyOutput(o.script).address === address).reduce((s, o) => s + Number(o.value), 0);
  return { tx, fee: inTotal - outTotal, paid };
}

function expectError(f: () => unknown, message: string | RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeInstanceOf(HttpError);
  expect((err as HttpError).status).toBe(422);
  if (typeof message === 'string') expect((err as HttpError).message).toBe(message);
  else expect((err as HttpError).message).toMatch(message);
}

describe('exchangeFeePolicy', () => {
  it('is feePerKB (or the rate given) with config.minimumFee as the floor and config.bitcoinDust', () => {
    expect(exchangeFeePolicy(cfg())).toEqual({ feePerKB: 50000, dust: DUST, minimumFee: MIN });
    expect(exchangeFeePolicy(cfg(), 25000)).toEqual({ feePerKB: 25000, dust: DUST, minimumFee: MIN });
    expect(exchangeFeePolicy(cfg({ minimumFee: 0, bitcoinDust: 5430 }))).toEqual({ feePerKB: 50000, dust: 5430, minimumFee: 0 });
  });
});

interface MarginOutCase {
  name: string;
  utxos: number[];
  free: number;
  amount: number | 'all';
  config?: Partial<Config>;
  /** expected result */
  out: { amount: number; fee: number; change: number };
}

const BTC = 100_000_000;
const VALID_MARGIN_OUT: MarginOutCase[] = [
  // the size fee of a 1-in/2-out P2PKH spend is 11 350: the floor applies
  { name: 'partial: amount out, change back, fee = minimumFee', utxos: [BTC], free: BTC, amount: 30_000_000, out: { amount: 30_000_000, fee: MIN, change: BTC - 30_000_000 - MIN } },
  { name: 'partial: amount + minimumFee is exactly the free margin', utxos: [BTC], free: 30_000_000 + MIN, amount: 30_000_000, out: { amount: 30_000_000, fee: MIN, change: BTC - 30_000_000 - MIN } },
  { name: "'all', nothing held: every UTXO minus the fee", utxos: [BTC], free: BTC, amount: 'all', out: { amount: BTC - MIN, fee: MIN, change: 0 } },
  { name: "'all', margin held by orders: exactly free − fee, the rest back as change", utxos: [BTC], free: 60_000_000, amount: 'all', out: { amount: 60_000_000 - MIN, fee: MIN, change: 40_000_000 } },
  { name: "'all' over two UTXOs, margin held", utxos: [BTC, BTC], free: 150_000_000, amount: 'all', out: { amount: 150_000_000 - MIN, fee: MIN, change: 50_000_000 } },
  // what has to stay (5 000) is not above dust: the change is made just above dust rather than dust or fee
  { name: "'all', held margin at or below dust: change just above dust", utxos: [BTC], free: BTC - 5000, amount: 'all', out: { amount: BTC - MIN - DUST - 1, fee: MIN, change: DUST + 1 } },
  { name: "'all' with minimumFee + dust + 1 free: 1 satoshi above dust moves", utxos: [BTC], free: MIN + DUST + 1, amount: 'all', out: { amount: DUST + 1, fee: MIN, change: BTC - MIN - DUST - 1 } },
  // 8 inputs: 8×149 + 34 + 10 = 1236 bytes → 61 800 sat, above the floor
  { name: "'all', eight UTXOs: the size fee is above the floor and is paid", utxos: Array(8).fill(1_000_000), free: 8_000_000, amount: 'all', out: { amount: 8_000_000 - 61_800, fee: 61_800, change: 0 } },
  { name: 'the floor is the config value: minimumFee 0 gives the size fee', utxos: [BTC], free: BTC, amount: 30_000_000, config: { minimumFee: 0 }, out: { amount: 30_000_000, fee: 11_350, change: BTC - 30_000_000 - 11_350 } },
  { name: 'a larger minimumFee is paid', utxos: [BTC], free: BTC, amount: 'all', config: { minimumFee: 120_000 }, out: { amount: BTC - 120_000, fee: 120_000, change: 0 } },
];

interface MarginOutError {
  name: string;
  utxos: number[];
  free: number;
  amount: number | 'all';
  error: string;
}

const INVALID_MARGIN_OUT: MarginOutError[] = [
  // each of these would pass with the 11 350 / 9 650 sat size fee
  { name: 'amount + minimumFee is 1 sat more than the free margin', utxos: [BTC], free: 30_000_000 + MIN - 1, amount: 30_000_000, error: 'Insufficient margin' },
  { name: 'the margin address cannot pay amount + minimumFee', utxos: [60_000], free: 60_000, amount: 20_000, error: 'Insufficient margin' },
  { name: "'all' when free − minimumFee is at dust", utxos: [BTC], free: MIN + DUST, amount: 'all', error: 'Insufficient margin' },
  { name: "'all' when the whole margin is less than minimumFee + dust", utxos: [55_000], free: 55_000, amount: 'all', error: 'Insufficient margin' },
  { name: "'all' when the margin is below minimumFee", utxos: [40_000], free: 40_000, amount: 'all', error: 'Insufficient margin' },
  { name: 'no margin UTXO', utxos: [], free: BTC, amount: 'all', error: 'Insufficient margin' },
  { name: 'nothing free', utxos: [BTC], free: 0, amount: 20_000, error: 'Insufficient margin' },
  { name: 'amount above the free margin', utxos: [BTC], free: 1_000_000, amount: 1_000_001, error: 'Insufficient margin' },
  { name: 'amount at dust', utxos: [BTC], free: BTC, amount: DUST, error: `Amount must be above dust (${DUST} satoshi)` },
  { name: 'amount not an integer', utxos: [BTC], free: BTC, amount: 1.5e6 + 0.5, error: 'Amount must be a positive integer (satoshi)' },
];

describe('margin out (§8.8) pays at least config.minimumFee', () => {
  it.each(VALID_MARGIN_OUT)('$name', (c) => {
    const chain = chainPaying(user.serverAddress, c.utxos);
    const config = cfg(c.config);
    const r = buildMarginOut(chain, user, c.amount, c.free, config);
    expect({ amount: r.amount, fee: r.fee }).toEqual({ amount: c.out.amount, fee: c.out.fee });
    expect(r.fee).toBeGreaterThanOrEqual(config.minimumFee);
    expect(r.amount + r.fee).toBeLessThanOrEqual(c.free);
    // the transaction itself: the fee it really pays, the amount to the multisig, the change to the margin address
    const e = effect(chain, r.hex);
    expect(e.fee).toBe(r.fee);
    expect(e.paid(user.accountid)).toBe(c.out.amount);
    expect(e.paid(user.serverAddress)).toBe(c.out.change);
    expect(e.tx.outs).toHaveLength(c.out.change > 0 ? 2 : 1);
    // signed by the server key and accepted by the chain
    expect(chain.submit(r.hex, T0 + 100_000)).toBe(e.tx.getId());
  });

  it("'all' leaves exactly free − fee whenever what stays is above dust", () => {
    for (const free of [MIN + DUST + 1, 1_000_000, 33_333_333, BTC - DUST - 1, BTC]) {
      const chain = chainPaying(user.serverAddress, [BTC]);
      const r = buildMarginOut(chain, user, 'all', free, cfg());
      expect(r.fee).toBe(MIN);
      expect(r.amount).toBe(free - r.fee);
    }
  });

  it("'all' over many UTXOs never moves more than free and stays within dust of it", () => {
    const values = [3_000_000, 700_000, 12_345_678, 90_000, 5_000_000, 61_000, 250_000, 1_000_000, 4_444_444];
    const total = values.reduce((s, v) => s + v, 0);
    const cases: [number, number][] = [
      // [free, satoshi of free left unmoved beyond the fee]
      [total, 0], // sweep: 9 inputs, 1 output, 1385 bytes → 69 250
      [total - 20_000, 0], // 20 000 stays as change
      [total - 5000, 5001], // 5000 stays: change made 10 001
      [total - 1, 10_000],
      [20_000_000, 0],
      [70_001, 0], // one input: 20 001 moves, fee = floor
    ];
    for (const [free, short] of cases) {
      const chain = chainPaying(user.serverAddress, values);
      const r = buildMarginOut(chain, user, 'all', free, cfg());
      expect(r.fee).toBeGreaterThanOrEqual(MIN);
      expect(free - r.amount - r.fee).toBe(short);
      expect(effect(chain, r.hex).fee).toBe(r.fee);
      chain.submit(r.hex, T0 + 100_000);
    }
  });

  it("'all' on random margin UTXO sets: amount + fee ≤ free, fee ≥ floor, no dust change, refused only when unfundable", () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let built = 0;
    let refused = 0;
    for (let round = 0; round < 60; round++) {
      const values = Array.from({ length: 1 + rnd(12) }, () => [20_000, 61_000, 300_000, 5_000_000, 1 + rnd(2_000_000)][rnd(5)]!);
      const total = values.reduce((s, v) => s + v, 0);
      const free = [total, total - rnd(20_000), rnd(total + 1), MIN + DUST + rnd(100_000)][rnd(4)]!;
      const chain = chainPaying(user.serverAddress, values);
      let r: { hex: string; amount: number; fee: number } | undefined;
      try {
        r = buildMarginOut(chain, user, 'all', free, cfg());
      } catch (err) {
        expect((err as Error).message).toBe('Insufficient margin');
        // all inputs with a change output is a possible spend whenever this much is free
        const worst = Math.max(MIN, sizeFee(values.length, 2, 'p2pkh', 50000));
        expect(Math.min(free, total) <= worst + 2 * (DUST + 1)).toBe(true);
        refused++;
        continue;
      }
      const e = effect(chain, r.hex);
      expect(e.fee).toBe(r.fee);
      expect(r.fee).toBeGreaterThanOrEqual(Math.max(MIN, sizeFee(e.tx.ins.length, e.tx.outs.length, 'p2pkh', 50000)));
      expect(r.amount).toBeGreaterThan(DUST);
      expect(r.amount + r.fee).toBeLessThanOrEqual(free);
      const change = e.paid(user.serverAddress);
      expect(change === 0 || change > DUST).toBe(true);
      if (free >= total) expect(r.amount).toBe(total - r.fee);
      else expect(free - r.amount - r.fee).toBeLessThanOrEqual(DUST + 1);
      chain.submit(r.hex, T0 + 100_000);
      built++;
    }
    expect(built).toBeGreaterThan(40); // the stream exercises both outcomes
    expect(refused).toBeGreaterThan(0);
  });

  it.each(INVALID_MARGIN_OUT)('refused: $name', (c) => {
    const chain = chainPaying(user.serverAddress, c.utxos);
    expectError(() => buildMarginOut(chain, user, c.amount, c.free, cfg()), c.error);
    expect(chain.mempoolTxids()).toEqual([]);
  });

  it('the refused cases are refused because of the floor (they pass with minimumFee 0)', () => {
    for (const c of INVALID_MARGIN_OUT.slice(0, 4)) {
      const chain = chainPaying(user.serverAddress, c.utxos);
      const r = buildMarginOut(chain, user, c.amount, c.free, cfg({ minimumFee: 0 }));
      expect(r.fee).toBeLessThan(MIN);
    }
  });
});

interface RecoveryCase {
  name: string;
  utxos: number[];
  kind: 'withdraw' | 'recovery';
  config?: Partial<Config>;
  fee: number;
}

const VALID_RECOVERY: RecoveryCase[] = [
  // one multisig input, one output: 294 bytes → 14 700 at feePerKB, 7 350 at recoveryFeePerKB
  { name: 'withdrawtx, one UTXO: the floor, not 14 700', utxos: [BTC], kind: 'withdraw', fee: MIN },
  { name: 'recoverytx, one UTXO: the floor, not 7 350', utxos: [BTC], kind: 'recovery', fee: MIN },
  { name: 'recoverytx, the smallest multisig it can empty', utxos: [MIN + DUST + 1], kind: 'recovery', fee: MIN },
  // ten inputs: 2544 bytes → 63 600 at 25 000/kB, 127 200 at 50 000/kB (under maximumFee 150 000)
  { name: 'recoverytx, ten UTXOs: recoveryFeePerKB × size is above the floor', utxos: Array(10).fill(1_000_000), kind: 'recovery', fee: 63_600 },
  { name: 'withdrawtx, ten UTXOs: feePerKB × size', utxos: Array(10).fill(1_000_000), kind: 'withdraw', fee: 127_200 },
  { name: 'recoverytx with minimumFee 0: recoveryFeePerKB × size', utxos: [BTC], kind: 'recovery', config: { minimumFee: 0 }, fee: 7_350 },
];

const INVALID_RECOVERY: { name: string; utxos: number[]; kind: 'withdraw' | 'recovery'; error: RegExp }[] = [
  { name: 'the multisig holds less than the floor', utxos: [40_000], kind: 'recovery', error: /^Cannot build the transaction: Confirmed balance 40000 sat is too small: after the 50000 sat fee nothing above dust \(10000 sat\) is left$/ },
  { name: 'the multisig holds the floor plus dust', utxos: [MIN + DUST], kind: 'withdraw', error: /Confirmed balance 60000 sat is too small: after the 50000 sat fee/ },
  { name: 'two small UTXOs that only the size fee would leave above dust', utxos: [30_000, 25_000], kind: 'recovery', error: /Confirmed balance 55000 sat is too small/ },
  { name: 'an empty multisig', utxos: [], kind: 'recovery', error: /^No confirmed funds in the multisig account$/ },
];

describe('withdrawtx / recoverytx (§8.9) pay their rate, at least config.minimumFee', () => {
  it.each(VALID_RECOVERY)('$name', (c) => {
    const chain = chainPaying(user.accountid, c.utxos);
    const config = cfg(c.config);
    const rate = c.kind === 'withdraw' ? config.feePerKB : config.recoveryFeePerKB;
    const r = buildRecoveryTx(chain, user, rate, config);
    expect(r.fee).toBe(c.fee);
    expect(r.fee).toBe(Math.max(config.minimumFee, sizeFee(c.utxos.length, 1, 'multisig', rate)));
    const total = c.utxos.reduce((s, v) => s + v, 0);
    const tx = Transaction.fromHex(r.tx);
    expect(tx.ins).toHaveLength(c.utxos.length);
    expect(tx.outs).toHaveLength(1);
    expect(Number(tx.outs[0]!.value)).toBe(total - r.fee);
    expect(r.inputs.reduce((s, i) => s + i.value, 0)).toBe(total);

    // the client's review accepts it (fee within maximumFee, single output to userid, inputs ours) …
    const accountUtxos = chain.utxos(user.accountid).map((u) => ({ txid: u.txid, vout: u.vout, value: u.value }));
    const prevTxs = Object.fromEntries(accountUtxos.map((u) => [u.txid, chain.txHex(u.txid)!]));
    expect(recoveryShapeProblems(tx, account, accountUtxos)).toEqual([]);
    const rv = review(tx, { account, intent: { kind: 'recovery' }, maximumFee: config.maximumFee, accountUtxos, prevTxs, declaredNetwork: 'testnet' });
    expect(rv.refusals).toEqual([]);
    expect(rv).toMatchObject({ ok: true, fee: r.fee, feeVerified: true, amount: total - r.fee });
    // … and once the user signs it the chain does too
    const signed = signTransaction(tx, parseRedeem(user.redeem), signerFromWif(alice.toWIF()));
    expect(signed.complete).toBe(true);
    chain.submit(signed.tx.toHex(), T0 + 100_000);
    expect(chain.balance(user.userid).unconfirmed).toBe(total - r.fee);
  });

  it.each(INVALID_RECOVERY)('refused with a clear 422: $name', (c) => {
    const chain = chainPaying(user.accountid, c.utxos);
    const config = cfg();
    expectError(() => buildRecoveryTx(chain, user, c.kind === 'withdraw' ? config.feePerKB : config.recoveryFeePerKB, config), c.error);
  });

  it('the refused small multisigs are refused because of the floor (they pass with minimumFee 0)', () => {
    for (const c of INVALID_RECOVERY.slice(0, 3)) {
      const chain = chainPaying(user.accountid, c.utxos);
      const config = cfg({ minimumFee: 0 });
      expect(buildRecoveryTx(chain, user, c.kind === 'withdraw' ? config.feePerKB : config.recoveryFeePerKB, config).fee).toBeLessThan(MIN);
    }
  });
});

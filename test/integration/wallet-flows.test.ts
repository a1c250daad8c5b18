// The wallet against the real local exchange and its simulated chain, over real HTTP: faucet → deposit → margin in
// → margin out → partial withdraw → margin out (all) → recovery fetched, verified, co-signed and broadcast, with
// every balance checked in satoshi at each step. Every transaction the wallet signs is accepted by the chain's
// script checks, and its signatures are re-verified here with tiny-secp256k1 and bitcoinjs directly (not through
// main/wallet/multisig.ts). A rejected confirmation signs and sends nothing.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ecc from 'tiny-secp256k1';
import { script as bscript, Transaction } from 'bitcoinjs-lib';
import { fromHex } from '../../main/coinpit/hash';
import { generateWif, identity } from '../../main/coinpit/identity';
import { walletBalances, type WalletBalances } from '../../main/wallet/balances';
import { depositRequest } from '../../main/wallet/deposit';
import { ConfirmationRejected, WalletFlows, type ConfirmSubject } from '../../main/wallet/flows';
import { signerFromWif, type Signer } from '../../main/wallet/multisig';
import { RecoveryKeeper } from '../../main/wallet/recovery';
import type { Review } from '../../main/wallet/review';
import type { WalletAccount } from '../../main/wallet/account';
import { newUser, startWalletNet, type User, type WalletNet } from './helpers/localnet-wallet';

// the local exchange's config (/all/config): feePerKB 50000, recoveryFeePerKB 25000, minimumFee 50000
const FEE_PER_KB = 50000;
const RECOVERY_FEE_PER_KB = 25000;
const MINIMUM_FEE = 50000;
const sizeFee = (perKB: number, bytes: number) => Math.round((perKB * bytes) / 1000);
/** the wallet's fee for a multisig spend: §6.2 size estimate, floored at minimumFee */
const walletFee = (nIn: number, nOut: number) => Math.max(MINIMUM_FEE, sizeFee(FEE_PER_KB, nIn * 250 + nOut * 34 + 10));
/** the exchange's margin-out fee: a P2PKH spend from the margin address, floored at minimumFee as well */
const marginOutFee = (nIn: number, nOut: number) => Math.max(MINIMUM_FEE, sizeFee(FEE_PER_KB, nIn * 149 + nOut * 34 + 10));
/** margin left after margin in 30 000 000 and margin out 10 000 000 (fee 50 000, not the size fee 11 350) */
const MARGIN_LEFT = 30_000_000 - 10_000_000 - 50_000;

let w: WalletNet;
beforeAll(async () => {
  w = await startWalletNet();
});
afterAll(async () => {
  await w?.close();
});

function bal(confirmed: number, unconfirmed = 0): { confirmed: number; unconfirmed: number; total: number } {
  return { confirmed, unconfirmed, total: confirmed + unconfirmed };
}

async function expectBalances(account: WalletAccount, multisig: [number, number?], margin: [number, number?], user: [number, number?]): Promise<WalletBalances> {
  const b = await walletBalances(w.chain, account);
  expect(b).toEqual({
    multisig: { address: account.accountid, ...bal(...multisig) },
    margin: { address: account.serverAddress, ...bal(...margin) },
    user: { address: account.userid, ...bal(...user) },
  });
  return b;
}

/**
 * Independent check of the user's signature on every input: parse the scriptSig with bitcoinjs, take the
 * signature in the user's slot, and verify it with tiny-secp256k1 against bitcoinjs' legacy sighash.
 */
function expectUserSigned(hex: string, account: WalletAccount, wantComplete: boolean): void {
  const tx = Transaction.fromHex(hex);
  const redeem = fromHex(account.redeem);
  const keys = [account.redeem.slice(4, 70), account.redeem.slice(72, 138)];
  expect(keys.sort()).toEqual([account.publicKey, account.serverPublicKey].sort());
  const userSlot = keys[0] === account.publicKey ? 0 : 1;
  tx.ins.forEach((input, i) => {
    const chunks = bscript.decompile(input.script)!;
    expect(chunks).toHaveLength(4);
    expect(Buffer.from(chunks[3] as Uint8Array).toString('hex')).toBe(account.redeem);
    const hash = tx.hashForSignature(i, redeem, Transaction.SIGHASH_ALL);
    const check = (slot: number, pub: string): boolean => {
      const item = chunks[1 + slot];
      if (!(item instanceof Uint8Array) || item.length === 0) return false;
      const { signature, hashType } = bscript.signature.decode(item);
      return hashType === Transaction.SIGHASH_ALL && ecc.verify(hash, fromHex(pub), signature);
    };
    expect(check(userSlot, account.publicKey)).toBe(true);
    expect(check(1 - userSlot, account.serverPublicKey)).toBe(wantComplete);
  });
}

/** The chain has `txid` in a block, and it is the transaction we signed (the exchange only added its signature). */
async function expectMinedAsSigned(txid: string | null, signedHex: string): Promise<void> {
  expect(txid).toMatch(/^[0-9a-f]{64}$/);
  expect((await w.chain.txStatus(txid!)).confirmed).toBe(true);
  const onChain = Transaction.fromHex(await w.chain.txHex(txid!));
  const ours = Transaction.fromHex(signedHex);
  const strip = (t: Transaction) => {
    const c = t.clone();
    c.ins.forEach((_, i) => c.setInputScript(i, new Uint8Array(0)));
    return c.toHex();
  };
  expect(strip(onChain)).toBe(strip(ours));
}

describe('wallet against the local exchange', () => {
  let u: User;
  let flows: WalletFlows;
  let signer: Signer;
  const seen: ConfirmSubject[] = [];
  const DEST = identity(generateWif('testnet')).userid;

  beforeAll(async () => {
    u = await newUser(w);
    signer = signerFromWif(u.wif);
    flows = new WalletFlows({ account: u.account, client: u.client, chain: w.chain, signer, confirmer: { confirm: async (s) => (seen.push(s), true) } });
  });

  it('faucet → deposit to the multisig', async () => {
    const deposit = depositRequest(u.account, { amount: 100_000_000, label: 'Coinpit Desk' });
    expect(deposit.uri).toBe(`bitcoin:${u.account.accountid}?amount=1&label=Coinpit%20Desk`);
    await expectBalances(u.account, [0], [0], [0]);
    await w.faucet(deposit.address, deposit.amount!); // the faucet mines the block that pays it
    await expectBalances(u.account, [100_000_000], [0], [0]);
  });

  it('margin in: multisig → margin address, change back to the multisig', async () => {
    const fee = walletFee(1, 2);
    expect(fee).toBe(50_000); // the size-based fee (16400) is under the exchange's minimumFee
    const r = await flows.marginIn(30_000_000);
    expect(r).toMatchObject({ operation: 'margin-in', amount: 30_000_000, fee });
    const review = seen.at(-1) as Review;
    expect(review).toMatchObject({ kind: 'margin-in', ok: true, fee, feeVerified: true, amount: 30_000_000 });
    expect(review.outputs.map((o) => [o.destination, o.value])).toEqual([
      ['margin', 30_000_000],
      ['multisig', 100_000_000 - 30_000_000 - fee],
    ]);
    expectUserSigned(r.signedHex, u.account, false);
    await expectBalances(u.account, [0, 69_950_000], [0, 30_000_000], [0]);
    await w.mine();
    await expectBalances(u.account, [69_950_000], [30_000_000], [0]);
    await expectMinedAsSigned(r.txid, r.signedHex);
    expect((await u.client.account()).accountMargin).toBe(30_000_000);
    expect(await u.client.marginInfo()).toMatchObject({ address: u.account.serverAddress, confirmed: 30_000_000, available: 30_000_000 });
  });

  it('margin out (partial): the exchange pays the amount to the multisig, its fee on top from the margin', async () => {
    const r = await flows.marginOut(10_000_000);
    const fee = marginOutFee(1, 2);
    expect(fee).toBe(50_000); // the size-based fee (11350) is under the exchange's minimumFee
    expect(r).toMatchObject({ operation: 'margin-out', amount: 10_000_000, moved: 10_000_000, fee });
    expect(seen.at(-1)).toEqual({ kind: 'margin-out', amount: 10_000_000, from: u.account.serverAddress, to: u.account.accountid });
    await w.mine();
    await expectBalances(u.account, [79_950_000], [30_000_000 - 10_000_000 - fee], [0]);
    expect((await w.chain.txStatus(r.txid!)).confirmed).toBe(true);
  });

  it('partial withdraw to another address', async () => {
    const fee = walletFee(1, 2);
    const r = await flows.withdraw(DEST, 5_000_000);
    expect(r).toMatchObject({ operation: 'withdraw', amount: 5_000_000, fee });
    expect((seen.at(-1) as Review).outputs.map((o) => [o.address, o.value])).toEqual([
      [DEST, 5_000_000],
      [u.account.accountid, 69_950_000 - 5_000_000 - fee],
    ]);
    expectUserSigned(r.signedHex, u.account, false);
    await w.mine();
    await expectBalances(u.account, [79_950_000 - 5_000_000 - fee], [MARGIN_LEFT], [0]);
    expect(await w.chain.addressBalance(DEST)).toEqual({ confirmed: 5_000_000, unconfirmed: 0 });
    await expectMinedAsSigned(r.txid, r.signedHex);
  });

  it('margin out (all): every free satoshi of the margin address back to the multisig', async () => {
    const r = await flows.marginOutAll();
    const fee = marginOutFee(1, 1);
    expect(fee).toBe(50_000); // not the size-based 9650
    expect(r).toMatchObject({ operation: 'margin-out', amount: 'all', moved: MARGIN_LEFT - fee, fee });
    await w.mine();
    await expectBalances(u.account, [74_900_000 + MARGIN_LEFT - fee], [0], [0]);
  });

  it('recovery: fetched, verified, co-signed, stored, broadcast', async () => {
    const before = await walletBalances(w.chain, u.account);
    const total = before.multisig.confirmed;
    const utxos = await w.chain.addressUtxos(u.account.accountid);
    const keeper = new RecoveryKeeper({ account: u.account, client: u.client, chain: w.chain, signer, dataDir: path.join(w.dataDir, 'app') });
    const status = await keeper.refresh();
    // recoveryFeePerKB × size (2 inputs: 19 850), floored at minimumFee like every exchange transaction
    const fee = Math.max(MINIMUM_FEE, sizeFee(RECOVERY_FEE_PER_KB, utxos.length * 250 + 34 + 10));
    expect(fee).toBe(50_000);
    expect(status).toMatchObject({ ready: true, stale: false, covers: total, total, fee, problem: null });
    expect(status.summary).toBe(`recovery ready: covers ${total / 1e8} of ${total / 1e8} BTC`);
    expect((await keeper.refreshIfStale()).refreshed).toBe(false);
    const record = await keeper.load();
    expectUserSigned(record!.hex, u.account, true);

    const txid = await keeper.broadcast(w.esploraUrl);
    expect(txid).toBe(status.txid);
    await w.mine();
    expect((await w.chain.txStatus(txid)).confirmed).toBe(true);
    await expectBalances(u.account, [0], [before.margin.confirmed], [total - fee]);
    // the multisig is empty now: the stored transaction is out of date, and a refresh clears it
    expect(await keeper.status()).toMatchObject({ ready: false, stale: true });
    expect(await keeper.refresh()).toMatchObject({ ready: false, covers: 0, total: 0, refreshedAt: null });
  });
});

describe('a rejected confirmation signs and sends nothing', () => {
  it('margin in, withdraw and margin out', async () => {
    const u = await newUser(w);
    await w.faucet(u.account.accountid, 20_000_000);
    await w.faucet(u.account.serverAddress, 5_000_000);
    const calls = { sign: 0 };
    const real = signerFromWif(u.wif);
    const signer: Signer = { publicKey: real.publicKey, sign: (h) => (calls.sign++, real.sign(h)) };
    const asked: string[] = [];
    const flows = new WalletFlows({ account: u.account, client: u.client, chain: w.chain, signer, confirmer: { confirm: async (s) => (asked.push(s.kind), false) } });
    const start = w.requests.length;
    const attempts = [
      () => flows.marginIn(1_000_000),
      () => flows.withdraw(identity(generateWif('testnet')).userid, 'max'),
      () => flows.marginOut(1_000_000),
      () => flows.marginOutAll(),
    ];
    for (const attempt of attempts) await expect(attempt()).rejects.toBeInstanceOf(ConfirmationRejected);
    expect(asked).toEqual(['margin-in', 'withdraw', 'margin-out', 'margin-out']);
    expect(calls.sign).toBe(0);
    const money = w.requests.slice(start).filter((r) => r.method !== 'GET');
    expect(money).toEqual([]);
    await w.mine();
    await expectBalances(u.account, [20_000_000], [5_000_000], [0]);
  });
});

import { describe, expect, it } from 'vitest';
import { script as bscript, Transaction } from 'bitcoinjs-lib';
import { signerFromWif, parseRedeem, readScriptSig, buildScriptSig } from '../../../main/wallet/multisig';
import { review, ReviewRefused, parseIntent, type ReviewContext, type RefusalCode } from '../../../main/wallet/review';
import { signReviewed } from '../../../main/wallet/cosign';
import { buildMarginIn, buildWithdraw, CLIENT_TX } from '../../../main/wallet/txbuild';
import {
  account,
  countingSigner,
  fundAccount,
  fundingTx,
  honestRecovery,
  MAINNET_ADDRESS,
  outpoints,
  prevTxsOf,
  recoveryFee,
  SERVER_WIF,
  serverTx,
  STRANGER,
  user,
} from './tx-fixtures';

const MAX_FEE = 100000;
const redeem = parseRedeem(account.redeem);

function recoveryContext(funded: ReturnType<typeof fundAccount>, extra: Partial<ReviewContext> = {}): ReviewContext {
  return {
    account,
    intent: { kind: 'recovery' },
    maximumFee: MAX_FEE,
    accountUtxos: outpoints(funded),
    claimedInputs: outpoints(funded),
    prevTxs: prevTxsOf(funded),
    ...extra,
  };
}

function codes(r: { refusals: { code: RefusalCode }[] }): RefusalCode[] {
  return [...new Set(r.refusals.map((x) => x.code))];
}

/** Each hostile case: refused with exactly this reason, and signReviewed signs nothing. */
function expectRefused(tx: Transaction, ctx: ReviewContext, code: RefusalCode, alsoExpected: RefusalCode[] = []): void {
  const r = review(tx, ctx);
  expect(r.ok).toBe(false);
  expect(codes(r)).toEqual([code, ...alsoExpected]);
  const signer = countingSigner(user);
  let thrown: unknown;
  try {
    signReviewed(tx, ctx, signer);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ReviewRefused);
  expect((thrown as ReviewRefused).review.refusals.map((x) => x.code)).toContain(code);
  expect(signer.calls).toBe(0);
}

describe('recovery review (§8.9)', () => {
  const funded = fundAccount([300000, 450000, 125000]);

  it('accepts the honest recovery and reports everything the UI shows', () => {
    const { tx, fee } = honestRecovery(funded);
    const r = review(tx.toHex(), recoveryContext(funded));
    expect(r.refusals).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.kind).toBe('recovery');
    expect(r.network).toBe('testnet');
    expect(r.version).toBe(2);
    expect(r.locktime).toBe(0);
    expect(r.sequences).toEqual([0xfffffffe, 0xfffffffe, 0xfffffffe]);
    expect(r.rbf).toBe(false);
    expect(r.fee).toBe(fee);
    expect(r.inputTotal).toBe(875000);
    expect(r.amount).toBe(875000 - fee);
    expect(r.feeVerified).toBe(true);
    expect(r.feeUnverifiedReason).toBeNull();
    expect(r.feeRate).toBeGreaterThan(0);
    expect(r.estimatedSize).toBeGreaterThan(r.size);
    expect(r.coverage).toEqual({ covered: 875000, total: 875000 });
    expect(r.inputs.map((i) => [i.ours, i.ownership, i.value, i.valueSource, i.prevAddress])).toEqual(
      funded.map((f) => [true, 'prevtx', f.value, 'prevtx', account.accountid]),
    );
    for (const i of r.inputs) {
      expect(i.signatures!.map((s) => [s.owner, s.present, s.valid])).toEqual([
        ['server', true, true],
        ['user', false, false],
      ]);
    }
    expect(r.outputs).toEqual([
      expect.objectContaining({ index: 0, address: account.userid, value: 875000 - fee, destination: 'user', ours: true, role: 'recovery' }),
    ]);
    expect(r.signatures).toEqual({ userSigned: 0, serverSigned: 3, inputs: 3, complete: false });
    // plain data: survives JSON unchanged
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('co-signs the honest recovery into a complete transaction', () => {
    const { tx } = honestRecovery(funded);
    const res = signReviewed(tx, recoveryContext(funded), user);
    expect(res.complete).toBe(true);
    const after = review(res.hex, recoveryContext(funded));
    expect(after.ok).toBe(true);
    expect(after.signatures.complete).toBe(true);
    expect(after.estimatedSize).toBe(after.size);
  });

  it('hostile: recovery paying another address', () => {
    const total = 875000 - recoveryFee(3);
    const tx = serverTx({ inputs: funded, outputs: [{ address: STRANGER, value: total }] });
    expectRefused(tx, recoveryContext(funded), 'output-not-requested');
  });

  it('hostile: recovery with an extra output skimming to someone else', () => {
    const fee = recoveryFee(3);
    const tx = serverTx({
      inputs: funded,
      outputs: [
        { address: account.userid, value: 875000 - fee - 50000 },
        { address: STRANGER, value: 50000 },
      ],
    });
    expectRefused(tx, recoveryContext(funded), 'output-not-requested');
  });

  it('hostile: an extra input that is not ours', () => {
    // the foreign output belongs to someone else; the server even signs it with our redeem script
    const foreign = fundAccount([90000], STRANGER);
    const all = [...funded, ...foreign];
    const tx = serverTx({ inputs: all, outputs: [{ address: account.userid, value: 965000 - recoveryFee(4) }] });
    const ctx = recoveryContext(funded, { claimedInputs: outpoints(all), prevTxs: prevTxsOf(all) });
    expectRefused(tx, ctx, 'input-not-account-utxo');
    const r = review(tx, ctx);
    expect(r.inputs[3]).toMatchObject({ ours: false, prevAddress: STRANGER });
    expect(r.refusals[0]!.message).toMatch(/Input #3/);
  });

  it('hostile: an extra input the chain does not list, even without its previous transaction', () => {
    const ghost = fundAccount([90000]);
    const all = [...funded, ...ghost];
    const tx = serverTx({ inputs: all, outputs: [{ address: account.userid, value: 965000 - recoveryFee(4) }] });
    expectRefused(tx, recoveryContext(funded, { claimedInputs: outpoints(all) }), 'input-not-account-utxo');
  });

  it('hostile: a fee over the configured maximum', () => {
    const tx = serverTx({ inputs: funded, outputs: [{ address: account.userid, value: 875000 - 150000 }] });
    expectRefused(tx, recoveryContext(funded), 'fee-above-maximum');
    expect(review(tx, recoveryContext(funded)).fee).toBe(150000);
  });

  it('hostile: an input value lie (server claims more than the previous transaction holds)', () => {
    // with the claimed values the fee looks small; the real inputs are 100000 sat smaller
    const lie = outpoints(funded).map((o, i) => (i === 1 ? { ...o, value: o.value + 100000 } : o));
    const tx = serverTx({ inputs: funded, outputs: [{ address: account.userid, value: 875000 - recoveryFee(3) }] });
    expectRefused(tx, recoveryContext(funded, { claimedInputs: lie }), 'input-value-mismatch');
  });

  it('hostile: a previous transaction that does not hash to the input txid', () => {
    const tx = honestRecovery(funded).tx;
    const forged = fundingTx([{ address: STRANGER, value: 1 }, { address: account.accountid, value: 10_000_000 }]).hex;
    const prevTxs = { ...prevTxsOf(funded), [funded[0]!.txid]: forged };
    expectRefused(tx, recoveryContext(funded, { prevTxs }), 'prevtx-mismatch');
  });

  it('hostile: a bad server signature', () => {
    const tx = honestRecovery(funded).tx;
    const [s0] = readScriptSig(tx.ins[1]!.script, redeem);
    const bad = Uint8Array.from(s0!);
    bad[bad.length - 5] = bad[bad.length - 5]! ^ 0x40;
    tx.setInputScript(1, buildScriptSig([bad, null], redeem));
    expectRefused(tx, recoveryContext(funded), 'bad-server-signature');
  });

  it('hostile: a server signature made with another key', () => {
    const other = signerFromWif('cR5rEmyTSDNEutA6DqSjXsyLpmYoS2GvYgvcVGT33fHTqGV2pDxA');
    const tx = honestRecovery(funded).tx;
    const forged = tx.clone();
    // put a valid-looking signature by a stranger's key into the server slot
    const hash = forged.hashForSignature(0, redeem.script, Transaction.SIGHASH_ALL);
    forged.setInputScript(0, buildScriptSig([bscript.signature.encode(other.sign(hash), 1), null], redeem));
    expectRefused(forged, recoveryContext(funded), 'bad-server-signature');
  });

  it('hostile: a recovery without the server signature', () => {
    const tx = serverTx({ inputs: funded, outputs: [{ address: account.userid, value: 875000 - recoveryFee(3) }], sign: false });
    expectRefused(tx, recoveryContext(funded), 'missing-server-signature');
  });

  it('hostile: a recovery that only becomes valid in the future', () => {
    const tx = serverTx({
      inputs: funded,
      outputs: [{ address: account.userid, value: 875000 - recoveryFee(3) }],
      template: { version: 2, sequence: 0xfffffffe, locktime: 2_000_000 },
    });
    expectRefused(tx, recoveryContext(funded), 'unexpected-locktime');
  });

  it('hostile: wrong network', () => {
    const tx = honestRecovery(funded).tx;
    expectRefused(tx, recoveryContext(funded, { declaredNetwork: 'bitcoin' }), 'wrong-network');
  });

  it('hostile: the same UTXO spent twice', () => {
    const twice = [funded[0]!, funded[0]!];
    const tx = serverTx({ inputs: twice, outputs: [{ address: account.userid, value: 2 * funded[0]!.value - recoveryFee(2) }], sign: false });
    const r = review(tx, recoveryContext(funded));
    expect(codes(r)).toContain('duplicate-input');
  });

  it('offline: no previous transactions → fee unverified, with the reason', () => {
    const tx = honestRecovery(funded).tx;
    const r = review(tx, recoveryContext(funded, { prevTxs: undefined, prevTxsUnavailableReason: 'offline' }));
    expect(r.ok).toBe(true);
    expect(r.feeVerified).toBe(false);
    expect(r.feeUnverifiedReason).toMatch(/offline/);
    expect(r.feeUnverifiedReason).toMatch(/#0, #1, #2/);
    expect(r.inputs.every((i) => i.valueSource === 'claimed' && i.ownership === 'utxo-set')).toBe(true);
    expect(r.fee).toBe(recoveryFee(3));
  });

  it('nothing known about an input → refused: its value is unknown and it is not shown to be ours', () => {
    const tx = serverTx({ inputs: funded, outputs: [{ address: account.userid, value: 800000 }], sign: false });
    const r = review(tx, { account, intent: { kind: 'sign-request' }, maximumFee: MAX_FEE });
    expect(codes(r)).toEqual(['input-not-account-utxo', 'input-value-unknown']);
    expect(r.fee).toBeNull();
    expect(r.feeRate).toBeNull();
  });

  it('warns when the recovery covers only part of the multisig', () => {
    const more = fundAccount([60000]);
    const tx = honestRecovery(funded).tx;
    const r = review(tx, recoveryContext(funded, { accountUtxos: outpoints([...funded, ...more]) }));
    expect(r.ok).toBe(true);
    expect(r.coverage).toEqual({ covered: 875000, total: 935000 });
    expect(r.warnings.join(' ')).toMatch(/covers 875000 of 935000/);
  });
});

describe('margin-in and withdraw review', () => {
  const funded = fundAccount([400000, 300000]);
  const unspents = funded.map((f) => ({ ...f, confirmations: 6 }));
  const ctxFor = (intent: ReviewContext['intent']): ReviewContext => ({
    account,
    intent,
    maximumFee: MAX_FEE,
    accountUtxos: outpoints(funded),
    prevTxs: prevTxsOf(funded),
  });

  it('accepts what txbuild built, with change back to the multisig', () => {
    const b = buildMarginIn(account, unspents, { feePerKB: 50000, dust: 10000, amount: 500000 });
    const r = review(b.tx, ctxFor({ kind: 'margin-in', amount: 500000 }));
    expect(r.refusals).toEqual([]);
    expect(r.outputs.map((o) => [o.destination, o.role, o.value])).toEqual([
      ['margin', 'payment', 500000],
      ['multisig', 'change', b.change],
    ]);
    expect(r.fee).toBe(b.fee);
    expect(r.amount).toBe(500000);
    expect(r.signatures).toEqual({ userSigned: 0, serverSigned: 0, inputs: 2, complete: false });
    const signed = signReviewed(b.tx, ctxFor({ kind: 'margin-in', amount: 500000 }), user);
    expect(signed.complete).toBe(false);
    expect(review(signed.tx, ctxFor({ kind: 'margin-in', amount: 500000 })).signatures.userSigned).toBe(2);
  });

  it('refuses change that does not return to the multisig', () => {
    const tx = serverTx({
      inputs: funded,
      outputs: [
        { address: account.serverAddress, value: 500000 },
        { address: account.userid, value: 180000 },
      ],
      template: CLIENT_TX,
      sign: false,
    });
    expectRefused(tx, ctxFor({ kind: 'margin-in', amount: 500000 }), 'change-not-to-multisig');
  });

  it('refuses an output the user did not ask for, and a different amount', () => {
    const b = buildMarginIn(account, unspents, { feePerKB: 50000, dust: 10000, amount: 500000 });
    const t = b.tx.clone();
    t.outs[1]!.script = Uint8Array.from(buildWithdraw(account, unspents, STRANGER, { feePerKB: 1, dust: 1, amount: 2 }).tx.outs[0]!.script);
    expectRefused(t, ctxFor({ kind: 'margin-in', amount: 500000 }), 'output-not-requested');
    expectRefused(b.tx, ctxFor({ kind: 'margin-in', amount: 400000 }), 'amount-mismatch');
  });

  it('withdraw: reviewed against destination and amount; "max" must leave no change', () => {
    const b = buildWithdraw(account, unspents, STRANGER, { feePerKB: 50000, dust: 10000, amount: 'max' });
    const ok = review(b.tx, ctxFor({ kind: 'withdraw', destination: STRANGER, amount: 'max' }));
    expect(ok.refusals).toEqual([]);
    expect(ok.outputs[0]).toMatchObject({ destination: 'foreign', role: 'payment', ours: false });
    const partial = buildWithdraw(account, unspents, STRANGER, { feePerKB: 50000, dust: 10000, amount: 100000 });
    expectRefused(partial.tx, ctxFor({ kind: 'withdraw', destination: STRANGER, amount: 'max' }), 'amount-mismatch');
    // asked to pay the user's own address: the stranger output is unrequested and nothing reaches the user
    expectRefused(partial.tx, ctxFor({ kind: 'withdraw', destination: account.userid, amount: 100000 }), 'output-not-requested', ['amount-mismatch']);
  });

  it('withdraw: a destination on the other network is refused as wrong-network', () => {
    const b = buildWithdraw(account, unspents, STRANGER, { feePerKB: 50000, dust: 10000, amount: 100000 });
    const r = review(b.tx, ctxFor({ kind: 'withdraw', destination: MAINNET_ADDRESS, amount: 100000 }));
    expect(codes(r)).toContain('wrong-network');
    const bad = review(b.tx, ctxFor({ kind: 'withdraw', destination: 'xyz', amount: 100000 }));
    expect(codes(bad)).toContain('invalid-destination');
  });

  it('sign-request: shows foreign outputs as warnings, still checks inputs and fee', () => {
    const b = buildWithdraw(account, unspents, STRANGER, { feePerKB: 50000, dust: 10000, amount: 100000 });
    const r = review(b.tx, ctxFor({ kind: 'sign-request' }));
    expect(r.ok).toBe(true);
    expect(r.warnings.join(' ')).toMatch(/not yours/);
    expect(r.outputs.map((o) => o.role)).toEqual(['payment', 'change']);
  });
});

describe('input validation', () => {
  it('throws clearly for malformed transactions and contexts', () => {
    const ctx: ReviewContext = { account, intent: { kind: 'recovery' }, maximumFee: MAX_FEE };
    expect(() => review('zz', ctx)).toThrow(/Malformed transaction/);
    expect(() => review('0100', ctx)).toThrow(/Malformed transaction/);
    expect(() => review(honestRecovery(fundAccount([100000])).tx, { ...ctx, maximumFee: -1 })).toThrow(/maximumFee/);
    expect(() => review(honestRecovery(fundAccount([100000])).tx, { ...ctx, intent: { kind: 'steal' } as never })).toThrow(/unknown intent/);
    expect(() => review(honestRecovery(fundAccount([100000])).tx, { ...ctx, account: { ...account, accountid: STRANGER } })).toThrow(/accountid does not match/);
  });

  it('parseIntent validates file/IPC intents', () => {
    expect(parseIntent({ kind: 'withdraw', destination: STRANGER, amount: 5 })).toEqual({ kind: 'withdraw', destination: STRANGER, amount: 5 });
    expect(() => parseIntent({ kind: 'withdraw', amount: 5 })).toThrow(/destination/);
    expect(() => parseIntent({ kind: 'margin-in', amount: -1 })).toThrow(/amount/);
    expect(() => parseIntent('x')).toThrow(/object/);
  });

  it('the server key from the vector is the one in the redeem script (test setup sanity)', () => {
    expect(account.redeem).toContain(Buffer.from(signerFromWif(SERVER_WIF).publicKey).toString('hex'));
  });
});

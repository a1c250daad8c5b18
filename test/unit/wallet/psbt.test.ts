import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { Chain, signMultisigInput } from '../../../main/localnet/chain';
import { outputScript } from '../../../main/wallet/account';
import { createPsbt, decodePsbt, encodePsbt, psbtBytes, psbtView, reviewPsbt, signPsbt } from '../../../main/wallet/psbt';
import { signReviewed } from '../../../main/wallet/cosign';
import { ReviewRefused } from '../../../main/wallet/review';
import { buildMarginIn, filterUnspents } from '../../../main/wallet/txbuild';
import { readSigningFile, reviewSigningFile, signSigningFile } from '../../../main/wallet/offline';
import { account, countingSigner, fundAccount, honestRecovery, outpoints, prevTxsOf, redeemBytes, server, STRANGER, user } from './tx-fixtures';

const MAX_FEE = 100000;
const opts = { account, maximumFee: MAX_FEE };

// offline means offline: any attempt to reach the network fails the test
beforeAll(() => {
  vi.stubGlobal('fetch', () => {
    throw new Error('network used in an offline test');
  });
});
afterAll(() => {
  vi.unstubAllGlobals();
});

function recoveryPsbt(funded = fundAccount([300000, 200000])) {
  const { tx, fee } = honestRecovery(funded);
  const psbt = createPsbt({ account, tx, inputs: funded, intent: { kind: 'recovery' } });
  return { psbt, tx, fee, funded };
}

describe('PSBT round trip', () => {
  it('server-signed recovery → PSBT (base64) → review → sign → final hex, same as signing the hex directly', () => {
    const { psbt, tx, fee, funded } = recoveryPsbt();
    const text = encodePsbt(psbt);
    expect(text.startsWith('cHNidP')).toBe(true);
    const file = decodePsbt(text);
    expect(file.network).toBe('testnet');
    expect(file.intent).toEqual({ kind: 'recovery' });

    const r = reviewPsbt(file, opts);
    expect(r.ok).toBe(true);
    expect(r.kind).toBe('recovery');
    expect(r.feeVerified).toBe(true);
    expect(r.fee).toBe(fee);
    expect(r.signatures.serverSigned).toBe(2);

    const signed = signPsbt(file, user, opts);
    expect(signed.complete).toBe(true);
    const direct = signReviewed(tx, { account, intent: { kind: 'recovery' }, maximumFee: MAX_FEE, prevTxs: prevTxsOf(funded), claimedInputs: outpoints(funded) }, user);
    expect(signed.hex).toBe(direct.hex);
    // the exported PSBT is finalized and extracts to the same transaction
    const again = Psbt.fromBase64(encodePsbt(signed.psbt));
    expect(again.extractTransaction(true).toHex()).toBe(signed.hex);
    expect(again.data.inputs.every((i) => i.finalScriptSig && !i.partialSig)).toBe(true);
  });

  it('hex and binary encodings decode to the same PSBT', () => {
    const { psbt } = recoveryPsbt();
    const b64 = encodePsbt(psbt, 'base64');
    expect(encodePsbt(decodePsbt(encodePsbt(psbt, 'hex')).psbt)).toBe(b64);
    expect(encodePsbt(decodePsbt(encodePsbt(psbt, 'binary')).psbt)).toBe(b64);
    expect(encodePsbt(decodePsbt(new TextEncoder().encode(`${b64}\n`)).psbt)).toBe(b64);
  });

  it('margin-in: user signs offline → updated PSBT with a partial signature; server completes; chain accepts', () => {
    const chain = new Chain();
    let now = 1_700_000_000_000;
    const fund = chain.faucet(account.accountid, 600000, now);
    chain.mine(1, (now += 1000));
    const unspents = filterUnspents(chain.utxos(account.accountid));
    const built = buildMarginIn(account, unspents, { feePerKB: 50000, dust: 10000, amount: 250000 });
    const prevTx = chain.txHex(fund.txid)!;
    const psbt = createPsbt({
      account,
      tx: built.tx,
      inputs: built.inputs.map((i) => ({ ...i, prevTx })),
      intent: { kind: 'margin-in', amount: 250000 },
    });
    const out = signSigningFile(readSigningFile(encodePsbt(psbt)), user, opts);
    expect(out.complete).toBe(false);
    expect(out.format).toBe('psbt');
    const back = decodePsbt(out.text);
    expect(back.psbt.data.inputs[0]!.partialSig).toHaveLength(1);
    const r = reviewPsbt(back, opts);
    expect(r.ok).toBe(true);
    expect(r.signatures.userSigned).toBe(1);
    expect(r.feeVerified).toBe(true);

    expect(signPsbt(back, user, opts).complete).toBe(false); // re-signing is idempotent

    // the server side reads the user's signature out of the PSBT, adds its own and broadcasts
    const view = psbtView(back.psbt, account);
    signMultisigInput(view.tx, 0, redeemBytes, server);
    const txid = chain.submit(view.tx.toHex(), (now += 1000));
    expect(chain.hasTx(txid)).toBe(true);
  });

  it('a PSBT made elsewhere (no coinpit records, witnessUtxo only) reviews with claimed values', () => {
    const funded = fundAccount([300000]);
    const { tx } = honestRecovery(funded);
    const psbt = createPsbt({ account, tx, inputs: outpoints(funded) }); // no prevTx → witnessUtxo claim
    psbt.data.globalMap.unknownKeyVals = [];
    const file = decodePsbt(psbt.toBase64());
    expect(file.network).toBeNull();
    expect(file.intent).toBeNull();
    const r = reviewPsbt(file, { ...opts, intent: { kind: 'recovery' } });
    expect(r.ok).toBe(true);
    expect(r.feeVerified).toBe(false);
    expect(r.feeUnverifiedReason).toMatch(/PSBT carries no non-witness UTXO/);
    expect(r.inputs[0]!.valueSource).toBe('claimed');
  });
});

describe('PSBT refusals and malformed files', () => {
  it('wrong network record → refused, nothing signed', () => {
    const { psbt } = recoveryPsbt();
    // the same keys have the same scripts on every network: only the app's record tells them apart
    psbt.data.globalMap.unknownKeyVals![0]!.value = new TextEncoder().encode('bitcoin');
    const file = decodePsbt(psbt.toBase64());
    expect(file.network).toBe('bitcoin');
    const signer = countingSigner(user);
    const r = reviewPsbt(file, opts);
    expect(r.refusals.map((x) => x.code)).toEqual(['wrong-network']);
    expect(r.refusals[0]!.message).toMatch(/for bitcoin, this account is on testnet/);
    expect(() => signPsbt(file, signer, opts)).toThrow(ReviewRefused);
    expect(signer.calls).toBe(0);
  });

  it('a recovery PSBT paying a stranger is refused', () => {
    const funded = fundAccount([300000]);
    const tx = honestRecovery(funded).tx;
    const evil = new Psbt();
    evil.setVersion(2);
    for (const [i, input] of tx.ins.entries()) evil.addInput({ hash: input.hash, index: input.index, sequence: input.sequence, nonWitnessUtxo: Buffer.from(funded[i]!.prevTx, 'hex') });
    evil.addOutput({ script: outputScript(STRANGER, 'testnet'), value: 290000n });
    const r = reviewPsbt(decodePsbt(evil.toBase64()), { ...opts, intent: { kind: 'recovery' } });
    expect(r.refusals.map((x) => x.code)).toEqual(['missing-server-signature', 'output-not-requested']);
  });

  it('foreign redeem script or a signature by an unknown key → input not ours', () => {
    const funded = fundAccount([300000]);
    const { psbt } = recoveryPsbt(funded);
    const other = '522103412ebbc808cc699cc0ece473718063cb432b26f26ac9fadab4129685cedaf3a0210206fe1322635c6c8554d83be5dc6e15d71eb97a7a8da6f9e28552b40b1400ab3452ae';
    const p1 = psbt.clone();
    p1.data.inputs[0]!.redeemScript = Buffer.from(other, 'hex');
    expect(reviewPsbt(decodePsbt(p1.toBase64()), opts).refusals.map((x) => x.code)).toContain('input-not-account-utxo');
    const p2 = psbt.clone();
    p2.data.inputs[0]!.partialSig = [{ pubkey: Buffer.from(other.slice(4, 70), 'hex'), signature: Buffer.alloc(71, 1) }];
    expect(reviewPsbt(decodePsbt(p2.toBase64()), opts).refusals[0]!.message).toMatch(/key that is not in this account's multisig/);
  });

  it('malformed, truncated and foreign inputs give clear errors', () => {
    const { psbt } = recoveryPsbt();
    const bin = psbt.toBuffer();
    const b64 = psbt.toBase64();
    expect(() => decodePsbt(bin.slice(0, bin.length - 20))).toThrow(/^Malformed PSBT/);
    expect(() => decodePsbt(b64.slice(0, 101))).toThrow(/Malformed PSBT: bad base64/);
    expect(() => decodePsbt(b64.slice(0, 100))).toThrow(/^Malformed PSBT/);
    expect(() => decodePsbt('cHNidP8B!!!!')).toThrow(/bad base64/);
    expect(() => decodePsbt('70736274ff0')).toThrow(/bad hex/);
    expect(() => decodePsbt('hello world')).toThrow(/^Not a PSBT/);
    expect(() => decodePsbt('')).toThrow(/empty/);
    expect(() => decodePsbt(Uint8Array.of(0xff, 0xfe, 0x00, 0x80))).toThrow(/^Not a PSBT/);
    expect(() => psbtBytes(42 as never)).toThrow(/expected text or bytes/);
    const corruptRecord = psbt.clone();
    corruptRecord.data.globalMap.unknownKeyVals![1]!.value = new TextEncoder().encode('{"kind":"steal"}');
    expect(() => decodePsbt(corruptRecord.toBase64())).toThrow(/bad coinpit-desk record/);
  });
});

describe('offline file detection', () => {
  it('reads a PSBT in any encoding, and refuses other files', () => {
    const { psbt } = recoveryPsbt();
    expect(readSigningFile(psbt.toBase64()).format).toBe('psbt');
    expect(readSigningFile(psbt.toBuffer()).format).toBe('psbt');
    expect(readSigningFile(psbt.toHex()).format).toBe('psbt');
    expect(reviewSigningFile(readSigningFile(psbt.toBuffer()), opts).ok).toBe(true);
    expect(() => readSigningFile('')).toThrow(/Empty file/);
    expect(() => readSigningFile('0200000001abcd')).toThrow(/Unrecognised file/);
    expect(() => readSigningFile(Uint8Array.of(0xc3, 0x28))).toThrow(/Unrecognised file/);
  });

  it('a complete signature produces the final hex', () => {
    const { psbt } = recoveryPsbt();
    const out = signSigningFile(readSigningFile(psbt.toBase64()), user, opts);
    expect(out.format).toBe('hex');
    expect(out.complete).toBe(true);
    expect(Transaction.fromHex(out.text.trim()).getId()).toBe(out.txid);
  });
});

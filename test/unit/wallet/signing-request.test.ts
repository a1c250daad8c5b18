import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Transaction } from 'bitcoinjs-lib';
import { Chain, signMultisigInput } from '../../../main/localnet/chain';
import { ReviewRefused } from '../../../main/wallet/review';
import {
  createSigningRequest,
  parseSigningRequest,
  reviewSigningRequest,
  serializeSigningRequest,
  signSigningRequest,
  SIGNING_REQUEST_FORMAT,
} from '../../../main/wallet/signing-request';
import { readSigningFile, reviewSigningFile, signSigningFile } from '../../../main/wallet/offline';
import { buildWithdraw, filterUnspents } from '../../../main/wallet/txbuild';
import { account, countingSigner, fundAccount, honestRecovery, outpoints, redeemBytes, server, STRANGER, user } from './tx-fixtures';

const MAX_FEE = 100000;
const opts = { account, maximumFee: MAX_FEE };

beforeAll(() => {
  vi.stubGlobal('fetch', () => {
    throw new Error('network used in an offline test');
  });
});
afterAll(() => {
  vi.unstubAllGlobals();
});

function recoveryRequest(withPrevTx = true) {
  const funded = fundAccount([300000, 200000]);
  const { tx, fee } = honestRecovery(funded);
  const request = createSigningRequest({
    account,
    tx,
    inputs: withPrevTx ? funded : outpoints(funded),
    intent: { kind: 'recovery' },
  });
  return { request, tx, fee, funded };
}

describe('signing request round trip', () => {
  it('serializes to the documented shape and parses back identically', () => {
    const { request, tx, funded } = recoveryRequest();
    const text = serializeSigningRequest(request);
    const obj = JSON.parse(text);
    expect(Object.keys(obj)).toEqual(['format', 'version', 'network', 'redeem', 'tx', 'inputs', 'intent']);
    expect(obj).toMatchObject({ format: SIGNING_REQUEST_FORMAT, version: 1, network: 'testnet', redeem: account.redeem, tx: tx.toHex() });
    expect(obj.inputs).toEqual(funded.map((f) => ({ txid: f.txid, vout: f.vout, value: f.value, prevTx: f.prevTx })));
    expect(parseSigningRequest(text)).toEqual(request);
  });

  it('accepts the minimal {network, redeem, tx, inputs} form', () => {
    const { request } = recoveryRequest(false);
    const minimal = { network: request.network, redeem: request.redeem, tx: request.tx, inputs: request.inputs };
    const parsed = parseSigningRequest(JSON.stringify(minimal));
    expect(parsed.intent).toBeUndefined();
    const r = reviewSigningRequest(parsed, opts);
    expect(r.kind).toBe('sign-request');
    expect(r.ok).toBe(true);
    expect(r.feeVerified).toBe(false);
    expect(r.feeUnverifiedReason).toMatch(/does not carry the previous transaction/);
    expect(r.warnings.join(' ')).toMatch(/Input #0: that it belongs to this account is only stated/);
  });

  it('server-signed recovery: review verifies the fee from the carried previous transactions, signing completes it', () => {
    const { request, fee } = recoveryRequest();
    const file = readSigningFile(serializeSigningRequest(request));
    expect(file.format).toBe('signing-request');
    const r = reviewSigningFile(file, opts);
    expect(r).toMatchObject({ ok: true, kind: 'recovery', fee, feeVerified: true });
    const out = signSigningFile(file, user, opts);
    expect(out).toMatchObject({ complete: true, format: 'hex' });
    const tx = Transaction.fromHex(out.text.trim());
    expect(tx.getId()).toBe(out.txid);
  });

  it('withdraw made online, signed offline, co-signed by the server, accepted by the chain', () => {
    const chain = new Chain();
    let now = 1_700_000_000_000;
    const f1 = chain.faucet(account.accountid, 400000, now);
    const f2 = chain.faucet(account.accountid, 300000, (now += 1000));
    chain.mine(1, (now += 1000));
    const built = buildWithdraw(account, filterUnspents(chain.utxos(account.accountid)), STRANGER, { feePerKB: 50000, dust: 10000, amount: 550000 });
    const prev: Record<string, string> = { [f1.txid]: chain.txHex(f1.txid)!, [f2.txid]: chain.txHex(f2.txid)! };
    const request = createSigningRequest({
      account,
      tx: built.tx,
      inputs: built.inputs.map((i) => ({ ...i, prevTx: prev[i.txid]! })),
      intent: { kind: 'withdraw', destination: STRANGER, amount: 550000 },
    });
    // offline machine
    const out = signSigningFile(readSigningFile(new TextEncoder().encode(serializeSigningRequest(request))), user, opts);
    expect(out.complete).toBe(false);
    expect(out.format).toBe('signing-request');
    expect(out.review.feeVerified).toBe(true);
    const back = parseSigningRequest(out.text);
    expect(back.inputs).toEqual(request.inputs);
    const again = reviewSigningRequest(back, opts);
    expect(again.signatures.userSigned).toBe(2);
    // online: the server co-signs and broadcasts
    const tx = Transaction.fromHex(back.tx);
    for (let i = 0; i < tx.ins.length; i++) signMultisigInput(tx, i, redeemBytes, server);
    const txid = chain.submit(tx.toHex(), (now += 1000));
    chain.mine(1, (now += 1000));
    expect(chain.txStatus(txid)?.confirmed).toBe(true);
    expect(chain.balance(STRANGER).confirmed).toBe(550000);
  });
});

describe('signing request refusals', () => {
  it('wrong network → refused, nothing signed', () => {
    const { request } = recoveryRequest();
    const wrong = parseSigningRequest({ ...request, network: 'bitcoin' });
    const signer = countingSigner(user);
    expect(reviewSigningRequest(wrong, opts).refusals.map((r) => r.code)).toEqual(['wrong-network']);
    expect(() => signSigningRequest(wrong, signer, opts)).toThrow(ReviewRefused);
    expect(signer.calls).toBe(0);
  });

  it('another account\'s redeem script → refused', () => {
    const { request } = recoveryRequest();
    const other = '522103412ebbc808cc699cc0ece473718063cb432b26f26ac9fadab4129685cedaf3a0210206fe1322635c6c8554d83be5dc6e15d71eb97a7a8da6f9e28552b40b1400ab3452ae';
    const r = reviewSigningRequest(parseSigningRequest({ ...request, redeem: other }), opts);
    expect(r.refusals.map((x) => x.code)).toContain('input-not-account-utxo');
    expect(r.refusals[0]!.message).toMatch(/different multisig/);
  });

  it('a value lie between the stated value and the carried previous transaction → refused', () => {
    const { request } = recoveryRequest();
    const lie = parseSigningRequest({ ...request, inputs: request.inputs.map((i, n) => (n === 0 ? { ...i, value: i.value + 1 } : i)) });
    expect(reviewSigningRequest(lie, opts).refusals.map((x) => x.code)).toEqual(['input-value-mismatch']);
  });

  it('the user can state a stricter intent than the file', () => {
    const { request } = recoveryRequest();
    const r = reviewSigningRequest(request, { ...opts, intent: { kind: 'withdraw', destination: STRANGER, amount: 1000 } });
    expect(r.refusals.map((x) => x.code)).toEqual(['change-not-to-multisig', 'amount-mismatch']);
  });

  it('a signing key other than the account key is refused before anything', () => {
    const { request } = recoveryRequest();
    expect(() => signSigningRequest(request, server, opts)).toThrow(/not this account's key/);
  });
});

describe('malformed, truncated and wrong files', () => {
  const { request } = recoveryRequest();
  const text = serializeSigningRequest(request);

  it.each([
    ['truncated JSON', text.slice(0, Math.floor(text.length / 2)), /not valid JSON \(is the file truncated\?\)/],
    ['not an object', '[1,2]', /expected a JSON object/],
    ['unknown format', JSON.stringify({ ...request, format: 'other' }), /unknown format/],
    ['unknown version', JSON.stringify({ ...request, version: 2 }), /unsupported version/],
    ['unknown network', JSON.stringify({ ...request, network: 'regtest' }), /"network" must be/],
    ['missing redeem', JSON.stringify({ ...request, redeem: undefined }), /missing "redeem"/],
    ['bad redeem', JSON.stringify({ ...request, redeem: '5221' }), /"redeem": Redeem script is not a 2-of-2/],
    ['truncated tx', JSON.stringify({ ...request, tx: request.tx.slice(0, 120) }), /"tx" is not a valid transaction/],
    ['odd-length tx', JSON.stringify({ ...request, tx: request.tx.slice(0, 121) }), /"tx" is not hex/],
    ['inputs missing', JSON.stringify({ ...request, inputs: undefined }), /"inputs" must be an array/],
    ['too few inputs', JSON.stringify({ ...request, inputs: request.inputs.slice(1) }), /"inputs" has 1 entries for 2/],
    ['inputs out of order', JSON.stringify({ ...request, inputs: [...request.inputs].reverse() }), /does not match transaction input #0/],
    ['bad value', JSON.stringify({ ...request, inputs: request.inputs.map((i) => ({ ...i, value: '1' })) }), /value must be a positive integer/],
    ['bad prevTx', JSON.stringify({ ...request, inputs: request.inputs.map((i) => ({ ...i, prevTx: 'xyz' })) }), /prevTx must be hex/],
    ['bad intent', JSON.stringify({ ...request, intent: { kind: 'steal' } }), /"intent": Intent kind/],
  ])('%s → clear error', (_name, bad, msg) => {
    expect(() => parseSigningRequest(bad)).toThrow(msg);
    expect(() => readSigningFile(bad)).toThrow(/Signing request|Unrecognised/);
  });

  it('a prevTx that does not hash to the txid parses but is refused by the review', () => {
    const swapped = parseSigningRequest({ ...request, inputs: [{ ...request.inputs[0]!, prevTx: request.inputs[1]!.prevTx }, request.inputs[1]] });
    expect(reviewSigningRequest(swapped, opts).refusals.map((x) => x.code)).toContain('prevtx-mismatch');
  });
});

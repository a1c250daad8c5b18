// Re-checks every signature the wallet produces WITHOUT main/wallet/multisig.ts: the scriptSig and the DER
// signatures are parsed by hand here, the P2SH commitment is recomputed, the sighash comes straight from
// bitcoinjs' Transaction.hashForSignature, and the ECDSA check is tiny-secp256k1's verify. Complete
// transactions also go through the local chain's script interpreter.
import { describe, expect, it } from 'vitest';
import * as ecc from 'tiny-secp256k1';
import { crypto as bcrypto, Transaction } from 'bitcoinjs-lib';
import { verifyInput as chainVerifyInput } from '../../../main/localnet/chain';
import { signReviewed } from '../../../main/wallet/cosign';
import { createPsbt, decodePsbt, signPsbt } from '../../../main/wallet/psbt';
import { createSigningRequest, signSigningRequest } from '../../../main/wallet/signing-request';
import { buildMarginIn, buildWithdraw } from '../../../main/wallet/txbuild';
import { account, fundAccount, honestRecovery, outpoints, prevTxsOf, STRANGER, user, type Funded } from './tx-fixtures';

const MAX_FEE = 200000;
const N = 2n ** 256n - 0x14551231950b75fc4402da1732fc9bebfn;

// RIPEMD160 from bitcoinjs (Node's OpenSSL may lack it); only the hash, not the wallet's script code
const hash160 = (b: Uint8Array): Uint8Array => bcrypto.hash160(b);

/** Push-only script → list of pushed byte strings (OP_0 = empty). */
function pushes(script: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < script.length) {
    const op = script[i++]!;
    let len: number;
    if (op === 0) len = 0;
    else if (op <= 75) len = op;
    else if (op === 0x4c) len = script[i++]!;
    else if (op === 0x4d) {
      len = script[i]! | (script[i + 1]! << 8);
      i += 2;
    } else throw new Error(`non-push opcode 0x${op.toString(16)}`);
    if (i + len > script.length) throw new Error('push past end');
    out.push(script.slice(i, i + len));
    i += len;
  }
  return out;
}

/** Strict DER (BIP66) → 64-byte r‖s, plus the hash type byte. */
function parseDer(sig: Uint8Array): { rs: Uint8Array; hashType: number; lowS: boolean } {
  const hashType = sig[sig.length - 1]!;
  const der = sig.slice(0, -1);
  expect(der[0]).toBe(0x30);
  expect(der[1]).toBe(der.length - 2);
  const int = (at: number): { v: Uint8Array; next: number } => {
    expect(der[at]).toBe(0x02);
    const len = der[at + 1]!;
    const v = der.slice(at + 2, at + 2 + len);
    expect(v[0]! & 0x80).toBe(0); // positive
    if (v.length > 1 && v[0] === 0) expect(v[1]! & 0x80).not.toBe(0); // minimal
    return { v, next: at + 2 + len };
  };
  const r = int(2);
  const s = int(r.next);
  expect(s.next).toBe(der.length);
  const pad = (x: Uint8Array): Uint8Array => {
    const y = x[0] === 0 ? x.slice(1) : x;
    const out = new Uint8Array(32);
    out.set(y, 32 - y.length);
    return out;
  };
  const rs = new Uint8Array(64);
  rs.set(pad(r.v), 0);
  rs.set(pad(s.v), 32);
  const sBig = BigInt(`0x${Buffer.from(rs.slice(32)).toString('hex')}`);
  return { rs, hashType, lowS: sBig <= N / 2n };
}

interface Checked {
  signatures: number;
  complete: boolean;
}

/** Independent check of every multisig input of `tx` against the outputs it spends. */
function independentlyVerify(tx: Transaction, funded: readonly Funded[]): Checked {
  let signatures = 0;
  let complete = true;
  tx.ins.forEach((input, index) => {
    const txid = Buffer.from(input.hash).reverse().toString('hex');
    const f = funded.find((x) => x.txid === txid && x.vout === input.index);
    expect(f, `input ${index} spends a known output`).toBeDefined();
    const prevOut = Transaction.fromHex(f!.prevTx).outs[input.index]!;
    const items = pushes(input.script);
    expect(items).toHaveLength(4);
    expect(items[0]).toHaveLength(0); // CHECKMULTISIG dummy
    const redeem = items[3]!;
    // P2SH: OP_HASH160 <hash160(redeem)> OP_EQUAL
    expect(Buffer.from(prevOut.script).toString('hex')).toBe(`a914${Buffer.from(hash160(redeem)).toString('hex')}87`);
    // 2-of-2: OP_2 <33> <33> OP_2 OP_CHECKMULTISIG
    expect([redeem[0], redeem[1], redeem[35], redeem[69], redeem[70], redeem.length]).toEqual([0x52, 0x21, 0x21, 0x52, 0xae, 71]);
    const keys = [redeem.slice(2, 35), redeem.slice(36, 69)];
    const sighash = tx.hashForSignature(index, redeem, Transaction.SIGHASH_ALL);
    [items[1]!, items[2]!].forEach((sig, slot) => {
      if (sig.length === 0) {
        complete = false;
        return;
      }
      const { rs, hashType, lowS } = parseDer(sig);
      expect(hashType).toBe(Transaction.SIGHASH_ALL);
      expect(lowS).toBe(true);
      expect(ecc.verify(sighash, keys[slot]!, rs, true), `input ${index} slot ${slot} verifies`).toBe(true);
      // and it is not valid for the other key (slot order matters to OP_CHECKMULTISIG)
      expect(ecc.verify(sighash, keys[1 - slot]!, rs)).toBe(false);
      signatures += 1;
    });
    if (complete) chainVerifyInput(tx, index, prevOut.script); // the local chain's interpreter agrees
  });
  return { signatures, complete };
}

describe('independent verification of every signature the wallet makes', () => {
  it('co-signed recovery (signReviewed)', () => {
    const funded = fundAccount([300000, 200000, 100000]);
    const { tx } = honestRecovery(funded);
    const res = signReviewed(tx, { account, intent: { kind: 'recovery' }, maximumFee: MAX_FEE, prevTxs: prevTxsOf(funded), accountUtxos: outpoints(funded) }, user);
    expect(independentlyVerify(res.tx, funded)).toEqual({ signatures: 6, complete: true });
  });

  it('user half of a margin-in', () => {
    const funded = fundAccount([300000, 200000]);
    const b = buildMarginIn(account, funded.map((f) => ({ ...f, confirmations: 1 })), { feePerKB: 50000, dust: 10000, amount: 400000 });
    const res = signReviewed(b.tx, { account, intent: { kind: 'margin-in', amount: 400000 }, maximumFee: MAX_FEE, prevTxs: prevTxsOf(funded) }, user);
    expect(independentlyVerify(res.tx, funded)).toEqual({ signatures: 2, complete: false });
  });

  it('PSBT-signed recovery (final hex)', () => {
    const funded = fundAccount([500000]);
    const { tx } = honestRecovery(funded);
    const out = signPsbt(decodePsbt(createPsbt({ account, tx, inputs: funded, intent: { kind: 'recovery' } }).toBase64()), user, { account, maximumFee: MAX_FEE });
    expect(independentlyVerify(Transaction.fromHex(out.hex!), funded)).toEqual({ signatures: 2, complete: true });
  });

  it('signing-request withdraw (user half)', () => {
    const funded = fundAccount([500000, 70000]);
    const b = buildWithdraw(account, funded.map((f) => ({ ...f, confirmations: 3 })), STRANGER, { feePerKB: 50000, dust: 10000, amount: 'max' });
    const req = createSigningRequest({ account, tx: b.tx, inputs: b.inputs.map((i) => funded.find((f) => f.txid === i.txid)!) });
    const out = signSigningRequest(req, user, { account, maximumFee: MAX_FEE, intent: { kind: 'withdraw', destination: STRANGER, amount: 'max' } });
    expect(independentlyVerify(Transaction.fromHex(out.request.tx), funded)).toEqual({ signatures: 2, complete: false });
  });

  it('the checker itself fails on a corrupted signature', () => {
    const funded = fundAccount([300000]);
    const { tx } = honestRecovery(funded);
    const signed = signReviewed(tx, { account, intent: { kind: 'recovery' }, maximumFee: MAX_FEE, prevTxs: prevTxsOf(funded) }, user).tx;
    const bad = signed.clone();
    bad.outs[0]!.value -= 1n;
    expect(() => independentlyVerify(bad, funded)).toThrow(/verifies/);
  });
});

// 2-of-2 P2SH multisig inputs, legacy (pre-segwit) signing (PROTOCOL §6.6):
//   scriptSig = OP_0 <sig-or-OP_0 for K1> <sig-or-OP_0 for K2> <push redeem>
// Slots follow the key order inside the redeem script. Signatures are DER + SIGHASH_ALL over the legacy sighash
// with scriptCode = redeem, made and checked with tiny-secp256k1 directly (RFC 6979 nonces, low S).
import { createHash } from 'node:crypto';
import * as ecc from 'tiny-secp256k1';
import { script as bscript, Transaction } from 'bitcoinjs-lib';
import { bytesEqual, fromHex, isHex, toHex } from '../coinpit/hash';
import { parseWif } from '../coinpit/identity';

export const SIGHASH_ALL = Transaction.SIGHASH_ALL;

/** Something that signs a 32-byte hash and returns a 64-byte compact (r‖s) signature. */
export interface Signer {
  /** 33-byte compressed public key */
  readonly publicKey: Uint8Array;
  sign(hash: Uint8Array): Uint8Array;
}

/** A signer holding the private key of a compressed WIF; the key stays in this closure and is never printed. */
export function signerFromWif(wif: string): Signer {
  const { privateKey, publicKey } = parseWif(wif);
  return signerFromPrivateKey(privateKey, publicKey);
}

export function signerFromPrivateKey(privateKey: Uint8Array, publicKey?: Uint8Array): Signer {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32 || !ecc.isPrivate(privateKey)) {
    throw new Error('Invalid private key');
  }
  const key = Uint8Array.from(privateKey);
  const pub = publicKey ?? ecc.pointFromScalar(key, true);
  if (!pub) throw new Error('Invalid private key');
  return Object.freeze({
    publicKey: Uint8Array.from(pub),
    sign: (hash: Uint8Array) => ecc.sign(hash, key),
    toJSON: () => ({ publicKey: toHex(pub) }),
    toString: () => `[Signer ${toHex(pub)}]`,
  });
}

export type Bytes = Uint8Array;
/** Signature (DER + hashtype byte) per key slot, null where OP_0 holds the place. */
export type Slots = [Bytes | null, Bytes | null];

export interface Redeem {
  script: Bytes;
  hex: string;
  /** the two keys in script order (= slot order) */
  keys: [Bytes, Bytes];
}

/** Parses `52 21 <K1> 21 <K2> 52 ae` (OP_2 K1 K2 OP_2 OP_CHECKMULTISIG) with two valid compressed keys. */
export function parseRedeem(redeem: string | Bytes): Redeem {
  let script: Bytes;
  if (typeof redeem === 'string') {
    if (!isHex(redeem)) throw new Error('Redeem script must be hex');
    script = fromHex(redeem);
  } else if (redeem instanceof Uint8Array) {
    script = Uint8Array.from(redeem);
  } else {
    throw new Error('Redeem script must be hex or bytes');
  }
  const ok =
    script.length === 71 &&
    script[0] === 0x52 &&
    script[1] === 0x21 &&
    script[35] === 0x21 &&
    script[69] === 0x52 &&
    script[70] === 0xae;
  if (!ok) throw new Error('Redeem script is not a 2-of-2 multisig (OP_2 <key> <key> OP_2 OP_CHECKMULTISIG)');
  const k1 = script.slice(2, 35);
  const k2 = script.slice(36, 69);
  for (const k of [k1, k2]) {
    if (!ecc.isPointCompressed(k) || !ecc.isPoint(k)) throw new Error('Redeem script contains an invalid public key');
  }
  return { script, hex: toHex(script), keys: [k1, k2] };
}

/** Slot (0 or 1) of `publicKey` in the redeem script, or -1. */
export function slotOf(redeem: Redeem, publicKey: Bytes): 0 | 1 | -1 {
  if (bytesEqual(redeem.keys[0], publicKey)) return 0;
  if (bytesEqual(redeem.keys[1], publicKey)) return 1;
  return -1;
}

export class MultisigScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultisigScriptError';
  }
}

/**
 * Reads the signature slots of a multisig scriptSig: empty (nothing signed yet) or exactly
 * `OP_0 <a> <b> <redeem>` with this redeem script. Anything else throws MultisigScriptError.
 */
export function readScriptSig(scriptSig: Bytes, redeem: Redeem): Slots {
  if (scriptSig.length === 0) return [null, null];
  const chunks = bscript.decompile(scriptSig);
  if (!chunks) throw new MultisigScriptError('scriptSig is not a valid script');
  if (chunks.length !== 4 || chunks[0] !== bscript.OPS.OP_0) {
    throw new MultisigScriptError('scriptSig is not of the form OP_0 <sig> <sig> <redeem>');
  }
  const last = chunks[3];
  if (!(last instanceof Uint8Array) || !bytesEqual(last, redeem.script)) {
    throw new MultisigScriptError('scriptSig spends a different redeem script');
  }
  const slot = (c: number | Bytes | undefined): Bytes | null => {
    if (c === bscript.OPS.OP_0) return null;
    if (c instanceof Uint8Array && c.length > 0) return Uint8Array.from(c);
    throw new MultisigScriptError('scriptSig signature slot is neither a push nor OP_0');
  };
  return [slot(chunks[1]), slot(chunks[2])];
}

/** `OP_0 <a|OP_0> <b|OP_0> <redeem>`; with no signature at all the scriptSig stays empty (unsigned). */
export function buildScriptSig(slots: Slots, redeem: Redeem): Bytes {
  if (!slots[0] && !slots[1]) return new Uint8Array(0);
  const empty = new Uint8Array(0); // compiles to OP_0
  return bscript.compile([bscript.OPS.OP_0, slots[0] ?? empty, slots[1] ?? empty, redeem.script]);
}

/** Legacy sighash of input `index` with scriptCode = redeem. */
export function multisigSighash(tx: Transaction, index: number, redeem: Redeem, hashType: number = SIGHASH_ALL): Bytes {
  if (!Number.isInteger(index) || index < 0 || index >= tx.ins.length) throw new Error(`No input #${index}`);
  return tx.hashForSignature(index, redeem.script, hashType);
}

function varint(n: number): Bytes {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  return Uint8Array.of(0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
}

/**
 * Legacy SIGHASH_ALL for every input of one transaction without re-serializing it per input: bitcoinjs'
 * hashForSignature clones and serializes the whole transaction each time, which is quadratic in a way that makes a
 * 500-input recovery slow. The result is byte-identical (the independent test checks against hashForSignature);
 * other hash types fall back to bitcoinjs. ScriptSigs do not enter the legacy sighash, so one Sighasher stays valid
 * while inputs are being signed, but not if outpoints, sequences, outputs, version or locktime change.
 */
export class Sighasher {
  private readonly tx: Transaction;
  private readonly head: Bytes;
  /** every input serialized with an empty script: outpoint(36) ‖ 0x00 ‖ sequence(4) */
  private readonly ins: Bytes;
  private readonly tail: Bytes;

  constructor(tx: Transaction) {
    this.tx = tx;
    const head = new Uint8Array(4 + varint(tx.ins.length).length);
    new DataView(head.buffer).setInt32(0, tx.version, true);
    head.set(varint(tx.ins.length), 4);
    this.head = head;
    const ins = new Uint8Array(41 * tx.ins.length);
    const dv = new DataView(ins.buffer);
    tx.ins.forEach((input, i) => {
      ins.set(input.hash, 41 * i);
      dv.setUint32(41 * i + 32, input.index, true);
      ins[41 * i + 36] = 0;
      dv.setUint32(41 * i + 37, input.sequence, true);
    });
    this.ins = ins;
    const outs: Bytes[] = [varint(tx.outs.length)];
    for (const o of tx.outs) {
      const v = new Uint8Array(8);
      new DataView(v.buffer).setBigUint64(0, o.value, true);
      outs.push(v, varint(o.script.length), o.script);
    }
    const lock = new Uint8Array(4);
    new DataView(lock.buffer).setUint32(0, tx.locktime, true);
    outs.push(lock);
    this.tail = Buffer.concat(outs);
  }

  hash(index: number, scriptCode: Bytes, hashType: number = SIGHASH_ALL): Bytes {
    if (!Number.isInteger(index) || index < 0 || index >= this.tx.ins.length) throw new Error(`No input #${index}`);
    if (hashType !== SIGHASH_ALL) return this.tx.hashForSignature(index, scriptCode, hashType);
    const ht = new Uint8Array(4);
    new DataView(ht.buffer).setUint32(0, hashType, true);
    const first = createHash('sha256')
      .update(this.head)
      .update(this.ins.subarray(0, 41 * index + 36))
      .update(varint(scriptCode.length))
      .update(scriptCode)
      .update(this.ins.subarray(41 * index + 37))
      .update(this.tail)
      .update(ht)
      .digest();
    return new Uint8Array(createHash('sha256').update(first).digest());
  }
}

export interface SlotCheck {
  slot: 0 | 1;
  publicKey: string;
  present: boolean;
  /** present and a valid signature of this key over the input's sighash */
  valid: boolean;
  hashType?: number;
  /** why a present signature is not valid */
  reason?: string;
}

/**
 * Checks one encoded signature (DER + hashtype) against the legacy sighash with tiny-secp256k1.
 * Returns the hashtype when valid, or the reason it is not.
 */
export function checkSignature(
  tx: Transaction,
  index: number,
  redeem: Redeem,
  publicKey: Bytes,
  encoded: Bytes,
  sighashCache?: Map<number, Bytes>,
  hasher?: Sighasher,
): { valid: true; hashType: number } | { valid: false; hashType?: number; reason: string } {
  let decoded: { signature: Bytes; hashType: number };
  try {
    decoded = bscript.signature.decode(encoded);
  } catch {
    return { valid: false, reason: 'not a strict DER signature with a defined hash type' };
  }
  let hash = sighashCache?.get(decoded.hashType);
  if (!hash) {
    hash = hasher ? hasher.hash(index, redeem.script, decoded.hashType) : multisigSighash(tx, index, redeem, decoded.hashType);
    sighashCache?.set(decoded.hashType, hash);
  }
  let ok = false;
  try {
    ok = ecc.verify(hash, publicKey, decoded.signature);
  } catch {
    ok = false;
  }
  return ok ? { valid: true, hashType: decoded.hashType } : { valid: false, hashType: decoded.hashType, reason: 'signature does not verify' };
}

export interface InputCheck {
  index: number;
  slots: [SlotCheck, SlotCheck];
  /** both signatures present and valid */
  complete: boolean;
}

/** Which slots of input `index` carry a signature, and whether each verifies. Throws for a non-multisig scriptSig. */
export function verifyInput(tx: Transaction, index: number, redeem: Redeem, hasher?: Sighasher): InputCheck {
  const input = tx.ins[index];
  if (!input) throw new Error(`No input #${index}`);
  const sigs = readScriptSig(input.script, redeem);
  const cache = new Map<number, Bytes>();
  const check = (slot: 0 | 1): SlotCheck => {
    const publicKey = toHex(redeem.keys[slot]);
    const sig = sigs[slot];
    if (!sig) return { slot, publicKey, present: false, valid: false };
    const r = checkSignature(tx, index, redeem, redeem.keys[slot], sig, cache, hasher);
    return r.valid
      ? { slot, publicKey, present: true, valid: true, hashType: r.hashType }
      : { slot, publicKey, present: true, valid: false, hashType: r.hashType, reason: r.reason };
  };
  const slots: [SlotCheck, SlotCheck] = [check(0), check(1)];
  return { index, slots, complete: slots[0].valid && slots[1].valid };
}

/** verifyInput for every input (all must spend this redeem script). */
export function verifyTransaction(tx: Transaction, redeem: Redeem): { inputs: InputCheck[]; complete: boolean } {
  const hasher = new Sighasher(tx);
  const inputs = tx.ins.map((_, i) => verifyInput(tx, i, redeem, hasher));
  return { inputs, complete: inputs.length > 0 && inputs.every((c) => c.complete) };
}

/** Signs input `index` in place with SIGHASH_ALL, keeping the co-signer's slot as it is. */
export function signInput(tx: Transaction, index: number, redeem: Redeem, signer: Signer, hasher?: Sighasher): void {
  const slot = slotOf(redeem, signer.publicKey);
  if (slot === -1) throw new Error('The signing key is not one of the redeem script keys');
  const input = tx.ins[index];
  if (!input) throw new Error(`No input #${index}`);
  const slots = readScriptSig(input.script, redeem);
  const hash = hasher ? hasher.hash(index, redeem.script) : multisigSighash(tx, index, redeem, SIGHASH_ALL);
  const sig = signer.sign(hash);
  if (!(sig instanceof Uint8Array) || sig.length !== 64) throw new Error('Signer returned a malformed signature');
  slots[slot] = bscript.signature.encode(sig, SIGHASH_ALL);
  tx.setInputScript(index, buildScriptSig(slots, redeem));
}

export interface SignOptions {
  /** input indices to sign (default: all) */
  inputs?: readonly number[];
  /**
   * Per input: the co-signer's signature already present was verified for this very transaction (e.g. by the
   * review just before), so it is not verified a second time. Only the fresh signatures are re-checked.
   */
  cosignerVerified?: readonly boolean[];
}

/**
 * Returns a copy of `tx` with the user's half signed on every (or the chosen) input, keeping any existing
 * co-signature (a server-signed recoverytx/withdrawtx becomes complete). The caller reviews first.
 */
export function signTransaction(
  tx: Transaction,
  redeem: Redeem,
  signer: Signer,
  opts: SignOptions = {},
): { tx: Transaction; complete: boolean; inputs: InputCheck[] } {
  const mySlot = slotOf(redeem, signer.publicKey);
  if (mySlot === -1) throw new Error('The signing key is not one of the redeem script keys');
  const out = tx.clone();
  const hasher = new Sighasher(out);
  const indices = opts.inputs ?? out.ins.map((_, i) => i);
  for (const i of indices) signInput(out, i, redeem, signer, hasher);
  const inputs = out.ins.map((_, i) => {
    if (opts.cosignerVerified?.[i] !== true) return verifyInput(out, i, redeem, hasher);
    // co-signer slot known valid: check only our fresh signature
    const sigs = readScriptSig(out.ins[i]!.script, redeem);
    const other = (1 - mySlot) as 0 | 1;
    const mine = sigs[mySlot];
    const r = mine ? checkSignature(out, i, redeem, redeem.keys[mySlot], mine, undefined, hasher) : undefined;
    const slots = [] as unknown as [SlotCheck, SlotCheck];
    slots[mySlot] = r?.valid
      ? { slot: mySlot, publicKey: toHex(redeem.keys[mySlot]), present: true, valid: true, hashType: r.hashType }
      : { slot: mySlot, publicKey: toHex(redeem.keys[mySlot]), present: !!mine, valid: false, reason: r && !r.valid ? r.reason : undefined };
    slots[other] = { slot: other, publicKey: toHex(redeem.keys[other]), present: sigs[other] !== null, valid: sigs[other] !== null, hashType: SIGHASH_ALL };
    return { index: i, slots, complete: slots[0].valid && slots[1].valid };
  });
  return { tx: out, complete: inputs.length > 0 && inputs.every((c) => c.complete), inputs };
}

/** The transaction with every scriptSig emptied: what both signers commit to. */
export function stripScriptSigs(tx: Transaction): Transaction {
  const out = tx.clone();
  out.ins.forEach((_, i) => out.setInputScript(i, new Uint8Array(0)));
  return out;
}

/**
 * Merges the valid signatures of two partially signed copies of the same transaction (for example one signed
 * by the user and one by the server). Throws when they are not the same unsigned transaction.
 */
export function combineSignatures(a: Transaction, b: Transaction, redeem: Redeem): Transaction {
  if (stripScriptSigs(a).toHex() !== stripScriptSigs(b).toHex()) {
    throw new Error('Cannot combine: the two transactions differ beyond their signatures');
  }
  const out = a.clone();
  const hasher = new Sighasher(a); // a and b differ only in scriptSigs, which the legacy sighash ignores
  for (let i = 0; i < out.ins.length; i++) {
    const ca = verifyInput(a, i, redeem, hasher);
    const cb = verifyInput(b, i, redeem, hasher);
    const sa = readScriptSig(a.ins[i]!.script, redeem);
    const sb = readScriptSig(b.ins[i]!.script, redeem);
    const pick = (slot: 0 | 1): Bytes | null => (ca.slots[slot].valid ? sa[slot] : cb.slots[slot].valid ? sb[slot] : null);
    out.setInputScript(i, buildScriptSig([pick(0), pick(1)], redeem));
  }
  return out;
}

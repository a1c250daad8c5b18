// Signature checks for the two input types the chain accepts: P2PKH and P2SH 2-of-2 multisig, both with
// legacy sighash and SIGHASH_ALL only (the only hash type Coinpit clients ever produce).
import { crypto as bcrypto, opcodes, script as bscript, Transaction } from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import { ChainError } from './errors';
import { bytesEqual, classifyOutput, parseMultisigRedeem, toHex } from './script';

type Chunk = number | Uint8Array;

/** Decodes a DER signature + hash type; null when it is not strict DER or not SIGHASH_ALL. */
function decodeSig(sig: Uint8Array): Uint8Array | null {
  try {
    const d = bscript.signature.decode(sig);
    return d.hashType === Transaction.SIGHASH_ALL ? d.signature : null;
  } catch {
    return null;
  }
}

function describeSigProblem(sig: Uint8Array): string {
  try {
    const d = bscript.signature.decode(sig);
    if (d.hashType !== Transaction.SIGHASH_ALL) return `unsupported sighash type 0x${d.hashType.toString(16)} (only SIGHASH_ALL)`;
    return 'signature does not verify';
  } catch {
    return 'signature is not strict DER';
  }
}

/** ECDSA check of one scriptSig signature; high-S is accepted (consensus rule, not policy). */
export function checkSignature(tx: Transaction, index: number, scriptCode: Uint8Array, sig: Uint8Array, pubkey: Uint8Array): boolean {
  const raw = decodeSig(sig);
  if (!raw) return false;
  if (!ecc.isPoint(pubkey)) return false;
  const hash = tx.hashForSignature(index, scriptCode, Transaction.SIGHASH_ALL);
  try {
    return ecc.verify(hash, pubkey, raw);
  } catch {
    return false;
  }
}

function isEmptySlot(c: Chunk | undefined): boolean {
  return c === opcodes.OP_0 || (c instanceof Uint8Array && c.length === 0);
}

export interface MultisigSlot {
  /** the redeem key this slot belongs to (hex) */
  pubkey: string;
  /** the DER+hashtype signature in the slot (hex), null when the slot holds OP_0 */
  signature: string | null;
  /** the signature verifies for this key, this input and this transaction */
  valid: boolean;
}

export interface MultisigStatus {
  slots: [MultisigSlot, MultisigSlot];
  /** slots holding a signature */
  signed: number;
  /** slots holding a valid signature */
  valid: number;
  /** both slots hold valid signatures */
  complete: boolean;
}

/**
 * Reads the scriptSig of input `index` in the PROTOCOL §6.6 layout `OP_0 <sig-or-OP_0> <sig-or-OP_0> <redeem>`
 * and verifies each filled slot against the key in the same position of `redeem`. An empty scriptSig means
 * "nothing signed yet". Throws ChainError when the layout is anything else or carries a different redeem.
 */
export function multisigSignatures(tx: Transaction, index: number, redeem: Uint8Array): MultisigStatus {
  const input = tx.ins[index];
  if (!input) throw new ChainError('script', `input ${index} does not exist`);
  const { pubkeys } = parseMultisigRedeem(redeem);
  const k1 = pubkeys[0]!;
  const k2 = pubkeys[1]!;
  let s1: Uint8Array | null = null;
  let s2: Uint8Array | null = null;
  if (input.script.length > 0) {
    const chunks = bscript.decompile(input.script);
    if (!chunks || chunks.length !== 4 || !isEmptySlot(chunks[0])) {
      throw new ChainError('script', `input ${index}: scriptSig is not OP_0 <sig> <sig> <redeem>`);
    }
    const last = chunks[3];
    if (!(last instanceof Uint8Array) || !bytesEqual(last, redeem)) {
      throw new ChainError('script', `input ${index}: scriptSig carries a different redeem script`);
    }
    for (const [i, c] of [chunks[1], chunks[2]].entries()) {
      if (isEmptySlot(c)) continue;
      if (!(c instanceof Uint8Array)) throw new ChainError('script', `input ${index}: signature slot ${i + 1} is not a push`);
      if (i === 0) s1 = c;
      else s2 = c;
    }
  }
  const slot = (key: Uint8Array, sig: Uint8Array | null): MultisigSlot => ({
    pubkey: toHex(key),
    signature: sig ? toHex(sig) : null,
    valid: sig ? checkSignature(tx, index, redeem, sig, key) : false,
  });
  const slots: [MultisigSlot, MultisigSlot] = [slot(k1, s1), slot(k2, s2)];
  const signed = slots.filter((s) => s.signature !== null).length;
  const valid = slots.filter((s) => s.valid).length;
  return { slots, signed, valid, complete: valid === 2 };
}

/**
 * Full script check of one input against the output it spends. Throws ChainError('script' | 'nonstandard')
 * with the reason; returns normally when the input is validly signed.
 */
export function verifyInput(tx: Transaction, index: number, prevScript: Uint8Array): void {
  const input = tx.ins[index]!;
  const where = `input ${index}`;
  const prev = classifyOutput(prevScript);
  const chunks = bscript.decompile(input.script);
  if (!chunks) throw new ChainError('script', `${where}: scriptSig does not parse`);
  if (!bscript.isPushOnly(chunks)) throw new ChainError('nonstandard', `${where}: scriptSig is not push-only`);

  if (prev.type === 'p2pkh') {
    const [sig, pubkey] = chunks;
    if (chunks.length !== 2 || !(sig instanceof Uint8Array) || !(pubkey instanceof Uint8Array)) {
      throw new ChainError('script', `${where}: P2PKH scriptSig must be <sig> <pubkey>`);
    }
    if (!bscript.isCanonicalPubKey(pubkey)) throw new ChainError('script', `${where}: invalid public key`);
    if (!bytesEqual(bcrypto.hash160(pubkey), prev.hash!)) {
      throw new ChainError('script', `${where}: public key does not match the spent address`);
    }
    if (!checkSignature(tx, index, prevScript, sig, pubkey)) {
      throw new ChainError('script', `${where}: ${describeSigProblem(sig)}`);
    }
    return;
  }

  if (prev.type === 'p2sh') {
    const redeem = chunks[chunks.length - 1];
    if (!(redeem instanceof Uint8Array)) throw new ChainError('script', `${where}: P2SH scriptSig has no redeem script`);
    if (!bytesEqual(bcrypto.hash160(redeem), prev.hash!)) {
      throw new ChainError('script', `${where}: redeem script does not match the spent P2SH address`);
    }
    parseMultisigRedeem(redeem); // rejects anything but 2-of-2
    const status = multisigSignatures(tx, index, redeem);
    if (status.signed < 2) throw new ChainError('script', `${where}: multisig has ${status.signed} of 2 signatures`);
    status.slots.forEach((s, i) => {
      if (!s.valid) throw new ChainError('script', `${where}: multisig signature ${i + 1}: ${describeSigProblem(Buffer.from(s.signature!, 'hex'))}`);
    });
    return;
  }

  throw new ChainError('nonstandard', `${where}: spends an unsupported script type (${prev.type})`);
}

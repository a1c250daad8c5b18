// Legacy (pre-segwit) input signing used by the local exchange (co-signing multisig spends, paying out of
// margin addresses) and by tests to build valid and deliberately invalid transactions.
import { crypto as bcrypto, opcodes, script as bscript, Transaction } from 'bitcoinjs-lib';
import { ChainError } from './errors';
import { bytesEqual, p2pkhScript, parseMultisigRedeem } from './script';
import { checkSignature, multisigSignatures, type MultisigStatus } from './verify';

/** Anything that signs a 32-byte hash into a 64-byte compact ECDSA signature (ecpair's ECPair does). */
export interface Signer {
  publicKey: Uint8Array;
  sign(hash: Uint8Array): Uint8Array;
}

function derSig(tx: Transaction, index: number, scriptCode: Uint8Array, key: Signer): Uint8Array {
  const hash = tx.hashForSignature(index, scriptCode, Transaction.SIGHASH_ALL);
  return bscript.signature.encode(key.sign(hash), Transaction.SIGHASH_ALL);
}

function checkIndex(tx: Transaction, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= tx.ins.length) {
    throw new ChainError('script', `input ${index} does not exist`);
  }
}

/** Signs input `index` as a P2PKH spend of `key`'s address: scriptSig = <sig> <pubkey>. Mutates `tx`. */
export function signP2pkhInput(tx: Transaction, index: number, key: Signer): Transaction {
  checkIndex(tx, index);
  const scriptCode = p2pkhScript(bcrypto.hash160(key.publicKey));
  const sig = derSig(tx, index, scriptCode, key);
  tx.setInputScript(index, bscript.compile([sig, key.publicKey]));
  return tx;
}

/**
 * Adds `key`'s signature to input `index` of a P2SH 2-of-2 spend, in the slot of that key in `redeem`, keeping
 * the other slot's signature when it verifies (like bitcoinjs 2.x TransactionBuilder, a stale signature that no
 * longer verifies is dropped). Writes `OP_0 <sig-or-OP_0> <sig-or-OP_0> <redeem>` (PROTOCOL §6.6). Mutates `tx`.
 */
export function signMultisigInput(tx: Transaction, index: number, redeem: Uint8Array, key: Signer): MultisigStatus {
  checkIndex(tx, index);
  const { pubkeys } = parseMultisigRedeem(redeem);
  const slot = pubkeys.findIndex((k) => bytesEqual(k, key.publicKey));
  if (slot < 0) throw new ChainError('script', 'signing key is not part of the redeem script');

  let existing: (Uint8Array | null)[] = [null, null];
  const input = tx.ins[index]!;
  if (input.script.length > 0) {
    const status = multisigSignatures(tx, index, redeem); // throws on a foreign layout
    existing = status.slots.map((s) => (s.valid && s.signature ? Buffer.from(s.signature, 'hex') : null));
  }
  existing[slot] = derSig(tx, index, redeem, key);
  tx.setInputScript(
    index,
    bscript.compile([opcodes.OP_0, existing[0] ?? opcodes.OP_0, existing[1] ?? opcodes.OP_0, redeem]),
  );
  return multisigSignatures(tx, index, redeem);
}

/** True when every slot of input `index` verifies (cheap guard before broadcasting a co-signed spend). */
export function isMultisigInputComplete(tx: Transaction, index: number, redeem: Uint8Array): boolean {
  try {
    return multisigSignatures(tx, index, redeem).complete;
  } catch {
    return false;
  }
}

/** Signature check exposed for callers that verify a single P2PKH input by hand. */
export function verifyP2pkhSignature(tx: Transaction, index: number, sig: Uint8Array, pubkey: Uint8Array): boolean {
  return checkSignature(tx, index, p2pkhScript(bcrypto.hash160(pubkey)), sig, pubkey);
}

// Bitcoin signed messages (PROTOCOL §2.2): SHA256d(varint(24) "Bitcoin Signed Message:\n" varint(len) text),
// 65-byte compact signature, header 27 + recid (+4 for a compressed key), base64. RFC 6979 nonces (tiny-secp256k1
// signs deterministically when no extra entropy is passed), so signatures are reproducible.
import * as ecc from 'tiny-secp256k1';
import { hash160, hash256, toHex } from './hash';
import { decodeBase58Address, parseWif } from './identity';

const PREFIX = new TextEncoder().encode('\x18Bitcoin Signed Message:\n');

function varint(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  if (n <= 0xffffffff) return Uint8Array.of(0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  throw new Error('Message too long');
}

export function messageHash(text: string): Uint8Array {
  if (typeof text !== 'string') throw new Error('Message must be a string');
  const body = new TextEncoder().encode(text);
  const len = varint(body.length);
  const all = new Uint8Array(PREFIX.length + len.length + body.length);
  all.set(PREFIX, 0);
  all.set(len, PREFIX.length);
  all.set(body, PREFIX.length + len.length);
  return hash256(all);
}

/** Signs `text` with a 32-byte private key or a compressed WIF; returns the base64 compact signature. */
export function signMessage(text: string, privateKey: Uint8Array | string): string {
  const key = typeof privateKey === 'string' ? parseWif(privateKey).privateKey : privateKey;
  if (!(key instanceof Uint8Array) || key.length !== 32 || !ecc.isPrivate(key)) {
    throw new Error('Invalid private key for message signing');
  }
  const { signature, recoveryId } = ecc.signRecoverable(messageHash(text), key);
  const out = new Uint8Array(65);
  out[0] = 27 + 4 + recoveryId;
  out.set(signature, 1);
  return Buffer.from(out).toString('base64');
}

const BASE64_RE = /^[A-Za-z0-9+/]{87}=$/; // 65 bytes

function recoverBytes(text: string, signatureB64: string): Uint8Array | null {
  if (typeof text !== 'string' || typeof signatureB64 !== 'string' || !BASE64_RE.test(signatureB64)) return null;
  const sig = new Uint8Array(Buffer.from(signatureB64, 'base64'));
  if (sig.length !== 65) return null;
  const header = sig[0]!;
  if (header < 27 || header > 34) return null; // 35+ are BIP137 segwit headers: not used by Coinpit
  const compressed = header >= 31;
  const recoveryId = ((header - 27) & 3) as 0 | 1 | 2 | 3;
  try {
    return ecc.recover(messageHash(text), sig.subarray(1), recoveryId, compressed);
  } catch {
    return null; // r or s out of range
  }
}

/** Hex public key that produced the signature (compressed or not, as the header says), or null. */
export function recoverMessagePublicKey(text: string, signatureB64: string): string | null {
  const pub = recoverBytes(text, signatureB64);
  return pub ? toHex(pub) : null;
}

/** True when the signature over `text` was made by the key of P2PKH `address` (any network). */
export function verifyMessage(text: string, address: string, signatureB64: string): boolean {
  const decoded = decodeBase58Address(address);
  if (!decoded || decoded.kind !== 'p2pkh') return false;
  const pub = recoverBytes(text, signatureB64);
  if (!pub) return false;
  return Buffer.from(hash160(pub)).equals(Buffer.from(decoded.hash));
}

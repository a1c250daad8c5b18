// Hash helpers shared by identity, message signing and the auth code.
// String inputs are hashed as UTF-8 text (that is what the protocol vectors hash), never parsed as hex;
// use fromHex() first to hash hex-encoded bytes.
import { createHash } from 'node:crypto';
import { crypto as btcCrypto } from 'bitcoinjs-lib';

export type HashInput = Uint8Array | string;

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

function bytesOf(data: HashInput): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Strict hex decoding: even length, hex digits only (Buffer.from(hex) silently truncates otherwise). */
export function fromHex(hex: string, expectedBytes?: number): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) throw new Error('Invalid hex string');
  if (expectedBytes !== undefined && hex.length !== expectedBytes * 2) {
    throw new Error(`Expected ${expectedBytes} bytes of hex, got ${hex.length / 2}`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function isHex(value: unknown, bytes?: number): value is string {
  return typeof value === 'string' && HEX_RE.test(value) && (bytes === undefined || value.length === bytes * 2);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sha256(data: HashInput): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytesOf(data)).digest());
}

/** SHA256(SHA256(data)), Bitcoin's double hash. */
export function hash256(data: HashInput): Uint8Array {
  return sha256(sha256(data));
}

/** RIPEMD160(SHA256(data)); RIPEMD160 from bitcoinjs-lib so it works whatever OpenSSL providers Node has. */
export function hash160(data: HashInput): Uint8Array {
  return btcCrypto.hash160(bytesOf(data));
}

export const sha256Hex = (data: HashInput): string => toHex(sha256(data));
export const hash256Hex = (data: HashInput): string => toHex(hash256(data));
export const hash160Hex = (data: HashInput): string => toHex(hash160(data));

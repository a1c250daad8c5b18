// ECDH shared secret (PROTOCOL §1): the raw X coordinate of priv·pub, 32 bytes big-endian, as hex.
// No hashing and no KDF: the HMAC key is these 32 bytes. Symmetric: user and server get the same value.
import * as ecc from 'tiny-secp256k1';
import { fromHex, toHex } from './hash';
import { normalizePublicKey, parseWif } from './identity';

export function sharedSecretFromKeys(privateKey: Uint8Array, publicKeyHex: string): string {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32 || !ecc.isPrivate(privateKey)) {
    throw new Error('Invalid private key for ECDH');
  }
  const pub = fromHex(normalizePublicKey(publicKeyHex, 'ECDH public key'));
  const point = ecc.pointMultiply(pub, privateKey, true);
  if (!point) throw new Error('ECDH failed: point at infinity');
  return toHex(point.subarray(1));
}

export function sharedSecret(wif: string, serverPublicKey: string): string {
  return sharedSecretFromKeys(parseWif(wif).privateKey, serverPublicKey);
}

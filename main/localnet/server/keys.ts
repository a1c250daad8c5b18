// Per-user server keys (PROTOCOL §1, issue: "derived from one server seed, stable across restarts"):
// k = HMAC-SHA256(seed, "coinpit-desk/server-key/" ‖ userPublicKey), re-derived with a counter in the
// astronomically rare case the digest is not a valid secp256k1 scalar.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, renameSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import * as ecc from 'tiny-secp256k1';
import { toHex } from '../../coinpit/hash';

export interface ServerKey {
  privateKey: Uint8Array;
  publicKey: string;
}

export function deriveServerKey(seed: Uint8Array, userPublicKey: string): ServerKey {
  for (let counter = 0; ; counter++) {
    const digest = createHmac('sha256', seed).update(`coinpit-desk/server-key/${userPublicKey}/${counter}`).digest();
    const privateKey = new Uint8Array(digest);
    if (ecc.isPrivate(privateKey)) {
      const pub = ecc.pointFromScalar(privateKey, true);
      if (pub) return { privateKey, publicKey: toHex(pub) };
    }
  }
}

/** The server seed file under the data dir: created once (random), then read at every start. */
export function loadOrCreateSeed(dataDir: string, fixedSeed?: number): Uint8Array {
  const path = join(dataDir, 'server-seed');
  try {
    const hex = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`server seed file ${path} is corrupt`);
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const seed =
    fixedSeed === undefined
      ? randomBytes(32)
      : createHmac('sha256', 'coinpit-desk/seed').update(String(fixedSeed)).digest();
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, seed.toString('hex'), { mode: 0o600 });
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
  return new Uint8Array(seed);
}

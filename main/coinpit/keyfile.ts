// Key files (PROTOCOL §1, §2.8): the private-key file {address, privateKey, publicKey} downloaded from the web
// app, and the API-key file of the bots. Parsing checks that every field agrees with the keys it came from.
// Errors name the bad field, never its value.
import nacl from 'tweetnacl';
import { fromHex, isHex, toHex } from './hash';
import { isUserid, networkOf, normalizePublicKey, p2pkhAddress, parseWif } from './identity';
import { apiKeyName, type ApiKey } from './auth';

export interface PrivateKeyFile {
  address: string;
  privateKey: string;
  publicKey: string;
}

function asObject(input: unknown, what: string): Record<string, unknown> {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new Error(`${what}: not valid JSON`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: expected an object`);
  return value as Record<string, unknown>;
}

function str(obj: Record<string, unknown>, field: string, what: string): string {
  const v = obj[field];
  if (typeof v !== 'string' || v.length === 0) throw new Error(`${what}: missing or non-string "${field}"`);
  return v;
}

function optStr(obj: Record<string, unknown>, field: string, what: string): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Error(`${what}: "${field}" must be a string`);
  return v;
}

/** Parses and cross-checks a private-key file (JSON text or object). */
export function parsePrivateKeyFile(input: unknown): PrivateKeyFile {
  const what = 'Private key file';
  const obj = asObject(input, what);
  const wif = str(obj, 'privateKey', what);
  let parsed: ReturnType<typeof parseWif>;
  try {
    parsed = parseWif(wif);
  } catch (e) {
    throw new Error(`${what}: "privateKey" ${(e as Error).message}`);
  }
  const publicKey = toHex(parsed.publicKey);
  const address = p2pkhAddress(publicKey, parsed.network);
  const givenPub = optStr(obj, 'publicKey', what);
  if (givenPub !== undefined && givenPub.toLowerCase() !== publicKey) {
    throw new Error(`${what}: "publicKey" does not match the private key`);
  }
  const givenAddress = optStr(obj, 'address', what);
  if (givenAddress !== undefined && givenAddress !== address) {
    throw new Error(`${what}: "address" does not match the private key`);
  }
  return { address, privateKey: wif.trim(), publicKey };
}

export function serializePrivateKeyFile(wif: string): string {
  const { network, publicKey } = parseWif(wif);
  const pub = toHex(publicKey);
  return JSON.stringify({ address: p2pkhAddress(pub, network), privateKey: wif.trim(), publicKey: pub }, null, 2);
}

/**
 * Parses and checks an API-key file: role, key pair consistency (secretKey = seed ‖ apiPublicKey and the seed
 * derives that public key), userid format, and publicKey hashing to userid when present. The key authorization
 * signature is checked separately (verifyApiKeyAuthorization) because older files may carry older formats.
 */
export function parseApiKeyFile(input: unknown): ApiKey {
  const what = 'API key file';
  const obj = asObject(input, what);
  const role = str(obj, 'role', what);
  if (role !== 'trade' && role !== 'read') throw new Error(`${what}: "role" must be "trade" or "read"`);
  const secretKey = str(obj, 'secretKey', what).toLowerCase();
  if (!isHex(secretKey, 64)) throw new Error(`${what}: "secretKey" must be 128 hex characters`);
  const apiPublicKey = str(obj, 'apiPublicKey', what).toLowerCase();
  if (!isHex(apiPublicKey, 32)) throw new Error(`${what}: "apiPublicKey" must be 64 hex characters`);
  const derived = nacl.sign.keyPair.fromSeed(fromHex(secretKey).slice(0, 32)).publicKey;
  if (toHex(derived) !== apiPublicKey || secretKey.slice(64) !== apiPublicKey) {
    throw new Error(`${what}: "secretKey" does not belong to "apiPublicKey"`);
  }
  const name = str(obj, 'name', what);
  if (!/^[^\s.:]+$/.test(name)) throw new Error(`${what}: "name" must not contain spaces, "." or ":"`);
  if (name !== apiKeyName(apiPublicKey)) {
    throw new Error(`${what}: "name" must be the first 16 hex characters of "apiPublicKey"`);
  }
  const userid = str(obj, 'userid', what);
  if (!isUserid(userid)) throw new Error(`${what}: "userid" is not a P2PKH address`);
  const key: ApiKey = { name, role, apiPublicKey, secretKey, userid };
  const publicKey = optStr(obj, 'publicKey', what);
  if (publicKey !== undefined) {
    let pub: string;
    try {
      pub = normalizePublicKey(publicKey);
    } catch {
      throw new Error(`${what}: "publicKey" is not a compressed public key`);
    }
    if (p2pkhAddress(pub, networkOf(userid)) !== userid) throw new Error(`${what}: "publicKey" does not match "userid"`);
    key.publicKey = pub;
  }
  const authorization = optStr(obj, 'authorization', what);
  if (authorization !== undefined) key.authorization = authorization;
  for (const field of ['serverAddress', 'accountid'] as const) {
    const v = optStr(obj, field, what);
    if (v === undefined) continue;
    let ok = false;
    try {
      ok = networkOf(v) === networkOf(userid);
    } catch {
      ok = false;
    }
    if (!ok) throw new Error(`${what}: "${field}" is not an address on the userid's network`);
    key[field] = v;
  }
  return key;
}

/** API-key file text, fields in the order of the 2017 bots sample. */
export function serializeApiKeyFile(key: ApiKey): string {
  const out: Record<string, string> = {
    name: key.name,
    role: key.role,
    apiPublicKey: key.apiPublicKey,
    userid: key.userid,
    secretKey: key.secretKey,
  };
  if (key.authorization !== undefined) out.authorization = key.authorization;
  if (key.serverAddress !== undefined) out.serverAddress = key.serverAddress;
  if (key.accountid !== undefined) out.accountid = key.accountid;
  if (key.publicKey !== undefined) out.publicKey = key.publicKey;
  parseApiKeyFile(out); // refuse to write a file we would not read back
  return JSON.stringify(out, null, 2);
}

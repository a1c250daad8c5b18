// "Loginless" request authentication (PROTOCOL §2.3–2.9, §8.4–8.7): the canonical message M, the HMAC scheme
// (ECDH shared secret) and the SIGN scheme (Ed25519 API keys), client and server side.
// Secrets (shared secret, API secret key, WIF) never appear in an error message.
import { createHmac, timingSafeEqual } from 'node:crypto';
import nacl from 'tweetnacl';
import { fromHex, isHex, toHex } from './hash';
import { isUserid, normalizePublicKey, p2pkhAddress, networkOf, parseWif } from './identity';
import { recoverMessagePublicKey, signMessage } from './message';

export type Role = 'trade' | 'read';

export interface ApiKey {
  /** key name used in the SIGN header; §8.7: the first 16 hex chars of apiPublicKey */
  name: string;
  role: Role;
  /** Ed25519 public key, 64 hex */
  apiPublicKey: string;
  /** tweetnacl secret key = seed ‖ public key, 128 hex */
  secretKey: string;
  userid: string;
  /** the user's bitcoin public key (hex) */
  publicKey?: string;
  /** Bitcoin signed message by the user's key over apiKeyAuthorizationMessage() */
  authorization?: string;
  serverAddress?: string;
  accountid?: string;
}

export interface ApiKeyAuthorizationFields {
  name: string;
  role: Role;
  apiPublicKey: string;
  userid: string;
}

// ---------------------------------------------------------------- canonical message

function checkNonce(nonce: number): void {
  if (typeof nonce !== 'number' || !Number.isSafeInteger(nonce) || nonce < 0) {
    throw new Error('Nonce must be a non-negative integer number of milliseconds');
  }
}

function checkMethodUri(method: string, uri: string): void {
  if (typeof method !== 'string' || method.length === 0) throw new Error('Method must be a non-empty string');
  if (typeof uri !== 'string' || uri.length === 0) throw new Error('URI must be a non-empty string');
}

/**
 * M of §2.3 for REST: JSON.stringify({method, uri, body, nonce}); JSON.stringify drops the body key when
 * body is undefined, which is exactly the reference behaviour for GET/DELETE/OPTIONS.
 */
export function canonicalMessage(method: string, uri: string, body: unknown, nonce: number): string {
  checkMethodUri(method, uri);
  checkNonce(nonce);
  return JSON.stringify({ method: method.toUpperCase(), uri, body, nonce });
}

/** M for socket requests: body is {body, params: params ?? {}}; the inner body key disappears when undefined. */
export function socketCanonicalMessage(
  method: string,
  uri: string,
  body: unknown,
  params: unknown,
  nonce: number,
): string {
  return canonicalMessage(method, uri, { body, params: params ?? {} }, nonce);
}

// ---------------------------------------------------------------- HMAC

function secretBytes(secretHex: string): Uint8Array {
  if (!isHex(secretHex, 32)) throw new Error('Invalid shared secret: expected 64 hex characters');
  return fromHex(secretHex);
}

/** Lowercase hex HMAC-SHA256 of M keyed with the 32 raw shared-secret bytes. */
export function hmacHex(secretHex: string, message: string): string {
  return createHmac('sha256', secretBytes(secretHex)).update(message, 'utf8').digest('hex');
}

export function hmacAuthorizationForMessage(userid: string, secretHex: string | undefined, message: string): string {
  if (typeof userid !== 'string' || userid.length === 0 || /[\s:]/.test(userid)) throw new Error('Invalid userid');
  if (secretHex === undefined) return `HMAC ${userid}`;
  return `HMAC ${userid}:${hmacHex(secretHex, message)}`;
}

/** `HMAC <userid>:<hex>`; bare `HMAC <userid>` when there is no secret yet (registration, §2.2). */
export function hmacAuthorization(
  userid: string,
  secretHex: string | undefined,
  method: string,
  uri: string,
  body: unknown,
  nonce: number,
): string {
  return hmacAuthorizationForMessage(userid, secretHex, canonicalMessage(method, uri, body, nonce));
}

export function socketHmacAuthorization(
  userid: string,
  secretHex: string | undefined,
  method: string,
  uri: string,
  body: unknown,
  params: unknown,
  nonce: number,
): string {
  return hmacAuthorizationForMessage(userid, secretHex, socketCanonicalMessage(method, uri, body, params, nonce));
}

// ---------------------------------------------------------------- API keys (SIGN)

export function apiKeyName(apiPublicKeyHex: string): string {
  if (!isHex(apiPublicKeyHex, 32)) throw new Error('Invalid API public key: expected 64 hex characters');
  return apiPublicKeyHex.toLowerCase().slice(0, 16);
}

function checkRole(role: unknown): asserts role is Role {
  if (role !== 'trade' && role !== 'read') throw new Error('Invalid API key role: expected "trade" or "read"');
}

/** A fresh Ed25519 API key for `userid` (unauthorized: see authorizeApiKey). */
export function createApiKey(userid: string, role: Role): ApiKey {
  if (!isUserid(userid)) throw new Error('Invalid userid: expected a P2PKH address');
  checkRole(role);
  const pair = nacl.sign.keyPair();
  const apiPublicKey = toHex(pair.publicKey);
  return { name: apiKeyName(apiPublicKey), role, apiPublicKey, secretKey: toHex(pair.secretKey), userid };
}

export function signAuthorizationForMessage(
  apiKey: Pick<ApiKey, 'name' | 'secretKey' | 'userid'>,
  message: string,
): string {
  if (!isHex(apiKey.secretKey, 64)) throw new Error('Invalid API secret key: expected 128 hex characters');
  if (typeof apiKey.name !== 'string' || !/^[^\s.:]+$/.test(apiKey.name)) throw new Error('Invalid API key name');
  if (typeof apiKey.userid !== 'string' || !/^[^\s.:]+$/.test(apiKey.userid)) throw new Error('Invalid userid');
  const signature = nacl.sign.detached(new TextEncoder().encode(message), fromHex(apiKey.secretKey));
  return `SIGN ${apiKey.userid}.${apiKey.name}:${Buffer.from(signature).toString('base64')}`;
}

/** `SIGN <userid>.<name>:<base64 Ed25519 signature of M>` */
export function signAuthorization(
  apiKey: Pick<ApiKey, 'name' | 'secretKey' | 'userid'>,
  method: string,
  uri: string,
  body: unknown,
  nonce: number,
): string {
  return signAuthorizationForMessage(apiKey, canonicalMessage(method, uri, body, nonce));
}

export function socketSignAuthorization(
  apiKey: Pick<ApiKey, 'name' | 'secretKey' | 'userid'>,
  method: string,
  uri: string,
  body: unknown,
  params: unknown,
  nonce: number,
): string {
  return signAuthorizationForMessage(apiKey, socketCanonicalMessage(method, uri, body, params, nonce));
}

/** The text the user's coin key signs to authorize an API key (§8.7), keys in exactly this order. */
export function apiKeyAuthorizationMessage(key: ApiKeyAuthorizationFields): string {
  return JSON.stringify({ name: key.name, role: key.role, apiPublicKey: key.apiPublicKey, userid: key.userid });
}

/** Signs the key authorization with the user's WIF; the WIF must be the key of apiKey.userid. */
export function authorizeApiKey(apiKey: ApiKeyAuthorizationFields, wif: string): string {
  checkRole(apiKey.role);
  apiKeyName(apiKey.apiPublicKey); // validates the public key
  const { network, privateKey, publicKey } = parseWif(wif);
  if (p2pkhAddress(toHex(publicKey), network) !== apiKey.userid) {
    throw new Error('API key userid does not belong to this private key');
  }
  return signMessage(apiKeyAuthorizationMessage(apiKey), privateKey);
}

/**
 * True when `authorization` is a Bitcoin signed message over apiKeyAuthorizationMessage(key) by the key whose
 * P2PKH address is key.userid (and, when given, equals key.publicKey). The caller checks the name rule separately.
 */
export function verifyApiKeyAuthorization(
  key: ApiKeyAuthorizationFields & { authorization: string; publicKey?: string },
): boolean {
  try {
    if (!isUserid(key.userid)) return false;
    const recovered = recoverMessagePublicKey(apiKeyAuthorizationMessage(key), key.authorization);
    if (!recovered || recovered.length !== 66) return false; // compressed keys only
    if (key.publicKey !== undefined && normalizePublicKey(key.publicKey) !== recovered) return false;
    return p2pkhAddress(recovered, networkOf(key.userid)) === key.userid;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- server side

/** Remembers accepted (userid, Authorization) pairs until their nonce leaves the window (§8.6). */
export class ReplayMemory {
  private readonly entries = new Map<string, { userid: string; expiresAt: number }>();
  private readonly perUser = new Map<string, number>();
  private nextPruneAt = 0;
  /** lower bound of the expiries held: pruning before it frees nothing */
  private earliest = Number.POSITIVE_INFINITY;
  readonly maxEntries: number;
  readonly maxPerUser: number;

  constructor(options: { maxEntries?: number; maxPerUser?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.maxPerUser = options.maxPerUser ?? 10_000;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops pairs whose window ended before nowMs. */
  prune(nowMs: number): void {
    this.nextPruneAt = nowMs + 1000;
    if (!(this.earliest < nowMs)) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt >= nowMs) {
        earliest = Math.min(earliest, entry.expiresAt);
      } else {
        this.entries.delete(key);
        const left = (this.perUser.get(entry.userid) ?? 1) - 1;
        if (left > 0) this.perUser.set(entry.userid, left);
        else this.perUser.delete(entry.userid);
      }
    }
    this.earliest = earliest;
  }

  has(userid: string, authorization: string, nowMs: number): boolean {
    const entry = this.entries.get(`${userid}\n${authorization}`);
    return entry !== undefined && entry.expiresAt >= nowMs;
  }

  /**
   * Records a verified pair. 'replayed' if it is already remembered; 'full' when the memory bound is reached
   * (the request is then refused rather than forgetting pairs that could be replayed).
   */
  accept(userid: string, authorization: string, expiresAtMs: number, nowMs: number): 'accepted' | 'replayed' | 'full' {
    if (nowMs >= this.nextPruneAt) this.prune(nowMs);
    const key = `${userid}\n${authorization}`;
    const existing = this.entries.get(key);
    if (existing && existing.expiresAt >= nowMs) return 'replayed';
    const count = this.perUser.get(userid) ?? 0;
    if (this.entries.size >= this.maxEntries || count >= this.maxPerUser) {
      this.prune(nowMs);
      if (this.entries.size >= this.maxEntries || (this.perUser.get(userid) ?? 0) >= this.maxPerUser) return 'full';
    }
    if (!this.entries.has(key)) this.perUser.set(userid, (this.perUser.get(userid) ?? 0) + 1);
    this.entries.set(key, { userid, expiresAt: expiresAtMs });
    this.earliest = Math.min(this.earliest, expiresAtMs);
    return 'accepted';
  }
}

export interface VerifyInput {
  method: string;
  /** path relative to /api/v1, query string included */
  uri: string;
  /** parsed body (REST) or, with `socket`, the inner socket body */
  body?: unknown;
  /** REST body text exactly as received */
  rawBody?: string;
  /** true when `body` is JSON.parse(rawBody) done by the server itself (skips proving they are the same value) */
  bodyParsedFromRaw?: boolean;
  authorization?: string;
  nonce?: string | number;
  receivedMs: number;
  socket?: { params?: unknown };
}

export interface AuthLookup {
  hmacSecret(userid: string): string | undefined;
  apiKey(userid: string, keyName: string): { apiPublicKey: string; role: Role } | undefined;
}

export type VerifyResult =
  | { ok: true; userid: string; scheme: 'HMAC' | 'SIGN'; keyName?: string; role?: Role }
  | { ok: false; status: 401; error: string };

export interface VerifyOptions {
  /** allowed |receivedMs − nonce|, default 10000 */
  toleranceMs?: number;
  replay?: ReplayMemory;
}

const fail = (error: string): VerifyResult => ({ ok: false, status: 401, error });

/** Nonce as a number: a JSON number or a header string of digits; anything else is invalid (§8.4). */
function parseNonce(nonce: unknown): number | undefined {
  if (typeof nonce === 'number') return Number.isSafeInteger(nonce) && nonce >= 0 ? nonce : undefined;
  if (typeof nonce === 'string' && /^\d{1,16}$/.test(nonce)) {
    const n = Number(nonce);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function isEmptyBody(body: unknown): boolean {
  return (
    body === undefined ||
    (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0)
  );
}

/** M of §2.3 with the body spliced in as raw JSON text. */
function splicedMessage(method: string, uri: string, bodyText: string, nonce: number): string {
  return `{"method":${JSON.stringify(method.toUpperCase())},"uri":${JSON.stringify(uri)},"body":${bodyText},"nonce":${nonce}}`;
}

function tryOnce(tried: string[], test: (message: string) => boolean, m: string): boolean {
  if (tried.includes(m)) return false;
  tried.push(m);
  return test(m);
}

/**
 * True when `test` accepts one of the messages the request may have been signed over (§8.5), tried most likely
 * first and each at most once, so a typical request builds and checks one message. A candidate that cannot be
 * built (bad method, uri or body) matches nothing.
 */
function anyCandidate(input: VerifyInput, nonce: number, test: (message: string) => boolean): boolean {
  try {
    const { method, uri } = input;
    const empty = isEmptyBody(input.body);
    const tried: string[] = [];
    if (input.socket) {
      const params = input.socket.params;
      if (tryOnce(tried, test, socketCanonicalMessage(method, uri, input.body, params, nonce))) return true;
      return (
        empty &&
        (tryOnce(tried, test, socketCanonicalMessage(method, uri, undefined, params, nonce)) || tryOnce(tried, test, socketCanonicalMessage(method, uri, {}, params, nonce)))
      );
    }
    checkMethodUri(method, uri);
    const raw = typeof input.rawBody === 'string' && input.rawBody.trim() !== '' ? input.rawBody : undefined;
    // the server parsed body from raw itself: the bytes sent are the body it acts on (the reference clients sign them)
    if (raw !== undefined && input.bodyParsedFromRaw === true && tryOnce(tried, test, splicedMessage(method, uri, raw, nonce))) return true;
    if (tryOnce(tried, test, canonicalMessage(method, uri, input.body, nonce))) return true;
    if (empty && (tryOnce(tried, test, canonicalMessage(method, uri, undefined, nonce)) || tryOnce(tried, test, canonicalMessage(method, uri, {}, nonce)))) return true;
    if (raw === undefined || input.bodyParsedFromRaw === true) return false;
    // Only splice raw text that is the same JSON value the server acts on.
    let same = false;
    try {
      same = JSON.stringify(JSON.parse(raw)) === JSON.stringify(input.body);
    } catch {
      same = false;
    }
    return same && tryOnce(tried, test, splicedMessage(method, uri, raw, nonce));
  } catch {
    return false; // unusable method/uri/body: nothing can verify
  }
}

const SIG_B64_RE = /^[A-Za-z0-9+/]{86}==$/;

/** Server-side check of a signed REST or socket request. Never throws on bad input (lookup errors propagate). */
export function verifyRequest(input: VerifyInput, lookup: AuthLookup, options: VerifyOptions = {}): VerifyResult {
  const toleranceMs = options.toleranceMs ?? 10_000;
  const auth = input.authorization;
  if (typeof auth !== 'string' || auth.length === 0) return fail('Expecting HMAC or SIGN Authorization');

  let scheme: 'HMAC' | 'SIGN';
  let userid: string;
  let keyName: string | undefined;
  let proof: string;
  if (auth.startsWith('HMAC ')) {
    scheme = 'HMAC';
    const rest = auth.slice(5);
    const colon = rest.indexOf(':');
    if (colon <= 0) return fail(`HMAC authentication needed ${auth}`);
    userid = rest.slice(0, colon);
    proof = rest.slice(colon + 1);
  } else if (auth.startsWith('SIGN ')) {
    scheme = 'SIGN';
    const rest = auth.slice(5);
    const colon = rest.indexOf(':');
    const ident = colon < 0 ? '' : rest.slice(0, colon);
    const dot = ident.indexOf('.');
    if (dot <= 0 || dot === ident.length - 1) return fail(`SIGN authentication needed ${auth}`);
    userid = ident.slice(0, dot);
    keyName = ident.slice(dot + 1);
    proof = rest.slice(colon + 1);
  } else {
    return fail('Unsupported Authorization method');
  }

  const nonce = parseNonce(input.nonce);
  if (nonce === undefined) return fail(`Authentication failed. Invalid Nonce ${String(input.nonce).slice(0, 64)}`);
  const drift = Math.abs(input.receivedMs - nonce);
  if (!(drift <= toleranceMs)) return fail(`Authentication failed. Nonce ${nonce} stale by ${drift}ms`);

  let role: Role | undefined;
  if (scheme === 'HMAC') {
    const secret = lookup.hmacSecret(userid);
    if (secret === undefined) return fail(`Authentication failed. Unknown user ${userid}`);
    if (!isHex(secret, 32)) return fail(`Authentication failed. HMAC mismatch ${auth}`);
    const given = /^[0-9a-fA-F]{64}$/.test(proof) ? Buffer.from(proof, 'hex') : undefined;
    const key = fromHex(secret);
    const ok = given !== undefined && anyCandidate(input, nonce, (m) => timingSafeEqual(createHmac('sha256', key).update(m, 'utf8').digest(), given));
    if (!ok) return fail(`Authentication failed. HMAC mismatch ${auth}`);
  } else {
    const key = lookup.apiKey(userid, keyName!);
    if (key === undefined) return fail(`Authentication failed. Unknown API key ${userid}.${keyName}`);
    if (!isHex(key.apiPublicKey, 32) || !SIG_B64_RE.test(proof)) return fail('Authentication failed. SIGN mismatch');
    const signature = new Uint8Array(Buffer.from(proof, 'base64'));
    const pub = fromHex(key.apiPublicKey);
    const ok = anyCandidate(input, nonce, (m) => nacl.sign.detached.verify(new TextEncoder().encode(m), signature, pub));
    if (!ok) return fail('Authentication failed. SIGN mismatch');
    role = key.role;
  }

  if (options.replay) {
    const outcome = options.replay.accept(userid, auth, nonce + toleranceMs, input.receivedMs);
    if (outcome === 'replayed') return fail('Authentication failed. Replayed request');
    if (outcome === 'full') return fail('Authentication failed. Too many recent requests');
  }
  return scheme === 'HMAC' ? { ok: true, userid, scheme } : { ok: true, userid, scheme, keyName, role };
}

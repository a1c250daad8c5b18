// REST client for the Coinpit API (PROTOCOL §2–3, §8). Signs every private request with HMAC (ECDH shared secret)
// or SIGN (Ed25519 API key), calibrates the nonce clock from Server-Time, and recovers once from a 401 (§2.6).
// The WIF, the shared secret and the API secret key live only in closures created by the constructor: they are
// not properties of the client, so they cannot be enumerated, inspected, serialized or logged.
import { randomUUID } from 'node:crypto';
import {
  canonicalMessage,
  hmacAuthorizationForMessage,
  signAuthorizationForMessage,
  socketCanonicalMessage,
  type ApiKey,
  type Role,
} from './auth';
import { Clock } from './clock';
import { sharedSecret } from './ecdh';
import { CoinpitError, describeCause, redact } from './errors';
import { isHex } from './hash';
import {
  identity as identityOf,
  multisigRedeem,
  networkOf,
  normalizePublicKey,
  p2pkhAddress,
  p2shAddress,
  parseWif,
  type Identity,
} from './identity';
import { signMessage } from './message';
import type {
  Account,
  ApiKeyRecord,
  ApiKeyRegistration,
  AuthResponse,
  Band,
  Candle,
  ConfigResponse,
  Execution,
  InfoEntry,
  MarginInfo,
  Order,
  OrderBook,
  OrderRequest,
  PatchOp,
  PatchResult,
  Pnl,
  Position,
  Spec,
  Trade,
  UpdateRequest,
  WithdrawTx,
} from './types';

export interface CoinpitClientOptions {
  /** Host root, e.g. `https://live.coinpit.me` or `http://127.0.0.1:8080`; REST lives at `<baseUrl>/api/v1`. */
  baseUrl: string;
  /** The user's compressed WIF key: HMAC mode. */
  wif?: string;
  /** An Ed25519 API key: SIGN mode (takes precedence over `wif` for signing). */
  apiKey?: ApiKey;
  /** Per HTTP exchange, default 15000. */
  timeoutMs?: number;
  clock?: Clock;
  fetch?: typeof fetch;
}

/** Public facts about the connected user (no secrets): safe to show and log. */
export interface SessionInfo extends Omit<Identity, 'publicKey'> {
  /** The user's bitcoin public key; absent for an API key file without `publicKey`. */
  publicKey?: string;
  mode: 'hmac' | 'sign';
  /** SIGN mode: the key name used in the Authorization header and the key's role. */
  apiKeyName?: string;
  role?: Role;
}

/** A reply whose shape the protocol leaves open (cancel, margin moves, key registration…). */
export type Ack = unknown;

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
type AuthMode = 'none' | 'signed' | 'bare';

interface RequestOptions {
  body?: unknown;
  auth: AuthMode;
  headers?: Record<string, string>;
}

interface RawResponse {
  status: number;
  text: string;
}

/** What the constructor's closure hands out; holds the secrets without exposing them. */
interface Keys {
  /** userid/publicKey/network known before the key exchange. */
  local(): { network: Identity['network']; userid: string; publicKey?: string };
  /** Key exchange result → session info and a signer over canonical messages. */
  establish(serverPublicKey: string | undefined): { info: SessionInfo; sign: (message: string) => string };
  /** Bitcoin-message signature with the WIF (registration); throws without one. */
  signText(text: string): string;
  redact(text: string): string;
}

const SAFE_SEGMENT = /^[A-Za-z0-9._~-]+$/;

export class CoinpitClient {
  readonly clock: Clock;
  /** Host root without a trailing slash (socket.io connects here). */
  readonly baseUrl: string;
  readonly apiUrl: string;
  readonly timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #keys: Keys;
  #session?: { info: SessionInfo; sign: (message: string) => string };
  #connecting?: Promise<SessionInfo>;

  constructor(options: CoinpitClientOptions) {
    if (!options || typeof options !== 'object') throw new Error('CoinpitClient needs options');
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    this.apiUrl = `${this.baseUrl}/api/v1`;
    const timeoutMs = options.timeoutMs ?? 15_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error('timeoutMs must be a positive number');
    this.timeoutMs = timeoutMs;
    this.clock = options.clock ?? new Clock();
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new Error('No fetch implementation available');
    this.#fetch = f;
    this.#keys = makeKeys(options.wif, options.apiKey);
  }

  /** Session info after connect(), else undefined. */
  get session(): SessionInfo | undefined {
    return this.#session ? { ...this.#session.info } : undefined;
  }

  get connected(): boolean {
    return this.#session !== undefined;
  }

  /** Key exchange (`GET /auth/:publicKey`): derives the server key, addresses and the shared secret. */
  connect(): Promise<SessionInfo> {
    if (this.#session) return Promise.resolve({ ...this.#session.info });
    if (!this.#connecting) {
      const attempt = this.#keyExchange();
      this.#connecting = attempt;
      attempt.catch(() => {
        if (this.#connecting === attempt) this.#connecting = undefined;
      });
    }
    return this.#connecting;
  }

  async #keyExchange(): Promise<SessionInfo> {
    const local = this.#keys.local();
    let serverPublicKey: string | undefined;
    if (local.publicKey !== undefined) {
      const reply = await this.#request<unknown>('GET', `/auth/${local.publicKey}`, { auth: 'none' });
      serverPublicKey = this.#checkAuthResponse(reply, local.userid);
    }
    this.#session = this.#keys.establish(serverPublicKey);
    return { ...this.#session.info };
  }

  #checkAuthResponse(reply: unknown, userid: string): string {
    const r = reply as Partial<AuthResponse> & { error?: unknown };
    if (!r || typeof r !== 'object') throw new CoinpitError('protocol', 'Key exchange: reply is not an object');
    if (typeof r.error === 'string') {
      const msg = this.#keys.redact(r.error);
      throw new CoinpitError('auth', `Key exchange refused: ${msg}`, { serverMessage: msg });
    }
    if (typeof r.serverPublicKey !== 'string' || !isHex(r.serverPublicKey, 33)) {
      throw new CoinpitError('protocol', 'Key exchange: reply has no valid serverPublicKey');
    }
    if (r.userid !== undefined && r.userid !== userid) {
      throw new CoinpitError('protocol', 'Key exchange: server answered for a different userid');
    }
    try {
      return normalizePublicKey(r.serverPublicKey, 'server public key');
    } catch (e) {
      throw new CoinpitError('protocol', `Key exchange: ${describeCause(e)}`);
    }
  }

  /**
   * Authorization header for a socket request (§4.2): signs the socket form of M. Used by Feed; the header
   * is a per-request proof, not a secret.
   */
  socketAuthorization(method: string, uri: string, body: unknown, params: unknown, nonce: number): string {
    if (!this.#session) throw new CoinpitError('auth', 'Not connected: call connect() first');
    return this.#session.sign(socketCanonicalMessage(method, uri, body, params, nonce));
  }

  /** Removes this client's secrets and any Authorization value from a text (for error messages). */
  redact(text: string): string {
    return this.#keys.redact(text);
  }

  // ------------------------------------------------------------------ public (unsigned) endpoints

  async info(): Promise<Record<string, InfoEntry>> {
    return this.#request('GET', '/all/info', { auth: 'none' });
  }

  async config(): Promise<ConfigResponse> {
    return this.#request('GET', '/all/config', { auth: 'none' });
  }

  async bands(): Promise<Record<string, Band>> {
    return this.#request('GET', '/all/band', { auth: 'none' });
  }

  async spec(): Promise<Record<string, Spec>> {
    return this.#request('GET', '/all/spec', { auth: 'none' });
  }

  /**
   * Registration (§2.2, §8.15): `POST /auth` with bare `HMAC <userid>` and a signed `{publicKey, ts}`.
   * The reply carries the server key, so the client is connected afterwards.
   */
  async register(): Promise<SessionInfo> {
    const local = this.#keys.local();
    if (local.publicKey === undefined) throw new CoinpitError('auth', 'Registration needs the private key');
    const text = JSON.stringify({ publicKey: local.publicKey, ts: this.clock.nonce() });
    const body = [{ message: text, signature: this.#keys.signText(text) }];
    const reply = await this.#request<unknown>('POST', '/auth', { body, auth: 'bare' });
    const serverPublicKey = this.#checkAuthResponse(reply, local.userid);
    this.#session = this.#keys.establish(serverPublicKey);
    return { ...this.#session.info };
  }

  /** `POST /auth/apikey` (§8.7), unauthenticated: the body carries the coin key's authorization. */
  async registerApiKey(registration: ApiKeyRegistration): Promise<Ack> {
    if (!registration || typeof registration !== 'object') throw new Error('registerApiKey needs a registration');
    const { name, role, apiPublicKey, userid, publicKey, authorization } = registration;
    return this.#request('POST', '/auth/apikey', {
      body: { name, role, apiPublicKey, userid, publicKey, authorization },
      auth: 'none',
    });
  }

  // ------------------------------------------------------------------ orders (official table paths)

  async openOrders(symbol: string): Promise<Order[]> {
    return this.#signed('GET', `${contract(symbol)}/order/open`);
  }

  async createOrders(symbol: string, requests: OrderRequest[]): Promise<Order[]> {
    return this.#signed('POST', `${contract(symbol)}/order/open`, nonEmpty(requests, 'createOrders'));
  }

  async updateOrders(symbol: string, updates: UpdateRequest[]): Promise<Order[]> {
    return this.#signed('PUT', `${contract(symbol)}/order/open`, nonEmpty(updates, 'updateOrders'));
  }

  async patchOrders(symbol: string, ops: PatchOp[]): Promise<PatchResult[]> {
    return this.#signed('PATCH', `${contract(symbol)}/order/open`, nonEmpty(ops, 'patchOrders'));
  }

  async cancelAll(symbol: string): Promise<Ack> {
    return this.#signed('DELETE', `${contract(symbol)}/order/open`);
  }

  async cancelOrder(symbol: string, uuid: string): Promise<Ack> {
    return this.#signed('DELETE', `${contract(symbol)}/order/open/${segment(uuid, 'order uuid')}`);
  }

  async getOrder(symbol: string, uuid: string): Promise<Order> {
    return this.#signed('GET', `${contract(symbol)}/order/${segment(uuid, 'order uuid')}`);
  }

  /** Closed orders strictly after the `after` uuid, newest first (§8.3). */
  async closedOrders(symbol: string, after?: string): Promise<Order[]> {
    return this.#signed('GET', `${contract(symbol)}/order/closed${afterQuery(after)}`);
  }

  async cancelledOrders(symbol: string, after?: string): Promise<Order[]> {
    return this.#signed('GET', `${contract(symbol)}/order/cancelled${afterQuery(after)}`);
  }

  // ------------------------------------------------------------------ market data (signed per the table)

  async orderbook(symbol: string): Promise<OrderBook> {
    return this.#signed('GET', `${contract(symbol)}/orderbook`);
  }

  async trades(symbol: string): Promise<Trade[]> {
    return this.#signed('GET', `${contract(symbol)}/trade`);
  }

  /** 5-minute candles, oldest first. */
  async candles(symbol: string): Promise<Candle[]> {
    return this.#signed('GET', `${contract(symbol)}/chart/5`);
  }

  // ------------------------------------------------------------------ account

  async account(): Promise<Account> {
    return this.#signed('GET', '/account');
  }

  async positions(): Promise<Record<string, Position>> {
    return this.#signed('GET', '/account/position');
  }

  async pnl(): Promise<Pnl> {
    return this.#signed('GET', '/account/pnl');
  }

  async executions(): Promise<Execution[]> {
    return this.#signed('GET', '/account/execution');
  }

  async marginInfo(): Promise<MarginInfo> {
    return this.#signed('GET', '/account/margin');
  }

  /** Multisig → margin: user-signed incomplete transactions (§6.3). */
  async marginIn(txs: string[]): Promise<Ack> {
    nonEmpty(txs, 'marginIn').forEach((tx) => hexTx(tx));
    return this.#signed('POST', '/account/margin', [{ txs }], { requestid: randomUUID() });
  }

  /** Margin → multisig, `amount` satoshi (§8.8). */
  async marginOut(amount: number): Promise<Ack> {
    if (!Number.isSafeInteger(amount) || amount <= 0) throw new Error('marginOut: amount must be a positive integer (satoshi)');
    return this.#signed('DELETE', `/account/margin/${amount}`);
  }

  /** All free margin → multisig (`DELETE /margin`, §8.8). */
  async marginOutAll(): Promise<Ack> {
    return this.#signed('DELETE', '/margin');
  }

  async withdrawTx(): Promise<WithdrawTx> {
    return this.#signed('GET', '/account/withdrawtx');
  }

  async recoveryTx(): Promise<WithdrawTx> {
    return this.#signed('GET', '/account/recoverytx');
  }

  /** Partial withdraw: a user-signed incomplete multisig spend (§8.10). */
  async withdraw(txHex: string): Promise<{ txid: string }> {
    return this.#signed('POST', '/tx', { tx: hexTx(txHex) });
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.#signed('GET', '/account/apikey');
  }

  async revokeApiKey(name: string): Promise<Ack> {
    return this.#signed('DELETE', `/account/apikey/${segment(name, 'API key name')}`);
  }

  // ------------------------------------------------------------------ transport

  #signed<T>(method: HttpMethod, uri: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return this.#request<T>(method, uri, { body, auth: 'signed', headers });
  }

  async #request<T>(method: HttpMethod, uri: string, options: RequestOptions): Promise<T> {
    const text = options.body === undefined ? undefined : JSON.stringify(options.body);
    // The signed body is the parse of the exact text sent, so M embeds those bytes (§8.5).
    const signedBody: unknown = text === undefined ? undefined : JSON.parse(text);
    let sign: ((message: string) => string) | undefined;
    if (options.auth === 'signed') sign = (this.#session ?? (await this.#connectForSigning())).sign;

    const headersFor = (m: HttpMethod, b: unknown): Record<string, string> => {
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        ...options.headers,
      };
      if (sign) {
        const nonce = this.clock.nonce();
        headers.Nonce = String(nonce);
        headers.Authorization = sign(canonicalMessage(m, uri, b, nonce));
      } else if (options.auth === 'bare') {
        headers.Authorization = `HMAC ${this.#keys.local().userid}`;
      }
      return headers;
    };

    let res = await this.#exchange(method, uri, headersFor(method, signedBody), text);
    if (res.status === 401 && sign) {
      // §2.6: a signed OPTIONS recalibrates the clock from its Server-Time, then one resend with a new nonce.
      await this.#exchange('OPTIONS', uri, headersFor('OPTIONS', undefined), undefined);
      res = await this.#exchange(method, uri, headersFor(method, signedBody), text);
    }
    return this.#decode<T>(method, uri, res);
  }

  async #connectForSigning(): Promise<{ sign: (message: string) => string }> {
    await this.connect();
    if (!this.#session) throw new CoinpitError('auth', 'Not connected');
    return this.#session;
  }

  /** One HTTP exchange under a timeout; calibrates the clock from Server-Time (§2.5). */
  async #exchange(method: HttpMethod, uri: string, headers: Record<string, string>, body: string | undefined): Promise<RawResponse> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const res = await this.#fetch(this.apiUrl + uri, { method, headers, body, signal: controller.signal });
      this.clock.onResponse(method, res.headers.get('server-time'));
      return { status: res.status, text: await res.text() };
    } catch (e) {
      if (controller.signal.aborted) {
        throw new CoinpitError('timeout', `${method} ${uri} timed out after ${this.timeoutMs} ms`);
      }
      throw new CoinpitError('network', `${method} ${uri} failed: ${this.#keys.redact(describeCause(e))}`);
    } finally {
      clearTimeout(timer);
    }
  }

  #decode<T>(method: HttpMethod, uri: string, res: RawResponse): T {
    let parsed: unknown;
    let parseFailed = false;
    if (res.text.trim() !== '') {
      try {
        parsed = JSON.parse(res.text);
      } catch {
        parseFailed = true;
      }
    }
    if (res.status >= 200 && res.status < 300) {
      if (parseFailed) throw new CoinpitError('protocol', `${method} ${uri}: reply is not JSON`, { status: res.status });
      return parsed as T;
    }
    const raw =
      parsed && typeof parsed === 'object' && typeof (parsed as { error?: unknown }).error === 'string'
        ? (parsed as { error: string }).error
        : res.text.slice(0, 300);
    const serverMessage = this.#keys.redact(raw);
    const code = res.status === 401 || res.status === 403 ? 'auth' : 'http';
    const suffix = serverMessage ? `: ${serverMessage}` : '';
    throw new CoinpitError(code, `${method} ${uri} failed with status ${res.status}${suffix}`, {
      status: res.status,
      serverMessage,
    });
  }
}

// -------------------------------------------------------------------- key material (closures only)

function makeKeys(wif: string | undefined, apiKeyIn: ApiKey | undefined): Keys {
  if (wif !== undefined && typeof wif !== 'string') throw new Error('wif must be a string');
  const parsed = wif !== undefined ? parseWif(wif) : undefined; // throws a clear, WIF-free error
  const apiKey = apiKeyIn ? checkApiKey(apiKeyIn) : undefined;
  if (!parsed && !apiKey) throw new Error('CoinpitClient needs a wif or an apiKey');
  let shared: string | undefined;
  const scrub = (text: string) => redact(text, [wif, wif?.trim(), shared, apiKey?.secretKey]);

  const base = parsed ? identityOf(wif!) : undefined;
  const local = (): { network: Identity['network']; userid: string; publicKey?: string } => {
    if (apiKey) return { network: networkOf(apiKey.userid), userid: apiKey.userid, publicKey: apiKey.publicKey };
    return { network: base!.network, userid: base!.userid, publicKey: base!.publicKey };
  };

  return {
    local,
    establish(serverPublicKey) {
      if (apiKey) {
        const { network, userid, publicKey } = local();
        const info: SessionInfo = { network, userid, mode: 'sign', apiKeyName: apiKey.name, role: apiKey.role };
        if (publicKey !== undefined) {
          info.publicKey = publicKey;
          if (serverPublicKey !== undefined) {
            const redeem = multisigRedeem(publicKey, serverPublicKey);
            Object.assign(info, {
              serverPublicKey,
              serverAddress: p2pkhAddress(serverPublicKey, network),
              redeem,
              accountid: p2shAddress(redeem, network),
            });
          }
        }
        return { info, sign: (m: string) => signAuthorizationForMessage(apiKey, m) };
      }
      if (serverPublicKey === undefined) throw new CoinpitError('protocol', 'Key exchange gave no server key');
      const info: SessionInfo = { ...identityOf(wif!, serverPublicKey), mode: 'hmac' };
      const secret = sharedSecret(wif!, serverPublicKey);
      shared = secret;
      return { info, sign: (m: string) => hmacAuthorizationForMessage(info.userid, secret, m) };
    },
    signText(text) {
      if (!parsed) throw new CoinpitError('auth', 'This operation needs the private key (WIF)');
      return signMessage(text, parsed.privateKey);
    },
    redact: scrub,
  };
}

/** Validates an API key without echoing its secret; a copy is kept so later caller mutation has no effect. */
function checkApiKey(key: ApiKey): ApiKey {
  if (!key || typeof key !== 'object') throw new Error('apiKey must be an object');
  if (!isHex(key.secretKey, 64)) throw new Error('Invalid API secret key: expected 128 hex characters');
  if (typeof key.name !== 'string' || !/^[^\s.:]+$/.test(key.name)) throw new Error('Invalid API key name');
  if (key.role !== 'trade' && key.role !== 'read') throw new Error('Invalid API key role');
  networkOf(key.userid); // throws on a bad userid
  const copy: ApiKey = { ...key };
  if (key.publicKey !== undefined) {
    copy.publicKey = normalizePublicKey(key.publicKey, 'API key file publicKey');
    if (p2pkhAddress(copy.publicKey, networkOf(key.userid)) !== key.userid) {
      throw new Error('API key publicKey does not belong to its userid');
    }
  }
  return copy;
}

// -------------------------------------------------------------------- path helpers

function normalizeBaseUrl(baseUrl: unknown): string {
  if (typeof baseUrl !== 'string') throw new Error('baseUrl must be a string');
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error('baseUrl is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('baseUrl must be http(s)');
  if (url.search || url.hash) throw new Error('baseUrl must not carry a query or fragment');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function segment(value: unknown, what: string): string {
  if (typeof value !== 'string' || !SAFE_SEGMENT.test(value)) throw new Error(`Invalid ${what}`);
  return value;
}

function contract(symbol: string): string {
  return `/contract/${segment(symbol, 'symbol')}`;
}

function afterQuery(after: string | undefined): string {
  return after === undefined ? '' : `?after=${segment(after, 'cursor uuid')}`;
}

function nonEmpty<T>(items: T[], what: string): T[] {
  if (!Array.isArray(items) || items.length === 0) throw new Error(`${what}: expected a non-empty array`);
  return items;
}

function hexTx(tx: unknown): string {
  if (typeof tx !== 'string' || tx.length === 0 || tx.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(tx)) {
    throw new Error('Transaction must be non-empty hex');
  }
  return tx;
}

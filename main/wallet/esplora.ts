// Chain client for the Esplora HTTP API (the local exchange's `<url>/esplora`, or any Esplora base URL for testnet
// and mainnet). The wallet takes UTXOs, previous transactions and confirmations from here, never from the exchange.
// Every exchange runs under a timeout; network errors, timeouts and 5xx replies are retried a bounded number of
// times with exponential backoff; 4xx replies and malformed bodies are not retried. Errors carry the HTTP status
// and the server's own text so the user sees why the chain refused something.
import { isHex } from '../coinpit/hash';
import { txidFromHex, type Unspent } from './txbuild';

export type ChainClientErrorKind = 'http' | 'timeout' | 'network' | 'protocol' | 'input';

export class ChainClientError extends Error {
  readonly kind: ChainClientErrorKind;
  /** HTTP status of the last reply, null when no reply arrived */
  readonly status: number | null;
  /** the server's reply text (trimmed, at most 500 characters), null when none */
  readonly serverText: string | null;
  /** how many attempts were made */
  readonly attempts: number;
  constructor(kind: ChainClientErrorKind, message: string, opts: { status?: number | null; serverText?: string | null; attempts?: number } = {}) {
    super(message);
    this.name = 'ChainClientError';
    this.kind = kind;
    this.status = opts.status ?? null;
    this.serverText = opts.serverText ?? null;
    this.attempts = opts.attempts ?? 1;
  }
}

export interface EsploraOptions {
  /** per attempt, default 15000 ms */
  timeoutMs?: number;
  /** extra attempts after the first for network errors, timeouts and 5xx; default 2 */
  retries?: number;
  /** first backoff delay, doubled each retry; default 300 ms */
  backoffMs?: number;
  fetch?: typeof fetch;
}

/** A UTXO in the txbuild shape, with confirmations computed from the tip height. */
export interface ChainUtxo extends Unspent {
  confirmations: number;
  confirmed: boolean;
  /** block height, null when in the mempool */
  height: number | null;
}

export interface AddressBalance {
  /** Σ confirmed unspent outputs, satoshi */
  confirmed: number;
  /** Σ unspent outputs of mempool transactions, satoshi */
  unconfirmed: number;
}

export interface TxStatus {
  confirmed: boolean;
  blockHeight: number | null;
  blockHash: string | null;
  /** seconds, as Esplora reports it */
  blockTime: number | null;
}

/** Confirmation target (blocks) → fee rate in sat/vB. */
export type FeeEstimates = Record<string, number>;

/** What the wallet's flows need from a chain; EsploraClient implements it, tests may fake it. */
export interface ChainSource {
  tipHeight(): Promise<number>;
  addressUtxos(address: string): Promise<ChainUtxo[]>;
  addressBalance(address: string): Promise<AddressBalance>;
  txHex(txid: string): Promise<string>;
  txStatus(txid: string): Promise<TxStatus>;
  broadcast(hex: string): Promise<string>;
  feeEstimates(): Promise<FeeEstimates>;
}

const ADDRESS_RE = /^[A-Za-z0-9]{14,90}$/;
const MAX_TEXT = 500;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const inner = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : '';
    return inner && inner !== err.message ? `${err.message} (${inner})` : err.message;
  }
  return String(err);
}

function normalizeBase(baseUrl: unknown): string {
  if (typeof baseUrl !== 'string') throw new ChainClientError('input', 'Esplora base URL must be a string');
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new ChainClientError('input', `Esplora base URL is not a valid URL: ${JSON.stringify(baseUrl.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ChainClientError('input', 'Esplora base URL must be http(s)');
  if (url.search || url.hash) throw new ChainClientError('input', 'Esplora base URL must not carry a query or fragment');
  if (url.username || url.password) throw new ChainClientError('input', 'Esplora base URL must not carry credentials');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function checkAddress(address: unknown): string {
  if (typeof address !== 'string' || !ADDRESS_RE.test(address)) throw new ChainClientError('input', 'Invalid address');
  return address;
}

function checkTxid(txid: unknown): string {
  if (!isHex(txid, 32)) throw new ChainClientError('input', 'txid must be 64 hex characters');
  return txid.toLowerCase();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function satoshi(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 21e14;
}

function height(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

interface Reply {
  status: number;
  text: string;
}

export class EsploraClient implements ChainSource {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffMs: number;
  readonly #fetch: typeof fetch;

  constructor(baseUrl: string, options: EsploraOptions = {}) {
    this.baseUrl = normalizeBase(baseUrl);
    const { timeoutMs = 15_000, retries = 2, backoffMs = 300 } = options;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ChainClientError('input', 'timeoutMs must be a positive number');
    if (!Number.isSafeInteger(retries) || retries < 0 || retries > 10) throw new ChainClientError('input', 'retries must be an integer from 0 to 10');
    if (!Number.isFinite(backoffMs) || backoffMs < 0) throw new ChainClientError('input', 'backoffMs must be a non-negative number');
    this.timeoutMs = timeoutMs;
    this.retries = retries;
    this.backoffMs = backoffMs;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new ChainClientError('input', 'No fetch implementation available');
    this.#fetch = f;
  }

  // ------------------------------------------------------------------ API

  async tipHeight(): Promise<number> {
    const text = (await this.#get('/blocks/tip/height')).trim();
    const h = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
    if (!height(h)) throw this.#protocol('/blocks/tip/height', 'the tip height is not a number', text);
    return h;
  }

  /** Unspent outputs of `address`, mempool included, with confirmations from the current tip. */
  async addressUtxos(address: string): Promise<ChainUtxo[]> {
    const path = `/address/${checkAddress(address)}/utxo`;
    const list = await this.#getJson(path);
    if (!Array.isArray(list)) throw this.#protocol(path, 'expected an array of UTXOs');
    const raw = list.map((u, i) => {
      if (!isObject(u) || !isHex(u.txid, 32) || !Number.isSafeInteger(u.vout) || (u.vout as number) < 0 || !satoshi(u.value)) {
        throw this.#protocol(path, `UTXO #${i} is not {txid, vout, value, status}`);
      }
      const st = isObject(u.status) ? u.status : {};
      const confirmed = st.confirmed === true;
      if (confirmed && !height(st.block_height)) throw this.#protocol(path, `UTXO #${i} is confirmed without a block height`);
      return { txid: (u.txid as string).toLowerCase(), vout: u.vout as number, value: u.value as number, confirmed, height: confirmed ? (st.block_height as number) : null };
    });
    // the tip is read after the UTXOs, so it is at least as high as any block they report
    const tip = raw.some((u) => u.confirmed) ? await this.tipHeight() : 0;
    return raw.map((u) => ({
      txid: u.txid,
      vout: u.vout,
      value: u.value,
      confirmed: u.confirmed,
      status: { confirmed: u.confirmed },
      height: u.height,
      confirmations: u.height === null ? 0 : Math.max(1, tip - u.height + 1),
    }));
  }

  /**
   * Balance as the Insight convention of PROTOCOL §6.7 defines it: confirmed = Σ confirmed unspent outputs,
   * unconfirmed = Σ unspent outputs still in the mempool (outputs a mempool transaction spends are gone).
   */
  async addressBalance(address: string): Promise<AddressBalance> {
    const utxos = await this.addressUtxos(address);
    let confirmed = 0;
    let unconfirmed = 0;
    for (const u of utxos) {
      if (u.confirmed) confirmed += u.value;
      else unconfirmed += u.value;
    }
    return { confirmed, unconfirmed };
  }

  /** Raw transaction hex; checked to hash to the txid asked for, so a server cannot swap transactions. */
  async txHex(txid: string): Promise<string> {
    const id = checkTxid(txid);
    const path = `/tx/${id}/hex`;
    const hex = (await this.#get(path)).trim().toLowerCase();
    if (!isHex(hex) || hex.length === 0) throw this.#protocol(path, 'the reply is not hex', hex);
    if (txidFromHex(hex) !== id) throw this.#protocol(path, 'the transaction returned does not hash to the txid asked for');
    return hex;
  }

  async txStatus(txid: string): Promise<TxStatus> {
    const path = `/tx/${checkTxid(txid)}/status`;
    const st = await this.#getJson(path);
    if (!isObject(st) || typeof st.confirmed !== 'boolean') throw this.#protocol(path, 'expected {confirmed, …}');
    if (!st.confirmed) return { confirmed: false, blockHeight: null, blockHash: null, blockTime: null };
    if (!height(st.block_height)) throw this.#protocol(path, 'confirmed without a block height');
    return {
      confirmed: true,
      blockHeight: st.block_height,
      blockHash: typeof st.block_hash === 'string' ? st.block_hash : null,
      blockTime: typeof st.block_time === 'number' ? st.block_time : null,
    };
  }

  /** Whether the chain knows the transaction (404 → false). */
  async hasTx(txid: string): Promise<boolean> {
    try {
      await this.txStatus(txid);
      return true;
    } catch (err) {
      if (err instanceof ChainClientError && err.status === 404) return false;
      throw err;
    }
  }

  /**
   * POST /tx with the raw hex; returns the txid. A retried broadcast that the chain then refuses (it already has
   * the transaction from the attempt whose reply was lost) counts as accepted when the chain knows the txid.
   */
  async broadcast(hex: string): Promise<string> {
    const raw = typeof hex === 'string' ? hex.trim().toLowerCase() : '';
    if (!isHex(raw) || raw.length === 0) throw new ChainClientError('input', 'Transaction to broadcast must be non-empty hex');
    const expected = txidFromHex(raw);
    let reply: string;
    try {
      reply = (await this.#request('POST', '/tx', raw, 'text/plain')).trim();
    } catch (err) {
      if (err instanceof ChainClientError && err.kind === 'http' && err.attempts > 1 && (await this.hasTx(expected).catch(() => false))) {
        return expected;
      }
      throw err;
    }
    if (reply.toLowerCase() !== expected) {
      throw this.#protocol('/tx', `the chain answered txid ${reply.slice(0, 80)}, but the transaction's txid is ${expected}`);
    }
    return expected;
  }

  /** Confirmation target (blocks) → sat/vB. */
  async feeEstimates(): Promise<FeeEstimates> {
    const est = await this.#getJson('/fee-estimates');
    if (!isObject(est)) throw this.#protocol('/fee-estimates', 'expected an object');
    const out: FeeEstimates = {};
    for (const [k, v] of Object.entries(est)) {
      if (!/^\d+$/.test(k) || typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw this.#protocol('/fee-estimates', `bad entry ${JSON.stringify(k).slice(0, 20)}`);
      }
      out[k] = v;
    }
    return out;
  }

  // ------------------------------------------------------------------ transport

  #protocol(path: string, what: string, text?: string): ChainClientError {
    const server = text === undefined ? null : text.slice(0, MAX_TEXT);
    return new ChainClientError('protocol', `Esplora ${path}: ${what}`, { status: 200, serverText: server });
  }

  async #get(path: string): Promise<string> {
    return this.#request('GET', path);
  }

  async #getJson(path: string): Promise<unknown> {
    const text = await this.#get(path);
    try {
      return JSON.parse(text);
    } catch {
      throw this.#protocol(path, 'the reply is not JSON', text);
    }
  }

  /** One request with retries; resolves to the body text of a 2xx reply. */
  async #request(method: 'GET' | 'POST', path: string, body?: string, contentType?: string): Promise<string> {
    let last: ChainClientError | undefined;
    for (let attempt = 1; attempt <= this.retries + 1; attempt++) {
      if (attempt > 1) await sleep(this.backoffMs * 2 ** (attempt - 2));
      let reply: Reply;
      try {
        reply = await this.#once(method, path, body, contentType);
      } catch (err) {
        last = err instanceof ChainClientError ? new ChainClientError(err.kind, err.message, { attempts: attempt }) : undefined;
        if (!last) throw err;
        continue;
      }
      if (reply.status >= 200 && reply.status < 300) return reply.text;
      const serverText = reply.text.trim().slice(0, MAX_TEXT);
      last = new ChainClientError('http', `Esplora ${method} ${path} failed with status ${reply.status}${serverText ? `: ${serverText}` : ''}`, {
        status: reply.status,
        serverText,
        attempts: attempt,
      });
      if (reply.status < 500) throw last; // the server understood and refused: asking again changes nothing
    }
    const err = last!;
    if (err.attempts > 1) {
      throw new ChainClientError(err.kind, `${err.message} (after ${err.attempts} attempts)`, { status: err.status, serverText: err.serverText, attempts: err.attempts });
    }
    throw err;
  }

  async #once(method: 'GET' | 'POST', path: string, body?: string, contentType?: string): Promise<Reply> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const res = await this.#fetch(this.baseUrl + path, {
        method,
        body,
        headers: contentType ? { 'Content-Type': contentType } : undefined,
        signal: controller.signal,
      });
      return { status: res.status, text: await res.text() };
    } catch (err) {
      if (controller.signal.aborted) throw new ChainClientError('timeout', `Esplora ${method} ${path} timed out after ${this.timeoutMs} ms`);
      throw new ChainClientError('network', `Esplora ${method} ${path} failed: ${describe(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** sat/vB for a confirmation target from Esplora estimates: the estimate for the nearest target at or above it. */
export function feeRateFor(estimates: FeeEstimates, targetBlocks = 6): number {
  const entries = Object.entries(estimates)
    .map(([k, v]) => [Number(k), v] as const)
    .filter(([k, v]) => Number.isFinite(k) && Number.isFinite(v) && v > 0)
    .sort((a, b) => a[0] - b[0]);
  if (entries.length === 0) throw new ChainClientError('protocol', 'The chain gave no fee estimates');
  const hit = entries.find(([k]) => k >= targetBlocks) ?? entries[entries.length - 1]!;
  return hit[1];
}

// The few Esplora calls the wallet needs (PROTOCOL §9 subset, also what blockstream.info serves): UTXOs and
// balance of an address, raw transactions (for verified input values) and broadcasting.
import type { Unspent } from '../wallet/txbuild';

export interface AddressBalance {
  confirmed: number;
  unconfirmed: number;
}

export class EsploraError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EsploraError';
  }
}

export class Esplora {
  readonly baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('The Esplora URL must be http(s)');
    this.baseUrl = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  async #call(path: string, init: RequestInit = {}): Promise<string> {
    let res: Response;
    try {
      res = await this.#fetch(`${this.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (e) {
      throw new EsploraError(`The chain API at ${this.baseUrl} could not be reached (${e instanceof Error ? e.message : 'error'})`);
    }
    const text = await res.text();
    if (!res.ok) throw new EsploraError(`The chain API answered ${res.status}: ${text.slice(0, 200)}`);
    return text;
  }

  async utxos(address: string): Promise<Unspent[]> {
    const list = JSON.parse(await this.#call(`/address/${encodeURIComponent(address)}/utxo`)) as unknown;
    if (!Array.isArray(list)) throw new EsploraError('The chain API sent a UTXO list that is not an array');
    return list.map((u: { txid?: unknown; vout?: unknown; value?: unknown; status?: { confirmed?: unknown } }) => {
      if (typeof u?.txid !== 'string' || typeof u.vout !== 'number' || typeof u.value !== 'number') {
        throw new EsploraError('The chain API sent a malformed UTXO');
      }
      return { txid: u.txid, vout: u.vout, value: u.value, status: { confirmed: u.status?.confirmed === true } };
    });
  }

  async balance(address: string): Promise<AddressBalance> {
    const utxos = await this.utxos(address);
    let confirmed = 0;
    let unconfirmed = 0;
    for (const u of utxos) {
      if (u.status?.confirmed) confirmed += u.value;
      else unconfirmed += u.value;
    }
    return { confirmed, unconfirmed };
  }

  async txHex(txid: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/i.test(txid)) throw new EsploraError('Bad txid');
    return (await this.#call(`/tx/${txid}/hex`)).trim();
  }

  /** Previous transactions by txid (for verified input values); missing ones are left out. */
  async prevTxs(txids: readonly string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const txid of new Set(txids)) {
      try {
        out[txid] = await this.txHex(txid);
      } catch {
        /* the review reports the value as unverified */
      }
    }
    return out;
  }

  async broadcast(hex: string): Promise<string> {
    const txid = (await this.#call('/tx', { method: 'POST', body: hex, headers: { 'content-type': 'text/plain' } })).trim();
    if (!/^[0-9a-f]{64}$/i.test(txid)) throw new EsploraError('The chain API did not answer with a txid');
    return txid;
  }
}

// Shared set-up for the wallet's integration tests: a real local exchange (startLocalnet) on 127.0.0.1 with blocks
// only on demand, a registered user, the chain client on its /esplora, and a fetch that records every request.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalnet, type Localnet } from '../../../main/localnet/index';
import { CoinpitClient } from '../../../main/coinpit/rest';
import { generateWif } from '../../../main/coinpit/identity';
import { walletAccount, type WalletAccount } from '../../../main/wallet/account';
import { EsploraClient } from '../../../main/wallet/esplora';

export interface Recorded {
  method: string;
  path: string;
}

/** A fetch that records method and path of every request before passing it on. */
export function recordingFetch(log: Recorded[]): typeof fetch {
  return ((input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
    log.push({ method: (init?.method ?? 'GET').toUpperCase(), path: url.pathname });
    return fetch(input, init);
  }) as typeof fetch;
}

export interface WalletNet {
  net: Localnet;
  dataDir: string;
  esploraUrl: string;
  chain: EsploraClient;
  /** every request made by clients created with `recordingFetch(requests)` */
  requests: Recorded[];
  faucet(address: string, amount: number): Promise<{ txid: string }>;
  mine(blocks?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWalletNet(): Promise<WalletNet> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wallet-localnet-'));
  const net = await startLocalnet({ dataDir: path.join(dataDir, 'exchange'), port: 0, blockIntervalMs: 0, indexPrice: 1000, seed: 42 });
  const requests: Recorded[] = [];
  const esploraUrl = `${net.url}/esplora`;
  const post = async (what: string, body: unknown): Promise<unknown> => {
    const res = await fetch(`${net.url}/localnet/${what}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`localnet ${what} failed: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  return {
    net,
    dataDir,
    esploraUrl,
    chain: new EsploraClient(esploraUrl, { retries: 1, backoffMs: 10, fetch: recordingFetch(requests) }),
    requests,
    faucet: async (address, amount) => (await post('faucet', { address, amount })) as { txid: string },
    mine: async (blocks = 1) => {
      await post('mine', { blocks });
    },
    close: async () => {
      await net.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface User {
  wif: string;
  client: CoinpitClient;
  account: WalletAccount;
}

/** A new user registered with the exchange (HMAC mode, coin key). */
export async function newUser(w: WalletNet): Promise<User> {
  const wif = generateWif('testnet');
  const client = new CoinpitClient({ baseUrl: w.net.url, wif, fetch: recordingFetch(w.requests) });
  const session = await client.register();
  return { wif, client, account: walletAccount({ ...session, publicKey: session.publicKey! }) };
}

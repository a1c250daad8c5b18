// Shared set-up for the local-exchange integration tests: a real server on 127.0.0.1 in a temp data dir, users
// with the project's own client, and funding through the faucet and a user-signed margin-in transaction.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transaction } from 'bitcoinjs-lib';
import { Feed } from '../../../main/coinpit/feed';
import { generateWif, identity } from '../../../main/coinpit/identity';
import { CoinpitClient } from '../../../main/coinpit/rest';
import type { OrderRequest } from '../../../main/coinpit/types';
import { startLocalnet, type Localnet, type LocalnetOptions } from '../../../main/localnet/index';
import { walletAccount, type WalletAccount } from '../../../main/wallet/account';
import { parseRedeem, signerFromWif, signTransaction } from '../../../main/wallet/multisig';
import { buildMarginIn, buildWithdraw, type Unspent } from '../../../main/wallet/txbuild';

export interface TestNet extends Localnet {
  dataDir: string;
  /** symbols by expiry, nearest first */
  symbols: string[];
}

export async function startTestNet(opts: Partial<LocalnetOptions> = {}): Promise<TestNet> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'localnet-test-'));
  const net = await startLocalnet({ seed: 7, indexPrice: 1000, blockIntervalMs: 0, ...opts, dataDir });
  const inst = net.exchange.engine.instruments();
  const symbols = Object.keys(inst).sort((a, b) => inst[a]!.expiry - inst[b]!.expiry);
  return Object.assign(net, { dataDir, symbols });
}

export async function stopTestNet(net: TestNet | undefined, keepData = false): Promise<void> {
  if (!net) return;
  await net.close();
  if (!keepData) rmSync(net.dataDir, { recursive: true, force: true });
}

export interface TestUser {
  wif: string;
  userid: string;
  client: CoinpitClient;
  account: WalletAccount;
}

export async function newUser(net: { url: string }, wif = generateWif('testnet')): Promise<TestUser> {
  const client = new CoinpitClient({ baseUrl: net.url, wif });
  const session = await client.connect();
  const account = walletAccount(identity(wif, session.serverPublicKey));
  return { wif, userid: session.userid, client, account };
}

export async function post(url: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* plain text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function faucet(net: { url: string }, address: string, amount: number): Promise<string> {
  const r = await post(`${net.url}/localnet/faucet`, { address, amount });
  if (r.status !== 200) throw new Error(`faucet: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.txid as string;
}

export async function mine(net: { url: string }, blocks = 1): Promise<void> {
  const r = await post(`${net.url}/localnet/mine`, { blocks });
  if (r.status !== 200) throw new Error(`mine: ${r.status} ${JSON.stringify(r.body)}`);
}

export async function setIndex(net: { url: string }, price: number, symbol?: string): Promise<void> {
  const r = await post(`${net.url}/localnet/index`, symbol === undefined ? { price } : { price, symbol });
  if (r.status !== 200) throw new Error(`index: ${r.status} ${JSON.stringify(r.body)}`);
}

export async function unspents(net: { url: string }, address: string): Promise<Unspent[]> {
  const res = await fetch(`${net.url}/esplora/address/${address}/utxo`);
  if (res.status !== 200) throw new Error(`utxo: ${res.status}`);
  return (await res.json()) as Unspent[];
}

/** A user-signed margin-in transaction (multisig → margin address), built and signed by the wallet modules. */
export async function marginInTx(net: TestNet, user: TestUser, amount: number | 'max'): Promise<string> {
  const cfg = net.exchange.config();
  const built = buildMarginIn(user.account, await unspents(net, user.account.accountid), { amount, feePerKB: cfg.feePerKB, dust: cfg.bitcoinDust });
  return signTransaction(built.tx, parseRedeem(user.account.redeem), signerFromWif(user.wif)).tx.toHex();
}

/** A user-signed partial withdraw to `destination`. */
export async function withdrawTx(net: TestNet, user: TestUser, destination: string, amount: number): Promise<string> {
  const cfg = net.exchange.config();
  const built = buildWithdraw(user.account, await unspents(net, user.account.accountid), destination, { amount, feePerKB: cfg.feePerKB, dust: cfg.bitcoinDust });
  return signTransaction(built.tx, parseRedeem(user.account.redeem), signerFromWif(user.wif)).tx.toHex();
}

/** Faucet → multisig, mine, margin in (`margin` sat), mine. */
export async function fund(net: TestNet, user: TestUser, margin = 200_000_000, deposit = 500_000_000): Promise<void> {
  await faucet(net, user.account.accountid, deposit);
  const hex = await marginInTx(net, user, margin);
  await user.client.marginIn([hex]);
  await mine(net);
}

export function txOf(hex: string): Transaction {
  return Transaction.fromHex(hex);
}

/** Two new users, each with margin: what most exchange tests start from. */
export async function fundedPair(net: TestNet): Promise<[TestUser, TestUser]> {
  const [a, b] = await Promise.all([newUser(net), newUser(net)]);
  await fund(net, a);
  await fund(net, b);
  return [a, b];
}

export function order(user: TestUser, symbol: string, o: Partial<OrderRequest> = {}): OrderRequest {
  return {
    clientid: randomUUID(),
    userid: user.userid,
    instrument: symbol,
    side: 'buy',
    quantity: 1,
    orderType: 'LMT',
    price: 999,
    stopPrice: 5,
    targetPrice: 'NONE',
    ...o,
  } as OrderRequest;
}

export async function startFeed(user: TestUser): Promise<Feed> {
  const feed = new Feed({ client: user.client, requestTimeoutMs: 5000 });
  await feed.start();
  return feed;
}

/** Resolves with the first payload of `event` that satisfies `pred` (rejects after `ms`). */
export function nextEvent<T = any>(feed: Feed, event: string, pred: (p: T) => boolean = () => true, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} event within ${ms} ms`));
    }, ms);
    const off = feed.on(event as never, ((p: T) => {
      if (!pred(p)) return;
      clearTimeout(timer);
      off();
      resolve(p);
    }) as never);
  });
}

export interface RawReply {
  status: number;
  body: any;
  headers: Headers;
}

export interface SignedOptions {
  nonce?: unknown;
  /** replaces the computed Authorization header */
  authorization?: string;
  headers?: Record<string, string>;
  /** raw body text to send instead of JSON.stringify(body) */
  rawBody?: string;
}

/** A REST request signed with the user's HMAC key exactly as the reference clients do (§2.3–2.4). */
export async function signedRequest(net: { url: string }, user: TestUser, method: string, uri: string, body?: unknown, opts: SignedOptions = {}): Promise<RawReply> {
  const { canonicalMessage, hmacAuthorizationForMessage } = await import('../../../main/coinpit/auth');
  const { sharedSecret } = await import('../../../main/coinpit/ecdh');
  const text = opts.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  const nonce = opts.nonce ?? Date.now();
  const authorization =
    opts.authorization ??
    hmacAuthorizationForMessage(
      user.userid,
      sharedSecret(user.wif, user.account.serverPublicKey),
      canonicalMessage(method, uri, text === undefined ? undefined : JSON.parse(text), nonce as number),
    );
  return rawRequest(`${net.url}/api/v1${uri}`, method, text, { 'Content-Type': 'application/json', Nonce: String(nonce), Authorization: authorization, ...opts.headers });
}

export async function rawRequest(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<RawReply> {
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    /* plain text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

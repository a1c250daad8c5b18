// Reads everything a user can see about their account over the real API, every page of every paginated list
// (PROTOCOL §8.3: `?after=<uuid>`, newest first, 100 a page), for exact comparisons across restarts.
import { CoinpitClient } from '../../../main/coinpit/rest';
import type { Account, Execution, Order } from '../../../main/coinpit/types';
import { signedRequest, type TestUser } from './localnet';

const PAGE = 100;
/** more pages than any test here produces: a cursor that never ends the list is a failure, not a hang */
const MAX_PAGES = 200;

/** Every page of a newest-first list, following `after` = the uuid of the last item of the previous page. */
export async function allPages<T extends { uuid: string }>(page: (after?: string) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const items = await page(after);
    out.push(...items);
    if (items.length < PAGE) return out;
    after = items[items.length - 1]!.uuid;
  }
  throw new Error(`more than ${MAX_PAGES} pages: the cursor does not advance`);
}

/** A user of a (possibly restarted) server: the port changes across restarts, the key does not. */
export function userAt(url: string, user: TestUser): TestUser {
  return { ...user, client: new CoinpitClient({ baseUrl: url, wif: user.wif }) };
}

/** All executions, newest first (GET /account/execution?after=, which the client has no cursor for). */
export async function allExecutions(url: string, user: TestUser): Promise<Execution[]> {
  return allPages(async (after) => {
    const uri = `/account/execution${after === undefined ? '' : `?after=${encodeURIComponent(after)}`}`;
    // the client's clock: strictly increasing nonces, so no two requests share an Authorization (§8.6 replay check)
    const r = await signedRequest({ url }, user, 'GET', uri, undefined, { nonce: user.client.clock.nonce() });
    if (r.status !== 200) throw new Error(`GET ${uri}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as Execution[];
  });
}

export interface UserOrders {
  open: Order[];
  closed: Order[];
  cancelled: Order[];
}

export async function allOrders(user: TestUser, symbol: string): Promise<UserOrders> {
  const c = user.client;
  return {
    open: await c.openOrders(symbol),
    closed: await allPages((after) => c.closedOrders(symbol, after)),
    cancelled: await allPages((after) => c.cancelledOrders(symbol, after)),
  };
}

export interface Utxo {
  txid: string;
  vout: number;
  value: number;
  status: unknown;
}

export async function esploraUtxos(url: string, address: string): Promise<Utxo[]> {
  const res = await fetch(`${url}/esplora/address/${address}/utxo`);
  if (res.status !== 200) throw new Error(`utxo ${address}: ${res.status}`);
  const list = (await res.json()) as Utxo[];
  return list.sort((a, b) => (a.txid === b.txid ? a.vout - b.vout : a.txid < b.txid ? -1 : 1));
}

export async function esploraTip(url: string): Promise<{ height: string; hash: string }> {
  const height = await (await fetch(`${url}/esplora/blocks/tip/height`)).text();
  const hash = await (await fetch(`${url}/esplora/blocks/tip/hash`)).text();
  return { height, hash };
}

export const sumValues = (utxos: Utxo[]): number => utxos.reduce((s, u) => s + u.value, 0);

/** The on-chain side of a user's account: margin address and multisig UTXOs. */
export async function chainOf(url: string, user: TestUser): Promise<{ margin: Utxo[]; multisig: Utxo[] }> {
  return { margin: await esploraUtxos(url, user.account.serverAddress), multisig: await esploraUtxos(url, user.account.accountid) };
}

/** Everything observable over the API for these users, for byte-identical comparison of two server runs. */
export async function observeApi(url: string, users: TestUser[], symbol: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { tip: await esploraTip(url) };
  for (const u0 of users) {
    const u = userAt(url, u0);
    const c = u.client;
    const account: Account = await c.account();
    out[u.userid] = {
      account,
      positions: await c.positions(),
      pnl: await c.pnl(),
      orders: await allOrders(u, symbol),
      executions: await allExecutions(url, u),
      margin: await c.marginInfo(),
      withdrawTx: await c.withdrawTx(),
      recoveryTx: await c.recoveryTx(),
      chain: await chainOf(url, u),
      book: await c.orderbook(symbol),
    };
  }
  return out;
}

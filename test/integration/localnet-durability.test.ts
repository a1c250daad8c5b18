// Durability and limits of the local exchange: restart on the same data dir (clean and after SIGKILL) restores
// orders, positions and balances exactly; the data dir lock; readonly (manual and after a broken invariant);
// 429 rate limit, 413 body cap, 400 malformed JSON, local-mode endpoints refused outside local mode.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CoinpitError } from '../../main/coinpit/errors';
import { CoinpitClient } from '../../main/coinpit/rest';
import type { Account, Execution, Order } from '../../main/coinpit/types';
import { startLocalnet } from '../../main/localnet/index';
import { allExecutions, allOrders, chainOf, esploraTip, observeApi, sumValues, userAt, type Utxo } from './helpers/account-observer';
import { bounded, pollUntil, startChildExchange, type ChildExchange } from './helpers/child-exchange';
import { accountState, expectedFee, prefixStates } from './helpers/execution-ledger';
import { faucet, fund, marginInTx, mine, newUser, order, post, rawRequest, setIndex, signedRequest, startTestNet, type TestNet, type TestUser } from './helpers/localnet';

const nets: TestNet[] = [];
const dirs: string[] = [];
const children: ChildExchange[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.killHard().catch(() => undefined);
  for (const n of nets.splice(0)) await n.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(opts: Parameters<typeof startTestNet>[0] = {}): Promise<TestNet> {
  const net = await startTestNet(opts);
  nets.push(net);
  if (!dirs.includes(net.dataDir)) dirs.push(net.dataDir);
  return net;
}

/** A graceful stop (flush, final snapshot, lock released) of a server opened here. */
async function closeNet(net: TestNet): Promise<void> {
  await net.close();
  nets.splice(nets.indexOf(net), 1);
}

/** Everything a user can observe about their account (every page of every list), for exact comparison across restarts. */
async function observe(net: TestNet, users: TestUser[], sym: string) {
  const out: Record<string, unknown> = {};
  for (const u0 of users) {
    const u = userAt(net.url, u0); // the port changes across restarts
    const client = u.client;
    out[u.userid] = {
      account: await client.account(),
      orders: await allOrders(u, sym),
      executions: await allExecutions(net.url, u),
      margin: await client.marginInfo(),
      recovery: await client.recoveryTx(),
    };
  }
  out.chain = { tip: net.exchange.chain.tipHash(), mempool: net.exchange.chain.mempoolTxids() };
  out.book = net.exchange.engine.orderbooks();
  out.trades = net.exchange.engine.trades(sym);
  return out;
}

async function trade(net: TestNet): Promise<{ users: TestUser[]; sym: string }> {
  const sym = net.symbols[0]!;
  const [a, b] = [await newUser(net), await newUser(net)];
  await fund(net, a);
  await fund(net, b);
  await b.client.createOrders(sym, [order(b, sym, { side: 'sell', price: 1000, quantity: 3, targetPrice: 8 })]);
  await a.client.createOrders(sym, [order(a, sym, { price: 1000.5, quantity: 2 }), order(a, sym, { price: 995 })]);
  const [c] = await b.client.createOrders(sym, [order(b, sym, { price: 990 })]);
  await b.client.cancelOrder(sym, c!.uuid);
  await setIndex(net, 1001);
  // an unconfirmed margin-out stays in the mempool across the restart
  await a.client.marginOut(10_000_000);
  return { users: [a, b], sym };
}

describe('restart', () => {
  it('a clean restart on the same data dir restores everything exactly', async () => {
    const net = await open({ snapshotEvery: 7 });
    const { users, sym } = await trade(net);
    const before = await observe(net, users, sym);
    await net.close();
    nets.splice(nets.indexOf(net), 1);
    const again = await open({ dataDir: net.dataDir });
    expect(await observe(again, users, sym)).toEqual(before);
    expect(again.exchange.engine.checkInvariants()).toEqual([]);
    // and it keeps working: new commands after the restart
    const [a, b] = users.map((u) => new CoinpitClient({ baseUrl: again.url, wif: u.wif }));
    await b!.createOrders(sym, [order(users[1]!, sym, { side: 'sell', price: 995 })]);
    expect((await a!.account()).positions[sym]!.quantity).toBe(3);
  });

  it('replaying the journal without a final snapshot (a copy taken while running) gives the same state', async () => {
    const net = await open({ snapshotEvery: 5 });
    const { users, sym } = await trade(net);
    await net.exchange.settled();
    const copy = mkdtempSync(join(tmpdir(), 'localnet-copy-'));
    dirs.push(copy);
    cpSync(net.dataDir, copy, { recursive: true, filter: (src) => !src.endsWith('LOCK') });
    const before = await observe(net, users, sym);
    await net.close();
    nets.splice(nets.indexOf(net), 1);
    const again = await open({ dataDir: copy });
    expect(await observe(again, users, sym)).toEqual(before);
  });

  it('a second instance on a held data dir is refused', async () => {
    const net = await open();
    await expect(startLocalnet({ dataDir: net.dataDir, port: 0 })).rejects.toMatchObject({ name: 'JournalLockedError' });
  });
});

describe('crash (SIGKILL)', () => {
  // How many acknowledged creates the stream runs to before the kill (a count, not a time, so a faster machine
  // gives the same test), and the bound on the wait for them.
  const TARGET_ACKS = 300;
  const STREAM_MS = 25_000;

  it('SIGKILL in the middle of a stream of orders: every acknowledged order, fill, position and balance comes back exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'localnet-kill-'));
    dirs.push(dir);
    const child = await startChildExchange(dir);
    children.push(child);
    const url = child.url;
    const [a, b] = [await newUser({ url }), await newUser({ url })];
    const users = [a, b];
    const { config, instruments } = await a.client.config();
    // the weekly that expires last: nothing expires (and settles) while the test runs
    const sym = Object.values(instruments).sort((x, y) => x.expiry - y.expiry).at(-1)!.symbol;
    const shim = { url, exchange: { config: () => config } } as unknown as TestNet;
    for (const u of users) await faucet({ url }, u.account.accountid, 300_000_000);
    for (const u of users) await u.client.marginIn([await marginInTx(shim, u, 200_000_000)]);
    await mine({ url });
    // the chain as it stands before the stream (the stream moves no coins): read from the Esplora subset
    const tipBefore = await esploraTip(url);
    const chainBefore = new Map<string, { margin: Utxo[]; multisig: Utxo[] }>();
    for (const u of users) chainBefore.set(u.userid, await chainOf(url, u));
    for (const u of users) expect(sumValues(chainBefore.get(u.userid)!.margin)).toBe(200_000_000);

    // ---- the stream: per user two writers (creates and cancels) and one reader, until the kill
    let issued = 0; // writes issued so far; a write's index is the count after it was issued
    let lastAckedWrite = 0; // highest index of an acknowledged write
    let killing = false;
    const unexpected: string[] = [];
    const ackedCreates: Order[] = [];
    const ackedCancels: { userid: string; uuid: string }[] = [];
    type Read = { userid: string; doneAt: number } & ({ account: Account } | { executions: Execution[] });
    const reads: Read[] = [];
    const failed = (err: unknown): void => {
      // after the kill, a request that was in flight fails on the connection: it was not acknowledged
      if (killing && err instanceof CoinpitError && err.code === 'network') return;
      unexpected.push(err instanceof Error ? err.message : String(err));
    };
    const writer = async (u: TestUser, k: number, restingBids: string[]): Promise<void> => {
      for (let i = 0; !killing; i++) {
        // sells at 1000 rest or meet buys at 1000; buys at 1000 cross the asks (partly, and sometimes the user's
        // own ask first: self-trade cancels); bids at 999.5 never trade and are cancelled later
        const step = (i + 3 * k) % 6;
        const cancel = step === 5 && restingBids.length > 0 ? restingBids.shift()! : undefined;
        const spec = step === 0 || step === 3 ? { side: 'sell' as const, price: 1000, quantity: 2 } : step === 1 ? { side: 'buy' as const, price: 1000, quantity: 3 } : { side: 'buy' as const, price: 999.5, quantity: 1 };
        const index = ++issued;
        try {
          if (cancel !== undefined) {
            expect(await u.client.cancelOrder(sym, cancel)).toEqual([cancel]);
            ackedCancels.push({ userid: u.userid, uuid: cancel });
          } else {
            const [o] = await u.client.createOrders(sym, [order(u, sym, spec)]);
            ackedCreates.push(o!);
            if (o!.price === 999.5 && o!.status === 'open') restingBids.push(o!.uuid);
          }
          lastAckedWrite = Math.max(lastAckedWrite, index);
        } catch (err) {
          return failed(err);
        }
      }
    };
    const reader = async (u: TestUser): Promise<void> => {
      for (let i = 0; !killing; i++) {
        try {
          if (i % 2 === 0) {
            const account = await u.client.account();
            reads.push({ userid: u.userid, doneAt: issued, account });
          } else {
            const executions = await u.client.executions();
            reads.push({ userid: u.userid, doneAt: issued, executions });
          }
        } catch (err) {
          return failed(err);
        }
      }
    };
    const loops = users.flatMap((u) => {
      const restingBids: string[] = [];
      return [writer(u, 0, restingBids), writer(u, 1, restingBids), reader(u)];
    });
    await pollUntil(() => ackedCreates.length >= TARGET_ACKS || unexpected.length > 0, STREAM_MS);
    // every live writer is waiting for a reply here (they only yield while a request is out): "in the middle"
    const inFlightAtKill = issued - ackedCreates.length - ackedCancels.length;
    killing = true;
    await child.killHard();
    await bounded(Promise.all(loops), 15_000, 'the streams did not end after the kill');
    expect(unexpected, child.stderr()).toEqual([]);
    expect(inFlightAtKill, 'writes in flight when the kill came').toBeGreaterThan(0);
    expect(ackedCreates.length, 'acknowledged creates before the kill').toBeGreaterThanOrEqual(30);
    expect(ackedCreates.some((o) => o.filled > 0), 'the stream crossed: some acknowledgements carried fills').toBe(true);
    expect(ackedCancels.length).toBeGreaterThan(0);

    // a copy of the data dir as the crash left it, for an independent second replay below
    const copy = mkdtempSync(join(tmpdir(), 'localnet-kill-copy-'));
    dirs.push(copy);
    cpSync(dir, copy, { recursive: true, filter: (src) => !src.endsWith('LOCK') });

    // ---- restart on the same data dir
    const again = await open({ dataDir: dir, seed: 11 });
    expect(again.exchange.readonly).toBe(false);
    expect(again.exchange.engine.checkInvariants()).toEqual([]);
    expect(await esploraTip(again.url)).toEqual(tipBefore);
    const inst = instruments[sym]!;
    const orderOf = new Map<string, Map<string, Order>>();
    const executionsOf = new Map<string, Execution[]>();
    const statesOf = new Map<string, Set<string>>();
    const positionSum: Record<string, number> = {};
    for (const u0 of users) {
      const u = userAt(again.url, u0);
      const account = await u.client.account();
      const lists = await allOrders(u, sym);
      const execs = await allExecutions(again.url, u); // newest first
      executionsOf.set(u.userid, execs);

      // (b) the restarted state is self-consistent: lists agree with statuses, fills with executions
      const byUuid = new Map<string, Order>();
      for (const [list, status] of [[lists.open, 'open'], [lists.closed, 'filled'], [lists.cancelled, 'cancel']] as const) {
        for (const o of list) {
          expect(byUuid.has(o.uuid), `${o.uuid} listed twice`).toBe(false);
          byUuid.set(o.uuid, o);
          expect(o.status, o.uuid).toBe(status);
          expect(o.userid).toBe(u.userid);
          const rest = o.quantity - o.filled - o.cancelled;
          if (status === 'open') expect(rest, o.uuid).toBeGreaterThan(0);
          else expect(rest, o.uuid).toBe(0);
          if (status === 'filled') expect(o.cancelled, o.uuid).toBe(0);
          if (status === 'cancel') expect(o.cancelled, o.uuid).toBeGreaterThan(0);
        }
      }
      orderOf.set(u.userid, byUuid);
      expect(account.orders[sym] ?? {}).toEqual(Object.fromEntries(lists.open.map((o) => [o.uuid, o])));
      const fills = new Map<string, number>();
      expect(new Set(execs.map((e) => e.uuid)).size).toBe(execs.length);
      for (const e of execs) {
        expect(byUuid.has(e.orderid), `execution ${e.uuid} of an unknown order ${e.orderid}`).toBe(true);
        expect(e.instrument).toBe(sym);
        expect(e.side).toBe(byUuid.get(e.orderid)!.side);
        expect(e.commission, `fee of execution ${e.uuid}`).toBe(expectedFee(e, inst));
        fills.set(e.orderid, (fills.get(e.orderid) ?? 0) + e.quantity);
      }
      for (const o of byUuid.values()) expect(o.filled, `filled of ${o.uuid} = Σ its executions`).toBe(fills.get(o.uuid) ?? 0);
      // positions, realized P&L and commission are exactly what the executions imply
      const states = prefixStates([...execs].reverse(), instruments);
      expect(accountState(account)).toEqual(states.at(-1));
      statesOf.set(u.userid, new Set(states.map((s) => JSON.stringify(s))));
      expect(await u.client.positions()).toEqual(account.positions);
      expect(await u.client.pnl()).toEqual(account.pnl);
      // every position is covered by its stops (sell STPs cover a long, buy STPs a short)
      const stops = lists.open.filter((o) => o.orderType === 'STP').reduce((s, o) => s + (o.side === 'sell' ? 1 : -1) * (o.quantity - o.filled - o.cancelled), 0);
      expect(stops).toBe(account.positions[sym]?.quantity ?? 0);
      positionSum[sym] = (positionSum[sym] ?? 0) + (account.positions[sym]?.quantity ?? 0);

      // balances are the chain's, unchanged by the crash
      const chain = chainBefore.get(u.userid)!;
      expect(await chainOf(again.url, u)).toEqual(chain);
      expect(account.accountMargin).toBe(sumValues(chain.margin));
      expect(account.multisig).toBe(sumValues(chain.multisig));
      expect(await u.client.marginInfo()).toMatchObject({ address: u.account.serverAddress, confirmed: sumValues(chain.margin), unconfirmed: 0, balance: sumValues(chain.margin) });
    }
    // the two users only traded with each other: positions net to zero, executions pair up
    expect(positionSum[sym]).toBe(0);
    const flip = { buy: 'sell', sell: 'buy', maker: 'taker', taker: 'maker' } as Record<string, string>;
    const legs = (list: Execution[], mirror: boolean) =>
      list.map((e) => [e.time, e.price, e.quantity, mirror ? flip[e.side] : e.side, mirror ? flip[e.liquidity] : e.liquidity].join('|')).sort();
    expect(legs(executionsOf.get(a.userid)!, false)).toEqual(legs(executionsOf.get(b.userid)!, true));

    // (a) every acknowledged order is there: same order, at least the fills it was acknowledged with; one that
    // was already finished when acknowledged is exactly as acknowledged
    // what never changes once an order exists: every request field of an entry order; of an exit (STP/TGT),
    // which grows with further fills of its entry at the same price, its identity and trigger
    const ENTRY_FIXED = ['uuid', 'clientid', 'userid', 'instrument', 'side', 'quantity', 'price', 'normalizedPrice', 'orderType', 'stopPrice', 'targetPrice', 'crossMargin', 'cushion', 'commission', 'reward', 'entryTime', 'marginPerQty'] as const;
    const EXIT_FIXED = ['uuid', 'userid', 'instrument', 'side', 'orderType', 'entryTime', 'entryPrice', 'maxStop'] as const;
    const fixed = (o: Order) => Object.fromEntries((o.orderType === 'STP' || o.orderType === 'TGT' ? EXIT_FIXED : ENTRY_FIXED).map((f) => [f, o[f]]));
    /** `now` is the same order as `then`, at most further along (more filled, cancelled or, for exits, extended) */
    const atLeast = (now: Order, then: Order): boolean =>
      JSON.stringify(fixed(now)) === JSON.stringify(fixed(then)) && now.filled >= then.filled && now.cancelled >= then.cancelled && now.quantity >= then.quantity;
    for (const o of ackedCreates) {
      const now = orderOf.get(o.userid)!.get(o.uuid);
      expect(now, `acknowledged order ${o.uuid}`).toBeDefined();
      expect(fixed(now!), o.uuid).toEqual(fixed(o));
      if (o.status === 'open') {
        expect(now!.filled, o.uuid).toBeGreaterThanOrEqual(o.filled);
        expect(now!.cancelled, o.uuid).toBeGreaterThanOrEqual(o.cancelled);
      } else {
        expect(now, o.uuid).toEqual(o);
      }
    }
    for (const { userid, uuid } of ackedCancels) {
      expect(orderOf.get(userid)!.get(uuid), `acknowledged cancel of ${uuid}`).toMatchObject({ status: 'cancel', filled: 0, cancelled: 1 });
    }

    // (c) every acknowledged read shows a state the restarted server went through: its positions and P&L are
    // those after some prefix of the executions, its executions are a contiguous run of them, its open orders
    // are all there with at least their fills, its balances are the chain's
    const readProblems = (r: Read): string[] => {
      const out: string[] = [];
      const orders = orderOf.get(r.userid)!;
      const execs = executionsOf.get(r.userid)!;
      if ('account' in r) {
        const chain = chainBefore.get(r.userid)!;
        if (r.account.accountMargin !== sumValues(chain.margin)) out.push(`accountMargin ${r.account.accountMargin}`);
        if (r.account.multisig !== sumValues(chain.multisig)) out.push(`multisig ${r.account.multisig}`);
        if (!statesOf.get(r.userid)!.has(JSON.stringify(accountState(r.account)))) out.push(`positions/P&L ${JSON.stringify(accountState(r.account))} are not those after any prefix of the executions`);
        for (const o of Object.values(r.account.orders[sym] ?? {})) {
          const now = orders.get(o.uuid);
          if (!now) out.push(`open order ${o.uuid} (${o.orderType}) is gone`);
          else if (!atLeast(now, o)) out.push(`order ${o.uuid} went back: ${JSON.stringify(o)} now ${JSON.stringify(now)}`);
        }
      } else if (r.executions.length > 0) {
        const at = execs.findIndex((e) => e.uuid === r.executions[0]!.uuid);
        if (at < 0) out.push(`execution ${r.executions[0]!.uuid} is gone`);
        else if (JSON.stringify(execs.slice(at, at + r.executions.length)) !== JSON.stringify(r.executions)) out.push(`executions after ${r.executions[0]!.uuid} differ`);
      }
      return out;
    };
    // Every acknowledged read must hold. The label tells two failures apart: a read "confirmed" by a write issued
    // after its reply and acknowledged (acknowledgements follow journal order) only fails if acknowledged
    // commands were lost; an unconfirmed one (the last reads) also fails if a read showed state not yet durable.
    const confirmed = reads.filter((r) => r.doneAt < lastAckedWrite);
    expect(confirmed.length).toBeGreaterThan(0);
    for (const r of reads) expect(readProblems(r), `read by ${r.userid} (${'account' in r ? 'account' : 'executions'}, ${r.doneAt < lastAckedWrite ? 'confirmed' : 'not confirmed'} by a later write)`).toEqual([]);

    // ---- replay determinism: an independent replay of the crashed journal, and a graceful restart, give
    // byte-identical API state and exchange state
    const first = JSON.stringify(await observeApi(again.url, users, sym));
    const firstState = JSON.stringify(again.exchange.capture());
    const replayed = await open({ dataDir: copy, seed: 11 });
    expect(JSON.stringify(await observeApi(replayed.url, users, sym))).toBe(first);
    expect(JSON.stringify(replayed.exchange.capture())).toBe(firstState);
    await closeNet(replayed);
    await closeNet(again);
    const third = await open({ dataDir: dir, seed: 11 });
    expect(JSON.stringify(await observeApi(third.url, users, sym))).toBe(first);
    expect(JSON.stringify(third.exchange.capture())).toBe(firstState);
    expect(third.exchange.engine.checkInvariants()).toEqual([]);
  }, 120_000); // a child process, funding, a stream, three start-ups: generous on a loaded 2-core machine (not a timing check)
});

describe('readonly', () => {
  it('writes get 503 while reads work; the mode survives a restart', async () => {
    const net = await open();
    const u = await newUser(net);
    await fund(net, u);
    const sym = net.symbols[0]!;
    expect((await post(`${net.url}/api/v1/localnet/readonly`, { readonly: true, reason: 'maintenance' })).body).toEqual({ readonly: true });
    const w = await signedRequest(net, u, 'POST', `/contract/${sym}/order/open`, [order(u, sym)]);
    expect(w.status).toBe(503);
    expect(w.body.error).toBe('Exchange is in read-only mode');
    expect((await post(`${net.url}/localnet/faucet`, { address: u.account.accountid, amount: 1000 })).status).toBe(503);
    expect((await signedRequest(net, u, 'GET', '/account')).status).toBe(200);
    await net.close();
    nets.splice(nets.indexOf(net), 1);
    const again = await open({ dataDir: net.dataDir });
    expect(again.exchange.readonly).toBe(true);
    await post(`${again.url}/localnet/readonly`, { readonly: false });
    const u2 = { ...u, client: new CoinpitClient({ baseUrl: again.url, wif: u.wif }) };
    expect((await u2.client.createOrders(sym, [order(u, sym)]))[0]!.status).toBe('open');
  });

  it('a broken invariant after a command switches to readonly and says why', async () => {
    const lines: string[] = [];
    const net = await open({ log: (l) => lines.push(l) });
    const u = await newUser(net);
    await fund(net, u);
    const sym = net.symbols[0]!;
    const engine = net.exchange.engine;
    engine.checkInvariants = () => ['forced failure for the test'];
    const [o] = await u.client.createOrders(sym, [order(u, sym)]);
    expect(o!.status).toBe('open'); // the command itself was applied and journaled
    expect(net.exchange.readonly).toBe(true);
    expect(net.exchange.readonlyReason).toMatch(/forced failure/);
    expect(lines.join('\n')).toMatch(/invariants broken after place: forced failure/);
    expect((await signedRequest(net, u, 'POST', `/contract/${sym}/order/open`, [order(u, sym)])).status).toBe(503);
  });
});

describe('limits and malformed input', () => {
  it('429 beyond the per-user rate limit', async () => {
    const net = await open({ rateLimit: { perSecond: 1, burst: 3 } });
    const u = await newUser(net);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await signedRequest(net, u, 'GET', '/account')).status);
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses).toContain(429);
    const r = await signedRequest(net, u, 'GET', '/account');
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ error: 'Too many requests' });
  });

  it('413 for a 2 MB body, 400 for malformed JSON, both with {error} and Server-Time; the server stays up', async () => {
    const net = await open();
    const u = await newUser(net);
    const big = await rawRequest(`${net.url}/api/v1/order`, 'POST', JSON.stringify({ x: 'a'.repeat(2 * 1024 * 1024) }), { 'Content-Type': 'application/json' });
    expect(big.status).toBe(413);
    expect(typeof big.body.error).toBe('string');
    expect(big.headers.get('server-time')).toMatch(/^\d+$/);
    const bad = await signedRequest(net, u, 'POST', '/order', undefined, { rawBody: '{"not json', authorization: `HMAC ${u.userid}:${'0'.repeat(64)}` });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'Malformed JSON body' });
    expect((await rawRequest(`${net.url}/api/v1/%E0%A4%A`, 'GET')).status).toBe(400);
    expect((await signedRequest(net, u, 'GET', '/account')).status).toBe(200);
  });

  it('local-mode endpoints are refused (403) when the server is not in local mode', async () => {
    const net = await open({ local: false });
    for (const p of ['/localnet/faucet', '/localnet/mine', '/localnet/index', '/localnet/clock', '/api/v1/localnet/readonly']) {
      const r = await post(`${net.url}${p}`, {});
      expect(r.status, p).toBe(403);
      expect(r.body.error).toMatch(/local mode/);
    }
  });
});

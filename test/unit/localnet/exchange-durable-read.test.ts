// Public market data and order reads never show state that is not durable yet (exchange.ts: "Nothing is …
// published before it is durable"): a read issued while a write's journal entry is still being fsynced is
// answered only after that fsync, with the state as of the read; with nothing pending it answers at once
// (synchronously). The journal's fsync is gated here, so the ordering is checked without any timing.
import { mkdtempSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateWif, identity } from '../../../main/coinpit/identity';
import { req } from './engine-helpers';
import { Exchange } from '../../../main/localnet/exchange';
import type { Reply, Route, RouteContext } from '../../../main/localnet/server/router';
import { marketRoutes } from '../../../main/localnet/server/routes/market';
import { orderRoutes } from '../../../main/localnet/server/routes/orders';

const open: Exchange[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const ex of open.splice(0)) await ex.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Holds every journal fdatasync until release(); counts the held ones. */
function gateSyncs(ex: Exchange): { held: () => number; release: () => void } {
  const internals = (ex as unknown as { journal: { fd: FileHandle } }).journal;
  const real = internals.fd;
  const waiting: (() => void)[] = [];
  let holding = true;
  internals.fd = Object.assign(Object.create(real) as FileHandle, {
    datasync: async () => {
      if (holding) await new Promise<void>((r) => waiting.push(r));
      return real.datasync();
    },
  });
  return {
    held: () => waiting.length,
    release: () => {
      holding = false;
      for (const r of waiting.splice(0)) r();
    },
  };
}

/** Waits for a condition that real file I/O makes true (bounded; not a timing assertion). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}
const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

async function setUp(): Promise<{ ex: Exchange; routes: Route[]; sym: string; a: string; b: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'durable-read-'));
  dirs.push(dataDir);
  const ex = await Exchange.open({ dataDir, seed: 5, indexPrice: 1000 });
  open.push(ex);
  const inst = ex.engine.instruments();
  const sym = Object.keys(inst).sort((x, y) => inst[x]!.expiry - inst[y]!.expiry)[0]!;
  const users: string[] = [];
  for (let i = 0; i < 2; i++) {
    const rec = await ex.seeUser(identity(generateWif('testnet')).publicKey);
    await ex.faucet(rec.serverAddress, 500_000_000);
    users.push(rec.userid);
  }
  const deps = { exchange: ex, baseUrl: () => 'http://127.0.0.1:1' };
  return { ex, routes: [...marketRoutes(deps), ...orderRoutes(deps)], sym, a: users[0]!, b: users[1]! };
}

function call(ex: Exchange, routes: Route[], pattern: string, params: Record<string, string>, userid?: string): Reply | Promise<Reply> {
  const route = routes.find((r) => r.method === 'GET' && r.patterns.includes(pattern));
  if (!route) throw new Error(`no route ${pattern}`);
  const ctx: RouteContext = {
    method: 'GET',
    uri: pattern,
    params,
    query: new URLSearchParams(),
    body: undefined,
    now: ex.now(),
    transport: 'rest',
    ...(userid ? { caller: { userid, scheme: 'HMAC' as const } } : {}),
  };
  return route.handler(ctx);
}

const READS = ['/all/config', '/all/info', '/all/band', '/all/spec', '/contract/:symbol/orderbook', '/contract/:symbol/trade', '/contract/:symbol/chart/5'];

describe('durable reads', () => {
  it('a market read issued right after a write is answered only once that write is fsynced, showing it', async () => {
    const { ex, routes, sym, a, b } = await setUp();
    await ex.placeOrders(a, [req(a, sym, { price: 1000 })], { symbol: sym }); // resting bid, durable
    const io = gateSyncs(ex);
    const entriesBefore = ex.journalStats.entries;

    // b's sell crosses a's bid: a trade, a candle, an emptied book; its journal entry is now being fsynced
    let written = false;
    const write = ex.placeOrders(b, [req(b, sym, { side: 'sell', price: 1000 })], { symbol: sym }).then(() => (written = true));
    let released = false;
    const answers = new Map<string, { body: unknown; afterRelease: boolean }>();
    const pending = READS.map(async (pattern) => {
      const reply = await call(ex, routes, pattern, { symbol: sym });
      answers.set(pattern, { body: reply.body, afterRelease: released });
    });
    const own = Promise.resolve(call(ex, routes, '/contract/:symbol/order/open', { symbol: sym }, b)).then((reply) => {
      answers.set('own open orders', { body: reply.body, afterRelease: released });
    });

    try {
      await until(() => io.held() >= 1); // the write reached its fsync, which is held
      await turns(20);
      expect([...answers.keys()]).toEqual([]); // no read answered while the entry is not durable
      expect(written).toBe(false);
      expect(ex.journalStats.entries).toBe(entriesBefore);
    } finally {
      released = true;
      io.release();
    }
    await Promise.all([write, ...pending, own]);
    expect(ex.journalStats.entries).toBe(entriesBefore + 1);
    for (const [what, a] of answers) expect(a.afterRelease, what).toBe(true);
    // the answers show the state as of the read: the trade happened, the book is empty
    const trades = answers.get('/contract/:symbol/trade')!.body as { price: number; quantity: number }[];
    expect(trades[0]).toMatchObject({ price: 1000, quantity: 1, side: 'sell' });
    expect(answers.get('/contract/:symbol/orderbook')!.body).toMatchObject({ bid: null, buy: [] });
    expect((answers.get('/contract/:symbol/chart/5')!.body as { volume: number }[]).at(-1)!.volume).toBe(1);
    expect((answers.get('own open orders')!.body as { orderType: string }[]).map((o) => o.orderType).sort()).toEqual(['STP', 'TGT']);
  });

  it('an error a read would give is also held until the pending write is durable', async () => {
    const { ex, routes, a } = await setUp();
    const io = gateSyncs(ex);
    const write = ex.setIndex(1001);
    let settled = false;
    const read = Promise.resolve()
      .then(() => call(ex, routes, '/contract/:symbol/order/:uuid', { symbol: Object.keys(ex.engine.instruments())[0]!, uuid: 'nope' }, a))
      .then(
        () => (settled = true),
        (err: { status?: number }) => {
          settled = true;
          return err.status;
        },
      );
    try {
      await until(() => io.held() >= 1);
      await turns(20);
      expect(settled).toBe(false);
    } finally {
      io.release();
    }
    await write;
    expect(await read).toBe(404);
  });

  it('with nothing pending a read answers at once (synchronously, no wait for the journal)', async () => {
    const { ex, routes, sym, a } = await setUp();
    await ex.placeOrders(a, [req(a, sym, { price: 998 })], { symbol: sym });
    await ex.settled();
    for (const pattern of READS) {
      const reply = call(ex, routes, pattern, { symbol: sym });
      expect(reply instanceof Promise, pattern).toBe(false);
    }
    const book = call(ex, routes, '/contract/:symbol/orderbook', { symbol: sym }) as Reply;
    expect(book.body).toMatchObject({ bid: 998 });
    expect(call(ex, routes, '/contract/:symbol/order/open', { symbol: sym }, a) instanceof Promise).toBe(false);
  });
});

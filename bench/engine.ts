// Matching-engine benchmark, in process (no network), on one seeded op stream: 70 % limit adds near the touch, 20 %
// cancels of earlier limit orders, 10 % marketable (market orders). Three sides, each in its own child process:
// - nodejs-order-book, the npm package (a bare book): the reference.
// - the engine's matching core alone (bench/matching-core.ts): the book sides, the matching walk and the open-order
//   table every engine command matches with, bare like the reference (no users, accounts, exits or events). It must
//   end with the same fills and resting orders as the reference (printed; test/unit/localnet/matching-core.test.ts
//   checks the whole book after every op of other streams).
// - the exchange's Engine running full commands: every entry carries a stop (and a target, or "NONE"), and each op is
//   a whole command (validation, margin, exits, positions, history, events).
// Run: npx tsx bench/engine.ts [ops] [rounds]   — each side in a fresh child process (nodejs-order-book first),
// `rounds` times; prints one JSON line per run, a table, the median ratios to the reference, the load average and
// what differs.
//
// Fairness: every side gets the same ops (the seeded stream, rebuilt identically in each process), prebuilt before
// the clock starts (request objects, ids), a fresh process each (in one process a second side measured 10–25 %
// slower, either way round: the first one's heap and a shared, polymorphic timing loop), the same warm-up
// (the first ops, not timed), per-op latency from process.hrtime.bigint() around each call, and throughput over
// the timed loop (wall and process CPU time: the machine is shared, so ops per CPU second is the steadier figure).
// What the Engine does beyond the two bare books (printed after the table):
// - nodejs-order-book and the matching core are bare books: no accounts, margin, validation, ids, events or trades.
// - The engine runs each op as a full command: validates it, checks margin, generates uuids, keeps positions, P&L,
//   executions, trades, candles and order history, and returns the order events, trade and book diffs and account
//   notices the server publishes.
// - Stops and targets: every engine fill opens (or extends) an STP/TGT exit pair relative to the fill price, or
//   closes the user's opposite pairs; TGTs rest in the book as liquidity. nodejs-order-book has user-placed stop and
//   OCO orders but no positions, so nothing there corresponds to exits created on fill; the bench does not
//   emulate them on its side.
// - Self-trade prevention: an engine order that meets the same user's resting order is cancelled; the other book
//   has no users and fills it. With the TGT liquidity this is why the engine's book ends far larger.
// - A cancel of an order that already filled is a rejected command (404 and an order_error event) on the engine,
//   a miss (undefined) in nodejs-order-book.

import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Engine } from '../main/localnet/engine/engine';
import { Rng } from '../main/localnet/engine/rng';
import type { OrderRequest } from '../main/coinpit/types';
import { BareBook } from './matching-core';

export interface BenchOp {
  kind: 'limit' | 'cancel' | 'market';
  side: 'buy' | 'sell';
  /** Price in ticks (limit only). */
  tick: number;
  qty: number;
  user: number;
  /** Index (into the op list) of the limit order to cancel. */
  target: number;
  /** Target distance in points for the engine's exit orders ('NONE' = no target). */
  tp: number | 'NONE';
}

export interface BenchResult {
  name: string;
  ops: number;
  seconds: number;
  opsPerSecond: number;
  /** Process CPU time of the measured part: with other load on the machine, ops per CPU second is steadier. */
  cpuSeconds: number;
  opsPerCpuSecond: number;
  p50us: number;
  p99us: number;
  maxUs: number;
  fills?: number;
  /** Orders resting in the book after the run (both sides). */
  resting?: number;
}

const MID_TICK = 100_000; // 10000.0 with 10 ticks per point
const USERS = 20;

/** The seeded op stream. Cancels point at earlier limit orders (which may have filled already). */
export function workload(n: number, seed = 7): BenchOp[] {
  const rng = new Rng(seed);
  const ops: BenchOp[] = [];
  const live: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    const side = rng.next() < 0.5 ? 'buy' : 'sell';
    const user = rng.int(USERS);
    if (r < 0.7 || live.length === 0) {
      const away = 1 + rng.int(20);
      const tp = (1 + rng.int(20)) / 10;
      ops.push({ kind: 'limit', side, tick: side === 'buy' ? MID_TICK - away : MID_TICK + away, qty: 1 + rng.int(10), user, target: -1, tp });
      live.push(i);
    } else if (r < 0.9) {
      const j = rng.int(live.length);
      const target = live[j] as number;
      live[j] = live[live.length - 1] as number;
      live.pop();
      ops.push({ kind: 'cancel', side, tick: 0, qty: 0, user: (ops[target] as BenchOp).user, target, tp: 'NONE' });
    } else {
      // adds bring 0.7 × 5.5 contracts an op, markets take up to 0.1 × 40.5 (cancels and self-trade prevention
      // take some of the adds away, the engine's targets add liquidity)
      ops.push({ kind: 'market', side, tick: 0, qty: 1 + rng.int(80), user, target: -1, tp: 'NONE' });
    }
  }
  return ops;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/** Runs ops [0, warm) untimed, then times each of [warm, n) with process.hrtime.bigint(). */
function measure(name: string, n: number, warm: number, step: (i: number) => void): BenchResult {
  for (let i = 0; i < warm; i++) step(i);
  const lat = new Float64Array(n - warm);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = warm; i < n; i++) {
    const s = process.hrtime.bigint();
    step(i);
    lat[i - warm] = Number(process.hrtime.bigint() - s);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpuSeconds = (c.user + c.system) / 1e6;
  lat.sort();
  const ops = n - warm;
  const us = (ns: number): number => +(ns / 1000).toFixed(2);
  return {
    name, ops, seconds, opsPerSecond: Math.round(ops / seconds), cpuSeconds, opsPerCpuSecond: Math.round(ops / cpuSeconds),
    p50us: us(percentile(lat, 0.5)), p99us: us(percentile(lat, 0.99)), maxUs: us(lat[lat.length - 1] ?? 0),
  };
}

/** The local exchange Engine through its public commands. */
export function benchEngine(ops: BenchOp[], warm: number): BenchResult {
  const now = Date.UTC(2017, 3, 17, 12);
  const e = new Engine({ now, seed: 1, index: MID_TICK / 10, historyLimit: 1000, executionLimit: 1000 });
  const users = Array.from({ length: USERS }, (_, i) => `mBenchUser${String(i).padStart(24, '0')}`);
  for (const u of users) e.setMarginBalance(now, u, 1e15);
  const sym = Object.keys(e.instruments())[0] as string;
  // the requests, built before the clock starts (a server has them from the wire)
  const reqs: (OrderRequest[] | null)[] = ops.map((op, i) => {
    if (op.kind === 'cancel') return null;
    const req: OrderRequest = {
      clientid: `b${i}`, userid: users[op.user] as string, instrument: sym, side: op.side, quantity: op.qty,
      orderType: op.kind === 'limit' ? 'LMT' : 'MKT', stopPrice: 5, targetPrice: op.tp,
    };
    if (op.kind === 'limit') req.price = op.tick / 10;
    return [req];
  });
  const uuids: string[] = new Array(ops.length);
  let fills = 0;
  const step = (i: number): void => {
    const op = ops[i] as BenchOp;
    const userid = users[op.user] as string;
    const batch = reqs[i];
    if (!batch) {
      const uuid = uuids[op.target];
      if (uuid) e.cancelOrders(now, userid, [uuid]);
      return;
    }
    const out = e.placeOrders(now, userid, batch);
    if (out.ok) {
      const o = out.result[0];
      if (o) {
        uuids[i] = o.uuid;
        if (o.filled > 0) fills++;
      }
    }
  };
  const r = measure('coinpit-desk Engine (full commands)', ops.length, warm, step);
  const errs = e.checkInvariants();
  if (errs.length) throw new Error(`invariants broken after the bench: ${errs.slice(0, 3).join('; ')}`);
  const book = e.orderbook(sym, Number.MAX_SAFE_INTEGER);
  const resting = book ? [...book.buy, ...book.sell].reduce((n, l) => n + l.numberOfOrders, 0) : 0;
  return { ...r, fills, resting };
}

/** The engine's matching core alone (bench/matching-core.ts), bare like nodejs-order-book. */
export function benchMatchingCore(ops: BenchOp[], warm: number): BenchResult {
  // the band the engine has at this index (±1 %), in ticks
  const book = new BareBook(Math.round(MID_TICK * 0.99), Math.round(MID_TICK * 1.01));
  const ids = ops.map((op, i) => (op.kind === 'cancel' ? `o${op.target}` : `o${i}`));
  let fills = 0;
  const step = (i: number): void => {
    const op = ops[i] as BenchOp;
    const id = ids[i] as string;
    if (op.kind === 'cancel') book.cancel(id);
    else if ((op.kind === 'limit' ? book.limit(id, op.side, op.tick, op.qty) : book.market(id, op.side, op.qty)) > 0) fills++;
    book.changedLevels();
  };
  const r = measure('coinpit-desk matching core (bare book)', ops.length, warm, step);
  const errs = [...book.bids.check('bids'), ...book.asks.check('asks')];
  if (errs.length) throw new Error(`matching core broken after the bench: ${errs.slice(0, 3).join('; ')}`);
  let resting = 0;
  for (const side of [book.bids, book.asks]) for (const _ of side.orders()) resting++;
  return { ...r, fills, resting };
}

/** nodejs-order-book on the same stream (loaded lazily: it is a devDependency). */
export async function benchNodejsOrderBook(ops: BenchOp[], warm: number): Promise<BenchResult | null> {
  let mod: typeof import('nodejs-order-book');
  try {
    mod = await import('nodejs-order-book');
  } catch {
    return null;
  }
  const ob = new mod.OrderBook();
  // the same inputs, built before the clock starts
  const sides = ops.map((op) => (op.side === 'buy' ? mod.Side.BUY : mod.Side.SELL));
  const limits = ops.map((op, i) => (op.kind === 'limit' ? { side: sides[i] as typeof mod.Side.BUY, id: `o${i}`, size: op.qty, price: op.tick / 10 } : null));
  const markets = ops.map((op, i) => (op.kind === 'market' ? { side: sides[i] as typeof mod.Side.BUY, size: op.qty } : null));
  const cancels = ops.map((op) => (op.kind === 'cancel' ? `o${op.target}` : null));
  let fills = 0;
  const step = (i: number): void => {
    const limit = limits[i];
    if (limit) {
      if (ob.limit(limit).done.length > 0) fills++;
      return;
    }
    const market = markets[i];
    if (market) {
      if (ob.market(market).done.length > 0) fills++;
      return;
    }
    ob.cancel(cancels[i] as string);
  };
  const r = measure('nodejs-order-book (bare book)', ops.length, warm, step);
  const snap = ob.snapshot();
  const resting = [...snap.bids, ...snap.asks].reduce((n, l) => n + l.orders.length, 0);
  return { ...r, fills, resting };
}

/** Runs one side in this process: the op stream is rebuilt from its seed, so every process gets the same ops. */
export async function runSide(side: Side, n = 200_000): Promise<BenchResult | null> {
  const warm = Math.floor(n / 6);
  const ops = workload(n + warm);
  if (side === 'engine') return benchEngine(ops, warm);
  if (side === 'matching-core') return benchMatchingCore(ops, warm);
  return benchNodejsOrderBook(ops, warm);
}

export const SIDES = ['nodejs-order-book', 'matching-core', 'engine'] as const;
export type Side = (typeof SIDES)[number];

/**
 * Every side, each in a fresh child process (nodejs-order-book first), `rounds` times. Separate processes, because
 * in one process whichever side runs second inherits the first one's heap and a polymorphic timing loop, and
 * measured 10–25 % slower for it (either way round).
 */
export async function runEngineBench(n = 200_000, rounds = 1): Promise<BenchResult[][]> {
  const out: BenchResult[][] = [];
  for (let r = 0; r < rounds; r++) {
    const round: BenchResult[] = [];
    for (const side of SIDES) {
      const res = await inChild(side, n);
      if (res) round.push(res);
    }
    out.push(round);
  }
  return out;
}

function inChild(side: Side, n: number): Promise<BenchResult | null> {
  return new Promise((resolve, reject) => {
    // the same node flags (tsx's loader) as this process
    const child = fork(fileURLToPath(import.meta.url), ['--side', side, String(n)], { execArgv: process.execArgv });
    let result: BenchResult | null = null;
    child.on('message', (m) => (result = m as BenchResult | null));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`bench ${side} exited with ${code}`))));
  });
}

export const DIFFERENCES = [
  'same seeded op stream, prebuilt inputs, warm-up, per-op process.hrtime.bigint() latency for all, each side in its own fresh process',
  'nodejs-order-book: bare book (no accounts, margin, ids, events, trade records)',
  'matching core: the engine\'s book sides, matching walk and open-order table, bare like nodejs-order-book (no users, so no self-trade prevention); it also takes the changed levels after each op, as the engine does for difforderbook',
  'engine: full commands (validation, margin, uuids, positions/P&L, executions, trades, history, events)',
  'engine only: STP/TGT exit pair opened per entry fill (TGTs rest as liquidity); nodejs-order-book has no positions, so no exits on fill',
  'engine only: self-trade prevention (an order meeting its own user\'s resting order is cancelled)',
  'cancels of already filled orders: engine rejects (404 + order_error event), nodejs-order-book misses',
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--side');
  if (at >= 0) {
    // child: one side, result to the parent
    const side = args[at + 1] as Side;
    const res = await runSide(side, Number(args[at + 2] ?? 200_000));
    process.send?.(res);
  } else {
    const n = Number(args[0] ?? 200_000);
    const rounds = Math.max(1, Number(args[1] ?? 1));
    const all = await runEngineBench(n, rounds);
    for (const round of all) for (const r of round) console.log(JSON.stringify(r));
    console.log('\n| round | engine | ops | ops/s (wall) | ops/s (CPU) | p50 µs | p99 µs | fills | resting at end |\n|---|---|---|---|---|---|---|---|---|');
    all.forEach((round, i) => {
      for (const r of round) {
        console.log(`| ${i + 1} | ${r.name} | ${r.ops} | ${r.opsPerSecond} | ${r.opsPerCpuSecond} | ${r.p50us} | ${r.p99us} | ${r.fills ?? ''} | ${r.resting ?? ''} |`);
      }
    });
    const ratios = (name: string, key: 'opsPerSecond' | 'opsPerCpuSecond'): number[] =>
      all.flatMap((round) => {
        const lib = round.find((r) => r.name.startsWith('nodejs-order-book'));
        const ours = round.find((r) => r.name.includes(name));
        return lib && ours ? [ours[key] / lib[key]] : [];
      });
    for (const name of ['matching core', 'Engine']) {
      const wall = ratios(name, 'opsPerSecond');
      if (wall.length > 0) {
        console.log(`${name} / nodejs-order-book, median of ${wall.length} round(s): ${median(wall).toFixed(2)} (wall), ${median(ratios(name, 'opsPerCpuSecond')).toFixed(2)} (CPU)`);
      }
    }
    const same = all.every((round) => {
      const lib = round.find((r) => r.name.startsWith('nodejs-order-book'));
      const core = round.find((r) => r.name.includes('matching core'));
      return !lib || !core || (lib.fills === core.fills && lib.resting === core.resting);
    });
    console.log(`matching core and nodejs-order-book end alike (fills, resting orders): ${same ? 'yes' : 'NO'}`);
    console.log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${cpus().length} CPUs)`);
    console.log(`\nWhat differs:\n${DIFFERENCES.map((d) => `- ${d}`).join('\n')}`);
  }
}

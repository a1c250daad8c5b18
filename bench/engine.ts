// Matching-engine benchmark: the local exchange's Engine (full commands: validation, margin, exits, accounts,
// events) and the npm package nodejs-order-book (bare book) on the same seeded workload:
// 70 % limit adds near the touch, 20 % cancels of live orders, 10 % marketable (market orders).
// Run: npx tsx bench/engine.ts [ops]   — prints one JSON line per engine and a summary table.

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Engine } from '../main/localnet/engine/engine';
import { Rng } from '../main/localnet/engine/rng';
import type { OrderRequest } from '../main/coinpit/types';

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
  fills?: number;
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
      // sized so that the book stays about the same size (adds 0.7 × 5.5, cancels 0.2 × 5.5 contracts an op)
      ops.push({ kind: 'market', side, tick: 0, qty: 1 + rng.int(80), user, target: -1, tp: 'NONE' });
    }
  }
  return ops;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

function measure(name: string, ops: BenchOp[], warm: number, step: (op: BenchOp, i: number) => void): BenchResult {
  for (let i = 0; i < warm; i++) step(ops[i] as BenchOp, i);
  const lat = new Float64Array(ops.length - warm);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = warm; i < ops.length; i++) {
    const s = performance.now();
    step(ops[i] as BenchOp, i);
    lat[i - warm] = performance.now() - s;
  }
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpuSeconds = (c.user + c.system) / 1e6;
  lat.sort();
  const n = ops.length - warm;
  return { name, ops: n, seconds, opsPerSecond: Math.round(n / seconds), cpuSeconds, opsPerCpuSecond: Math.round(n / cpuSeconds), p50us: +(percentile(lat, 0.5) * 1000).toFixed(2), p99us: +(percentile(lat, 0.99) * 1000).toFixed(2) };
}

/** The local exchange Engine through its public commands. */
export function benchEngine(ops: BenchOp[], warm: number): BenchResult {
  const now = Date.UTC(2017, 3, 17, 12);
  const e = new Engine({ now, seed: 1, index: MID_TICK / 10, historyLimit: 1000, executionLimit: 1000 });
  const users = Array.from({ length: USERS }, (_, i) => `mBenchUser${String(i).padStart(24, '0')}`);
  for (const u of users) e.setMarginBalance(now, u, 1e15);
  const sym = Object.keys(e.instruments())[0] as string;
  const uuids: string[] = new Array(ops.length);
  let fills = 0;
  const step = (op: BenchOp, i: number): void => {
    const userid = users[op.user] as string;
    if (op.kind === 'cancel') {
      const uuid = uuids[op.target];
      if (uuid) e.cancelOrders(now, userid, [uuid]);
      return;
    }
    const req: OrderRequest = {
      clientid: `b${i}`, userid, instrument: sym, side: op.side, quantity: op.qty,
      orderType: op.kind === 'limit' ? 'LMT' : 'MKT', stopPrice: 5, targetPrice: op.tp,
    };
    if (op.kind === 'limit') req.price = op.tick / 10;
    const out = e.placeOrders(now, userid, [req]);
    if (out.ok) {
      const o = out.result[0];
      if (o) {
        uuids[i] = o.uuid;
        if (o.filled > 0) fills++;
      }
    }
  };
  const r = measure('coinpit-desk Engine (full commands)', ops, warm, step);
  const errs = e.checkInvariants();
  if (errs.length) throw new Error(`invariants broken after the bench: ${errs.slice(0, 3).join('; ')}`);
  return { ...r, fills };
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
  const step = (op: BenchOp, i: number): void => {
    const side = op.side === 'buy' ? mod.Side.BUY : mod.Side.SELL;
    if (op.kind === 'limit') ob.limit({ side, id: `o${i}`, size: op.qty, price: op.tick / 10 });
    else if (op.kind === 'cancel') ob.cancel(`o${op.target}`);
    else ob.market({ side, size: op.qty });
  };
  return measure('nodejs-order-book (bare book)', ops, warm, step);
}

export async function runEngineBench(n = 200_000): Promise<BenchResult[]> {
  const warm = Math.floor(n / 6);
  const ops = workload(n + warm);
  const out: BenchResult[] = [];
  const lib = await benchNodejsOrderBook(ops, warm);
  if (lib) out.push(lib);
  out.push(benchEngine(ops, warm));
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.argv[2] ?? 200_000);
  const results = await runEngineBench(n);
  for (const r of results) console.log(JSON.stringify(r));
  console.log('\n| engine | ops | ops/s (wall) | ops/s (CPU) | p50 µs | p99 µs |\n|---|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.name} | ${r.ops} | ${r.opsPerSecond} | ${r.opsPerCpuSecond} | ${r.p50us} | ${r.p99us} |`);
}

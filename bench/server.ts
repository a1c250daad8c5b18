// Whole-server benchmark (issue "Benchmarks"): authenticated REST order placements per second over loopback with
// 16 concurrent clients, and their latency. The local exchange runs in a child process (this file with --serve),
// so the load generator (server-load.ts) does not share its event loop. Each client is one keep-alive connection
// with one request in flight, signing every request with the user's HMAC key exactly as the project's client does
// (§2.3–2.4). The set-up (key exchange, faucet, user-signed margin in) uses the project's CoinpitClient and wallet
// modules.
//
// Variants, each on a fresh server and data dir (journal fsync on, invariant checks on, bot off, rate limit off):
//   book   every order is a non-crossing limit spread over ±10 USD around the index, so the book keeps growing
//   mixed  80 % of those, 20 % limits through the touch (fills, positions, STP/TGT exits)
//
// Run: npx tsx bench/server.ts [--seconds 10] [--warmup 5] [--clients 16] [--variants book,mixed]
//      BENCH_SERVER_PROF=DIR also writes a V8 CPU profile of the server process (measured window) into DIR.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sharedSecret } from '../main/coinpit/ecdh';
import { generateWif, identity } from '../main/coinpit/identity';
import { CoinpitClient } from '../main/coinpit/rest';
import type { ConfigResponse } from '../main/coinpit/types';
import { walletAccount } from '../main/wallet/account';
import { parseRedeem, signerFromWif, signTransaction } from '../main/wallet/multisig';
import { buildMarginIn, type Unspent } from '../main/wallet/txbuild';
import { epochNow, INDEX, runLoad, type BenchUser, type Variant } from './server-load';

const SEED = 7;

// =================================================================================== server side (child)

interface ServerStats {
  journal: { entries: number; batches: number; syncMs: number; writeMs: number; maxBatch: number };
  cpuUs: number;
  sysUs: number;
  /** voluntary + involuntary context switches */
  switches: number;
  snapshots: { snapshots: number; ms: number };
  fullChecks: number;
  openOrders: number;
  readonly: boolean;
  invariantErrors: number;
}

async function serve(dataDir: string): Promise<void> {
  const { startLocalnet } = await import('../main/localnet/index');
  const net = await startLocalnet({
    dataDir,
    seed: SEED,
    indexPrice: INDEX,
    blockIntervalMs: 0,
    bot: false,
    rateLimit: { perSecond: 1e9, burst: 1e9 },
    log: (line) => process.stderr.write(`[server] ${line}\n`),
  });
  const stats = (full: boolean): ServerStats => {
    const cpu = process.cpuUsage();
    const ex = net.exchange;
    let openOrders = 0;
    let invariantErrors = 0;
    if (full) {
      for (const u of ex.engine.userids()) openOrders += ex.engine.openOrders(u).length;
      invariantErrors = ex.engine.checkInvariants().length;
    }
    const ru = process.resourceUsage();
    // older exchanges (before/after runs of this bench) lack some figures: zeros, or the journal's own counters
    const old = ex as unknown as {
      journalStats?: object;
      journal?: { stats?: object };
      snapshotStats?: { snapshots: number; ms: number };
      invariantStats?: { fullChecks: number };
    };
    return {
      journal: { entries: 0, batches: 0, syncMs: 0, writeMs: 0, maxBatch: 0, ...(old.journalStats ?? old.journal?.stats) },
      cpuUs: cpu.user + cpu.system,
      sysUs: cpu.system,
      switches: ru.voluntaryContextSwitches + ru.involuntaryContextSwitches,
      snapshots: old.snapshotStats ?? { snapshots: 0, ms: 0 },
      fullChecks: old.invariantStats?.fullChecks ?? 0,
      openOrders,
      readonly: ex.readonly,
      invariantErrors,
    };
  };
  // BENCH_SERVER_PROF=DIR: a CPU profile of the measured window only (from the first stats call to the full one)
  const profDir = process.env.BENCH_SERVER_PROF;
  const inspector = profDir ? new (await import('node:inspector')).Session() : undefined;
  let profiling = false;
  if (inspector) {
    inspector.connect();
    inspector.post('Profiler.enable');
  }
  process.on('message', (m: { type?: string; full?: boolean }) => {
    if (m?.type === 'stats') {
      if (inspector && !profiling && m.full !== true) {
        profiling = true;
        inspector.post('Profiler.start');
      } else if (inspector && profiling && m.full === true) {
        profiling = false;
        inspector.post('Profiler.stop', (err, res) => {
          if (!err) writeFileSync(join(profDir!, `server-${Date.now()}.cpuprofile`), JSON.stringify(res.profile));
        });
      }
      process.send!({ type: 'stats', stats: stats(m.full === true) });
    }
    if (m?.type === 'close') {
      void net.close().then(() => process.exit(0));
    }
  });
  process.send!({ type: 'ready', url: net.url });
}

// =================================================================================== load generator (parent)

interface Server {
  url: string;
  child: ChildProcess;
  dataDir: string;
  stats(full?: boolean): Promise<ServerStats>;
  stop(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-server-'));
  // BENCH_SERVER_PERF=1: JIT symbol maps for Linux perf (perf record -p <server pid>)
  const execArgv = ['--import', 'tsx', ...(process.env.BENCH_SERVER_PERF ? ['--perf-basic-prof'] : []), ...(process.env.BENCH_SERVER_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])];
  const child = fork(fileURLToPath(import.meta.url), ['--serve', dataDir], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters: ((m: { type: string; [k: string]: unknown }) => void)[] = [];
  child.on('message', (m: { type: string; [k: string]: unknown }) => waiters.shift()?.(m));
  const next = (): Promise<{ type: string; [k: string]: unknown }> =>
    new Promise((resolve, reject) => {
      waiters.push(resolve);
      child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
  const ready = await next();
  if (process.env.BENCH_SERVER_PERF) console.error(`server pid ${child.pid}`);
  return {
    url: ready.url as string,
    child,
    dataDir,
    async stats(full = false) {
      const reply = next();
      child.send({ type: 'stats', full });
      return (await reply).stats as ServerStats;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function postJson(url: string, body: unknown): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

/** Key exchange, faucet → multisig, user-signed margin in (the wallet modules), as a real user would. */
async function makeUser(url: string, cfg: ConfigResponse['config']): Promise<BenchUser> {
  const wif = generateWif('testnet');
  const client = new CoinpitClient({ baseUrl: url, wif });
  const session = await client.connect();
  const serverPublicKey = session.serverPublicKey;
  if (serverPublicKey === undefined) throw new Error('key exchange gave no server public key');
  const account = walletAccount(identity(wif, serverPublicKey));
  for (let i = 0; i < 3; i++) await postJson(`${url}/localnet/faucet`, { address: account.accountid, amount: 1_000_000_000 });
  const utxo = (await (await fetch(`${url}/esplora/address/${account.accountid}/utxo`)).json()) as Unspent[];
  const built = buildMarginIn(account, utxo, { amount: 'max', feePerKB: cfg.feePerKB, dust: cfg.bitcoinDust });
  const hex = signTransaction(built.tx, parseRedeem(account.redeem), signerFromWif(wif)).tx.toHex();
  await client.marginIn([hex]);
  return { userid: session.userid, secret: sharedSecret(wif, serverPublicKey) };
}

interface RunResult {
  variant: Variant;
  clients: number;
  seconds: number;
  orders: number;
  ordersPerSecond: number;
  p50ms: number;
  p95ms: number;
  p99ms: number;
  maxms: number;
  errors: Record<string, number>;
  fsyncBatches: number;
  ordersPerBatch: number;
  /** wall time of a write + fdatasync round, and of its write part (ms) */
  syncMsPerBatch: number;
  writeMsPerBatch: number;
  maxBatch: number;
  serverCpuUsPerOrder: number;
  serverSysUsPerOrder: number;
  serverSwitchesPerOrder: number;
  /** CPU of this process (the load generator) per order */
  clientCpuUsPerOrder: number;
  /** periodic snapshots in the window and the event-loop time they took */
  snapshots: number;
  snapshotMs: number;
  fullInvariantChecks: number;
  openOrdersAtEnd: number;
  readonly: boolean;
  invariantErrors: number;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

interface BenchOptions {
  clients: number;
  seconds: number;
  warmup: number;
}

async function runVariant(variant: Variant, o: BenchOptions): Promise<RunResult> {
  const server = await startServer();
  try {
    const base = new URL(server.url);
    const conf = (await (await fetch(`${server.url}/api/v1/all/config`)).json()) as ConfigResponse;
    const inst = conf.instruments;
    // the farthest expiry: the nearest may expire (and stop trading) during the run
    const symbol = Object.keys(inst).sort((a, b) => inst[b]!.expiry - inst[a]!.expiry)[0]!;
    const users: BenchUser[] = [];
    for (let i = 0; i < o.clients; i++) users.push(await makeUser(server.url, conf.config));
    await postJson(`${server.url}/localnet/mine`, { blocks: 1 });

    const uri = `/contract/${symbol}/order/open`;
    const t0 = epochNow();
    const measureFrom = t0 + o.warmup * 1000;
    const end = measureFrom + o.seconds * 1000;
    let before: ServerStats | undefined;
    const beforeTimer = setTimeout(() => void server.stats().then((s) => (before = s)), o.warmup * 1000);
    const load = await runLoad({
      host: base.hostname,
      port: Number(base.port),
      uri,
      path: `/api/v1${uri}`,
      variant,
      clients: users.map((user, k) => ({ user, seed: 1000 + k })),
      measureFrom,
      end,
    });
    const { latencies, errors } = load;
    clearTimeout(beforeTimer);
    const after = await server.stats(true);
    const b = before ?? { journal: { entries: 0, batches: 0, syncMs: 0, writeMs: 0, maxBatch: 0 }, cpuUs: 0, sysUs: 0, switches: 0, snapshots: { snapshots: 0, ms: 0 }, fullChecks: 0 };
    const batches = after.journal.batches - b.journal.batches;
    latencies.sort((x, y) => x - y);
    return {
      variant,
      clients: o.clients,
      seconds: o.seconds,
      orders: latencies.length,
      ordersPerSecond: Math.round(latencies.length / o.seconds),
      p50ms: round(pct(latencies, 0.5)),
      p95ms: round(pct(latencies, 0.95)),
      p99ms: round(pct(latencies, 0.99)),
      maxms: round(latencies[latencies.length - 1] ?? NaN),
      errors,
      fsyncBatches: batches,
      ordersPerBatch: round((after.journal.entries - b.journal.entries) / Math.max(1, batches)),
      syncMsPerBatch: round((after.journal.syncMs - b.journal.syncMs) / Math.max(1, batches)),
      writeMsPerBatch: round((after.journal.writeMs - b.journal.writeMs) / Math.max(1, batches)),
      maxBatch: after.journal.maxBatch,
      serverCpuUsPerOrder: Math.round((after.cpuUs - b.cpuUs) / Math.max(1, latencies.length)),
      serverSysUsPerOrder: Math.round((after.sysUs - b.sysUs) / Math.max(1, latencies.length)),
      serverSwitchesPerOrder: round((after.switches - b.switches) / Math.max(1, latencies.length)),
      clientCpuUsPerOrder: Math.round(load.cpuUs / Math.max(1, latencies.length)),
      snapshots: after.snapshots.snapshots - b.snapshots.snapshots,
      snapshotMs: Math.round(after.snapshots.ms - b.snapshots.ms),
      fullInvariantChecks: after.fullChecks - b.fullChecks,
      openOrdersAtEnd: after.openOrders,
      readonly: after.readonly,
      invariantErrors: after.invariantErrors,
    };
  } finally {
    await server.stop();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string' }, warmup: { type: 'string' }, clients: { type: 'string' }, variants: { type: 'string' } },
    strict: true,
  });
  const o: BenchOptions = {
    seconds: Number(values.seconds ?? 10),
    warmup: Number(values.warmup ?? 5),
    clients: Number(values.clients ?? 16),
  };
  const variants = (values.variants ?? 'book,mixed').split(',') as Variant[];
  console.log(`server bench: ${o.clients} clients, ${o.warmup} s warm-up, ${o.seconds} s measured, server in a child process, fsync on`);
  const rows: RunResult[] = [];
  for (const v of variants) {
    const r = await runVariant(v, o);
    rows.push(r);
    console.log(JSON.stringify(r));
  }
  console.log('\nvariant  orders/s   p50 ms   p95 ms   p99 ms  orders/fsync  ms/fsync  µs CPU/order server (sys) client  open orders');
  for (const r of rows) {
    console.log(
      `${r.variant.padEnd(7)} ${String(r.ordersPerSecond).padStart(9)} ${r.p50ms.toFixed(1).padStart(8)} ${r.p95ms.toFixed(1).padStart(8)} ${r.p99ms.toFixed(1).padStart(8)} ${r.ordersPerBatch.toFixed(1).padStart(13)} ${r.syncMsPerBatch.toFixed(2).padStart(9)} ${String(r.serverCpuUsPerOrder).padStart(20)} ${`(${r.serverSysUsPerOrder})`.padStart(6)} ${String(r.clientCpuUsPerOrder).padStart(6)} ${String(r.openOrdersAtEnd).padStart(12)}`,
    );
    const errs = Object.entries(r.errors);
    if (errs.length > 0) console.log(`  errors: ${errs.map(([k, n]) => `${n}× ${k}`).join('; ')}`);
    if (r.readonly || r.invariantErrors > 0) console.log(`  WARNING: readonly ${r.readonly}, invariant errors ${r.invariantErrors}`);
  }
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) {
  serve(process.argv[serveAt + 1]!).catch((err) => {
    process.stderr.write(`server failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(1);
    },
  );
}

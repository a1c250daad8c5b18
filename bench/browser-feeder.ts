// Child process of bench/browser.ts: the local exchange the app connects to, plus a market maker that adds and
// cancels limit orders through in-process exchange commands (journaled and published like any other). Kept out of
// the benchmark's own process so the exchange's work does not slow down the web host that carries the diffs.
//
// Two ways to make book diffs:
// - record: the same market maker runs, as fast as it can, on a second, private exchange (same seed, index and
//   instruments, starting from an empty book), and every `difforderbook` entry of the traded instrument is sent
//   back in order. Replayed from the start onto an empty book they rebuild exactly the book that exchange had.
// - feed: the market maker trades on the app's exchange at a given rate, live (the app sees it through socket.io).
//
// Messages: → {ready: url, symbol}
//           ← {record: {count}}        → {recorded: BookDiff[], symbol, refused}
//           ← {feed: {ms, rate}}       → {fed: commands, refused}

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BookDiff, OrderRequest } from '../main/coinpit/types';
import { startLocalnet, type Localnet } from '../main/localnet/index';
import type { LocalControl } from '../test/e2e/helpers/harness';
import { secondUser } from '../test/e2e/helpers/second-user';

const dataDir = process.argv[2];
if (!dataDir || !process.send) {
  console.error('bench/browser-feeder.ts is started by bench/browser.ts');
  process.exit(2);
}
const send = (m: unknown) => process.send?.(m);

const INDEX = 10_000;
const SEED = 5;

function control(net: Localnet): LocalControl {
  return {
    url: net.url,
    config: () => net.exchange.config(),
    post: async (what, body) => {
      const res = await fetch(`${net.url}/localnet/${what}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 200) throw new Error(`localnet ${what}: ${res.status} ${await res.text()}`);
      return res.json();
    },
    stop: () => net.close(),
    start: async () => undefined,
  };
}

/** The contract the app selects first: the nearest expiry that is still trading. */
function firstSymbol(net: Localnet): string {
  const symbol = Object.values(net.exchange.engine.instruments())
    .filter((i) => i.status !== 'expired' && !i.disabled && i.expiry > Date.now())
    .sort((a, b) => a.expiry - b.expiry || a.symbol.localeCompare(b.symbol))[0]?.symbol;
  if (!symbol) throw new Error('the local exchange has no trading instrument');
  return symbol;
}

/** A market maker: each step adds a limit order 1 … 60.5 points from the index (never crossing) or cancels one. */
async function marketMaker(net: Localnet, symbol: string) {
  const maker = await secondUser(control(net), 300_000_000);
  const live: string[] = [];
  let seq = 0;
  let refused = 0;

  const order = (): OrderRequest => {
    const buy = seq++ % 2 === 0;
    const away = 1 + Math.floor(Math.random() * 120) / 2;
    return {
      clientid: randomUUID(),
      userid: maker.userid,
      instrument: symbol,
      side: buy ? 'buy' : 'sell',
      quantity: 1 + Math.floor(Math.random() * 9),
      orderType: 'LMT',
      price: buy ? INDEX - away : INDEX + away,
      stopPrice: 5,
      targetPrice: 'NONE',
    };
  };

  const step = (): Promise<unknown> => {
    if (live.length > 400 || (live.length > 50 && Math.random() < 0.45)) {
      const i = Math.floor(Math.random() * live.length);
      const uuid = live[i] as string;
      live[i] = live[live.length - 1] as string;
      live.pop();
      return net.exchange.cancelOrders(maker.userid, [uuid]).catch(() => refused++);
    }
    return net.exchange.placeOrders(maker.userid, [order()]).then(
      (orders) => void (orders[0] && live.push(orders[0].uuid)),
      () => refused++,
    );
  };
  return { step, refused: () => refused };
}

const net = await startLocalnet({ dataDir, port: 0, seed: SEED, indexPrice: INDEX, blockIntervalMs: 0 });
const symbol = firstSymbol(net);
let liveMaker: Awaited<ReturnType<typeof marketMaker>> | null = null;

/** Runs the market maker on a private exchange until it has published `count` diffs of the instrument. */
async function record(count: number): Promise<{ recorded: BookDiff[]; symbol: string; refused: number }> {
  const privateNet = await startLocalnet({ dataDir: `${dataDir}-recording`, port: 0, seed: SEED, indexPrice: INDEX, blockIntervalMs: 0 });
  try {
    const recordSymbol = firstSymbol(privateNet);
    const recorded: BookDiff[] = [];
    const off = privateNet.exchange.onEvents((events) => {
      for (const e of events) {
        const diff = e.name === 'difforderbook' ? e.payload[recordSymbol] : undefined;
        // a copy as it was published (the engine's objects are not ours to keep)
        if (diff && recorded.length < count) recorded.push(JSON.parse(JSON.stringify(diff)) as BookDiff);
      }
    });
    const maker = await marketMaker(privateNet, recordSymbol);
    while (recorded.length < count) {
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < 100; i++) batch.push(maker.step());
      await Promise.all(batch);
    }
    off();
    return { recorded, symbol: recordSymbol, refused: maker.refused() };
  } finally {
    await privateNet.close();
  }
}

async function feed(ms: number, rate: number): Promise<number> {
  liveMaker ??= await marketMaker(net, symbol);
  const start = performance.now();
  let issued = 0;
  while (performance.now() - start < ms) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; issued < due; issued++) void liveMaker.step();
    await new Promise((r) => setTimeout(r, 1));
  }
  return issued;
}

process.on('message', (m: { feed?: { ms: number; rate: number }; record?: { count: number }; stop?: true }) => {
  if (m.record) {
    record(m.record.count).then(send, (e: unknown) => {
      console.error(`bench browser feeder: recording failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    });
  } else if (m.feed) {
    const r = liveMaker?.refused() ?? 0;
    void feed(m.feed.ms, m.feed.rate).then((fed) => send({ fed, refused: (liveMaker?.refused() ?? 0) - r }));
  } else if (m.stop) {
    void net.close().finally(() => process.exit(0));
  }
});
send({ ready: net.url, symbol });

// Child process of bench/browser.ts: the local exchange plus a market maker that adds and cancels limit orders at a
// given rate through in-process exchange commands (journaled and published like any other). Kept out of the
// benchmark's own process so the exchange's work does not slow down the web host that carries the diffs.
//
// Messages: → {ready: url, symbol}  ← {feed: {ms, rate}}  → {fed: commands, refused}

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { OrderRequest } from '../main/coinpit/types';
import { startLocalnet } from '../main/localnet/index';
import type { LocalControl } from '../test/e2e/helpers/harness';
import { secondUser } from '../test/e2e/helpers/second-user';

const dataDir = process.argv[2];
if (!dataDir || !process.send) {
  console.error('bench/browser-feeder.ts is started by bench/browser.ts');
  process.exit(2);
}
const send = (m: unknown) => process.send?.(m);

const INDEX = 10_000;
const net = await startLocalnet({ dataDir, port: 0, seed: 5, indexPrice: INDEX, blockIntervalMs: 0 });
const control: LocalControl = {
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
const maker = await secondUser(control, 300_000_000);
const instruments = net.exchange.engine.instruments();
// the contract the app selects first: the nearest expiry that is still trading
const symbol = Object.values(instruments)
  .filter((i) => i.status !== 'expired' && !i.disabled && i.expiry > Date.now())
  .sort((a, b) => a.expiry - b.expiry || a.symbol.localeCompare(b.symbol))[0]?.symbol;

const live: string[] = [];
let seq = 0;
let refused = 0;

function order(): OrderRequest {
  const buy = seq++ % 2 === 0;
  const away = 1 + Math.floor(Math.random() * 120) / 2; // 1 … 60.5 points from the index: never crossing
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
}

function step(): void {
  if (live.length > 400 || (live.length > 50 && Math.random() < 0.45)) {
    const i = Math.floor(Math.random() * live.length);
    const uuid = live[i] as string;
    live[i] = live[live.length - 1] as string;
    live.pop();
    net.exchange.cancelOrders(maker.userid, [uuid]).catch(() => refused++);
  } else {
    net.exchange.placeOrders(maker.userid, [order()]).then(
      (orders) => void (orders[0] && live.push(orders[0].uuid)),
      () => refused++,
    );
  }
}

async function feed(ms: number, rate: number): Promise<number> {
  const start = performance.now();
  let issued = 0;
  while (performance.now() - start < ms) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; issued < due; issued++) step();
    await new Promise((r) => setTimeout(r, 1));
  }
  return issued;
}

process.on('message', (m: { feed?: { ms: number; rate: number }; stop?: true }) => {
  if (m.feed) {
    const r = refused;
    void feed(m.feed.ms, m.feed.rate).then((fed) => send({ fed, refused: refused - r }));
  } else if (m.stop) {
    void net.close().finally(() => process.exit(0));
  }
});
send({ ready: net.url, symbol });

// The local exchange's market-making bot against the real server over HTTP and socket.io: a fresh exchange with
// the bot shows a two-sided book, trades and candles; the bot re-quotes around a moved index; its keys come from
// its seed; and with no exchange to talk to it only logs and retries. Every wait is a bounded poll.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateWif, identity } from '../../main/coinpit/identity';
import { CoinpitClient } from '../../main/coinpit/rest';
import type { OrderBook } from '../../main/coinpit/types';
import { botWif, startBot, type Bot } from '../../main/localnet/bot';
import { startLocalnet, type Localnet } from '../../main/localnet/index';
import { localExchangeOptions } from '../../main/services/index';

const POLL_LIMIT_MS = 90_000;

let tmp: string;
const running: { close(): Promise<void> }[] = [];

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'coinpit-bot-'));
});
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close().catch(() => undefined);
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Polls `probe` until it returns a value (not undefined); fails with the last observation after the limit. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, limitMs = POLL_LIMIT_MS): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${limitMs} ms (last error: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function observer(net: Localnet): Promise<{ client: CoinpitClient; symbols: string[] }> {
  const client = new CoinpitClient({ baseUrl: net.url, wif: generateWif('testnet') });
  await client.register();
  const { instruments } = await client.config();
  const symbols = Object.values(instruments)
    .filter((i) => i.status === 'active')
    .map((i) => i.symbol);
  expect(symbols.length).toBeGreaterThan(0);
  return { client, symbols };
}

function twoSided(book: OrderBook): boolean {
  return book.buy.length > 0 && book.sell.length > 0 && book.bid !== null && book.ask !== null && book.bid < book.ask;
}

describe('market-making bot', () => {
  it('the app\'s Local network (started as the app starts it) shows a two-sided book on every instrument, trades and candles', { timeout: 150_000 }, async () => {
    const net = await startLocalnet({ ...localExchangeOptions(path.join(tmp, 'with-bot')), seed: 11, blockIntervalMs: 0 });
    running.push(net);
    const { client, symbols } = await observer(net);
    for (const symbol of symbols) {
      const book = await eventually(`a two-sided book on ${symbol}`, async () => {
        const b = await client.orderbook(symbol);
        return twoSided(b) ? b : undefined;
      });
      expect(book.sell[0]!.totalQuantity).toBeGreaterThan(0);
    }
    const trades = await eventually('a trade', async () => {
      for (const symbol of symbols) {
        const t = await client.trades(symbol);
        if (t.length > 0) return t;
      }
      return undefined;
    });
    expect(trades[0]!.quantity).toBeGreaterThan(0);
    const candles = await client.candles(trades[0]!.instrument);
    expect(candles.length).toBeGreaterThan(0);
    expect(candles.at(-1)!.volume).toBeGreaterThan(0);
  });

  it('startBot on its own: seeded accounts with margin, quotes that follow the index, a clean stop', { timeout: 150_000 }, async () => {
    const net = await startLocalnet({ dataDir: path.join(tmp, 'own'), port: 0, seed: 5, bot: false, indexPrice: 1000, blockIntervalMs: 0 });
    running.push(net);
    const lines: string[] = [];
    const bot: Bot = await startBot({ url: net.url, seed: 77, log: (l) => lines.push(l) });
    running.push({ close: () => bot.stop() });

    // the keys are a function of the seed
    expect(bot.userids.maker).toBe(identity(botWif(77, 'maker')).userid);
    expect(bot.userids.taker).toBe(identity(botWif(77, 'taker')).userid);
    expect(botWif(77, 'maker')).not.toBe(botWif(78, 'maker'));
    expect(bot.userids.maker).not.toBe(bot.userids.taker);

    const { client, symbols } = await observer(net);
    const symbol = symbols[0]!;
    await eventually('quotes around 1000', async () => {
      const b = await client.orderbook(symbol);
      return twoSided(b) && Math.abs(b.bid! - 1000) <= 2 && Math.abs(b.ask! - 1000) <= 2 ? b : undefined;
    });

    // the maker moved its margin in through a signed multisig spend: its margin address holds coins
    const maker = new CoinpitClient({ baseUrl: net.url, wif: botWif(77, 'maker') });
    const margin = await maker.marginInfo();
    expect(margin.balance).toBeGreaterThan(0);

    // move the index: the band moves and the bot re-quotes around the new index
    const res = await fetch(`${net.url}/localnet/index`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ price: 1008 }) });
    expect(res.status).toBe(200);
    await eventually('quotes around 1008', async () => {
      const b = await client.orderbook(symbol);
      return twoSided(b) && Math.abs(b.bid! - 1008) <= 2 && Math.abs(b.ask! - 1008) <= 2 ? b : undefined;
    });

    await bot.stop();
    expect(lines.some((l) => l.includes('stopped'))).toBe(true);
    for (const l of lines) {
      expect(l).not.toContain(botWif(77, 'maker'));
      expect(l).not.toContain(botWif(77, 'taker'));
    }
  });

  it('with no exchange to talk to it logs, backs off and retries, and never throws', { timeout: 60_000 }, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const lines: string[] = [];
      const bot = await startBot({ url: 'http://127.0.0.1:9', seed: 1, log: (l) => lines.push(l) });
      await eventually('two retries', async () => (lines.filter((l) => /retrying in \d+ ms/.test(l)).length >= 2 ? true : undefined), 30_000);
      const delays = lines.map((l) => /retrying in (\d+) ms/.exec(l)?.[1]).filter((d): d is string => d !== undefined).map(Number);
      expect(delays[1]!).toBeGreaterThan(delays[0]!); // exponential backoff (jitter stays within ±25 %)
      await bot.stop();
      const after = lines.length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(lines.length).toBe(after); // nothing runs after stop()
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('rejects options that make no sense', async () => {
    await expect(startBot({ url: 'http://127.0.0.1:9', seed: 1.5 })).rejects.toThrow(/seed/);
  });
});

// The order book under a stream of diffs in Chromium, through the web host: what the host emits in one turn
// travels as one WebSocket message, the shim hands every diff to the book store by itself and in order (none merged
// or lost), and the book view renders once per frame, showing the last state.

import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BookDiff, Level } from '../../main/coinpit/types';
import { OUTPUT_DIR, startHarness, type Harness } from './helpers/harness';

const WAIT = 20_000;
let h: Harness;
let page: Page;
let symbol = '';
/** WebSocket messages the page received from the web host */
const frames: string[] = [];

const level = (price: number, totalQuantity: number, numberOfOrders = 1): Level => ({ price, totalQuantity, numberOfOrders, instrument: symbol });
const diff = (buy: Level[], sell: Level[] = []): BookDiff => ({
  bid: null,
  ask: null,
  buy: Object.fromEntries(buy.map((l) => [String(l.price), l])),
  sell: Object.fromEntries(sell.map((l) => [String(l.price), l])),
});

interface Probe {
  arrivals: number;
  commits: number;
  latencies: number[];
}

beforeAll(async () => {
  h = await startHarness(inject('rendererDir'));
  page = h.page;
  const table = h.host.services.table;
  const profiles = await table.profilesList(undefined);
  if (!profiles.activeId) throw new Error('no active profile');
  await table.profilesGenerateKey({ id: profiles.activeId });
  await table.connectionConnect(undefined);
  // the benchmark's probe: counts what reaches the book store and the frames that publish it
  await page.addInitScript({ content: 'window.__coinpitBench = { latencies: [], arrivals: 0, commits: 0 };' });
  page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
  await page.goto(h.host.url);
  await page.getByTestId('order-book').waitFor({ timeout: WAIT });
  symbol = await page.getByLabel('Instrument').inputValue();
});

afterAll(async () => {
  await h?.close();
});

const probe = () => page.evaluate<Probe>('({ ...window.__coinpitBench })');

describe('order book stream', () => {
  it('delivers every diff of a burst to the book store, in order, and shows the last state', async () => {
    const before = await probe();
    const framesBefore = frames.length;
    // 300 diffs in one turn: the quantity at 9000 counts up, a level at 8999.5 appears and later goes
    for (let i = 1; i <= 300; i++) {
      const d = diff([level(9000, i), level(8999.5, i === 300 ? 0 : 5, i === 300 ? 0 : 1)]);
      expect(h.host.emit('bookDiff', { symbol, diff: d })).toBe(true);
    }
    const bids = page.getByRole('list', { name: /Bids/ });
    await bids.getByRole('button', { name: 'Bid 9000.0, 300 contracts, total 300' }).waitFor({ timeout: WAIT });
    await expect.poll(async () => (await probe()).arrivals - before.arrivals, { timeout: WAIT }).toBe(300);
    expect(await bids.getByRole('button', { name: /^Bid 8999\.5/ }).count()).toBe(0);
    // one turn of the host, one WebSocket message: a JSON array of the 300 events, in the order emitted
    const burst = frames.slice(framesBefore).map((f) => JSON.parse(f) as unknown).filter((m) => Array.isArray(m) && JSON.stringify(m).includes('"bookDiff"'));
    expect(burst).toHaveLength(1);
    const events = burst[0] as { event: string; payload: { diff: BookDiff } }[];
    expect(events).toHaveLength(300);
    expect(events.map((e) => e.payload.diff.buy['9000']?.totalQuantity)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    const after = await probe();
    // rendered in a few frames, not once per diff
    expect(after.commits - before.commits).toBeGreaterThan(0);
    expect(after.commits - before.commits).toBeLessThan(300);
  });

  it('refuses an event outside the contract', () => {
    expect(h.host.emit('not-an-event', {})).toBe(false);
  });

  it('a snapshot and diffs emitted in one turn are applied in that order', async () => {
    h.host.emit('book', { symbol, book: { bid: 8000, ask: 8001, buy: [level(8000, 4)], sell: [level(8001, 2)] } });
    h.host.emit('bookDiff', { symbol, diff: { ...diff([level(8000, 9)], [level(8001, 0, 0), level(8002, 1)]), bid: 8000, ask: 8002 } });
    await page.getByRole('button', { name: 'Bid 8000.0, 9 contracts, total 9' }).waitFor({ timeout: WAIT });
    await page.getByRole('button', { name: 'Ask 8002.0, 1 contracts, total 1' }).waitFor({ timeout: WAIT });
    expect(await page.getByRole('button', { name: /^Ask 8001\.0/ }).count()).toBe(0);
    await expect.poll(async () => (await page.getByTestId('spread').textContent())?.replace(/\s+/g, ' ').trim(), { timeout: WAIT }).toBe('Spread 2.0');
    await page.getByTestId('order-book').screenshot({ path: path.join(OUTPUT_DIR, 'book-stream.png') });
    expect(h.problems).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { BookDiff, OrderBook } from '../../../preload/contract';
import { Book, BookSide, type Level } from '../../../renderer/src/lib/book';
import { manualFrames } from '../../../renderer/src/lib/frame';
import { BookStore } from '../../../renderer/src/stores/book.svelte';
import { SYMBOL } from './fixtures';

const lvl = (price: number, totalQuantity: number, numberOfOrders = 1): Level => ({ price, totalQuantity, numberOfOrders, instrument: SYMBOL });

/** Seeded LCG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('BookSide', () => {
  it('keeps bids best (highest) first and asks best (lowest) first', () => {
    const bids = new BookSide('buy');
    const asks = new BookSide('sell');
    for (const p of [100.1, 99.5, 100.3, 98]) {
      bids.set(lvl(p, 1));
      asks.set(lvl(p, 1));
    }
    expect(bids.prices()).toEqual([100.3, 100.1, 99.5, 98]);
    expect(asks.prices()).toEqual([98, 99.5, 100.1, 100.3]);
  });

  it('replaces a level at the same price and removes one with 0 orders or 0 quantity', () => {
    const side = new BookSide('buy');
    side.set(lvl(100, 5));
    side.set(lvl(99, 2));
    side.set(lvl(100, 7, 3));
    expect(side.top(5)).toEqual([lvl(100, 7, 3), lvl(99, 2)]);
    side.set(lvl(100, 0, 0));
    expect(side.prices()).toEqual([99]);
    side.set(lvl(99, 0, 1));
    expect(side.size).toBe(0);
    side.set(lvl(42, 0, 0)); // removing a level that is not there is harmless
    expect(side.size).toBe(0);
  });

  it('treats float texts of one tick as the same level', () => {
    const side = new BookSide('sell', 10);
    side.set(lvl(0.1 + 0.2, 1)); // 0.30000000000000004
    side.set(lvl(0.3, 4));
    expect(side.size).toBe(1);
    expect(side.best()?.totalQuantity).toBe(4);
  });

  it('finds positions by binary search (indexOf agrees with a linear scan)', () => {
    const side = new BookSide('buy', 1);
    const prices = [50, 40, 30, 20, 10];
    for (const p of prices) side.set(lvl(p, 1));
    for (const t of [60, 50, 45, 40, 5, 10]) {
      const linear = prices.findIndex((p) => !(p > t));
      expect(side.indexOf(t)).toBe(linear === -1 ? prices.length : linear);
    }
  });

  it('matches a reference map after 5,000 random diffs', () => {
    const rand = rng(7);
    const book = new Book(10);
    const ref = { buy: new Map<number, Level>(), sell: new Map<number, Level>() };
    for (let i = 0; i < 5000; i++) {
      const side = rand() < 0.5 ? 'buy' : 'sell';
      const tick = side === 'buy' ? 99_000 + Math.floor(rand() * 300) : 100_001 + Math.floor(rand() * 300);
      const price = tick / 10;
      const remove = rand() < 0.3;
      const level = remove ? lvl(price, 0, 0) : lvl(price, 1 + Math.floor(rand() * 50), 1 + Math.floor(rand() * 4));
      const diff: BookDiff = { bid: null, ask: null, buy: {}, sell: {} };
      diff[side][String(price)] = level;
      book.applyDiff(diff);
      if (remove) ref[side].delete(tick);
      else ref[side].set(tick, level);
    }
    const expectBids = [...ref.buy.entries()].sort((a, b) => b[0] - a[0]).map(([, l]) => l);
    const expectAsks = [...ref.sell.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l);
    expect(book.bids.top(1000)).toEqual(expectBids);
    expect(book.asks.top(1000)).toEqual(expectAsks);
  });
});

describe('Book view', () => {
  const snapshot: OrderBook = {
    bid: 100,
    ask: 100.5,
    buy: [lvl(100, 2), lvl(99.5, 3), lvl(99, 5)],
    sell: [lvl(100.5, 1), lvl(101, 1)],
  };

  it('gives cumulative quantities, depth fractions against the deeper side, and the spread', () => {
    const book = new Book(10);
    book.snapshot(snapshot);
    const v = book.view(SYMBOL, 25);
    expect(v.bids.map((l) => l.cumulative)).toEqual([2, 5, 10]);
    expect(v.asks.map((l) => l.cumulative)).toEqual([1, 2]);
    expect(v.bids.map((l) => l.depth)).toEqual([0.2, 0.5, 1]);
    expect(v.asks.map((l) => l.depth)).toEqual([0.1, 0.2]);
    expect(v.spread).toBe(0.5);
    expect(v.bid).toBe(100);
    expect(v.ask).toBe(100.5);
  });

  it('shows at most `depth` levels a side but counts them all', () => {
    const book = new Book(10);
    book.snapshot({ bid: null, ask: null, buy: Array.from({ length: 40 }, (_, i) => lvl(100 - i, 1)), sell: [] });
    const v = book.view(SYMBOL, 25);
    expect(v.bids).toHaveLength(25);
    expect(v.bidLevels).toBe(40);
    expect(v.spread).toBeNull();
    expect(v.ask).toBeNull();
  });

  it('takes a missing level price from the diff key', () => {
    const book = new Book(10);
    book.applyDiff({ bid: null, ask: null, buy: { '99.9': { numberOfOrders: 1, totalQuantity: 4, instrument: SYMBOL } as unknown as Level }, sell: {} });
    expect(book.bids.prices()).toEqual([99.9]);
  });
});

describe('BookStore', () => {
  it('publishes at most once per frame however many diffs arrive', () => {
    const frames = manualFrames();
    const store = new BookStore({ schedule: frames.schedule });
    store.select(SYMBOL, 10);
    frames.flush();
    const before = store.view;
    for (let i = 0; i < 500; i++) {
      store.applyDiff(SYMBOL, { bid: null, ask: null, buy: { [String(90 + i / 10)]: lvl(90 + i / 10, 1) }, sell: {} });
    }
    expect(frames.pending()).toBe(1);
    expect(store.view).toBe(before); // nothing rendered yet
    expect(frames.flush()).toBe(1);
    expect(store.view.bidLevels).toBe(500);
    expect(store.view.bids).toHaveLength(25);
    expect(frames.pending()).toBe(0);
  });

  it('ignores books and diffs of other instruments and clears on select', () => {
    const frames = manualFrames();
    const store = new BookStore({ schedule: frames.schedule });
    store.select(SYMBOL, 10);
    store.snapshot('OTHER', { bid: 1, ask: 2, buy: [lvl(1, 1)], sell: [lvl(2, 1)] });
    store.applyDiff('OTHER', { bid: null, ask: null, buy: { '1': lvl(1, 3) }, sell: {} });
    frames.flush();
    expect(store.view.bidLevels).toBe(0);
    store.snapshot(SYMBOL, { bid: 1, ask: 2, buy: [lvl(1, 1)], sell: [lvl(2, 1)] });
    frames.flush();
    expect(store.view.spread).toBe(1);
    store.select('NEXT', 10);
    frames.flush();
    expect(store.view.symbol).toBe('NEXT');
    expect(store.view.bidLevels).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import type { BookDiff, OrderBook } from '../../../preload/contract';
import { Book, BookSide, type Level, type ViewLevel } from '../../../renderer/src/lib/book';
import { columnEdges, levelName, paintSide, ROW_PX, type Canvas2D, type SideStyle } from '../../../renderer/src/lib/book-paint';
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

describe('BookStore.best', () => {
  it('is replaced only when the best bid or ask changes, not with every frame of deeper changes', () => {
    const frames = manualFrames();
    const store = new BookStore({ schedule: frames.schedule });
    store.select(SYMBOL, 10);
    store.snapshot(SYMBOL, { bid: 100, ask: 101, buy: [lvl(100, 1), lvl(99, 1)], sell: [lvl(101, 1)] });
    frames.flush();
    const first = store.best;
    expect(first).toEqual({ bid: 100, ask: 101 });
    store.applyDiff(SYMBOL, { bid: 100, ask: 101, buy: { '99': lvl(99, 8) }, sell: {} });
    frames.flush();
    expect(store.view.bids[1]?.quantity).toBe(8);
    expect(store.best).toBe(first); // same object: nothing that reads only the touch re-runs
    store.applyDiff(SYMBOL, { bid: 100.5, ask: 101, buy: { '100.5': lvl(100.5, 1) }, sell: {} });
    frames.flush();
    expect(store.best).toEqual({ bid: 100.5, ask: 101 });
    expect(store.best).not.toBe(first);
  });
});

describe('book paint', () => {
  const view = (levels: [number, number][]): ViewLevel[] => {
    let cumulative = 0;
    const out = levels.map(([price, quantity]) => ({ price, quantity, orders: 1, cumulative: (cumulative += quantity), depth: 0 }));
    for (const l of out) l.depth = l.cumulative / cumulative;
    return out;
  };

  /** A Canvas2D that records what is drawn, with the colour and alignment in effect. */
  function recorder() {
    const drawn: { op: string; args: unknown[]; fill: unknown; align: string }[] = [];
    const ctx: Canvas2D = {
      font: '',
      fillStyle: '',
      textAlign: 'start',
      textBaseline: 'alphabetic',
      setTransform: (...args) => void drawn.push({ op: 'setTransform', args, fill: ctx.fillStyle, align: ctx.textAlign }),
      clearRect: (...args) => void drawn.push({ op: 'clearRect', args, fill: ctx.fillStyle, align: ctx.textAlign }),
      fillRect: (...args) => void drawn.push({ op: 'fillRect', args, fill: ctx.fillStyle, align: ctx.textAlign }),
      fillText: (...args) => void drawn.push({ op: 'fillText', args, fill: ctx.fillStyle, align: ctx.textAlign }),
    };
    return { ctx, drawn };
  }
  const style: SideStyle = { font: '12px monospace', price: 'green', quantity: 'white', total: 'grey', bar: 'rgba(0, 255, 0, 0.2)' };

  it('places the columns on the head grid (1fr 0.8fr 0.9fr, 4 px gaps, 6 px padding)', () => {
    const x = columnEdges(290); // 270 px of tracks: 100, 80, 90
    expect(x.price).toBe(6);
    expect(x.quantity).toBeCloseTo(6 + 100 + 4 + 80);
    expect(x.total).toBe(284);
  });

  it('draws each level as a bar from the right edge and its price, quantity and total, row by row', () => {
    const { ctx, drawn } = recorder();
    paintSide(ctx, view([[100, 2], [99.5, 3], [99, 5]]), 290, 1, style, 2);
    expect(drawn[0]).toMatchObject({ op: 'setTransform', args: [2, 0, 0, 2, 0, 0] });
    expect(drawn[1]).toMatchObject({ op: 'clearRect', args: [0, 0, 290, 3 * ROW_PX] });
    const bars = drawn.filter((d) => d.op === 'fillRect');
    expect(bars.map((b) => b.args)).toEqual([
      [290 - 58, 0, 58, ROW_PX],
      [290 - 145, ROW_PX, 145, ROW_PX],
      [0, 2 * ROW_PX, 290, ROW_PX],
    ]);
    expect(bars.every((b) => b.fill === style.bar)).toBe(true);
    const texts = drawn.filter((d) => d.op === 'fillText').map((d) => [d.args[0], d.fill, d.align, d.args[2]]);
    const mid = (i: number) => i * ROW_PX + ROW_PX / 2;
    expect(texts).toEqual([
      ['100.0', 'green', 'left', mid(0)],
      ['99.5', 'green', 'left', mid(1)],
      ['99.0', 'green', 'left', mid(2)],
      ['2', 'white', 'right', mid(0)],
      ['3', 'white', 'right', mid(1)],
      ['5', 'white', 'right', mid(2)],
      ['2', 'grey', 'right', mid(0)],
      ['5', 'grey', 'right', mid(1)],
      ['10', 'grey', 'right', mid(2)],
    ]);
    expect(drawn.filter((d) => d.op === 'fillText' && d.args[0] === '10')[0]?.args[1]).toBe(columnEdges(290).total);
    expect(ctx.font).toBe('12px monospace');
  });

  it('draws no bar for an empty share and never outside the row', () => {
    const { ctx, drawn } = recorder();
    const [a, b] = view([[100, 1], [99, 1]]);
    paintSide(ctx, [{ ...a!, depth: 0 }, { ...b!, depth: 1.5 }], 200, 1, style);
    expect(drawn.filter((d) => d.op === 'fillRect').map((d) => d.args)).toEqual([[0, ROW_PX, 200, ROW_PX]]);
  });

  it('names a level the way a screen reader should read the row', () => {
    const [l] = view([[10000.5, 2]]);
    expect(levelName(l!, 'ask', 1)).toBe('Ask 10000.5, 2 contracts, total 2');
    expect(levelName(l!, 'bid', 2)).toBe('Bid 10000.50, 2 contracts, total 2');
  });
});

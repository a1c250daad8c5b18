import { describe, expect, it } from 'vitest';
import { applyBookDiff, BookCoalescer, mergeBookDiffInto, mergeBookDiffs, type BookUpdate, type Timers } from '../../../main/services/book-coalescer';
import type { BookDiff, Level, OrderBook } from '../../../main/coinpit/types';

/** A manual clock: timers fire only when the test advances time. */
class FakeTimers implements Timers {
  now = 0;
  #next = 1;
  readonly pending = new Map<number, { at: number; fn: () => void }>();
  set(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.pending].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= this.now) {
        this.pending.delete(id);
        t.fn();
      }
    }
  }
}

const level = (price: number, qty = 1, orders = 1): Level => ({ price, numberOfOrders: orders, totalQuantity: qty, instrument: 'X' });
const book = (bid: number, ask: number): OrderBook => ({ bid, ask, buy: [level(bid)], sell: [level(ask)] });
const diff = (bid: number | null, ask: number | null, buy: Level[] = [], sell: Level[] = []): BookDiff => ({
  bid,
  ask,
  buy: Object.fromEntries(buy.map((l) => [String(l.price), l])),
  sell: Object.fromEntries(sell.map((l) => [String(l.price), l])),
});

function setup() {
  const timers = new FakeTimers();
  const out: { at: number; update: BookUpdate }[] = [];
  const c = new BookCoalescer((update) => out.push({ at: timers.now, update }), { timers, windowMs: 50 });
  return { timers, out, c };
}

describe('BookCoalescer', () => {
  it('emits nothing before the window ends, then only the latest snapshot per instrument', () => {
    const { timers, out, c } = setup();
    for (let i = 0; i < 100; i++) c.book('A', book(100 + i, 200 + i));
    c.book('B', book(1, 2));
    timers.advance(49);
    expect(out).toEqual([]);
    timers.advance(1);
    expect(out.map((o) => o.update)).toEqual([
      { event: 'book', symbol: 'A', book: book(199, 299) },
      { event: 'book', symbol: 'B', book: book(1, 2) },
    ]);
  });

  it('never emits more than one update per instrument per 50 ms under a steady stream', () => {
    const { timers, out, c } = setup();
    for (let t = 0; t < 1000; t += 5) {
      c.book('A', book(t, t + 1));
      c.diff('B', diff(t, t + 1, [level(t)]));
      timers.advance(5);
    }
    timers.advance(100);
    for (const symbol of ['A', 'B']) {
      const times = out.filter((o) => o.update.symbol === symbol).map((o) => o.at);
      expect(times.length).toBeGreaterThan(10);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(50);
    }
    const lastA = out.filter((o) => o.update.symbol === 'A').at(-1)?.update;
    expect(lastA).toEqual({ event: 'book', symbol: 'A', book: book(995, 996) });
  });

  it('merges diffs within a window: later levels and bid/ask win', () => {
    const { timers, out, c } = setup();
    c.diff('A', diff(10, 12, [level(10, 5)], [level(12, 1)]));
    c.diff('A', diff(11, 12, [level(11, 2), level(10, 0, 0)]));
    timers.advance(50);
    expect(out.map((o) => o.update)).toEqual([
      { event: 'bookDiff', symbol: 'A', diff: { bid: 11, ask: 12, buy: { '10': level(10, 0, 0), '11': level(11, 2) }, sell: { '12': level(12, 1) } } },
    ]);
  });

  it('applies a diff that follows a pending snapshot to that snapshot', () => {
    const { timers, out, c } = setup();
    c.book('A', { bid: 10, ask: 12, buy: [level(10), level(9)], sell: [level(12)] });
    c.diff('A', diff(11, 12, [level(11, 3), level(9, 0, 0)], [level(13, 4)]));
    timers.advance(50);
    expect(out.map((o) => o.update)).toEqual([
      { event: 'book', symbol: 'A', book: { bid: 11, ask: 12, buy: [level(11, 3), level(10)], sell: [level(12), level(13, 4)] } },
    ]);
  });

  it('a snapshot replaces a pending diff', () => {
    const { timers, out, c } = setup();
    c.diff('A', diff(1, 2, [level(1)]));
    c.book('A', book(5, 6));
    timers.advance(50);
    expect(out.map((o) => o.update)).toEqual([{ event: 'book', symbol: 'A', book: book(5, 6) }]);
  });

  it('merges a long burst into one diff equal to merging them pairwise, without touching the callers\' diffs', () => {
    const { timers, out, c } = setup();
    const sent: BookDiff[] = [];
    let expected = diff(null, null);
    for (let i = 0; i < 2000; i++) {
      const d = diff(100 - (i % 7), 101 + (i % 5), [level(90 + (i % 40), i + 1, i % 3)], i % 2 ? [level(110 + (i % 30), i)] : []);
      sent.push(d);
      expected = mergeBookDiffs(expected, d);
      c.diff('A', d);
    }
    const copies = sent.map((d) => JSON.stringify(d));
    timers.advance(50);
    expect(out).toHaveLength(1);
    expect(out[0]?.update).toEqual({ event: 'bookDiff', symbol: 'A', diff: expected });
    // the accumulator is the coalescer's own: no diff it was given has changed
    expect(sent.map((d) => JSON.stringify(d))).toEqual(copies);
    expect((out[0]?.update as { diff: BookDiff }).diff).not.toBe(sent[0]);
  });

  it('a lone diff is forwarded as it came (no copy)', () => {
    const { timers, out, c } = setup();
    const d = diff(1, 2, [level(1)]);
    c.diff('A', d);
    timers.advance(50);
    expect((out[0]?.update as { diff: BookDiff }).diff).toBe(d);
  });

  it('applies many diffs after a snapshot and sorts once, leaving the snapshot as received', () => {
    const { timers, out, c } = setup();
    const snap: OrderBook = { bid: 10, ask: 12, buy: [level(10), level(9)], sell: [level(12)] };
    const copy = JSON.stringify(snap);
    c.book('A', snap);
    let expected = snap;
    for (let i = 0; i < 300; i++) {
      const d = diff(10, 12, [level(1 + (i % 9), i % 4, i % 4)], [level(12 + (i % 11), (i % 3) + 1)]);
      expected = applyBookDiff(expected, d);
      c.diff('A', d);
    }
    timers.advance(50);
    expect(out.map((o) => o.update)).toEqual([{ event: 'book', symbol: 'A', book: expected }]);
    expect(JSON.stringify(snap)).toBe(copy);
  });

  it('with a timer that fires at once (no window) forwards every diff by itself, in order', () => {
    const out: BookUpdate[] = [];
    const c = new BookCoalescer((u) => out.push(u), { timers: { set: (fn) => fn(), clear: () => undefined } });
    const diffs = Array.from({ length: 5 }, (_, i) => diff(i, i + 1, [level(i)]));
    for (const d of diffs) c.diff('A', d);
    c.book('B', book(1, 2));
    c.diff('A', diffs[0]!);
    expect(out).toEqual([...diffs.map((d) => ({ event: 'bookDiff', symbol: 'A', diff: d })), { event: 'book', symbol: 'B', book: book(1, 2) }, { event: 'bookDiff', symbol: 'A', diff: diffs[0] }]);
  });

  it('flush() emits at once; close() drops what is pending and ignores later input', () => {
    const { timers, out, c } = setup();
    c.book('A', book(1, 2));
    c.flush();
    expect(out).toHaveLength(1);
    expect(timers.pending.size).toBe(0);
    c.book('A', book(3, 4));
    c.close();
    c.book('A', book(5, 6));
    timers.advance(1000);
    expect(out).toHaveLength(1);
  });
});

describe('book helpers', () => {
  it('applyBookDiff keeps the sides sorted best first and removes emptied levels', () => {
    const b: OrderBook = { bid: 10, ask: 11, buy: [level(10), level(8)], sell: [level(11), level(13)] };
    const next = applyBookDiff(b, diff(9, 11, [level(9), level(10, 0, 0)], [level(12), level(13, 0, 0)]));
    expect(next).toEqual({ bid: 9, ask: 11, buy: [level(9), level(8)], sell: [level(11), level(12)] });
    expect(b.buy).toHaveLength(2); // the input is not modified
  });

  it('mergeBookDiffs overrides by price key', () => {
    expect(mergeBookDiffs(diff(1, 2, [level(1, 1)]), diff(3, 4, [level(1, 7)])).buy).toEqual({ '1': level(1, 7) });
  });

  it('mergeBookDiffs leaves both inputs as they were; mergeBookDiffInto changes and returns its target only', () => {
    const a = diff(1, 2, [level(1, 1)], [level(2, 1)]);
    const b = diff(3, 4, [level(1, 7), level(0.5, 2)]);
    const [ca, cb] = [JSON.stringify(a), JSON.stringify(b)];
    const merged = mergeBookDiffs(a, b);
    expect(JSON.stringify(a)).toBe(ca);
    expect(JSON.stringify(b)).toBe(cb);
    expect(merged).toEqual({ bid: 3, ask: 4, buy: { '1': level(1, 7), '0.5': level(0.5, 2) }, sell: { '2': level(2, 1) } });
    const target = diff(1, 2, [level(1, 1)]);
    expect(mergeBookDiffInto(target, b)).toBe(target);
    expect(target).toEqual({ bid: 3, ask: 4, buy: { '1': level(1, 7), '0.5': level(0.5, 2) }, sell: {} });
    expect(JSON.stringify(b)).toBe(cb);
  });
});

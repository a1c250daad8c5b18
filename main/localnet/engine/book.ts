// One side of an order book on integer ticks with price-time priority.
// Levels sit in an IntIndex<PriceLevel> by tick (open.ts); a sorted key array (best level LAST, so inserts near the touch are
// cheap) gives ordered walks with binary search. Each level is an intrusive doubly linked FIFO of orders.

import { IntIndex } from './open';

export interface BookEntry {
  quantity: number;
  filled: number;
  cancelled: number;
  /** Book price in ticks. */
  _tick: number;
  /** Time priority: lower = earlier. */
  _prio: number;
  _prev: BookEntry | null;
  _next: BookEntry | null;
  _level: PriceLevel | null;
}

export class PriceLevel {
  head: BookEntry | null = null;
  tail: BookEntry | null = null;
  count = 0;
  /** Open quantity resting at this level. */
  total = 0;
  constructor(readonly tick: number) {}
}

export const openQty = (o: { quantity: number; filled: number; cancelled: number }): number =>
  o.quantity - o.filled - o.cancelled;

/** First index i with a[i] > x (a ascending). */
export function upperBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class BookSide {
  /** Ascending keys, best level last: bids key = tick, asks key = −tick. */
  readonly keys: number[] = [];
  readonly levels = new IntIndex<PriceLevel>();
  /**
   * Ticks whose level changed since the last drain (for difforderbook): the first `nTouched` entries, in any order
   * and possibly repeated (takeTouched sorts and dedupes). A list instead of a Set: no hashing per change and no
   * new table on every clear.
   */
  readonly touched: number[] = [];
  nTouched = 0;

  constructor(readonly isBuy: boolean) {}

  key(tick: number): number {
    return this.isBuy ? tick : -tick;
  }

  tickOfKey(key: number): number {
    return this.isBuy ? key : -key;
  }

  get size(): number {
    return this.keys.length;
  }

  bestTick(): number | null {
    const k = this.keys[this.keys.length - 1];
    return k === undefined ? null : this.tickOfKey(k);
  }

  level(tick: number): PriceLevel | undefined {
    return this.levels.get(tick);
  }

  /** The best level whose key lies in [loKey, hiKey], or null. */
  bestIn(loKey: number, hiKey: number): PriceLevel | null {
    const keys = this.keys;
    const i = upperBound(keys, hiKey) - 1;
    if (i < 0) return null;
    const k = keys[i] as number;
    return k < loKey ? null : (this.levels.get(this.tickOfKey(k)) as PriceLevel);
  }

  /** Adds an order at o._tick, behind every order with a lower or equal _prio. */
  add(o: BookEntry): void {
    let lvl = this.levels.get(o._tick);
    if (!lvl) {
      lvl = new PriceLevel(o._tick);
      this.levels.set(o._tick, lvl);
      const k = this.key(o._tick);
      const i = upperBound(this.keys, k);
      this.keys.splice(i, 0, k);
    }
    // walk back from the tail: new orders (highest prio) append in O(1)
    let after = lvl.tail;
    while (after && after._prio > o._prio) after = after._prev;
    o._level = lvl;
    o._prev = after;
    if (after) {
      o._next = after._next;
      after._next = o;
    } else {
      o._next = lvl.head;
      lvl.head = o;
    }
    if (o._next) o._next._prev = o;
    else lvl.tail = o;
    lvl.count++;
    lvl.total += openQty(o);
    this.touched[this.nTouched++] = o._tick;
  }

  /** Unlinks an order; its open quantity must still be what was counted in the level. */
  remove(o: BookEntry): void {
    const lvl = o._level;
    if (!lvl) return;
    if (o._prev) o._prev._next = o._next;
    else lvl.head = o._next;
    if (o._next) o._next._prev = o._prev;
    else lvl.tail = o._prev;
    lvl.count--;
    lvl.total -= openQty(o);
    o._prev = o._next = null;
    o._level = null;
    this.touched[this.nTouched++] = lvl.tick;
    if (lvl.count === 0) this.dropLevel(lvl.tick);
  }

  /** A fill of qty against a resting order: it shrinks, and leaves the book when nothing is left open. */
  fillResting(o: BookEntry, qty: number): void {
    o.filled += qty;
    this.reduced(o, qty);
    if (openQty(o) === 0) this.remove(o);
  }

  /** Call after an order's open quantity dropped by qty while it stays in the book. */
  reduced(o: BookEntry, qty: number): void {
    const lvl = o._level;
    if (!lvl) return;
    lvl.total -= qty;
    this.touched[this.nTouched++] = lvl.tick;
  }

  /** Writes the distinct touched ticks, ascending, into `out` (from 0) and forgets them; returns how many. */
  takeTouched(out: number[]): number {
    const n = this.nTouched;
    const t = this.touched;
    this.nTouched = 0;
    if (n <= 32) {
      // insertion sort in place (no allocation), then drop repeats
      for (let i = 1; i < n; i++) {
        const x = t[i] as number;
        let j = i - 1;
        while (j >= 0 && (t[j] as number) > x) {
          t[j + 1] = t[j] as number;
          j--;
        }
        t[j + 1] = x;
      }
      let k = 0;
      for (let i = 0; i < n; i++) if (k === 0 || t[i] !== out[k - 1]) out[k++] = t[i] as number;
      return k;
    }
    const distinct = [...new Set(t.slice(0, n))].sort((a, b) => a - b);
    for (let i = 0; i < distinct.length; i++) out[i] = distinct[i] as number;
    return distinct.length;
  }

  private dropLevel(tick: number): void {
    this.levels.delete(tick);
    const k = this.key(tick);
    const i = upperBound(this.keys, k) - 1;
    if (this.keys[i] === k) this.keys.splice(i, 1);
  }

  /** Levels best first, up to n. */
  top(n: number): PriceLevel[] {
    const out: PriceLevel[] = [];
    for (let i = this.keys.length - 1; i >= 0 && out.length < n; i--) {
      out.push(this.levels.get(this.tickOfKey(this.keys[i] as number)) as PriceLevel);
    }
    return out;
  }

  /** Every resting order, best level first, FIFO within a level. */
  *orders(): Generator<BookEntry> {
    for (let i = this.keys.length - 1; i >= 0; i--) {
      const lvl = this.levels.get(this.tickOfKey(this.keys[i] as number));
      for (let o = lvl ? lvl.head : null; o; o = o._next) yield o;
    }
  }

  /** Structural self-check; returns problems found. */
  check(label: string): string[] {
    const errs: string[] = [];
    if (this.keys.length !== this.levels.size) errs.push(`${label}: ${this.keys.length} keys vs ${this.levels.size} levels`);
    for (let i = 1; i < this.keys.length; i++) {
      if ((this.keys[i - 1] as number) >= (this.keys[i] as number)) errs.push(`${label}: keys not strictly ascending`);
    }
    for (const key of this.keys) {
      const tick = this.tickOfKey(key);
      const lvl = this.levels.get(tick);
      if (!lvl) {
        errs.push(`${label}@${tick}: key without a level`);
        continue;
      }
      let n = 0;
      let t = 0;
      let prev: BookEntry | null = null;
      for (let o = lvl.head; o; o = o._next) {
        if (o._prev !== prev) errs.push(`${label}@${tick}: broken links`);
        if (o._tick !== tick || o._level !== lvl) errs.push(`${label}@${tick}: order at wrong level`);
        if (openQty(o) <= 0) errs.push(`${label}@${tick}: order with no open quantity rests`);
        if (prev && prev._prio > o._prio) errs.push(`${label}@${tick}: time priority broken`);
        n++;
        t += openQty(o);
        prev = o;
      }
      if (lvl.tail !== prev) errs.push(`${label}@${tick}: wrong tail`);
      if (n === 0) errs.push(`${label}@${tick}: empty level kept`);
      if (n !== lvl.count || t !== lvl.total) errs.push(`${label}@${tick}: count/total ${lvl.count}/${lvl.total} vs ${n}/${t}`);
    }
    return errs;
  }
}

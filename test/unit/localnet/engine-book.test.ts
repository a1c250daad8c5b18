// BookSide: sorted levels (best last), FIFO inside a level, removal, priority re-insertion; and the seeded Rng.
import { describe, expect, it } from 'vitest';
import { BookSide, openQty, type BookEntry } from '../../../main/localnet/engine/book';
import { Rng } from '../../../main/localnet/engine/rng';

let prio = 0;
function entry(tick: number, qty: number, p = ++prio): BookEntry {
  return { quantity: qty, filled: 0, cancelled: 0, _tick: tick, _prio: p, _prev: null, _next: null, _level: null };
}

describe('BookSide', () => {
  it('keeps bids best (highest) last and asks best (lowest) last', () => {
    const bids = new BookSide(true);
    const asks = new BookSide(false);
    for (const t of [10010, 10005, 10020, 10001]) {
      bids.add(entry(t, 1));
      asks.add(entry(t, 1));
    }
    expect(bids.bestTick()).toBe(10020);
    expect(asks.bestTick()).toBe(10001);
    expect(bids.top(10).map((l) => l.tick)).toEqual([10020, 10010, 10005, 10001]);
    expect(asks.top(2).map((l) => l.tick)).toEqual([10001, 10005]);
    expect(bids.check('bids')).toEqual([]);
    expect(asks.check('asks')).toEqual([]);
  });

  it('is FIFO inside a level, counts orders and open quantity, drops empty levels', () => {
    const s = new BookSide(true);
    const a = entry(100, 2);
    const b = entry(100, 3);
    const c = entry(100, 4);
    s.add(a);
    s.add(b);
    s.add(c);
    const lvl = s.level(100)!;
    expect([lvl.head, lvl.tail, lvl.count, lvl.total]).toEqual([a, c, 3, 9]);
    s.remove(b);
    expect([lvl.head!._next, lvl.count, lvl.total]).toEqual([c, 2, 6]);
    a.filled += 1;
    s.reduced(a, 1);
    expect(lvl.total).toBe(5);
    expect(openQty(a)).toBe(1);
    s.remove(a);
    s.remove(c);
    expect(s.level(100)).toBeUndefined();
    expect(s.size).toBe(0);
    expect(s.bestTick()).toBeNull();
    const ticks: number[] = [];
    expect(ticks.slice(0, s.takeTouched(ticks))).toEqual([100]); // distinct touched ticks, then forgotten
    expect(s.takeTouched(ticks)).toBe(0);
    expect(s.check('s')).toEqual([]);
  });

  it('re-inserts an order at its original time priority', () => {
    const s = new BookSide(false);
    const a = entry(50, 1);
    const b = entry(50, 1);
    const c = entry(50, 1);
    for (const x of [a, b, c]) s.add(x);
    s.remove(b);
    s.add(b);
    expect([...s.orders()]).toEqual([a, b, c]);
    expect(s.check('s')).toEqual([]);
  });

  it('check() notices corruption', () => {
    const s = new BookSide(true);
    const a = entry(7, 1);
    s.add(a);
    a.cancelled = 1; // no open quantity, still resting
    expect(s.check('s').length).toBeGreaterThan(0);
  });

  it('handles many levels with random adds and removes', () => {
    const rng = new Rng(5);
    const s = new BookSide(false);
    const live: BookEntry[] = [];
    for (let i = 0; i < 5000; i++) {
      if (live.length && rng.next() < 0.4) {
        const j = rng.int(live.length);
        s.remove(live[j]!);
        live.splice(j, 1);
      } else {
        const o = entry(1000 + rng.int(300), 1 + rng.int(5));
        s.add(o);
        live.push(o);
      }
    }
    expect(s.check('s')).toEqual([]);
    expect([...s.orders()].length).toBe(live.length);
    const ticks = s.top(1000).map((l) => l.tick);
    expect(ticks).toEqual([...ticks].sort((x, y) => x - y));
  });
});

describe('Rng', () => {
  it('is deterministic per seed and resumes from its state', () => {
    const a = new Rng(1);
    const b = new Rng(1);
    expect([a.u32(), a.u32(), a.uuid()]).toEqual([b.u32(), b.u32(), b.uuid()]);
    const c = new Rng(a.state());
    expect(c.uuid()).toBe(a.uuid());
    expect(new Rng(2).uuid()).not.toBe(new Rng(1).uuid());
    expect(a.state().every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
  });

  it('makes RFC 4122 version-4 uuids', () => {
    const r = new Rng(3);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const u = r.uuid();
      expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(u);
    }
    expect(seen.size).toBe(2000);
    expect(() => new Rng(Number.NaN)).toThrow(/seed/);
  });
});

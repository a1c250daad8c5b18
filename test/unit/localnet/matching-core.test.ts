// The matching walk (walkBook) and the bare matching core the engine benchmark measures (bench/matching-core.ts):
// price-time priority, range limits, stopping, and the same book as nodejs-order-book after every op of a seeded
// stream (so the benchmark compares like with like).
import { OrderBook, Side } from 'nodejs-order-book';
import { describe, expect, it } from 'vitest';
import { BareBook } from '../../../bench/matching-core';
import { BookSide, openQty, type BookEntry } from '../../../main/localnet/engine/book';
import { walkBook } from '../../../main/localnet/engine/matching';
import { Rng } from '../../../main/localnet/engine/rng';

let prio = 0;
function entry(tick: number, qty: number): BookEntry {
  return { quantity: qty, filled: 0, cancelled: 0, _tick: tick, _prio: ++prio, _prev: null, _next: null, _level: null };
}

/** Records every meeting and fills like the bare core does. */
function recorder(opp: BookSide, stopAfter = Infinity): { met: [BookEntry, number][]; meet: (t: BookEntry, m: BookEntry, tick: number) => boolean } {
  const met: [BookEntry, number][] = [];
  return {
    met,
    meet(taker, maker, tick) {
      met.push([maker, tick]);
      const q = Math.min(openQty(taker), openQty(maker));
      opp.fillResting(maker, q);
      taker.filled += q;
      return met.length >= stopAfter;
    },
  };
}

describe('walkBook', () => {
  it('meets the best level first and the oldest order first inside a level', () => {
    const asks = new BookSide(false);
    const a1 = entry(101, 2);
    const b1 = entry(100, 1);
    const b2 = entry(100, 1);
    const c1 = entry(102, 5);
    for (const o of [a1, b1, b2, c1]) asks.add(o);
    const taker = entry(0, 6);
    const r = recorder(asks);
    walkBook(asks, taker, 102, 0, 1000, r);
    expect(r.met).toEqual([[b1, 100], [b2, 100], [a1, 101], [c1, 102]]);
    expect(openQty(taker)).toBe(0);
    expect(openQty(c1)).toBe(3); // partly filled, still resting
    expect(asks.bestTick()).toBe(102);
    expect(asks.level(100)).toBeUndefined();
    expect(asks.check('asks')).toEqual([]);
  });

  it('stops at the taker\'s limit and at the band, on either side', () => {
    const bids = new BookSide(true);
    for (const t of [99, 98, 97, 90]) bids.add(entry(t, 1));
    const sell = entry(0, 10);
    const r = recorder(bids);
    walkBook(bids, sell, 98, 0, 1000, r); // a sell limited at 98 takes 99 and 98 only
    expect(r.met.map(([, t]) => t)).toEqual([99, 98]);
    const r2 = recorder(bids);
    walkBook(bids, entry(0, 10), 0, 95, 1000, r2); // band floor 95: 97 only
    expect(r2.met.map(([, t]) => t)).toEqual([97]);
    expect(bids.bestTick()).toBe(90);

    const asks = new BookSide(false);
    for (const t of [101, 103, 110]) asks.add(entry(t, 1));
    const r3 = recorder(asks);
    walkBook(asks, entry(0, 10), 200, 0, 105, r3); // band ceiling 105: 101 and 103
    expect(r3.met.map(([, t]) => t)).toEqual([101, 103]);
    const r4 = recorder(asks);
    walkBook(asks, entry(0, 10), 109, 0, 1000, r4); // limit below the only level left: nothing
    expect(r4.met).toEqual([]);
    expect(asks.bestTick()).toBe(110);
  });

  it('stops when the meeting says the taker is done, and does nothing for an empty range', () => {
    const asks = new BookSide(false);
    for (const t of [100, 100, 101]) asks.add(entry(t, 1));
    const r = recorder(asks, 1);
    const taker = entry(0, 5);
    walkBook(asks, taker, 200, 0, 1000, r);
    expect(r.met.length).toBe(1);
    expect(openQty(taker)).toBe(4);
    const r2 = recorder(asks);
    walkBook(asks, taker, 200, 150, 140, r2); // minT above maxT
    expect(r2.met).toEqual([]);
  });

  it('meets a level again after the meeting removed its head without filling (self-trade prevention)', () => {
    const asks = new BookSide(false);
    const own = entry(100, 3);
    const other = entry(100, 2);
    asks.add(own);
    asks.add(other);
    const taker = entry(0, 2);
    const seen: BookEntry[] = [];
    walkBook(asks, taker, 100, 0, 1000, {
      meet(t, maker) {
        seen.push(maker);
        if (maker === own) {
          asks.remove(own); // cancelled instead of traded
          return false;
        }
        asks.fillResting(maker, 2);
        t.filled += 2;
        return false;
      },
    });
    expect(seen).toEqual([own, other]);
    expect(openQty(taker)).toBe(0);
    expect(asks.size).toBe(0);
  });
});

type Op = { kind: 'limit' | 'market' | 'cancel'; id: string; side: 'buy' | 'sell'; tick: number; qty: number };

/** A seeded stream with crossing limit orders too (the benchmark's limits never cross). */
function stream(n: number, seed: number): Op[] {
  const rng = new Rng(seed);
  const ops: Op[] = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    const side = rng.next() < 0.5 ? 'buy' : 'sell';
    if (r < 0.6 || ids.length === 0) {
      const tick = 1000 + (side === 'buy' ? -1 : 1) * (rng.int(12) - 3); // some cross the touch
      ops.push({ kind: 'limit', id: `o${i}`, side, tick, qty: 1 + rng.int(9) });
      ids.push(`o${i}`);
    } else if (r < 0.85) {
      ops.push({ kind: 'cancel', id: ids[rng.int(ids.length)] as string, side, tick: 0, qty: 0 });
    } else {
      ops.push({ kind: 'market', id: `o${i}`, side, tick: 0, qty: 1 + rng.int(30) });
    }
  }
  return ops;
}

/** The book as [price in ticks, [[id, open quantity]…]] per level, best first. */
type Levels = [number, [string, number][]][];

function coreLevels(book: BareBook): Levels {
  return [book.bids, book.asks].flatMap((side) =>
    side.top(1_000).map((l): [number, [string, number][]] => {
      const orders: [string, number][] = [];
      for (let o = l.head; o; o = o._next) orders.push([(o as unknown as { uuid: string }).uuid, openQty(o)]);
      return [side.isBuy ? l.tick : -l.tick, orders];
    }),
  );
}

function libraryLevels(ob: OrderBook): Levels {
  const snap = ob.snapshot();
  // nodejs-order-book lists bids and asks best first too; prices are ticks / 10
  const side = (levels: typeof snap.bids, sign: number): Levels =>
    levels.map((l) => [sign * Math.round(l.price * 10), l.orders.map((o): [string, number] => [o.id, o.size])]);
  return [...side(snap.bids, 1), ...side(snap.asks, -1)];
}

describe('the bare matching core the benchmark measures', () => {
  it.each([1, 2, 3])('leaves the same book as nodejs-order-book after every op of a seeded stream (seed %i)', (seed) => {
    const core = new BareBook(0, 1_000_000);
    const lib = new OrderBook();
    let traded = 0;
    for (const op of stream(2_000, seed)) {
      const side = op.side === 'buy' ? Side.BUY : Side.SELL;
      if (op.kind === 'limit') {
        core.limit(op.id, op.side, op.tick, op.qty);
        lib.limit({ side, id: op.id, size: op.qty, price: op.tick / 10 });
      } else if (op.kind === 'market') {
        traded += core.market(op.id, op.side, op.qty);
        lib.market({ side, size: op.qty });
      } else {
        expect(core.cancel(op.id)).toBe(lib.cancel(op.id) !== undefined);
      }
      core.changedLevels();
      expect(coreLevels(core)).toEqual(libraryLevels(lib));
    }
    expect(traded).toBeGreaterThan(100); // the stream really trades
    expect(core.bids.check('bids')).toEqual([]);
    expect(core.asks.check('asks')).toEqual([]);
  });
});

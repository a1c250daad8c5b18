// The engine's speed-ups must not show: memoized entry margins equal fresh computations, wire orders are plain
// independent objects, compact exit records and lazily built execution uuids read back exactly as full ones, and a
// long mixed command stream gives byte-identical outcomes and snapshots to the engine before the speed-ups.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { orderMargin } from '../../../main/coinpit/instruments';
import type { Order, OrderRequest } from '../../../main/coinpit/types';
import { Engine, type PatchInput } from '../../../main/localnet/engine/engine';
import { Rng } from '../../../main/localnet/engine/rng';
import { A, B, C, T0, makeEngine, ok, open, place } from './engine-helpers';

const USERS = ['mCacheUserA0000000000000000000000', 'mCacheUserB0000000000000000000000', 'mCacheUserC0000000000000000000000'];

function symbols(e: Engine): string[] {
  return Object.values(e.instruments()).sort((a, b) => a.expiry - b.expiry).map((i) => i.symbol);
}

/**
 * A seeded stream over every command (places incl. batches, repeated clientids and postOnly, cancels, price
 * updates, index moves, merges, splits, patch errors, cancel-all, balance changes, expiries) with queries in
 * between. Returns one text of every outcome and query result, in order.
 */
function trace(seed: number, n: number, opts: { historyLimit?: number; executionLimit?: number } = {}): string {
  const e = new Engine({ now: T0, seed, index: 1000, ...opts });
  const rng = new Rng(seed);
  const out: string[] = [];
  let now = T0;
  let index = 1000;
  const put = (x: unknown): void => void out.push(JSON.stringify(x) ?? 'undefined');
  for (const u of USERS) put(e.setMarginBalance(now, u, 2_000_000_000));
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    const user = USERS[rng.int(USERS.length)] as string;
    const pick = rng.next();
    const side = rng.next() < 0.5 ? 'buy' : 'sell';
    const qty = 1 + rng.int(6);
    const off = rng.int(80) - 40;
    const type = rng.next();
    const target = rng.next() < 0.3 ? 'NONE' : rng.int(60) / 10;
    const stop = 2 + rng.int(80) / 10;
    const move = rng.int(100) - 50;
    now += rng.int(20_000);
    const sym = symbols(e)[pick < 0.8 ? 0 : 1] as string;
    if (r < 0.45) {
      const orderType = type < 0.6 ? 'LMT' : type < 0.8 ? 'MKT' : type < 0.9 ? 'SLM' : 'STM';
      const req: OrderRequest = {
        clientid: pick < 0.05 ? `c${seed}-${Math.max(0, i - 3)}` : `c${seed}-${i}`, userid: user, instrument: sym, side,
        quantity: qty, orderType, stopPrice: stop, targetPrice: target, crossMargin: pick < 0.1,
      };
      if (orderType !== 'MKT') req.price = (Math.round(index * 10) + off) / 10;
      if (pick > 0.97) req.postOnly = true;
      put(e.placeOrders(now, user, pick > 0.9 ? [req, { ...req, clientid: `${req.clientid}b`, quantity: qty + 1 }, { ...req }] : [req], `r${i}`));
    } else if (r < 0.55) {
      const mine = e.openOrders(user).filter((o) => o.orderType !== 'STP');
      const o = mine[Math.floor(pick * mine.length)];
      put(e.cancelOrders(now, user, [o ? o.uuid : 'nope'], `r${i}`));
    } else if (r < 0.68) {
      const mine = e.openOrders(user);
      const o = mine[Math.floor(pick * mine.length)];
      const price = (Math.round(index * 10) + move) / 10;
      if (o) put(e.updateOrders(now, user, [{ uuid: o.uuid, price: o.orderType === 'TGT' && move > 40 ? 'NONE' : price }], `r${i}`));
    } else if (r < 0.8) {
      index = Math.max(500, Math.round((index + (rng.next() - 0.5) * 12) * 10) / 10);
      put(e.setIndex(now, index));
    } else if (r < 0.88) {
      const stops = e.openOrders(user, symbols(e)[0]).filter((o) => o.orderType === 'STP' && !o.triggered);
      const sells = stops.filter((o) => o.side === 'sell');
      const buys = stops.filter((o) => o.side === 'buy');
      const group = sells.length >= buys.length ? sells : buys;
      const first = group[0];
      let ops: PatchInput[];
      if (pick < 0.5 && group.length >= 2) ops = [{ op: 'merge', value: group.slice(0, 3).map((o) => o.uuid) }];
      else if (first && first.quantity - first.filled - first.cancelled > 1) ops = [{ op: 'split', value: [first.uuid], quantity: 1 }];
      else ops = [{ op: 'remove', value: ['missing'] }, { op: 'replace', value: [{ uuid: 'x', price: 3 }] }];
      put(e.patch(now, user, ops, `r${i}`));
    } else if (r < 0.92) {
      put(e.cancelAll(now, user, pick < 0.5 ? symbols(e)[0] : undefined, `r${i}`));
    } else if (r < 0.96) {
      put(e.setMarginBalance(now, user, [2_000_000_000, 50_000_000, 1_000_000][rng.int(3)] as number));
    } else {
      const first = Object.values(e.instruments()).sort((a, b) => a.expiry - b.expiry)[0];
      if (first && pick < 0.3) now = Math.max(now, first.expiry + 1000);
      const ex = e.expire(now);
      put(ex);
      if (ex.ok) for (const s of ex.result.expired) put([e.pendingSettlement(s), e.settlePnl(now, s)]);
    }
    if (i % 40 === 0) {
      for (const u of USERS) {
        const execs = e.executions(u);
        put([e.account(u, { multisig: 1, accountid: 'a' }), e.freeMargin(u), e.availableMargin(u, 'max-cross'), execs]);
        if (execs[1]) put(e.executions(u, execs[1].uuid));
        for (const s of symbols(e)) {
          const closed = e.closedOrders(u, s);
          put([closed, e.cancelledOrders(u, s)]);
          if (closed[1]) put([e.closedOrders(u, s, closed[1].uuid), e.order(u, closed[1].uuid)]);
        }
      }
      put([e.orderbooks(5), e.bands(), e.info(now), ...symbols(e).map((s) => [e.trades(s, 20), e.candles(s, 5)])]);
      put(e.toJSON());
    }
  }
  put(e.toJSON());
  put(e.checkInvariants());
  return out.join('\n');
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('engine caches and compact records are invisible', () => {
  it('memoized entry margins equal a fresh orderMargin (across band moves, stops, cross margin)', () => {
    const { e, sym } = makeEngine();
    const inst = e.instrument(sym)!;
    const rng = new Rng(5);
    let index = 1000;
    let checked = 0;
    for (let i = 0; i < 400; i++) {
      if (i % 25 === 0) {
        index = Math.round((index + (rng.next() - 0.5) * 8) * 10) / 10;
        ok(e.setIndex(T0, index));
      }
      const u = [A, B, C][rng.int(3)] as string;
      const side = rng.next() < 0.5 ? 'buy' : 'sell';
      const orderType = (['LMT', 'MKT', 'SLM', 'STM'] as const)[rng.int(4)]!;
      const stopPrice = [2, 3.5, 5, 8.1][rng.int(4)]!;
      const crossMargin = rng.next() < 0.2;
      const price = orderType === 'MKT' ? undefined : (Math.round(index * 10) + (side === 'buy' ? -30 : 30) + rng.int(10)) / 10;
      const req: Partial<OrderRequest> = { side, orderType, stopPrice, crossMargin, quantity: 1 + rng.int(3) };
      if (price !== undefined) req.price = price;
      const bands = e.bands();
      const [o] = ok(e.placeOrders(T0, u, [{ clientid: `m${i}`, userid: u, instrument: sym, targetPrice: 'NONE', ...req } as OrderRequest]));
      const fresh = orderMargin({ side, quantity: 1, filled: 0, cancelled: 0, orderType, price, crossMargin, cushion: inst.stopcushion, stopPrice }, inst, bands, 'min-cross');
      expect(o!.marginPerQty).toBe(fresh);
      checked++;
      // an update prices the margin through the same memo
      if (o!.status === 'open' && o!.orderType === 'LMT' && i % 3 === 0) {
        const newPrice = (price as number) + (side === 'buy' ? -0.5 : 0.5);
        const [up] = ok(e.updateOrders(T0, u, [{ uuid: o!.uuid, price: newPrice }]));
        const again = orderMargin({ side, quantity: 1, filled: 0, cancelled: 0, orderType, price: newPrice, crossMargin, cushion: inst.stopcushion, stopPrice }, inst, e.bands(), 'min-cross');
        expect(up!.marginPerQty).toBe(again);
      }
    }
    expect(checked).toBe(400);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('wire orders are plain objects, fresh on every call, and changing them changes nothing inside', () => {
    const { e, sym } = makeEngine();
    const sell = place(e, A, sym, { side: 'sell', price: 1001, quantity: 2 });
    const out = e.placeOrders(T0, B, [{ clientid: 'w1', userid: B, instrument: sym, side: 'buy', quantity: 2, orderType: 'LMT', price: 1001, stopPrice: 5, targetPrice: 3 }]);
    const [buy] = ok(out);
    const wires: Order[] = [buy!, sell, ...open(e, B)];
    for (const ev of out.events) if ((ev.name === 'order_add' || ev.name === 'order_update') && ev.payload.result) wires.push(...ev.payload.result);
    for (const w of wires) {
      expect(Object.getPrototypeOf(w)).toBe(Object.prototype);
      expect(w.constructor).toBe(Object);
      expect(Object.getPrototypeOf(w.entryOrder)).toBe(null);
      for (const [k, v] of Object.entries(w)) expect(v, k).not.toBeUndefined(); // optional keys absent, not undefined
    }
    const [stp] = open(e, B, 'STP');
    expect(Object.keys(stp!)).toEqual([
      'uuid', 'userid', 'instrument', 'side', 'quantity', 'filled', 'cancelled', 'price', 'averagePrice', 'orderType',
      'crossMargin', 'cushion', 'reservedTicks', 'commission', 'reward', 'status', 'entryTime', 'eventTime', 'entryOrder',
      'normalizedPrice', 'stopPrice', 'targetPrice', 'oco', 'entryPrice', 'entryPrices', 'entryAmounts', 'entryAmount',
      'normalizedEntryPrice', 'maxStop', 'normalizedMaxStop',
    ]);
    expect(stp!.entryOrder).toEqual({ [buy!.uuid]: 2 });
    const before = JSON.stringify(e.toJSON());
    for (const w of wires) {
      w.quantity = 999;
      if (w.entryOrder) w.entryOrder[w.uuid] = 7;
      w.entryPrices?.push(1);
      w.entryAmounts?.push(1);
    }
    expect(JSON.stringify(e.toJSON())).toBe(before);
    expect(open(e, B, 'STP')[0]).toEqual(stp);
  });

  it('compact exit records write out like full ones: extended, merged, split, snapshotted', () => {
    const { e, sym } = makeEngine();
    const b = place(e, B, sym, { side: 'buy', price: 1001, quantity: 8, targetPrice: 2 });
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 2 });
    place(e, C, sym, { side: 'sell', price: 1001, quantity: 1 }); // extends B's pair
    let [stp] = open(e, B, 'STP');
    expect(stp).toMatchObject({ quantity: 3, entryOrder: { [b.uuid]: 3 }, entryPrices: [1001], entryAmounts: [stp!.entryAmount] });
    const snap = e.toJSON();
    const rec = snap.orders.find((o) => o.uuid === stp!.uuid)!;
    expect(rec).toMatchObject({ entryOrder: { [b.uuid]: 3 }, entryPrices: [1001], entryAmounts: [stp!.entryAmount] });
    expect(snap.orders.find((o) => o.uuid === b.uuid)).toMatchObject({ _exits: { '10010': stp!.uuid } });
    // a restored engine continues identically: another fill at 1001 extends the same pair on both
    const r = Engine.fromJSON(JSON.parse(JSON.stringify(snap)));
    for (const x of [e, r]) place(x, A, sym, { clientid: 'again', side: 'sell', price: 1001, quantity: 1 });
    expect(JSON.stringify(r.toJSON())).toBe(JSON.stringify(e.toJSON()));
    [stp] = open(e, B, 'STP');
    expect(stp).toMatchObject({ quantity: 4, entryOrder: { [b.uuid]: 4 }, entryAmounts: [stp!.entryAmount] });
    // a fill at another price gets its own pair; merging writes out both prices, splitting keeps the entry
    ok(e.updateOrders(T0, B, [{ uuid: b.uuid, price: 1000 }]));
    place(e, C, sym, { side: 'sell', price: 1000, quantity: 2 });
    const stps = open(e, B, 'STP');
    expect(stps.map((s) => s.entryPrice)).toEqual([1001, 1000]);
    const merged = ok(e.patch(T0, B, [{ op: 'merge', value: stps.map((s) => s.uuid) }]))[0]!;
    expect(merged.error).toBeUndefined();
    const [mstp] = open(e, B, 'STP');
    expect(mstp!.entryPrices).toEqual([1001, 1000]);
    expect(mstp!.entryOrder).toEqual({ [b.uuid]: 6 });
    const split = ok(e.patch(T0, B, [{ op: 'split', value: [mstp!.uuid], quantity: 2 }]))[0]!;
    expect(split.error).toBeUndefined();
    const after = open(e, B, 'STP');
    expect(after.map((s) => s.quantity - s.filled - s.cancelled)).toEqual([4, 2]);
    expect(after[1]).toMatchObject({ entryOrder: { [b.uuid]: 2 }, entryPrices: [1001, 1000], entryAmounts: [after[1]!.entryAmount] });
    expect(e.checkInvariants()).toEqual([]);
  });

  it('execution uuids are built when read, and stay the same (calls, pages, snapshots)', () => {
    const { e, sym } = makeEngine();
    for (let i = 0; i < 5; i++) {
      place(e, A, sym, { side: 'sell', price: 1001 + i, quantity: 2 });
      place(e, B, sym, { side: 'buy', price: 1001 + i, quantity: 2 });
    }
    const first = e.executions(A);
    expect(first).toHaveLength(5);
    for (const x of first) expect(x.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set([...first, ...e.executions(B)].map((x) => x.uuid)).size).toBe(10);
    expect(e.executions(A)).toEqual(first);
    expect(e.executions(A, first[1]!.uuid)).toEqual(first.slice(2));
    const r = Engine.fromJSON(JSON.parse(JSON.stringify(e.toJSON())));
    expect(r.executions(A)).toEqual(first);
    expect(r.executions(B)).toEqual(e.executions(B));
  });

  it('outcomes and snapshots are byte-identical to the engine before the speed-ups', () => {
    // sha256 of trace() as the engine of commit 52f0f8a (before the speed-ups) produced it. If a deliberate
    // behaviour change moves it, check the change and record the new value.
    const full = trace(1, 500) + trace(2, 500);
    const trimmed = trace(3, 500, { historyLimit: 4, executionLimit: 5 });
    expect(full.length).toBeGreaterThan(100_000);
    expect([sha256(full), sha256(trimmed)]).toEqual([FULL_TRACE_SHA256, TRIMMED_TRACE_SHA256]);
  });
});

const FULL_TRACE_SHA256 = 'b9355f5a19834e3af877a7455227cea4c13d091847e35ea701a9792e32fba780';
const TRIMMED_TRACE_SHA256 = '8887de10a4927690c79898d5687fe722a12c36112af5757cfaaacab0e0339dba';

// Stops and targets (§5.5, §8.14): created on fill relative to the fill price, extended by later fills,
// one-cancels-other, the index-triggered atomic stop that fills no worse than maxStop, SLM/STM triggers,
// and exits that always cover the net position.
import { describe, expect, it } from 'vitest';
import { maxStopPrice, np, stopTriggerPrice, targetPrice } from '../../../main/coinpit/instruments';
import { A, B, C, T0, makeEngine, ok, open, place } from './engine-helpers';

describe('exit orders on fill', () => {
  it('creates an STP/TGT pair relative to the fill price, linked by oco', () => {
    const { e, sym } = makeEngine();
    const inst = e.instrument(sym)!;
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 2 });
    const b = place(e, B, sym, { side: 'buy', price: 1003, quantity: 2, stopPrice: 5, targetPrice: 3 });
    const [stp] = open(e, B, 'STP');
    const [tgt] = open(e, B, 'TGT');
    expect(stp).toMatchObject({
      side: 'sell', quantity: 2, price: stopTriggerPrice('buy', 1001, 5, inst), maxStop: maxStopPrice('sell', 996, 2, inst),
      normalizedMaxStop: np(994, inst), entryPrice: 1001, entryAmount: 2 * np(1001, inst), normalizedEntryPrice: np(1001, inst),
      entryOrder: { [b.uuid]: 2 }, oco: tgt!.uuid, stopPrice: 5, targetPrice: 3, cushion: 2, status: 'open',
    });
    expect(stp!.price).toBe(996);
    expect(stp!.maxStop).toBe(994);
    expect(tgt).toMatchObject({ side: 'sell', quantity: 2, price: targetPrice('buy', 1001, 3, inst), oco: stp!.uuid, entryAmount: 2 * np(1001, inst) });
    expect(tgt!.price).toBe(1004);
    // the seller's short exits mirror them
    const [astp] = open(e, A, 'STP');
    const [atgt] = open(e, A, 'TGT');
    expect([astp!.side, astp!.price, astp!.maxStop, atgt!.price]).toEqual(['buy', 1006, 1008, 'NONE']);
    // the target rests in the book; the untriggered stop does not
    expect(e.orderbook(sym)!.sell.map((l) => l.price)).toEqual([1004]);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('a later fill of the same entry at the same price extends the pair; another price gets its own pair', () => {
    const { e, sym } = makeEngine();
    const inst = e.instrument(sym)!;
    const b = place(e, B, sym, { side: 'buy', price: 1001, quantity: 6, targetPrice: 2 });
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 2 });
    place(e, C, sym, { side: 'sell', price: 1000, quantity: 1 }); // fills at the maker's 1001
    let stps = open(e, B, 'STP');
    expect(stps).toHaveLength(1);
    expect(stps[0]).toMatchObject({ quantity: 3, entryAmount: 3 * np(1001, inst), entryOrder: { [b.uuid]: 3 } });
    expect(open(e, B, 'TGT')[0]).toMatchObject({ quantity: 3, price: 1003 });
    ok(e.updateOrders(T0 + 1, B, [{ uuid: b.uuid, price: 1000.5 }]));
    place(e, A, sym, { side: 'sell', price: 1000.5, quantity: 1 });
    stps = open(e, B, 'STP');
    expect(stps.map((s) => [s.quantity, s.entryPrice])).toEqual([[3, 1001], [1, 1000.5]]);
    expect(e.positions(B)[sym]!.quantity).toBe(4);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('target fill cancels the same quantity of its stop (OCO), and vice versa', () => {
    const { e, sym } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 3 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 3, stopPrice: 5, targetPrice: 3 }); // TGT sell 1004
    place(e, C, sym, { side: 'buy', price: 1004, quantity: 2, stopPrice: 5 });
    const [stp] = open(e, B, 'STP');
    const [tgt] = open(e, B, 'TGT');
    expect([tgt!.filled, stp!.cancelled, stp!.quantity - stp!.filled - stp!.cancelled]).toEqual([2, 2, 1]);
    expect(e.positions(B)[sym]!.quantity).toBe(1);
    expect(stp!.entryAmount).toBe(tgt!.entryAmount);
    // the last contract goes by the stop: index to 996 triggers it, a bid at 995 takes it
    place(e, C, sym, { side: 'buy', price: 995, quantity: 1, stopPrice: 5 });
    ok(e.setIndex(T0 + 1, 996));
    expect(e.order(B, stp!.uuid)!.status).toBe('filled');
    expect(e.order(B, tgt!.uuid)).toMatchObject({ status: 'cancel', filled: 2, cancelled: 1 });
    expect(e.positions(B)[sym]).toBeUndefined();
    expect(open(e, B)).toEqual([]);
    expect(e.checkInvariants()).toEqual([]);
  });
});

describe('the atomic stop', () => {
  it('triggers on the index and fills no worse than maxStop; the rest waits at maxStop', () => {
    const { e, sym } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 3 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 3, stopPrice: 5 }); // STP sell @996, maxStop 994
    place(e, C, sym, { side: 'buy', price: 995, quantity: 1, stopPrice: 10 });
    place(e, C, sym, { side: 'buy', price: 994, quantity: 1, stopPrice: 10 });
    place(e, C, sym, { side: 'buy', price: 993, quantity: 5, stopPrice: 10 });
    ok(e.setIndex(T0 + 1, 996.5));
    expect(open(e, B, 'STP')[0]!.triggered).toBeUndefined(); // 996.5 > 996: not yet
    const out = ok(e.setIndex(T0 + 2, 996));
    expect(out[sym]!.price).toBe(996);
    const [stp] = open(e, B, 'STP');
    expect(stp).toMatchObject({ triggered: true, filled: 2, averagePrice: 994.5 });
    expect(e.trades(sym).slice(0, 2).map((t) => t.price)).toEqual([994, 995]);
    expect(e.orderbook(sym)!.sell[0]).toMatchObject({ price: 994, totalQuantity: 1 }); // rests at maxStop, not 993
    expect(e.positions(B)[sym]!.quantity).toBe(1);
    // a later bid at or above maxStop takes it
    place(e, C, sym, { side: 'buy', price: 994.5, quantity: 1, stopPrice: 10 });
    expect(e.order(B, stp!.uuid)!.status).toBe('filled');
    expect(e.trades(sym)[0]).toMatchObject({ price: 994, quantity: 1 });
    expect(e.checkInvariants()).toEqual([]);
  });

  it('a stop whose trigger is already crossed at creation fires at once', () => {
    const { e, sym } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1005, quantity: 1 });
    place(e, C, sym, { side: 'buy', price: 999, quantity: 1, stopPrice: 20 });
    // fill at 1005 with a 5 point stop: trigger 1000 ≥ index 1000
    place(e, B, sym, { side: 'buy', price: 1005, quantity: 1, stopPrice: 5 });
    expect(e.positions(B)[sym]).toBeUndefined();
    expect(e.trades(sym)[0]).toMatchObject({ price: 999, side: 'sell' });
  });

  it('updating a stop moves trigger and maxStop; a triggered stop cannot be updated', () => {
    const { e, sym } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 1 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 1, stopPrice: 5 });
    const [stp] = open(e, B, 'STP');
    const [upd] = ok(e.updateOrders(T0 + 1, B, [{ uuid: stp!.uuid, price: 998 }]));
    expect([upd!.price, upd!.maxStop, upd!.normalizedMaxStop]).toEqual([998, 996, np(996, e.instrument(sym)!)]);
    // moving it above the index fires it: with no bids it waits at maxStop
    const [fired] = ok(e.updateOrders(T0 + 2, B, [{ uuid: stp!.uuid, price: 1000.5 }]));
    expect([fired!.triggered, fired!.maxStop]).toEqual([true, 998.5]);
    const again = e.updateOrders(T0 + 3, B, [{ uuid: stp!.uuid, price: 990 }]);
    expect(again.ok ? null : again.error).toEqual({ status: 422, message: `Stop ${stp!.uuid} is already triggered` });
    expect(e.checkInvariants()).toEqual([]);
  });
});

describe('SLM and STM', () => {
  it('SLM triggers when the index reaches its price, then trades as a limit order', () => {
    const { e, sym } = makeEngine();
    place(e, C, sym, { side: 'sell', price: 1002.5, quantity: 2 });
    const s = place(e, A, sym, { side: 'buy', orderType: 'SLM', price: 1003, quantity: 3, stopPrice: 5 });
    expect([s.triggered, s.filled]).toEqual([false, 0]);
    expect(e.orderbook(sym)!.bid).toBeNull(); // untriggered: not in the book
    ok(e.setIndex(T0 + 1, 1002.9));
    expect(e.order(A, s.uuid)!.triggered).toBe(false);
    ok(e.setIndex(T0 + 2, 1003));
    const o = e.order(A, s.uuid)!;
    expect([o.triggered, o.filled, o.status]).toEqual([true, 2, 'open']);
    expect(e.orderbook(sym)!.bid).toBe(1003);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('STM triggers on the index and trades as a market order: inside the band, rest cancelled', () => {
    const { e, sym } = makeEngine();
    place(e, C, sym, { side: 'buy', price: 996, quantity: 1 });
    const s = place(e, A, sym, { side: 'sell', orderType: 'STM', price: 997, quantity: 2, stopPrice: 5 });
    ok(e.setIndex(T0 + 1, 997));
    const o = e.order(A, s.uuid)!;
    expect([o.triggered, o.filled, o.cancelled, o.status]).toEqual([true, 1, 1, 'cancel']);
    expect(e.positions(A)[sym]!.quantity).toBe(-1);
    expect(e.checkInvariants()).toEqual([]);
  });
});

describe('exits follow the net position', () => {
  it('an opposite entry fill closes the oldest exit pairs first instead of opening new ones', () => {
    const { e, sym } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 2 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 2, targetPrice: 3 });
    place(e, A, sym, { side: 'sell', price: 1002, quantity: 1 });
    place(e, B, sym, { side: 'buy', price: 1002, quantity: 1, targetPrice: 3 });
    const [older, newer] = open(e, B, 'STP');
    expect([older!.quantity, newer!.quantity]).toEqual([2, 1]);
    // B sells 2: the older pair closes, nothing new opens
    place(e, C, sym, { side: 'buy', price: 1000, quantity: 5, stopPrice: 10 });
    place(e, B, sym, { side: 'sell', price: 1000, quantity: 2 });
    expect(e.positions(B)[sym]!.quantity).toBe(1);
    expect(open(e, B, 'STP').map((s) => s.uuid)).toEqual([newer!.uuid]);
    expect(e.order(B, older!.uuid)).toMatchObject({ status: 'cancel', cancelled: 2 });
    // B sells 3 more: closes the last lot and opens a short lot of 2 with buy-side exits
    place(e, B, sym, { side: 'sell', price: 1000, quantity: 3, stopPrice: 6 });
    expect(e.positions(B)[sym]!.quantity).toBe(-2);
    expect(open(e, B, 'STP').map((s) => [s.side, s.quantity, s.price])).toEqual([['buy', 2, 1006]]);
    expect(e.checkInvariants()).toEqual([]);
  });
});

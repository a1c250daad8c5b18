// Matching: price-time priority, partial fills, MKT inside the band, bands and uncrossing, self-trade
// prevention, post-only, clientid idempotency and the public events (trade, difforderbook).
import { describe, expect, it } from 'vitest';
import { fee, np } from '../../../main/coinpit/instruments';
import { A, B, C, T0, eventsNamed, makeEngine, ok, open, place, req } from './engine-helpers';

describe('price-time priority and partial fills', () => {
  it('fills the best price first, then earlier orders at the same price', () => {
    const { e, sym } = makeEngine();
    const a1 = place(e, A, sym, { side: 'sell', price: 1001, quantity: 1 });
    const c1 = place(e, C, sym, { side: 'sell', price: 1001, quantity: 1 });
    const a2 = place(e, A, sym, { side: 'sell', price: 1000.5, quantity: 1 });
    const c2 = place(e, C, sym, { side: 'sell', price: 1001, quantity: 1 });
    const out = e.placeOrders(T0 + 1000, B, [req(B, sym, { side: 'buy', price: 1002, quantity: 3 })]);
    const [taker] = ok(out);
    expect(taker!.filled).toBe(3);
    expect(taker!.status).toBe('filled');
    expect(e.order(A, a2.uuid)!.status).toBe('filled');
    expect(e.order(A, a1.uuid)!.status).toBe('filled');
    expect(e.order(C, c1.uuid)!.status).toBe('filled');
    expect(e.order(C, c2.uuid)!.status).toBe('open');
    // trade event: newest first, at the makers' prices, taker side
    const [trade] = eventsNamed(out.events, 'trade');
    expect(trade && trade.name === 'trade' ? trade.payload.map((t) => [t.price, t.quantity, t.side]) : []).toEqual([
      [1001, 1, 'buy'],
      [1001, 1, 'buy'],
      [1000.5, 1, 'buy'],
    ]);
    expect(e.trades(sym).map((t) => t.price)).toEqual([1001, 1001, 1000.5]);
    expect(taker!.averagePrice).toBe(1000.8333);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('leaves the rest of a partly filled maker in the book with its time priority', () => {
    const { e, sym } = makeEngine();
    const a = place(e, A, sym, { side: 'sell', price: 1001, quantity: 5 });
    place(e, C, sym, { side: 'sell', price: 1001, quantity: 2 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 2 });
    const maker = e.order(A, a.uuid)!;
    expect([maker.filled, maker.status]).toEqual([2, 'open']);
    expect(e.orderbook(sym)!.sell[0]).toEqual({ price: 1001, numberOfOrders: 2, totalQuantity: 5, instrument: sym });
    // the next buyer still meets A first
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 3 });
    expect(e.order(A, a.uuid)!.status).toBe('filled');
    expect(e.orderbook(sym)!.sell[0]!.totalQuantity).toBe(2);
  });

  it('a partly filled taker rests at its limit', () => {
    const { e, sym } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 2 });
    const b = place(e, B, sym, { side: 'buy', price: 1001.5, quantity: 5 });
    expect([b.filled, b.status]).toEqual([2, 'open']);
    const book = e.orderbook(sym)!;
    expect(book.bid).toBe(1001.5);
    expect(book.ask).toBeNull();
    expect(book.buy[0]!.totalQuantity).toBe(3);
  });

  it('charges the taker commission and the maker reward per fill, recorded as executions', () => {
    const { e, sym } = makeEngine({ instrument: { reward: -0.0001 } });
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 2 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 2 });
    const inst = e.instrument(sym)!;
    const [takerEx] = e.executions(B);
    const [makerEx] = e.executions(A);
    expect(takerEx).toMatchObject({ liquidity: 'taker', quantity: 2, price: 1001, side: 'buy', commission: fee('commission', 2, 1001, inst) });
    expect(makerEx).toMatchObject({ liquidity: 'maker', quantity: 2, price: 1001, side: 'sell', commission: fee('reward', 2, 1001, inst) });
    expect(makerEx!.commission).toBeLessThan(0);
    expect(e.pnl(B).commission).toBe(fee('commission', 2, 1001, inst));
    expect(e.checkInvariants()).toEqual([]);
  });
});

describe('market orders and bands', () => {
  it('MKT fills only inside the band; the rest is cancelled', () => {
    const { e, sym } = makeEngine(); // index 1000 → band 990 .. 1010
    expect(e.bands()[sym]).toMatchObject({ price: 1000, min: 990, max: 1010 });
    place(e, A, sym, { side: 'sell', price: 1005, quantity: 1 });
    place(e, A, sym, { side: 'sell', price: 1012, quantity: 1 });
    const m = place(e, B, sym, { side: 'buy', orderType: 'MKT', quantity: 3, stopPrice: 10 });
    expect([m.filled, m.cancelled, m.status, m.averagePrice]).toEqual([1, 2, 'cancel', 1005]);
    expect(e.orderbook(sym)!.ask).toBe(1012);
    expect(e.cancelledOrders(B, sym).map((o) => o.uuid)).toEqual([m.uuid]);
  });

  it('MKT into an empty book is cancelled whole', () => {
    const { e, sym } = makeEngine();
    const m = place(e, B, sym, { side: 'sell', orderType: 'MKT', quantity: 2 });
    expect([m.filled, m.cancelled, m.status]).toEqual([0, 2, 'cancel']);
  });

  it('limit orders never trade outside the band, and meet when the band moves over them', () => {
    const { e, sym } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1012, quantity: 1 });
    const b = place(e, B, sym, { side: 'buy', price: 1015, quantity: 2 });
    expect(b.filled).toBe(0); // 1012 is above the band max 1010
    const out = ok(e.setIndex(T0 + 60_000, 1010));
    expect(out[sym]).toMatchObject({ min: 999.9, max: 1020.1 });
    expect(e.order(B, b.uuid)!.filled).toBe(1);
    expect(e.trades(sym)[0]).toMatchObject({ price: 1012, quantity: 1, side: 'buy' }); // older order's price
    expect(e.checkInvariants()).toEqual([]);
  });

  it('rejects orders before the instrument has a band', () => {
    const { e, sym } = makeEngine({ index: undefined });
    const out = e.placeOrders(T0, A, [req(A, sym, { side: 'buy', price: 1000 })]);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error).toEqual({ status: 422, message: `No price band for ${sym} yet` });
  });
});

describe('self-trade prevention', () => {
  it('cancels the incoming order when it would meet the same user', () => {
    const { e, sym } = makeEngine();
    const s = place(e, A, sym, { side: 'sell', price: 1001, quantity: 1 });
    place(e, C, sym, { side: 'sell', price: 1001, quantity: 1 });
    const b = place(e, A, sym, { side: 'buy', price: 1001, quantity: 2 });
    expect([b.filled, b.cancelled, b.status]).toEqual([0, 2, 'cancel']);
    expect(e.order(A, s.uuid)!.status).toBe('open');
    expect(e.trades(sym)).toEqual([]);
  });

  it('fills against others first and stops at the own order', () => {
    const { e, sym } = makeEngine();
    place(e, C, sym, { side: 'sell', price: 1000.5, quantity: 1 });
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 1 });
    const b = place(e, A, sym, { side: 'buy', price: 1001, quantity: 3 });
    expect([b.filled, b.cancelled]).toEqual([1, 2]);
  });

  it('an atomic stop cancels a resting entry order of the same user instead of trading with it', () => {
    const { e, sym } = makeEngine();
    place(e, B, sym, { side: 'sell', price: 1000, quantity: 1 });
    place(e, A, sym, { side: 'buy', price: 1000, quantity: 1, stopPrice: 5 }); // STP sell @995, maxStop 993
    const own = place(e, A, sym, { side: 'buy', price: 994, quantity: 1 });
    place(e, C, sym, { side: 'buy', price: 993.5, quantity: 1 });
    ok(e.setIndex(T0 + 1, 994.5));
    expect(e.order(A, own.uuid)!.status).toBe('cancel');
    expect(e.positions(A)[sym]).toBeUndefined();
    expect(e.trades(sym)[0]).toMatchObject({ price: 993.5, side: 'sell' });
    expect(e.checkInvariants()).toEqual([]);
  });
});

describe('post-only and idempotency', () => {
  it('cancels a post-only order that would take liquidity', () => {
    const { e, sym } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1001 });
    const p = place(e, B, sym, { side: 'buy', price: 1001, postOnly: true });
    expect([p.status, p.filled]).toEqual(['cancel', 0]);
    const q = place(e, B, sym, { side: 'buy', price: 1000.9, postOnly: true });
    expect(q.status).toBe('open');
  });

  it('a repeated clientid returns the existing order (§8.17), also inside one batch', () => {
    const { e, sym } = makeEngine();
    const r = req(A, sym, { side: 'buy', price: 999, clientid: 'same-id' });
    const [first] = ok(e.placeOrders(T0, A, [r]));
    const again = e.placeOrders(T0 + 5, A, [{ ...r, price: 998 }]);
    const [second] = ok(again);
    expect(second).toEqual(first);
    expect(eventsNamed(again.events, 'order_add')).toHaveLength(1);
    expect(open(e, A)).toHaveLength(1);
    const batch = ok(e.placeOrders(T0, A, [req(A, sym, { clientid: 'x2', price: 997 }), req(A, sym, { clientid: 'x2', price: 996 })]));
    expect(batch[0]!.uuid).toBe(batch[1]!.uuid);
    expect(open(e, A)).toHaveLength(2);
    // the same clientid for another user is a different order
    const [other] = ok(e.placeOrders(T0, B, [{ ...r, userid: B }]));
    expect(other!.uuid).not.toBe(first!.uuid);
  });
});

describe('events', () => {
  it('emits order_add for the requester (with requestid), order_update for the maker, book diffs and account changes', () => {
    const { e, sym } = makeEngine();
    const a = place(e, A, sym, { side: 'sell', price: 1001, quantity: 3 });
    const out = e.placeOrders(T0 + 1, B, [req(B, sym, { side: 'buy', price: 1001, quantity: 1 })], 'req-1');
    const names = out.events.map((ev) => ('userid' in ev ? `${ev.name}:${ev.userid === A ? 'A' : 'B'}` : ev.name));
    expect(names[0]).toBe('order_add:B');
    expect(names).toContain('order_update:A');
    expect(names).toContain('trade');
    expect(names).toContain('difforderbook');
    expect(names.filter((n) => n.startsWith('account'))).toEqual(expect.arrayContaining(['account:A', 'account:B']));
    const first = out.events[0]!;
    expect(first.name === 'order_add' && first.payload.requestid).toBe('req-1');
    const upd = out.events.find((ev) => ev.name === 'order_update' && ev.userid === A);
    expect(upd && upd.name === 'order_update' ? upd.payload.result.map((o) => [o.uuid, o.filled]) : []).toEqual([[a.uuid, 1]]);
    const diff = out.events.find((ev) => ev.name === 'difforderbook');
    expect(diff && diff.name === 'difforderbook' ? diff.payload[sym]!.sell['1001'] : null).toEqual({ price: 1001, numberOfOrders: 1, totalQuantity: 2, instrument: sym });
  });

  it('a level that empties appears with 0 orders in the diff', () => {
    const { e, sym } = makeEngine();
    const a = place(e, A, sym, { side: 'sell', price: 1001, quantity: 1 });
    const out = e.cancelOrders(T0 + 1, A, [a.uuid]);
    const diff = out.events.find((ev) => ev.name === 'difforderbook');
    expect(diff && diff.name === 'difforderbook' ? diff.payload[sym] : null).toEqual({ bid: null, ask: null, buy: {}, sell: { '1001': { price: 1001, numberOfOrders: 0, totalQuantity: 0, instrument: sym } } });
  });

  it('candles bucket trades by 5 minutes, oldest first', () => {
    const { e, sym } = makeEngine();
    const t = Math.floor(T0 / 300_000) * 300_000;
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 5 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 1 }, t + 10);
    place(e, A, sym, { side: 'sell', price: 1000.5, quantity: 1 }, t + 20);
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 2 }, t + 30);
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 1 }, t + 300_000);
    expect(e.candles(sym)).toEqual([
      { time: t, open: 1001, high: 1001, low: 1000.5, close: 1001, volume: 3 },
      { time: t + 300_000, open: 1001, high: 1001, low: 1001, close: 1001, volume: 1 },
    ]);
    const info = e.info(t + 300_000)[sym]!;
    expect(info.vol24H.qty).toBe(4);
    expect(info.vol24H.btc).toBeCloseTo((3 * np(1001, e.instrument(sym)!) + np(1000.5, e.instrument(sym)!)) / 1e8, 8);
  });
});

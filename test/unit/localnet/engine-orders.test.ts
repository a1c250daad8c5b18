// Order management: update, cancel, cancel-all, PATCH ops, errors and their statuses, margin checks.
import { describe, expect, it } from 'vitest';
import { validateOrder, validateOrderWithInstrument } from '../../../main/coinpit/validate';
import { orderMargin } from '../../../main/coinpit/instruments';
import type { OrderRequest } from '../../../main/coinpit/types';
import { A, B, C, T0, eventsNamed, makeEngine, ok, open, place, req } from './engine-helpers';

function err<T>(out: { ok: boolean; error?: { status: number; message: string } } & ({ ok: true; result: T } | { ok: false; error: { status: number; message: string } })) {
  if (out.ok) throw new Error('expected an error');
  return out.error;
}

describe('validation errors', () => {
  const cases: [string, Partial<OrderRequest> & Record<string, unknown>][] = [
    ['zero quantity', { quantity: 0 }],
    ['fractional quantity', { quantity: 1.5 }],
    ['bad side', { side: 'up' as never }],
    ['bad type', { orderType: 'FOK' as never }],
    ['price off the tick', { price: 1000.05 }],
    ['negative price', { price: -1 }],
    ['MKT with price', { orderType: 'MKT', price: 1000 }],
    ['stop off the tick', { stopPrice: 5.05 }],
    ['negative target', { targetPrice: -1 }],
    ['missing clientid', { clientid: '' }],
  ];
  for (const [name, patch] of cases) {
    it(`422 with the reference text: ${name}`, () => {
      const { e, sym } = makeEngine();
      const r = { ...req(A, sym, { price: 1000 }), ...patch } as OrderRequest;
      const expected = validateOrderWithInstrument(r, e.instrument(sym)!);
      expect(expected.ok).toBe(false);
      const out = e.placeOrders(T0, A, [r], 'rq');
      expect(err(out)).toEqual({ status: 422, message: expected.ok ? '' : expected.error });
      expect(out.events).toEqual([{ name: 'order_error', userid: A, payload: { requestid: 'rq', error: expected.ok ? '' : expected.error } }]);
      expect(open(e, A)).toEqual([]);
    });
  }

  it('engine-level checks: missing stop, stop below the minimum, unknown instrument, foreign userid, empty batch', () => {
    const { e, sym } = makeEngine();
    const noStop = { ...req(A, sym, { price: 1000 }) };
    delete noStop.stopPrice;
    expect(err(e.placeOrders(T0, A, [noStop]))).toEqual({ status: 422, message: 'stopPrice is missing: every order needs a stop' });
    expect(err(e.placeOrders(T0, A, [req(A, sym, { price: 1000, stopPrice: 1 })]))).toEqual({ status: 422, message: 'stopPrice 1 should be at least 1.6' });
    expect(err(e.placeOrders(T0, A, [req(A, 'BTCUSD9Z31', { price: 1000 })]))).toEqual({ status: 422, message: 'Unknown instrument BTCUSD9Z31' });
    expect(err(e.placeOrders(T0, A, [req(B, sym, { price: 1000 })])).message).toMatch(/does not match/);
    expect(err(e.placeOrders(T0, A, []))).toEqual({ status: 422, message: 'Expecting a non-empty array of orders' });
    expect(err(e.placeOrders(T0, A, 'x' as never)).status).toBe(422);
    expect(err(e.placeOrders(T0, A, [null as never])).message).toBe(validateOrder(null).ok ? '' : (validateOrder(null) as { error: string }).error);
  });

  it('a batch is all or nothing', () => {
    const { e, sym } = makeEngine();
    const out = e.placeOrders(T0, A, [req(A, sym, { price: 999 }), req(A, sym, { price: 999, quantity: -1 })]);
    expect(out.ok).toBe(false);
    expect(open(e, A)).toEqual([]);
  });
});

describe('margin checks', () => {
  it('marginPerQty follows orderMargin (§5.6) and the pre-trade check rejects with "Insufficient margin"', () => {
    const { e, sym } = makeEngine();
    const inst = e.instrument(sym)!;
    const D = 'mUserDddddddddddddddddddddddddddddd';
    const r = req(D, sym, { side: 'sell', price: 1005, quantity: 4, stopPrice: 5 });
    const perQty = orderMargin({ side: 'sell', quantity: 1, orderType: 'LMT', price: 1005, stopPrice: 5, cushion: 2 }, inst, e.bands(), 'min-cross');
    ok(e.setMarginBalance(T0, D, 4 * perQty - 1));
    expect(err(e.placeOrders(T0, D, [r]))).toEqual({ status: 422, message: 'Insufficient margin' });
    ok(e.setMarginBalance(T0, D, 4 * perQty));
    const [o] = ok(e.placeOrders(T0, D, [r]));
    expect(o!.marginPerQty).toBe(perQty);
    expect(e.account(D).margin).toBe(0);
    expect(err(e.placeOrders(T0, D, [req(D, sym, { side: 'sell', price: 1005 })])).message).toBe('Insufficient margin');
    // a price update that needs more margin is refused too; one that needs less is fine
    expect(err(e.updateOrders(T0, D, [{ uuid: o!.uuid, price: 1004 }])).message).toBe('Insufficient margin');
    ok(e.updateOrders(T0, D, [{ uuid: o!.uuid, price: 1006 }]));
    expect(e.account(D).margin).toBeGreaterThan(0);
  });

  it('a user the engine has never seen has no margin', () => {
    const { e, sym } = makeEngine();
    const N = 'mNewcomerxxxxxxxxxxxxxxxxxxxxxxxxx';
    expect(err(e.placeOrders(T0, N, [req(N, sym, { price: 999 })])).message).toBe('Insufficient margin');
    expect(e.account(N)).toMatchObject({ userid: N, accountMargin: 0, margin: 0, positions: {}, orders: { [sym]: {} } });
  });

  it('setMarginBalance refuses nonsense', () => {
    const { e } = makeEngine();
    expect(err(e.setMarginBalance(T0, A, -1)).status).toBe(422);
    expect(err(e.setMarginBalance(T0, A, 1.5)).status).toBe(422);
    expect(err(e.setMarginBalance(T0, A, Number.NaN)).status).toBe(422);
  });
});

describe('update', () => {
  it('reprices an entry order, loses time priority and may trade', () => {
    const { e, sym } = makeEngine();
    const a1 = place(e, A, sym, { side: 'sell', price: 1002 });
    place(e, C, sym, { side: 'sell', price: 1002 });
    const out = e.updateOrders(T0 + 1, A, [{ uuid: a1.uuid, price: 1002 }], 'u1');
    expect(out.events[0]).toMatchObject({ name: 'order_update', userid: A, payload: { requestid: 'u1' } });
    place(e, B, sym, { side: 'buy', price: 1002 });
    expect(e.order(A, a1.uuid)!.filled).toBe(0); // C is now first
    const b = place(e, B, sym, { side: 'buy', price: 1000 });
    const [moved] = ok(e.updateOrders(T0 + 2, B, [{ uuid: b.uuid, price: 1002 }]));
    expect([moved!.filled, moved!.status]).toEqual([1, 'filled']);
  });

  it('404 for unknown or foreign orders, 422 for bad prices and for orders without price', () => {
    const { e, sym } = makeEngine();
    const a = place(e, A, sym, { side: 'sell', price: 1002 });
    expect(err(e.updateOrders(T0, B, [{ uuid: a.uuid, price: 1003 }]))).toEqual({ status: 404, message: `No order found with uuid: ${a.uuid}` });
    expect(err(e.updateOrders(T0, A, [{ uuid: 'nope', price: 1003 }])).status).toBe(404);
    expect(err(e.updateOrders(T0, A, [{ uuid: a.uuid, price: 1003.05 }]))).toEqual({ status: 422, message: 'price 1003.05 is invalid. price should be multiple of 0.1' });
    expect(err(e.updateOrders(T0, A, [{ uuid: a.uuid, price: 'NONE' }])).status).toBe(422);
    expect(e.order(A, a.uuid)!.price).toBe(1002);
  });

  it('a target can be moved, removed ("NONE") and put back', () => {
    const { e, sym } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1001 });
    place(e, B, sym, { side: 'buy', price: 1001, targetPrice: 3 });
    const [tgt] = open(e, B, 'TGT');
    ok(e.updateOrders(T0, B, [{ uuid: tgt!.uuid, price: 'NONE' }]));
    expect(e.orderbook(sym)!.ask).toBeNull();
    ok(e.updateOrders(T0, B, [{ uuid: tgt!.uuid, price: 1005 }]));
    expect(e.orderbook(sym)!.ask).toBe(1005);
    expect(e.checkInvariants()).toEqual([]);
  });
});

describe('cancel and cancel-all', () => {
  it('cancels entry orders and targets, never stops', () => {
    const { e, sym } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 2 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 1, targetPrice: 2 });
    const a = open(e, A, 'LMT')[0]!;
    const [stp] = open(e, B, 'STP');
    const [tgt] = open(e, B, 'TGT');
    expect(err(e.cancelOrders(T0, B, [stp!.uuid]))).toEqual({ status: 422, message: `Stop ${stp!.uuid} cannot be cancelled: every position needs a stop` });
    expect(err(e.cancelOrders(T0, B, [a.uuid])).status).toBe(404); // not B's
    const out = e.cancelOrders(T0, B, [tgt!.uuid], 'c1');
    expect(out.ok && out.result).toEqual([tgt!.uuid]);
    expect(out.events[0]).toEqual({ name: 'order_del', userid: B, payload: { requestid: 'c1', result: [tgt!.uuid] } });
    expect(e.order(B, stp!.uuid)!.oco).toBeUndefined();
    const c = ok(e.cancelOrders(T0, A, [a.uuid]));
    expect(c).toEqual([a.uuid]);
    expect(e.order(A, a.uuid)).toMatchObject({ status: 'cancel', filled: 1, cancelled: 1 });
    expect(e.cancelledOrders(A, sym)[0]!.uuid).toBe(a.uuid);
    expect(err(e.cancelOrders(T0, A, [a.uuid])).status).toBe(404);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('cancel-all removes every entry order and target of the user (per symbol when asked), keeping stops', () => {
    const { e, sym, sym2 } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1001 });
    place(e, B, sym, { side: 'buy', price: 1001, targetPrice: 2 });
    place(e, B, sym, { side: 'buy', price: 999 });
    place(e, B, sym2, { side: 'buy', price: 999 });
    const out = e.cancelAll(T0, B, sym, 'all');
    expect(out.ok && out.result).toHaveLength(2);
    expect(eventsNamed(out.events, 'order_del_all')).toEqual([{ name: 'order_del_all', userid: B, payload: { requestid: 'all' } }]);
    expect(open(e, B).map((o) => [o.instrument, o.orderType])).toEqual([[sym, 'STP'], [sym2, 'LMT']]);
    ok(e.cancelAll(T0, B));
    expect(open(e, B).map((o) => o.orderType)).toEqual(['STP']);
    expect(err(e.cancelAll(T0, B, 'NOPE')).status).toBe(422);
  });
});

describe('PATCH ops', () => {
  it('add, remove and replace report per op, failures carry error', () => {
    const { e, sym } = makeEngine();
    const keep = place(e, A, sym, { side: 'sell', price: 1003 });
    const gone = place(e, A, sym, { side: 'sell', price: 1004 });
    const out = e.patch(T0, A, [
      { op: 'add', value: [req(A, sym, { side: 'sell', price: 1005 })] },
      { op: 'remove', value: [gone.uuid] },
      { op: 'replace', value: [{ uuid: keep.uuid, price: 1002 }] },
      { op: 'remove', value: ['missing'] },
    ], 'p1');
    const res = ok(out);
    expect(res.map((r) => [r.op, r.error])).toEqual([['add', undefined], ['remove', undefined], ['replace', undefined], ['remove', 'No order found with uuid: missing']]);
    expect(res[1]!.response).toEqual([gone.uuid]);
    expect((res[2]!.response as { price: number }[])[0]!.price).toBe(1002);
    expect(out.events[0]).toMatchObject({ name: 'order_patch', userid: A, payload: { requestid: 'p1' } });
    expect(open(e, A).map((o) => o.price).sort()).toEqual([1002, 1005]);
    expect(err(e.patch(T0, A, [])).status).toBe(422);
    expect(ok(e.patch(T0, A, [{ op: 'bogus' } as never]))[0]!.error).toBe('Unknown patch op bogus');
  });

  it('merge joins the stops of several fills into one pair at the average entry', () => {
    const { e, sym } = makeEngine();
    const inst = e.instrument(sym)!;
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 1 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 1, stopPrice: 5, targetPrice: 3 });
    place(e, A, sym, { side: 'sell', price: 1003, quantity: 2 });
    place(e, B, sym, { side: 'buy', price: 1003, quantity: 2, stopPrice: 5, targetPrice: 3 });
    const stps = open(e, B, 'STP');
    const tgts = open(e, B, 'TGT');
    expect(stps).toHaveLength(2);
    const [res] = ok(e.patch(T0, B, [{ op: 'merge', value: tgts.map((t) => t.oco!) }]));
    expect(res!.error).toBeUndefined();
    const { removed, added } = res!.response as { removed: string[]; added: { orderType: string; quantity: number; entryAmount: number; price: number; entryPrice: number; oco: string; uuid: string }[] };
    expect(removed.sort()).toEqual([...stps, ...tgts].map((o) => o.uuid).sort());
    const [stp, tgt] = added;
    const amount = stps.reduce((n, s) => n + s.entryAmount!, 0);
    expect([stp!.orderType, stp!.quantity, stp!.entryAmount, tgt!.orderType, tgt!.quantity]).toEqual(['STP', 3, amount, 'TGT', 3]);
    const avg = (100 * 1e8) / (amount / 3);
    expect(stp!.entryPrice).toBeCloseTo(avg, 1);
    expect(stp!.price).toBeCloseTo(stp!.entryPrice - 5, 6);
    expect(tgt!.price).toBeCloseTo(stp!.entryPrice + 3, 6);
    expect(tgt!.oco).toBe(stp!.uuid);
    expect(open(e, B, 'STP')).toHaveLength(1);
    expect(e.checkInvariants()).toEqual([]);
    void inst;
    const bad = ok(e.patch(T0, B, [{ op: 'merge', value: [stp!.uuid] }]))[0]!;
    expect(bad).toEqual({ op: 'merge', response: { removed: [], added: [] }, error: 'merge needs at least two stops' });
  });

  it('split takes n contracts off a stop and its target into a new pair', () => {
    const { e, sym } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 3 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 3, targetPrice: 2 });
    const [stp] = open(e, B, 'STP');
    const [res] = ok(e.patch(T0, B, [{ op: 'split', value: [stp!.uuid], quantity: 1 }]));
    const orders = res!.response as { uuid: string; orderType: string; quantity: number; filled: number; cancelled: number; price: number; oco?: string; entryAmount: number }[];
    expect(orders.map((o) => [o.orderType, o.quantity - o.filled - o.cancelled, o.price])).toEqual([
      ['STP', 2, 996], ['TGT', 2, 1003], ['STP', 1, 996], ['TGT', 1, 1003],
    ]);
    expect(orders[2]!.oco).toBe(orders[3]!.uuid);
    expect(orders[0]!.entryAmount + orders[2]!.entryAmount).toBe(stp!.entryAmount);
    expect(e.orderbook(sym)!.sell[0]).toMatchObject({ price: 1003, numberOfOrders: 2, totalQuantity: 3 });
    expect(e.checkInvariants()).toEqual([]);
    expect(ok(e.patch(T0, B, [{ op: 'split', value: [stp!.uuid], quantity: 5 }]))[0]!.error).toMatch(/less than the open/);
  });
});

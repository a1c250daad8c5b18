import { describe, expect, it } from 'vitest';
import type { Order } from '../../../main/coinpit/types';
import { describeConfirmation, ScriptedConfirmer, type ConfirmRequest } from '../../../main/services/confirmer';
import { accountOrders, FillTracker } from '../../../main/services/fills';

const order = (uuid: string, filled: number, quantity = 10, extra: Partial<Order> = {}): Order =>
  ({
    uuid,
    userid: 'u',
    instrument: 'BTCUSD7J28',
    side: 'buy',
    quantity,
    filled,
    cancelled: 0,
    price: 1000,
    averagePrice: filled > 0 ? 1000.5 : 0,
    orderType: 'LMT',
    status: filled >= quantity ? 'filled' : 'open',
    entryTime: 0,
    eventTime: 0,
    ...extra,
  }) as Order;

describe('FillTracker', () => {
  it('reports only increases, after a silent baseline', () => {
    const t = new FillTracker();
    t.baseline([order('a', 3)]);
    expect(t.observe([order('a', 3)])).toEqual([]);
    expect(t.observe([order('a', 5), order('b', 0)])).toEqual([
      { instrument: 'BTCUSD7J28', side: 'buy', orderType: 'LMT', uuid: 'a', quantity: 2, price: 1000.5, complete: false },
    ]);
    expect(t.observe([order('b', 10)])).toMatchObject([{ uuid: 'b', quantity: 10, complete: true }]);
    expect(t.observe([order('a', 4)])).toEqual([]); // never backwards
  });

  it('reports an order first seen already (partly) filled, e.g. a market order', () => {
    expect(new FillTracker().observe([order('m', 7, 7, { orderType: 'MKT', price: null })])).toMatchObject([{ quantity: 7, price: 1000.5, complete: true }]);
  });

  it('ignores garbage entries', () => {
    expect(new FillTracker().observe([null as unknown as Order, {} as Order])).toEqual([]);
    expect(accountOrders(undefined)).toEqual([]);
    expect(accountOrders({ A: { x: order('x', 0) }, B: { y: order('y', 1) } }).map((o) => o.uuid)).toEqual(['x', 'y']);
  });
});

describe('ScriptedConfirmer and the confirmation text', () => {
  const request: ConfirmRequest = { action: 'withdraw', title: 'Withdraw', review: null, amount: 123_456_789, destination: 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', fee: 11_350 };

  it('answers as scripted and records every request', async () => {
    const c = new ScriptedConfirmer();
    expect(await c.confirm(request)).toBe(true);
    c.answer = false;
    expect(await c.confirm(request)).toBe(false);
    c.answer = (r) => r.amount === 1;
    expect(await c.confirm(request)).toBe(false);
    expect(c.requests).toHaveLength(3);
  });

  it('shows amount, destination and fee in BTC', () => {
    expect(describeConfirmation(request)).toBe('Amount: 1.23456789 BTC\nTo: mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn\nFee: 0.00011350 BTC');
  });
});

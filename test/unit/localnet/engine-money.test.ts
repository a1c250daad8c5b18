// Money: realized P&L and fees against instruments.ts, the Account object and its available margin (§5.6)
// recomputed with instruments.ts, history pagination, and the invariant checker itself.
import { describe, expect, it } from 'vitest';
import { availableMargin, fee, np, pnl, unrealizedPnl } from '../../../main/coinpit/instruments';
import { A, B, C, FUNDS, T0, makeEngine, ok, open, place, req } from './engine-helpers';

describe('P&L and commission', () => {
  it('a round trip realizes q × (np(buy) − np(sell)) minus the taker fees', () => {
    const { e, sym } = makeEngine();
    const inst = e.instrument(sym)!;
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 2, stopPrice: 8 }); // maker
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 2, stopPrice: 8 }); // taker
    expect(e.positions(B)[sym]).toEqual({ userid: B, instrument: sym, averagePrice: 1001, quantity: 2, entryAmount: -2 * np(1001, inst), commission: fee('commission', 2, 1001, inst) });
    expect(e.positions(A)[sym]).toMatchObject({ quantity: -2, entryAmount: 2 * np(1001, inst) });
    place(e, C, sym, { side: 'buy', price: 1005, quantity: 2, stopPrice: 8 });
    place(e, B, sym, { side: 'sell', price: 1005, quantity: 2, stopPrice: 8 }); // B closes as taker
    const fees = fee('commission', 2, 1001, inst) + fee('commission', 2, 1005, inst);
    expect(e.pnl(B)).toEqual({ userid: B, accountid: '', pnl: pnl(1001, 1005, 2, inst) - fees, commission: fees });
    expect(e.positions(B)[sym]).toBeUndefined();
    expect(open(e, B)).toEqual([]); // the closing fill took the exits with it
    // A is still short 2 at 1001: its unrealized P&L at 1005 is the loss B made as gain
    const posA = e.positions(A)[sym]!;
    expect(unrealizedPnl(posA, 1005, inst)).toBe(-pnl(1001, 1005, 2, inst));
    expect(e.checkInvariants()).toEqual([]);
  });

  it('partial closes realize entryAmount proportionally and keep the remainder exact', () => {
    const { e, sym } = makeEngine();
    const inst = e.instrument(sym)!;
    place(e, A, sym, { side: 'sell', price: 1000.1, quantity: 1, stopPrice: 8 });
    place(e, A, sym, { side: 'sell', price: 1000.3, quantity: 2, stopPrice: 8 });
    place(e, B, sym, { side: 'buy', price: 1000.3, quantity: 3, stopPrice: 8 });
    const entry = -(np(1000.1, inst) + 2 * np(1000.3, inst));
    expect(e.positions(B)[sym]!.entryAmount).toBe(entry);
    place(e, C, sym, { side: 'buy', price: 1002, quantity: 1, stopPrice: 8 });
    place(e, B, sym, { side: 'sell', price: 1002, quantity: 1, stopPrice: 8 });
    const portion = Math.round(entry / 3);
    const pos = e.positions(B)[sym]!;
    expect(pos.entryAmount).toBe(entry - portion);
    const realized = -(portion + np(1002, inst));
    expect(e.pnl(B).pnl).toBe(realized - e.pnl(B).commission);
    expect(e.checkInvariants()).toEqual([]);
  });
});

describe('Account (§3.3)', () => {
  it('margin equals availableMargin recomputed by instruments.ts from the account itself', () => {
    const { e, sym, sym2 } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 3, stopPrice: 6 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 2, stopPrice: 6, targetPrice: 4 });
    place(e, C, sym2, { side: 'buy', price: 1008, quantity: 2, stopPrice: 9 });
    place(e, B, sym2, { side: 'sell', price: 1008, quantity: 5, stopPrice: 9, crossMargin: true }); // cross STP for 2
    place(e, B, sym, { side: 'buy', orderType: 'SLM', price: 1004, quantity: 1, stopPrice: 3 });
    place(e, C, sym, { side: 'buy', price: 1002, quantity: 1, stopPrice: 4 });
    for (const u of [A, B, C]) {
      const acc = e.account(u, { multisig: 123, accountid: '2Nx' });
      const instruments = Object.fromEntries(Object.keys(acc.orders).map((s) => [s, e.instrument(s)!]));
      expect(acc.margin).toBe(availableMargin(acc, instruments, e.bands(), 'min-cross'));
      expect(e.availableMargin(u, 'max-cross')).toBe(availableMargin(acc, instruments, e.bands(), 'max-cross'));
      expect(acc.displayMargin).toBe(acc.margin);
      expect(acc.accountMargin).toBe(FUNDS);
      expect(acc.multisig).toBe(123);
      expect(acc.pnl!.accountid).toBe('2Nx');
      expect(Object.keys(acc.orders).sort()).toEqual([sym, sym2].sort());
    }
    const acc = e.account(B);
    expect(open(e, B, 'STP').filter((o) => o.crossMargin)).toHaveLength(1);
    expect(e.availableMargin(B, 'max-cross')).not.toBe(acc.margin);
    expect(Object.values(acc.orders[sym]!).map((o) => o.orderType).sort()).toEqual(['SLM', 'STP', 'TGT']);
    expect(acc.margin).toBeLessThan(FUNDS);
  });

  it('freeMargin never counts what orders and positions need and never exceeds the balance', () => {
    const { e, sym } = makeEngine();
    expect(e.freeMargin(A)).toBe(FUNDS);
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 5 });
    expect(e.freeMargin(A)).toBe(e.availableMargin(A));
    expect(e.freeMargin(A)).toBeLessThan(FUNDS);
    expect(e.freeMargin('mNobodyyyyyyyyyyyyyyyyyyyyyyyyyyyy')).toBe(0);
  });
});

describe('history queries', () => {
  it('closed, cancelled and executions come newest first in pages of 100 with an `after` cursor', () => {
    const { e, sym } = makeEngine();
    const ids: string[] = [];
    for (let i = 0; i < 130; i++) {
      const o = place(e, A, sym, { side: 'buy', price: 990 + (i % 50) / 10 });
      ids.push(o.uuid);
    }
    ok(e.cancelAll(T0, A));
    const page1 = e.cancelledOrders(A, sym);
    expect(page1).toHaveLength(100);
    expect(page1[0]!.uuid).toBe(ids[129]);
    const page2 = e.cancelledOrders(A, sym, page1[99]!.uuid);
    expect(page2.map((o) => o.uuid)).toEqual(ids.slice(0, 30).reverse());
    expect(e.cancelledOrders(A, sym, 'unknown')).toEqual([]);
    expect(e.closedOrders(A, sym)).toEqual([]);
    place(e, B, sym, { side: 'sell', price: 1001, quantity: 1 });
    const [filled] = ok(e.placeOrders(T0, C, [req(C, sym, { side: 'buy', price: 1001 })]));
    expect(e.closedOrders(C, sym).map((o) => o.uuid)).toEqual([filled!.uuid]);
    const [ex] = e.executions(C);
    expect(ex).toMatchObject({ orderid: filled!.uuid, instrument: sym, side: 'buy', quantity: 1, price: 1001, liquidity: 'taker', time: T0 });
    expect(e.executions(C, ex!.uuid)).toEqual([]);
  });

  it('orders are visible only to their owner', () => {
    const { e, sym } = makeEngine();
    const a = place(e, A, sym, { side: 'buy', price: 999 });
    expect(e.order(A, a.uuid)!.uuid).toBe(a.uuid);
    expect(e.order(B, a.uuid)).toBeUndefined();
    expect(e.openOrders(B)).toEqual([]);
    expect(e.openOrders(A, sym)).toHaveLength(1);
  });
});

describe('the invariant checker', () => {
  it('reports broken state (so a passing check means something)', () => {
    const { e, sym } = makeEngine();
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 2 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 2 });
    expect(e.checkInvariants()).toEqual([]);
    const internals = e as unknown as { users: Map<string, { positions: Map<string, { quantity: number }>; pnl: number; open: Map<string, { cancelled: number }> }> };
    const b = internals.users.get(B)!;
    b.positions.get(sym)!.quantity += 1;
    const errs = e.checkInvariants();
    expect(errs.some((x) => x.includes('positions sum to 1'))).toBe(true);
    expect(errs.some((x) => x.includes('covered by stops'))).toBe(true);
    b.positions.get(sym)!.quantity -= 1;
    b.pnl += 5;
    expect(e.checkInvariants().some((x) => x.includes('pnl'))).toBe(true);
    b.pnl -= 5;
    const stp = [...b.open.values()][0]!;
    stp.cancelled += 1;
    expect(e.checkInvariants().length).toBeGreaterThan(0);
  });
});

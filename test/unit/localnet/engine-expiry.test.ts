// Weekly listing and expiry: two expiries listed (Friday 17:15 UTC), settlement at the index, cancellation of
// the symbol's orders, the next weekly listed, and the on-chain settlement hand-off (pendingSettlement/settlePnl).
import { describe, expect, it } from 'vitest';
import { parseSymbol, unrealizedPnl, weeklySymbol } from '../../../main/coinpit/instruments';
import { Engine } from '../../../main/localnet/engine/engine';
import { A, B, C, T0, makeEngine, ok, open, place } from './engine-helpers';

const WEEK = 7 * 86_400_000;

describe('listing', () => {
  it('lists the next two weeklies with realistic instrument fields', () => {
    const { e, sym, sym2 } = makeEngine();
    expect(sym).toBe('BTCUSD7J21');
    expect(sym2).toBe('BTCUSD7J28');
    const i1 = e.instrument(sym)!;
    expect(i1.expiry).toBe(Date.UTC(2017, 3, 21, 17, 15));
    expect(i1.expiry).toBe(parseSymbol(sym, T0).expiry);
    expect(i1).toMatchObject({
      type: 'inverse', template: 'BTCUSD', contractusdvalue: 100, ticksize: 1, ticksperpoint: 10, commission: 0.0005,
      reward: 0, maxLeverage: 100, bandUpperLimit: 0.01, bandLowerLimit: 0.01, status: 'active', next: sym2,
      start: i1.expiry - 2 * WEEK, expiryClass: 'weekly',
    });
    expect(Object.keys(e.spec()).sort()).toEqual([sym, sym2]);
    expect(e.config()).toMatchObject({ network: 'testnet', reservedTicks: 2, maxOrdersCreateUpdate: 100 });
  });

  it('on a Friday after 17:15 the first listed expiry is next week', () => {
    const e = new Engine({ now: Date.UTC(2017, 3, 21, 17, 16), index: 1000 });
    expect(Object.keys(e.instruments()).sort()).toEqual(['BTCUSD7J28', 'BTCUSD7K05']);
  });
});

describe('expire', () => {
  it('does nothing before the expiry', () => {
    const { e, sym } = makeEngine();
    const out = ok(e.expire(e.instrument(sym)!.expiry - 1));
    expect(out).toEqual({ expired: [], listed: [], settlements: [] });
  });

  it('settles positions at the index, cancels the orders, lists the next weekly', () => {
    const { e, sym, sym2 } = makeEngine();
    const inst = e.instrument(sym)!;
    place(e, A, sym, { side: 'sell', price: 1001, quantity: 3, stopPrice: 8 });
    place(e, B, sym, { side: 'buy', price: 1001, quantity: 2, stopPrice: 8, targetPrice: 5 });
    place(e, C, sym, { side: 'buy', price: 995, quantity: 1, stopPrice: 8 });
    place(e, C, sym2, { side: 'buy', price: 995, quantity: 1, stopPrice: 8 });
    const posA = e.positions(A)[sym]!;
    const posB = e.positions(B)[sym]!;
    const pnlA = e.pnl(A).pnl;
    const pnlB = e.pnl(B).pnl;
    const out = e.expire(inst.expiry, { [sym]: 1003.3 });
    const res = ok(out);
    expect(res.expired).toEqual([sym]);
    const next = weeklySymbol(inst.expiry + 2 * WEEK);
    expect(res.listed).toEqual([next]);
    expect(Object.keys(e.instruments()).sort()).toEqual([sym2, next].sort());
    expect(e.instrument(sym)!.status).toBe('expired');
    expect(e.bands()[next]).toMatchObject({ price: 1003.3 });
    // settled at the index, no fee
    expect(e.pnl(A).pnl - pnlA).toBe(unrealizedPnl(posA, 1003.3, inst));
    expect(e.pnl(B).pnl - pnlB).toBe(unrealizedPnl(posB, 1003.3, inst));
    expect(e.positions(A)[sym]).toBeUndefined();
    expect(open(e, A).filter((o) => o.instrument === sym)).toEqual([]);
    expect(open(e, B)).toEqual([]);
    expect(open(e, C).map((o) => o.instrument)).toEqual([sym2]);
    expect(e.cancelledOrders(B, sym).map((o) => o.orderType).sort()).toEqual(['STP', 'TGT']);
    expect(out.events.some((ev) => ev.name === 'instruments')).toBe(true);
    expect(out.events.some((ev) => ev.name === 'priceband')).toBe(true);
    expect(e.orderbook(sym)).toBeUndefined();
    // the hand-off to the chain: transfers and fees net to zero
    const [s] = res.settlements;
    expect(s!.symbol).toBe(sym);
    expect(s!.price).toBe(1003.3);
    const total = Object.values(s!.transfers).reduce((a, b) => a + b, 0) + s!.fees;
    expect(total).toBe(0);
    expect(s!.fees).toBeGreaterThan(0);
    expect(e.pendingSettlement(sym)).toEqual(s);
    expect(e.checkInvariants()).toEqual([]);
    const applied = ok(e.settlePnl(inst.expiry + 1000, sym));
    expect(applied).toEqual(s);
    expect(e.pnl(A).pnl).toBe(0);
    expect(e.pnl(B).pnl).toBe(0);
    expect(e.pendingSettlement(sym)).toEqual({ symbol: sym, price: 1003.3, transfers: {}, fees: 0 });
    expect(e.checkInvariants()).toEqual([]);
    expect(e.settlePnl(inst.expiry, sym2).ok).toBe(false);
  });

  it('falls back to the last index and keeps two weeklies listed after a long gap', () => {
    const { e, sym } = makeEngine();
    const late = e.instrument(sym)!.expiry + 3 * WEEK;
    const res = ok(e.expire(late));
    expect(res.expired).toHaveLength(2);
    expect(Object.values(e.instruments()).every((i) => i.expiry > late)).toBe(true);
    expect(Object.keys(e.instruments())).toHaveLength(2);
    expect(res.settlements.every((s) => s.price === 1000)).toBe(true);
  });
});

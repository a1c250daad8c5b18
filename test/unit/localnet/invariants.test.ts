// The incremental invariant tracker (main/localnet/invariants.ts): after every command of seeded random streams
// its per-instrument sums equal a rebuild from scratch and it agrees with the engine's full check; corrupted
// state (a position off, fees off, a position without its stop, a user's P&L total off) is reported once the
// command touching that user has been fed to it.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../main/localnet/engine/engine';
import { Rng } from '../../../main/localnet/engine/rng';
import type { EngineEvent } from '../../../main/localnet/engine/types';
import { InvariantTracker } from '../../../main/localnet/invariants';
import type { OrderRequest } from '../../../main/coinpit/types';
import { A, B, makeEngine, place, T0 } from './engine-helpers';

const USERS = ['mInvUserA0000000000000000000000000', 'mInvUserB0000000000000000000000000', 'mInvUserC0000000000000000000000000', 'mInvUserD0000000000000000000000000'];

type Out = { ok: boolean; events: EngineEvent[]; result?: unknown };

function touched(events: EngineEvent[]): string[] {
  return events.filter((e): e is Extract<EngineEvent, { name: 'account' }> => e.name === 'account').map((e) => e.userid);
}

function symbols(e: Engine): string[] {
  return Object.values(e.instruments())
    .sort((a, b) => a.expiry - b.expiry)
    .map((i) => i.symbol);
}

/** One random command against the engine's current state; returns its outcomes (expire + settle give two). */
function step(e: Engine, rng: Rng, clock: { now: number; index: number; cid: number }): Out[] {
  const r = rng.next();
  const user = USERS[rng.int(USERS.length)]!;
  const side = rng.next() < 0.5 ? 'buy' : 'sell';
  clock.now += rng.int(20_000);
  const now = clock.now;
  if (r < 0.5) {
    const sym = symbols(e)[rng.next() < 0.8 ? 0 : 1]!;
    const t = rng.next();
    const orderType = t < 0.65 ? 'LMT' : t < 0.85 ? 'MKT' : t < 0.93 ? 'SLM' : 'STM';
    const req: OrderRequest = {
      clientid: `inv-${++clock.cid}`,
      userid: user,
      instrument: sym,
      side,
      quantity: 1 + rng.int(5),
      orderType,
      stopPrice: 2 + rng.int(60) / 10,
      targetPrice: rng.next() < 0.3 ? 'NONE' : rng.int(50) / 10,
    };
    if (orderType !== 'MKT') req.price = (Math.round(clock.index * 10) + rng.int(60) - 30) / 10;
    return [e.placeOrders(now, user, [req])];
  }
  if (r < 0.62) {
    const mine = e.openOrders(user).filter((o) => o.orderType !== 'STP');
    const o = mine[rng.int(Math.max(1, mine.length))];
    return [e.cancelOrders(now, user, [o ? o.uuid : 'missing'])];
  }
  if (r < 0.72) {
    const mine = e.openOrders(user).filter((o) => typeof o.price === 'number');
    const o = mine[rng.int(Math.max(1, mine.length))];
    if (!o) return [];
    return [e.updateOrders(now, user, [{ uuid: o.uuid, price: (Math.round(clock.index * 10) + rng.int(80) - 40) / 10 }])];
  }
  if (r < 0.8) {
    // merge or split the user's stops (exit orders change, positions must stay covered)
    const stops = e.openOrders(user, symbols(e)[0]).filter((o) => o.orderType === 'STP' && !o.triggered);
    const group = stops.filter((o) => o.side === (stops.filter((x) => x.side === 'sell').length >= stops.length / 2 ? 'sell' : 'buy'));
    const first = group[0];
    if (group.length >= 2 && rng.next() < 0.5) return [e.patch(now, user, [{ op: 'merge', value: group.slice(0, 3).map((o) => o.uuid) }])];
    if (first && first.quantity - first.filled - first.cancelled > 1) return [e.patch(now, user, [{ op: 'split', value: [first.uuid], quantity: 1 }])];
    return [];
  }
  if (r < 0.86) {
    clock.index = Math.max(500, Math.round((clock.index + (rng.next() - 0.5) * 14) * 10) / 10);
    return [e.setIndex(now, clock.index)];
  }
  if (r < 0.9) return [e.cancelAll(now, user)];
  if (r < 0.95) return [e.setMarginBalance(now, user, [2_000_000_000, 60_000_000][rng.int(2)]!)];
  const first = Object.values(e.instruments()).sort((a, b) => a.expiry - b.expiry)[0];
  if (first && rng.next() < 0.4) clock.now = Math.max(clock.now, first.expiry + 1000);
  const out = e.expire(clock.now);
  const outs: Out[] = [out];
  if (out.ok) for (const s of out.result.expired) outs.push(e.settlePnl(clock.now, s));
  return outs;
}

describe('InvariantTracker under random command streams', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`equals a rebuild and agrees with the full check after every command (seed ${seed})`, () => {
      const e = new Engine({ now: T0, seed, index: 1000 });
      const tracker = InvariantTracker.attach(e)!;
      expect(tracker).toBeDefined();
      const rng = new Rng(seed);
      const clock = { now: T0, index: 1000, cid: 0 };
      for (const u of USERS) tracker.update(touched(e.setMarginBalance(T0, u, 2_000_000_000).events));
      let fills = 0;
      let patches = 0;
      let nonEmpty = 0;
      for (let i = 0; i < 600; i++) {
        for (const out of step(e, rng, clock)) {
          tracker.update(touched(out.events));
          fills += out.events.filter((x) => x.name === 'trade').length;
          for (const x of out.events) {
            if (x.name !== 'order_patch') continue;
            const results = (x.payload as { result?: { error?: string }[] }).result ?? [];
            patches += results.filter((res) => !res.error).length;
          }
        }
        const incremental = tracker.totals();
        if (Object.keys(incremental).length > 0) nonEmpty++;
        expect(tracker.errors(), `command ${i}`).toEqual([]);
        expect(e.checkInvariants(), `command ${i}`).toEqual([]);
        const fresh = InvariantTracker.attach(e)!;
        expect(incremental, `command ${i}`).toEqual(fresh.totals());
        expect(tracker.openOrders()).toBe(USERS.reduce((n, u) => n + e.openOrders(u).length, 0));
      }
      expect(fills).toBeGreaterThan(20); // the stream really trades, so the sums are exercised
      expect(nonEmpty).toBeGreaterThan(100);
      expect(patches).toBeGreaterThan(0); // merges or splits of stops succeeded
    });
  }

  it('the streams reach expiry and settlement (the sums then drop back)', () => {
    let expiries = 0;
    for (const seed of [1, 2, 3, 4]) {
      const e = new Engine({ now: T0, seed, index: 1000 });
      const rng = new Rng(seed);
      const clock = { now: T0, index: 1000, cid: 0 };
      for (const u of USERS) e.setMarginBalance(T0, u, 2_000_000_000);
      for (let i = 0; i < 600; i++) {
        for (const out of step(e, rng, clock)) {
          const res = out.result as { expired?: string[] } | undefined;
          if (res?.expired) expiries += res.expired.length;
        }
      }
    }
    expect(expiries).toBeGreaterThan(0);
  });
});

/** Two users with opposite positions (A long 2, B short 2) and their stops. */
function traded(): { e: Engine; sym: string; tracker: InvariantTracker } {
  const { e, sym } = makeEngine();
  const tracker = InvariantTracker.attach(e)!;
  place(e, B, sym, { side: 'sell', price: 1000, quantity: 2 });
  const out = e.placeOrders(T0, A, [{ clientid: 'inv-taker', userid: A, instrument: sym, side: 'buy', quantity: 2, orderType: 'LMT', price: 1000, stopPrice: 5, targetPrice: 'NONE' }]);
  tracker.update(touched(out.events));
  const fees = (e as unknown as Internals).markets.get(sym)!.fees;
  expect(fees).toBeGreaterThan(0);
  expect(tracker.totals()[sym]).toEqual({ quantity: 0, entryAmount: 0, pnl: -fees }); // long and short cancel out
  expect(tracker.errors()).toEqual([]);
  return { e, sym, tracker };
}

interface Internals {
  users: Map<string, { pnl: number; positions: Map<string, { quantity: number; entryAmount: number; pnl: number }>; lots: Map<string, Set<{ status: string; cancelled: number }>> }>;
  markets: Map<string, { fees: number }>;
}

const internals = (e: Engine): Internals => e as unknown as Internals;

describe('InvariantTracker reports broken invariants', () => {
  it('positions that no longer sum to zero', () => {
    const { e, sym, tracker } = traded();
    internals(e).users.get(A)!.positions.get(sym)!.quantity += 1;
    tracker.update([A]);
    expect(tracker.errors()).toEqual(expect.arrayContaining([`${sym}: positions sum to 1, not 0`, expect.stringMatching(/position 3 covered by stops for 2/)]));
    expect(e.checkInvariants().length).toBeGreaterThan(0); // the full check agrees
  });

  it('P&L and fees that do not net to zero', () => {
    const { e, sym, tracker } = traded();
    internals(e).markets.get(sym)!.fees += 7;
    expect(tracker.errors()).toEqual([expect.stringMatching(new RegExp(`^${sym}: realized P&L .* \\+ fees .* != Σ entryAmount`))]);
  });

  it('a position without its stop, and a user P&L total off', () => {
    const { e, sym, tracker } = traded();
    for (const stp of internals(e).users.get(B)!.lots.get(sym)!) stp.status = 'cancel';
    tracker.update([B]);
    expect(tracker.errors()).toEqual([`${B} ${sym}: position -2 covered by stops for 0`]);
    internals(e).users.get(A)!.pnl += 1;
    tracker.update([A]);
    expect(tracker.errors()).toContain(`${A}: pnl ${internals(e).users.get(A)!.pnl} != Σ instrument pnl ${internals(e).users.get(A)!.pnl - 1}`);
  });

  it('a change is only seen once the touched user is fed in; a rebuild sees everything', () => {
    const { e, sym, tracker } = traded();
    internals(e).users.get(A)!.positions.get(sym)!.entryAmount += 5;
    expect(tracker.errors()).toEqual([]); // not reported by any command: the periodic full check is the backstop
    tracker.rebuild();
    expect(tracker.errors()).toEqual([expect.stringMatching(/!= Σ entryAmount/)]);
  });

  it('refuses an object that is not an engine (the server then checks fully)', () => {
    expect(InvariantTracker.attach({} as Engine)).toBeUndefined();
    expect(InvariantTracker.attach({ users: [], markets: new Map(), expiredMarkets: new Map() } as unknown as Engine)).toBeUndefined();
    // the figures come from Engine.invariantView(); a view of the wrong shape is refused too
    const view = { users: [], markets: new Map(), expiredMarkets: new Map() };
    expect(InvariantTracker.attach({ invariantView: () => view } as unknown as Engine)).toBeUndefined();
    const { e } = traded();
    expect(InvariantTracker.attach(e)).toBeDefined();
  });
});

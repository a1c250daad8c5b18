// Shared set-up for the engine tests: a fresh engine at a fixed time with an index and funded users.
import { expect } from 'vitest';
import { Engine, type EngineOptions } from '../../../main/localnet/engine/engine';
import type { EngineEvent, Outcome } from '../../../main/localnet/engine/types';
import type { Order, OrderRequest } from '../../../main/coinpit/types';

export const T0 = Date.UTC(2017, 3, 17, 12, 0, 0); // Monday 2017-04-17 12:00 UTC
export const A = 'mUserAaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
export const B = 'mUserBbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
export const C = 'mUserCcccccccccccccccccccccccccccc';
export const FUNDS = 10_000_000_000; // 100 BTC

export function makeEngine(opts: Partial<EngineOptions> = {}): { e: Engine; sym: string; sym2: string } {
  const e = new Engine({ now: T0, seed: 42, index: 1000, ...opts });
  for (const u of [A, B, C]) ok(e.setMarginBalance(T0, u, FUNDS));
  const [sym, sym2] = Object.keys(e.instruments()).sort((x, y) => e.instruments()[x]!.expiry - e.instruments()[y]!.expiry);
  return { e, sym: sym!, sym2: sym2! };
}

let cid = 0;
export function req(userid: string, instrument: string, o: Partial<OrderRequest>): OrderRequest {
  return {
    clientid: `c-${++cid}`,
    userid,
    instrument,
    side: 'buy',
    quantity: 1,
    orderType: 'LMT',
    stopPrice: 5,
    targetPrice: 'NONE',
    ...o,
  } as OrderRequest;
}

export function ok<T>(out: Outcome<T>): T {
  if (!out.ok) throw new Error(`expected success, got ${out.error.status} ${out.error.message}`);
  return out.result;
}

export function place(e: Engine, userid: string, instrument: string, o: Partial<OrderRequest>, now = T0): Order {
  const [order] = ok(e.placeOrders(now, userid, [req(userid, instrument, o)]));
  expect(e.checkInvariants()).toEqual([]);
  return order!;
}

export function open(e: Engine, userid: string, type?: string): Order[] {
  return e.openOrders(userid).filter((o) => type === undefined || o.orderType === type);
}

export function eventsNamed(events: EngineEvent[], name: EngineEvent['name']): EngineEvent[] {
  return events.filter((ev) => ev.name === name);
}

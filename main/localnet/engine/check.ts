// The engine's full self-check (checkInvariants): exchange invariants plus every cache and book structure.

import type { BookSide } from './book';
import { openQty } from './book';
import type { ExpiredMarket, Market } from './market';
import { isExit, type Ord, type UserRec } from './types';

/** What the check reads: the engine's state and three of its lookups. */
export interface CheckView {
  markets: ReadonlyMap<string, Market>;
  expiredMarkets: ReadonlyMap<string, ExpiredMarket>;
  users: ReadonlyMap<string, UserRec>;
  ocoOf(o: Ord): Ord | undefined;
  /** Freshly computed [min-cross, max-cross] margin of an order. */
  marginOf(o: Ord): [number, number];
  bestInBand(m: Market, side: BookSide): number | null;
}

/** Exchange invariants; [] when all hold. */
export function checkState(v: CheckView): string[] {
  const errs: string[] = [];
  const symbols = new Set<string>([...v.markets.keys(), ...v.expiredMarkets.keys()]);
  for (const s of symbols) {
    let qty = 0;
    let ea = 0;
    let pnl = 0;
    for (const u of v.users.values()) {
      const pos = u.positions.get(s);
      if (!pos) continue;
      qty += pos.quantity;
      ea += pos.entryAmount;
      pnl += pos.pnl;
    }
    const fees = v.markets.get(s)?.fees ?? v.expiredMarkets.get(s)?.fees ?? 0;
    if (qty !== 0) errs.push(`${s}: positions sum to ${qty}, not 0`);
    if (pnl + fees !== ea) errs.push(`${s}: realized P&L ${pnl} + fees ${fees} != Σ entryAmount ${ea}`);
  }
  for (const u of v.users.values()) {
    let pnl = 0;
    for (const pos of u.positions.values()) pnl += pos.pnl;
    if (pnl !== u.pnl) errs.push(`${u.userid}: pnl ${u.pnl} != Σ instrument pnl ${pnl}`);
    const cover = new Map<string, number>();
    let reserved = 0;
    let reservedMax = 0;
    for (const o of u.open.values()) {
      if (o.status !== 'open' || openQty(o) <= 0) errs.push(`${o.uuid}: in open orders with status ${o.status}, open ${openQty(o)}`);
      if (o._gone) errs.push(`${o.uuid}: open order forgotten`);
      if (o.orderType === 'STP') {
        cover.set(o.instrument, (cover.get(o.instrument) ?? 0) + (o.side === 'sell' ? 1 : -1) * openQty(o));
        const p = v.ocoOf(o);
        if (p && p.status === 'open' && openQty(p) !== openQty(o)) errs.push(`${o.uuid}: STP open ${openQty(o)} != TGT open ${openQty(p)}`);
        if (p && p.status === 'open' && p.entryAmount !== o.entryAmount) errs.push(`${o.uuid}: STP/TGT entryAmount differ`);
      }
      if (o.orderType === 'TGT') {
        const p = v.ocoOf(o);
        if (!p || p.status !== 'open') errs.push(`${o.uuid}: open TGT without an open STP`);
      }
      if (isExit(o) && !((o.entryAmount ?? 0) > 0)) errs.push(`${o.uuid}: exit order with entryAmount ${String(o.entryAmount)}`);
      const m = v.markets.get(o.instrument);
      if (!m) errs.push(`${o.uuid}: open order on inactive ${o.instrument}`);
      const inBook = o._level !== null;
      const shouldRest =
        (o.orderType === 'LMT' || o.orderType === 'TGT' ? typeof o.price === 'number' : false) ||
        ((o.orderType === 'SLM' || o.orderType === 'STP') && o.triggered === true);
      if (inBook !== shouldRest) errs.push(`${o.uuid}: ${o.orderType} in book ${inBook}, expected ${shouldRest}`);
      if (m && m.stops.has(o) === inBook) {
        if (inBook || (o.orderType !== 'TGT' && o.orderType !== 'LMT')) errs.push(`${o.uuid}: stop bookkeeping wrong`);
      }
      reserved += o._margin;
      reservedMax += o._marginMax;
      const [mn, mx] = v.marginOf(o);
      if (mn !== o._margin || mx !== o._marginMax) errs.push(`${o.uuid}: cached margin ${o._margin}/${o._marginMax} != ${mn}/${mx}`);
    }
    if (reserved !== u.reserved || reservedMax !== u.reservedMax) errs.push(`${u.userid}: reserved margin cache wrong`);
    for (const [s, lots] of u.lots) {
      let prev = 0;
      const sides = new Set<string>();
      for (const o of lots) {
        if (o.status !== 'open' || o.orderType !== 'STP' || o.instrument !== s || u.open.get(o.uuid) !== o) errs.push(`${o.uuid}: stale lot`);
        if (o._seq < prev) errs.push(`${u.userid} ${s}: lots out of order`);
        prev = o._seq;
        sides.add(o.side);
      }
      if (sides.size > 1) errs.push(`${u.userid} ${s}: stops on both sides`);
    }
    const stpCount = [...u.open.values()].filter((o) => o.orderType === 'STP').length;
    const lotCount = [...u.lots.values()].reduce((n, l) => n + l.size, 0);
    if (stpCount !== lotCount) errs.push(`${u.userid}: ${stpCount} open stops but ${lotCount} lots`);
    for (const pos of u.positions.values()) {
      const c = cover.get(pos.instrument) ?? 0;
      if (c !== pos.quantity) errs.push(`${u.userid} ${pos.instrument}: position ${pos.quantity} covered by stops for ${c}`);
      cover.delete(pos.instrument);
    }
    for (const [s, c] of cover) if (c !== 0) errs.push(`${u.userid} ${s}: stops for ${c} without a position`);
  }
  for (const [s, m] of v.markets) {
    errs.push(...m.bids.check(`${s} bids`), ...m.asks.check(`${s} asks`));
    for (const side of [m.bids, m.asks]) {
      for (const e of side.orders()) {
        const o = e as Ord;
        if (o.status !== 'open' || v.users.get(o.userid)?.open.get(o.uuid) !== o) errs.push(`${o.uuid}: resting but not open`);
        if ((o.side === 'buy') !== side.isBuy) errs.push(`${o.uuid}: on the wrong side`);
      }
    }
    for (const o of m.stops) if (o.status !== 'open' || o.triggered) errs.push(`${o.uuid}: stale untriggered stop`);
    // inside the band the book is never crossed
    const bid = v.bestInBand(m, m.bids);
    const ask = v.bestInBand(m, m.asks);
    if (bid !== null && ask !== null && bid >= ask) errs.push(`${s}: crossed inside the band (${bid} >= ${ask})`);
  }
  return errs;
}

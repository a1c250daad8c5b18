// Per-user money bookkeeping: positions (net, inverse entryAmount), realized P&L and fees (PROTOCOL §5.6, §5.7).
// Everything is integer satoshi; a partial close realizes round(entryAmount × closed / open) and leaves the
// remainder in the position, so the sums across users stay exact.

import { fee, np } from '../../coinpit/instruments';
import type { Instrument } from '../../coinpit/types';
import { OpenOrders } from './open';
import type { Ord, PositionRec, UserRec } from './types';

export function newUser(userid: string): UserRec {
  return {
    userid,
    accountMargin: 0,
    pnl: 0,
    commission: 0,
    positions: new Map(),
    open: new OpenOrders<Ord>(),
    reserved: 0,
    reservedMax: 0,
    clientids: new Map(),
    lots: new Map(),
    closed: new Map(),
    cancelled: new Map(),
    executions: [],
    _mark: 0,
    _gmark: 0,
    _group: null,
  };
}

export function positionOf(user: UserRec, symbol: string): PositionRec {
  let pos = user.positions.get(symbol);
  if (!pos) {
    pos = { instrument: symbol, quantity: 0, entryAmount: 0, commission: 0, pnl: 0 };
    user.positions.set(symbol, pos);
  }
  return pos;
}

/**
 * Books one fill of `signedQty` contracts (+ buy, − sell) at `price` with `feeSat` (commission > 0, rebate < 0)
 * into the user's position and realized P&L.
 */
export function applyFill(user: UserRec, inst: Instrument, signedQty: number, price: number, feeSat: number): void {
  const pos = positionOf(user, inst.symbol);
  const n = np(price, inst);
  const q = pos.quantity;
  const dir = signedQty > 0 ? 1 : -1;
  const size = Math.abs(signedQty);
  if (q === 0 || Math.sign(q) === dir) {
    pos.quantity += signedQty;
    pos.entryAmount -= signedQty * n;
    pos.commission += feeSat;
  } else {
    const open = Math.abs(q);
    const closing = Math.min(size, open);
    const portion = closing === open ? pos.entryAmount : Math.round((pos.entryAmount * closing) / open);
    const commissionPortion = closing === open ? pos.commission : Math.round((pos.commission * closing) / open);
    // closed lot of sign(q)·closing contracts: P&L = −(its entryAmount + its quantity × np(exit))
    const realized = -(portion + Math.sign(q) * closing * n) || 0;
    pos.entryAmount -= portion;
    pos.commission -= commissionPortion;
    pos.quantity += dir * closing;
    pos.pnl += realized;
    user.pnl += realized;
    const rest = size - closing;
    if (rest > 0) {
      pos.quantity += dir * rest;
      pos.entryAmount -= dir * rest * n;
      pos.commission += Math.round((feeSat * rest) / size);
    }
  }
  pos.pnl -= feeSat;
  user.pnl -= feeSat;
  user.commission += feeSat;
}

/** Closes the whole position at `price` without fees (expiry settlement); returns the realized P&L. */
export function settlePosition(user: UserRec, inst: Instrument, price: number): number {
  const pos = user.positions.get(inst.symbol);
  if (!pos || pos.quantity === 0) return 0;
  const realized = -(pos.entryAmount + pos.quantity * np(price, inst)) || 0;
  pos.pnl += realized;
  user.pnl += realized;
  pos.quantity = 0;
  pos.entryAmount = 0;
  pos.commission = 0;
  return realized;
}

/**
 * Average entry price of a position: the price whose normalized value times the quantity is the entryAmount
 * (harmonic mean of the fills for inverse contracts), to 4 decimals.
 */
export function averagePrice(pos: Pick<PositionRec, 'quantity' | 'entryAmount'>, inst: Instrument): number {
  if (pos.quantity === 0 || pos.entryAmount === 0) return 0;
  const perContract = Math.abs(pos.entryAmount) / Math.abs(pos.quantity);
  const price = inst.type === 'quanto' ? perContract : ((inst.contractusdvalue ?? 0) * 1e8) / perContract;
  return Math.round(price * 1e4) / 1e4;
}

/** Exit commission reserved for open positions: round(Σ fee('commission', |q|, averagePrice)) (§5.6). */
export function positionsCommission(user: UserRec, instruments: (symbol: string) => Instrument | undefined): number {
  let total = 0;
  for (const pos of user.positions.values()) {
    if (pos.quantity === 0) continue;
    const inst = instruments(pos.instrument);
    if (!inst) continue;
    total += fee('commission', Math.abs(pos.quantity), averagePrice(pos, inst), inst);
  }
  return Math.round(total);
}

// What the positions table and the account strip show: side, entry, mark (the index), unrealized P&L at the index
// (PROTOCOL §5.7) and the stop and target orders that protect each position.

import type { Account, Band, Instrument, Order, Position } from '../../../preload/contract';
import { unrealizedPnl } from '../../../main/coinpit/instruments';

export interface PositionRow {
  symbol: string;
  side: 'Long' | 'Short';
  quantity: number;
  entry: number;
  /** the index price, null until a band arrived */
  mark: number | null;
  /** satoshi, null without a mark */
  upl: number | null;
  /** STP trigger prices protecting the position */
  stops: number[];
  /** TGT prices; 'NONE' entries mean a stop without target */
  targets: (number | 'NONE')[];
  commission: number;
}

export function exitOrders(orders: Record<string, Order> | undefined): { stops: Order[]; targets: Order[] } {
  const stops: Order[] = [];
  const targets: Order[] = [];
  for (const o of Object.values(orders ?? {})) {
    if (o.status !== 'open') continue;
    if (o.orderType === 'STP') stops.push(o);
    else if (o.orderType === 'TGT') targets.push(o);
  }
  return { stops, targets };
}

export function positionRows(
  account: Account | null,
  instruments: Record<string, Instrument>,
  bands: Record<string, Band>,
): PositionRow[] {
  if (!account) return [];
  const rows: PositionRow[] = [];
  for (const [symbol, p] of Object.entries(account.positions ?? {})) {
    if (!p || p.quantity === 0) continue;
    rows.push(positionRow(symbol, p, instruments[symbol], bands[symbol], account.orders?.[symbol]));
  }
  return rows.sort((a, b) => a.symbol.localeCompare(b.symbol));
}

export function positionRow(
  symbol: string,
  p: Position,
  instrument: Instrument | undefined,
  band: Band | undefined,
  orders: Record<string, Order> | undefined,
): PositionRow {
  const mark = band?.price ?? null;
  let upl: number | null = null;
  if (instrument && mark !== null) {
    try {
      upl = unrealizedPnl(p, mark, instrument);
    } catch {
      upl = null;
    }
  }
  const { stops, targets } = exitOrders(orders);
  return {
    symbol,
    side: p.quantity > 0 ? 'Long' : 'Short',
    quantity: Math.abs(p.quantity),
    entry: p.averagePrice,
    mark,
    upl,
    stops: stops.map((o) => (typeof o.price === 'number' ? o.price : NaN)).filter(Number.isFinite),
    targets: targets.map((o) => (typeof o.price === 'number' ? o.price : 'NONE')),
    commission: p.commission,
  };
}

/** Σ unrealized P&L over the rows that have one. */
export function totalUnrealized(rows: readonly PositionRow[]): number {
  return rows.reduce((s, r) => s + (r.upl ?? 0), 0);
}

export interface AccountFigures {
  multisig: number;
  margin: number;
  available: number;
  /** realized P&L */
  pnl: number;
  unrealized: number;
  /** multisig + margin balance + realized P&L (PROTOCOL §5.7) */
  total: number;
}

export function accountFigures(account: Account | null, rows: readonly PositionRow[]): AccountFigures | null {
  if (!account) return null;
  const multisig = account.multisig ?? 0;
  const pnlValue = account.pnl?.pnl ?? 0;
  return {
    multisig,
    margin: account.accountMargin,
    available: account.margin,
    pnl: pnlValue,
    unrealized: totalUnrealized(rows),
    total: multisig + account.accountMargin + pnlValue,
  };
}

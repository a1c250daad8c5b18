// Snapshot shapes (Engine.toJSON / Engine.fromJSON) and the snapshot record of one order.

import type { Band, Config, Instrument, Trade } from '../../coinpit/types';
import type { BTCUSD_TEMPLATE } from './listing';
import type { RngState } from './rng';
import { dict, type CandleRec, type ExecutionRec, type Ord, type PositionRec } from './types';
import { ORDER_STATE_FIELDS, ORDER_WIRE_FIELDS, wireField } from './wire';

export interface EngineSnapshot {
  version: 1;
  rng: RngState;
  seq: number;
  prio: number;
  lastMicros: number;
  lastIndex: number | null;
  config: Config;
  template: typeof BTCUSD_TEMPLATE;
  limits: { history: number; executions: number; trades: number; candles: number };
  markets: { inst: Instrument; band: Band | null; fees: number; trades: Trade[]; candles: CandleRec[] }[];
  expired: { inst: Instrument; fees: number; settlePrice: number }[];
  users: {
    userid: string;
    accountMargin: number;
    pnl: number;
    commission: number;
    positions: PositionRec[];
    open: string[];
    clientids: [string, string][];
    closed: [string, string[]][];
    cancelled: [string, string[]][];
    executions: ExecutionRec[];
  }[];
  orders: Record<string, unknown>[];
}

/**
 * An order as snapshots keep it: its wire fields (full forms), the state fields, `_exits` {fill tick: STP uuid} of
 * an entry and `_book` when it rests.
 */
export function orderRecord(o: Ord): Record<string, unknown> {
  const rec: Record<string, unknown> = {};
  for (const k of ORDER_WIRE_FIELDS) {
    const v = wireField(o, k);
    if (v !== undefined) rec[k] = v;
  }
  for (const k of ORDER_STATE_FIELDS) if (o[k] !== undefined) rec[k] = o[k];
  if (o._x1) {
    const exits = dict<string>();
    exits[o._x1Tick] = o._x1.uuid;
    if (o._xMore) for (const [tick, x] of o._xMore) exits[tick] = x.uuid;
    rec._exits = exits;
  }
  if (o._level) rec._book = true;
  return structuredClone(rec);
}

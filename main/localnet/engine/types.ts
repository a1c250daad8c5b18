// Engine-internal records and the command/event shapes the server builds on.

import type {
  Band,
  BookDiff,
  Instrument,
  Order,
  OrderStatus,
  OrderType,
  PatchResult,
  Side,
  Trade,
} from '../../coinpit/types';
import type { BookEntry, PriceLevel } from './book';
import { Rng } from './rng';

/**
 * A record keyed by ids (uuids, ticks). Created with a null prototype so V8 keeps it in dictionary mode: plain
 * `{}` objects would grow a new hidden class for every distinct uuid key, which costs memory and time.
 */
export function dict<V>(from?: Record<string, V>): Record<string, V> {
  const d = Object.create(null) as Record<string, V>;
  if (from) for (const k of Object.keys(from)) d[k] = from[k] as V;
  return d;
}

/** An order as the engine keeps it: the wire fields plus book links and cached margin. */
export class Ord implements BookEntry {
  uuid = '';
  clientid?: string;
  userid = '';
  instrument = '';
  side: Side = 'buy';
  quantity = 0;
  filled = 0;
  cancelled = 0;
  price: number | 'NONE' | null = null;
  normalizedPrice?: number | 'NONE' | null;
  averagePrice = 0;
  orderType: OrderType = 'LMT';
  stopPrice?: number;
  targetPrice?: number | 'NONE';
  crossMargin = false;
  cushion = 0;
  reservedTicks = 0;
  commission: number | null = 0;
  reward: number | null = 0;
  status: OrderStatus = 'open';
  entryTime = 0;
  eventTime = 0;
  triggered?: boolean;
  marginPerQty?: number;
  postOnly?: boolean;
  oco?: string;
  entryOrder: Record<string, number> = EMPTY_ENTRY_ORDER;
  entryPrice?: number;
  entryPrices?: number[];
  entryAmounts?: number[];
  entryAmount?: number;
  normalizedEntryPrice?: number;
  maxStop?: number | null;
  normalizedMaxStop?: number | null;

  // ---- internal (not on the wire)
  /** Book price in ticks while resting. */
  _tick = 0;
  /** Time priority inside a level. */
  _prio = 0;
  _prev: BookEntry | null = null;
  _next: BookEntry | null = null;
  _level: PriceLevel | null = null;
  /** Creation sequence: deterministic ordering of simultaneous triggers. */
  _seq = 0;
  /** Σ fill quantity × fill ticks, for averagePrice. */
  _fillTicks = 0;
  /** Cached orderMargin in min-cross and max-cross mode (sat). */
  _margin = 0;
  _marginMax = 0;
  /** Entry orders: fill tick → uuid of the STP created for fills at that price (extended by later fills). */
  _exits?: Record<string, string>;
  /** The order `oco` names (kept with `oco`; a lookup checks the uuid still matches). */
  _ocoRef: Ord | null = null;
  /** Entry orders: fill tick → the STP of `_exits` itself (direct reference for the hot path). */
  _exitRefs?: Map<number, Ord>;
  /** Forgotten: trimmed from the history, no longer known by its uuid (references to it act as unknown). */
  _gone = false;
  /** Per-command marks (the engine's command epoch when last touched / created / reported); not state. */
  _touch = 0;
  _created = 0;
  _reported = 0;
}

/** Entry orders all share this (frozen) empty map; exit orders get their own dict(). */
export const EMPTY_ENTRY_ORDER: Record<string, number> = Object.freeze(dict<number>()) as Record<string, number>;

export const ORDER_WIRE_FIELDS = [
  'uuid', 'clientid', 'userid', 'instrument', 'side', 'quantity', 'filled', 'cancelled', 'price', 'normalizedPrice',
  'averagePrice', 'orderType', 'stopPrice', 'targetPrice', 'crossMargin', 'cushion', 'reservedTicks', 'commission',
  'reward', 'status', 'entryTime', 'eventTime', 'triggered', 'marginPerQty', 'postOnly', 'oco', 'entryOrder',
  'entryPrice', 'entryPrices', 'entryAmounts', 'entryAmount', 'normalizedEntryPrice', 'maxStop', 'normalizedMaxStop',
] as const;

/** Internal fields that snapshots keep besides the wire ones. */
export const ORDER_STATE_FIELDS = ['_tick', '_prio', '_seq', '_fillTicks', '_exits'] as const;

/** Wire copy of an order (explicit literal: this runs for every order in every event). */
export function toWire(o: Ord): Order {
  const w: Order = {
    uuid: o.uuid,
    userid: o.userid,
    instrument: o.instrument,
    side: o.side,
    quantity: o.quantity,
    filled: o.filled,
    cancelled: o.cancelled,
    price: o.price,
    averagePrice: o.averagePrice,
    orderType: o.orderType,
    crossMargin: o.crossMargin,
    cushion: o.cushion,
    reservedTicks: o.reservedTicks,
    commission: o.commission,
    reward: o.reward,
    status: o.status,
    entryTime: o.entryTime,
    eventTime: o.eventTime,
    entryOrder: o.entryOrder === EMPTY_ENTRY_ORDER ? dict<number>() : dict(o.entryOrder),
  };
  if (o.clientid !== undefined) w.clientid = o.clientid;
  if (o.normalizedPrice !== undefined) w.normalizedPrice = o.normalizedPrice;
  if (o.stopPrice !== undefined) w.stopPrice = o.stopPrice;
  if (o.targetPrice !== undefined) w.targetPrice = o.targetPrice;
  if (o.triggered !== undefined) w.triggered = o.triggered;
  if (o.marginPerQty !== undefined) w.marginPerQty = o.marginPerQty;
  if (o.postOnly !== undefined) w.postOnly = o.postOnly;
  if (o.oco !== undefined) w.oco = o.oco;
  if (o.entryPrice !== undefined) w.entryPrice = o.entryPrice;
  if (o.entryPrices !== undefined) w.entryPrices = o.entryPrices.slice();
  if (o.entryAmounts !== undefined) w.entryAmounts = o.entryAmounts.slice();
  if (o.entryAmount !== undefined) w.entryAmount = o.entryAmount;
  if (o.normalizedEntryPrice !== undefined) w.normalizedEntryPrice = o.normalizedEntryPrice;
  if (o.maxStop !== undefined) w.maxStop = o.maxStop;
  if (o.normalizedMaxStop !== undefined) w.normalizedMaxStop = o.normalizedMaxStop;
  return w;
}

export const isExit = (o: Pick<Ord, 'orderType'>): boolean => o.orderType === 'STP' || o.orderType === 'TGT';

/** Position of one user in one instrument, plus its unsettled realized P&L. */
export interface PositionRec {
  instrument: string;
  /** Signed contracts, < 0 short. */
  quantity: number;
  /** −Σ signed fill qty × np(fill price) of the open quantity. */
  entryAmount: number;
  /** Commission paid on the fills that opened the current quantity (informational). */
  commission: number;
  /** Realized trading P&L in this instrument not yet settled on chain, net of fees paid (sat). */
  pnl: number;
}

export interface UserRec {
  userid: string;
  /** Margin-address balance (sat), set by the server from the chain. */
  accountMargin: number;
  /** Unsettled realized P&L net of fees, all instruments (sat): Account.pnl.pnl. */
  pnl: number;
  /** Cumulative fees paid, net of rebates (sat): Account.pnl.commission. */
  commission: number;
  positions: Map<string, PositionRec>;
  /** Open orders in creation order. */
  open: Map<string, Ord>;
  /** Σ cached order margins (min-cross / max-cross). */
  reserved: number;
  reservedMax: number;
  /** clientid → its order (while the order is remembered). */
  clientids: Map<string, Ord>;
  /** Open STP orders per symbol, oldest first: the lots an opposite entry fill closes first. */
  lots: Map<string, Set<Ord>>;
  /** Oldest first, capped. */
  closed: Map<string, Ord[]>;
  cancelled: Map<string, Ord[]>;
  /** Oldest first, capped. */
  executions: Exec[];
  /** Per-command marks (engine command epoch), not state: account event queued / order events grouped. */
  _mark: number;
  _gmark: number;
  _group: OrderGroup | null;
}

/** The order events of one user in one command (built at the end of the command). */
export interface OrderGroup {
  userid: string;
  add: Order[];
  update: Order[];
  del: string[];
}

export interface ExecutionRec {
  uuid: string;
  orderid: string;
  instrument: string;
  side: Side;
  quantity: number;
  price: number;
  liquidity: 'maker' | 'taker';
  commission: number;
  time: number;
}

/**
 * An execution as the engine keeps it. The uuid's four generator draws are taken at the fill (so the generator
 * advances exactly as if the text were built), but the text is built only when someone reads it: most executions
 * are never queried, and building the text is a large share of a fill's cost.
 */
export class Exec {
  private id: string | null;
  constructor(
    private readonly d1: number,
    private readonly d2: number,
    private readonly d3: number,
    private readonly d4: number,
    readonly orderid: string,
    readonly instrument: string,
    readonly side: Side,
    readonly quantity: number,
    readonly price: number,
    readonly liquidity: 'maker' | 'taker',
    readonly commission: number,
    readonly time: number,
    id: string | null = null,
  ) {
    this.id = id;
  }

  /** From a snapshot record (the uuid is known). */
  static of(r: ExecutionRec): Exec {
    return new Exec(0, 0, 0, 0, r.orderid, r.instrument, r.side, r.quantity, r.price, r.liquidity, r.commission, r.time, r.uuid);
  }

  get uuid(): string {
    return (this.id ??= Rng.formatUuid(this.d1, this.d2, this.d3, this.d4));
  }

  /** The plain record (wire Execution and snapshot shape, keys in this order). */
  toRecord(): ExecutionRec {
    return {
      uuid: this.uuid, orderid: this.orderid, instrument: this.instrument, side: this.side, quantity: this.quantity,
      price: this.price, liquidity: this.liquidity, commission: this.commission, time: this.time,
    };
  }
}

export interface CandleRec {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Σ qty × np(price) (sat), for the 24 h BTC volume. */
  btc: number;
}

/** Events to publish. Private ones carry `userid` (send only to that user's sockets). */
export type EngineEvent =
  | { name: 'order_add'; userid: string; payload: { requestid?: string; result: Order[] } }
  | { name: 'order_update'; userid: string; payload: { requestid?: string; result: Order[] } }
  | { name: 'order_del'; userid: string; payload: { requestid?: string; result: string[] } }
  | { name: 'order_del_all'; userid: string; payload: { requestid?: string } }
  | { name: 'order_patch'; userid: string; payload: { requestid?: string; result: PatchResult[] } }
  | { name: 'order_error'; userid: string; payload: { requestid?: string; error: string } }
  /** The user's Account changed: send `{account: engine.account(userid)}`. */
  | { name: 'account'; userid: string }
  | { name: 'trade'; payload: Trade[] }
  | { name: 'difforderbook'; payload: Record<string, BookDiff> }
  | { name: 'priceband'; payload: Record<string, Band> }
  | { name: 'instruments'; payload: Record<string, Instrument> };

export interface EngineError {
  /** HTTP status: 404 unknown order, 409 duplicate clientid, 422 validation / Insufficient margin. */
  status: number;
  message: string;
}

export type Outcome<T> =
  | { ok: true; result: T; events: EngineEvent[] }
  | { ok: false; error: EngineError; events: EngineEvent[] };

/**
 * A rejected command (status + message). Deliberately not an Error: rejections are routine (a cancel racing a
 * fill) and capturing a stack trace for each would cost more than the command itself.
 */
export class CommandError {
  constructor(
    readonly status: number,
    readonly message: string,
  ) {}
}

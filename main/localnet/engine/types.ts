// Engine-internal records and the command/event shapes the server builds on.

import type {
  Band,
  BookDiff,
  Execution,
  Instrument,
  Order,
  OrderStatus,
  OrderType,
  PatchResult,
  Side,
  Trade,
} from '../../coinpit/types';
import type { BookEntry, PriceLevel } from './book';
import type { OpenOrders } from './open';
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
export interface Ord extends BookEntry {
  uuid: string;
  clientid?: string;
  userid: string;
  instrument: string;
  side: Side;
  quantity: number;
  filled: number;
  cancelled: number;
  price: number | 'NONE' | null;
  normalizedPrice?: number | 'NONE' | null;
  averagePrice: number;
  orderType: OrderType;
  stopPrice?: number;
  targetPrice?: number | 'NONE';
  crossMargin: boolean;
  cushion: number;
  reservedTicks: number;
  commission: number | null;
  reward: number | null;
  status: OrderStatus;
  entryTime: number;
  eventTime: number;
  triggered?: boolean;
  marginPerQty?: number;
  postOnly?: boolean;
  oco?: string;
  entryOrder: Record<string, number>;
  entryPrice?: number;
  entryPrices?: number[];
  entryAmounts?: number[];
  entryAmount?: number;
  normalizedEntryPrice?: number;
  maxStop?: number | null;
  normalizedMaxStop?: number | null;

  // ---- internal (not on the wire)
  /** Book price in ticks while resting. */
  _tick: number;
  /** Time priority inside a level. */
  _prio: number;
  _prev: BookEntry | null;
  _next: BookEntry | null;
  _level: PriceLevel | null;
  /** Creation sequence: deterministic ordering of simultaneous triggers. */
  _seq: number;
  /** Σ fill quantity × fill ticks, for averagePrice. */
  _fillTicks: number;
  /** Cached orderMargin in min-cross and max-cross mode (sat). */
  _margin: number;
  _marginMax: number;
  /**
   * Entry orders: fill tick → the STP created for fills at that price (extended by later fills); snapshots keep
   * it as `_exits` {tick: uuid}. Nearly every entry fills at one or two prices, so the first pair sits in a slot.
   */
  _x1Tick: number;
  _x1: Ord | null;
  _xMore: Map<number, Ord> | null;
  /** The order `oco` names (kept with `oco`; a lookup checks the uuid still matches). */
  _ocoRef: Ord | null;
  /**
   * Compact form of an exit order of one entry fill: entryOrder is {[_eoKey]: _eoQty}, entryPrices [entryPrice],
   * entryAmounts [_ea1] (the fields themselves unset) until unpack() writes them out. Exit orders are most of
   * what the engine keeps, and a dictionary and two arrays each cost more memory than the order's other fields.
   */
  _single: boolean;
  _eoKey: string;
  _eoQty: number;
  _ea1: number;
  /** Forgotten: trimmed from the history, no longer known by its uuid (references to it act as unknown). */
  _gone: boolean;
  /** Links of the user's open orders (see open.ts). */
  _onext: Ord | null;
  _oprev: Ord | null;
  _hnext: Ord | null;
  _okey: number;
  /** The owner's record once the order is open (saves a lookup by userid; null on restored history). */
  _u: UserRec | null;
  /** Per-command marks (the engine's command epoch when last touched / reported); not state. */
  _touch: number;
  _reported: number;
}

/**
 * A new order record with every field present (one object layout for all orders). The fields matching, cancels and
 * fills read come first, so they share the object's first cache lines (the key order of a record is invisible:
 * wire copies and snapshots list their fields explicitly). Built by an object literal,
 * not a class: V8 tracks literal allocation sites and, as nearly all orders live long (open, then history), soon
 * allocates them directly in the old generation instead of copying each through the young one.
 */
export function newOrd(): Ord {
  return {
    _prev: null,
    _next: null,
    _level: null,
    _tick: 0,
    _prio: 0,
    quantity: 0,
    filled: 0,
    cancelled: 0,
    status: 'open',
    side: 'buy',
    orderType: 'LMT',
    userid: '',
    _u: null,
    uuid: '',
    _touch: 0,
    _reported: 0,
    _seq: 0,
    _gone: false,
    _margin: 0,
    _marginMax: 0,
    marginPerQty: undefined,
    _ocoRef: null,
    oco: undefined,
    instrument: '',
    triggered: undefined,
    price: null,
    entryAmount: undefined,
    _onext: null,
    _oprev: null,
    _hnext: null,
    _okey: 0,
    clientid: undefined,
    normalizedPrice: undefined,
    averagePrice: 0,
    stopPrice: undefined,
    targetPrice: undefined,
    crossMargin: false,
    cushion: 0,
    reservedTicks: 0,
    commission: 0,
    reward: 0,
    entryTime: 0,
    eventTime: 0,
    postOnly: undefined,
    entryOrder: EMPTY_ENTRY_ORDER,
    entryPrice: undefined,
    entryPrices: undefined,
    entryAmounts: undefined,
    normalizedEntryPrice: undefined,
    maxStop: undefined,
    normalizedMaxStop: undefined,
    _fillTicks: 0,
    _x1Tick: 0,
    _x1: null,
    _xMore: null,
    _single: false,
    _eoKey: '',
    _eoQty: 0,
    _ea1: 0,
  };
}

/** Entry orders all share this (frozen) empty map; exit orders get their own dict(). */
export const EMPTY_ENTRY_ORDER: Record<string, number> = Object.freeze(dict<number>()) as Record<string, number>;

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
  /** Open orders in creation order, by uuid. */
  open: OpenOrders<Ord>;
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
  /** This user's order group (reused by every command; see Engine.finish). */
  _group: OrderGroup | null;
}

/** What Engine.invariantView() exposes (read-only). */
export interface InvariantView {
  users: ReadonlyMap<string, Readonly<Pick<UserRec, 'userid' | 'pnl' | 'positions' | 'open' | 'lots'>>>;
  markets: ReadonlyMap<string, { readonly fees: number }>;
  expiredMarkets: ReadonlyMap<string, { readonly fees: number }>;
}

/** The order events of one user in one command (built at the end of the command). */
export interface OrderGroup {
  userid: string;
  add: Order[] | null;
  update: Order[] | null;
  del: string[] | null;
}

/** An execution in snapshots: the wire shape. */
export type ExecutionRec = Execution;

/**
 * An execution as the engine keeps it. The uuid's four generator draws are taken at the fill (so the generator
 * advances exactly as if the text were built), but the text is built only when someone reads it (execUuid): most
 * executions are never queried, and building the text is a large share of a fill's cost. A literal (see newOrd).
 */
export interface Exec extends Omit<Execution, 'uuid'> {
  d1: number;
  d2: number;
  d3: number;
  d4: number;
  /** The uuid text once built (or from a snapshot). */
  id: string | null;
}

export function newExec(
  d1: number, d2: number, d3: number, d4: number, id: string | null, orderid: string, instrument: string, side: Side,
  quantity: number, price: number, liquidity: 'maker' | 'taker', commission: number, time: number,
): Exec {
  return { d1, d2, d3, d4, id, orderid, instrument, side, quantity, price, liquidity, commission, time };
}

/** From a snapshot record (the uuid is known). */
export function execOf(r: ExecutionRec): Exec {
  return newExec(0, 0, 0, 0, r.uuid, r.orderid, r.instrument, r.side, r.quantity, r.price, r.liquidity, r.commission, r.time);
}

export function execUuid(x: Exec): string {
  return (x.id ??= Rng.formatUuid(x.d1, x.d2, x.d3, x.d4));
}

/** The plain record (wire Execution and snapshot shape, keys in this order). */
export function execRecord(x: Exec): ExecutionRec {
  return {
    uuid: execUuid(x), orderid: x.orderid, instrument: x.instrument, side: x.side, quantity: x.quantity, price: x.price,
    liquidity: x.liquidity, commission: x.commission, time: x.time,
  };
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

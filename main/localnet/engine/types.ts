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
  /** Per-command marks (the engine's command epoch when last touched / reported); not state. */
  _touch: number;
  _reported: number;
}

/**
 * A new order record with every field present (one object layout for all orders). Built by an object literal,
 * not a class: V8 tracks literal allocation sites and, as nearly all orders live long (open, then history), soon
 * allocates them directly in the old generation instead of copying each through the young one.
 */
export function newOrd(): Ord {
  return {
    uuid: '',
    clientid: undefined,
    userid: '',
    instrument: '',
    side: 'buy',
    quantity: 0,
    filled: 0,
    cancelled: 0,
    price: null,
    normalizedPrice: undefined,
    averagePrice: 0,
    orderType: 'LMT',
    stopPrice: undefined,
    targetPrice: undefined,
    crossMargin: false,
    cushion: 0,
    reservedTicks: 0,
    commission: 0,
    reward: 0,
    status: 'open',
    entryTime: 0,
    eventTime: 0,
    triggered: undefined,
    marginPerQty: undefined,
    postOnly: undefined,
    oco: undefined,
    entryOrder: EMPTY_ENTRY_ORDER,
    entryPrice: undefined,
    entryPrices: undefined,
    entryAmounts: undefined,
    entryAmount: undefined,
    normalizedEntryPrice: undefined,
    maxStop: undefined,
    normalizedMaxStop: undefined,
    _tick: 0,
    _prio: 0,
    _prev: null,
    _next: null,
    _level: null,
    _seq: 0,
    _fillTicks: 0,
    _margin: 0,
    _marginMax: 0,
    _x1Tick: 0,
    _x1: null,
    _xMore: null,
    _ocoRef: null,
    _single: false,
    _eoKey: '',
    _eoQty: 0,
    _ea1: 0,
    _gone: false,
    _touch: 0,
    _reported: 0,
  };
}

/** Writes out an exit order's compact entryOrder / entryPrices / entryAmounts (before anything reads them). */
export function unpack(o: Ord): void {
  if (!o._single) return;
  o.entryOrder = singleEntry(o._eoKey, o._eoQty);
  o.entryPrices = [o.entryPrice as number];
  o.entryAmounts = [o._ea1];
  o._single = false;
}

function singleEntry(key: string, qty: number): Record<string, number> {
  const d = dict<number>();
  d[key] = qty;
  return d;
}

/** Value of a wire field as the order would hold it unpacked (for snapshots; no change to the order). */
export function wireField(o: Ord, k: (typeof ORDER_WIRE_FIELDS)[number]): unknown {
  if (o._single) {
    if (k === 'entryOrder') return singleEntry(o._eoKey, o._eoQty);
    if (k === 'entryPrices') return [o.entryPrice];
    if (k === 'entryAmounts') return [o._ea1];
  }
  return o[k];
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
export const ORDER_STATE_FIELDS = ['_tick', '_prio', '_seq', '_fillTicks'] as const; // then `_exits`, see toJSON

/** Builds a wire Order: `new (wireCtor())(o)`. */
type WireCtor = new (o: Ord) => Order;

/**
 * A constructor for wire copies of orders. The copies are plain objects (prototype Object.prototype, keys in the
 * order below, optional keys only when set), exactly what an object literal plus conditional assignments gives.
 * Built by a constructor because V8 then sizes the objects for all their fields from the start (a literal gets 19
 * slots and grows an out-of-object property array several times for the rest). Every call returns a separate
 * function, so entry, STP and TGT copies each get their own, right-sized object layout.
 */
function wireCtor(): WireCtor {
  const Wire = function (this: Record<string, unknown>, o: Ord): void {
    this.uuid = o.uuid;
    this.userid = o.userid;
    this.instrument = o.instrument;
    this.side = o.side;
    this.quantity = o.quantity;
    this.filled = o.filled;
    this.cancelled = o.cancelled;
    this.price = o.price;
    this.averagePrice = o.averagePrice;
    this.orderType = o.orderType;
    this.crossMargin = o.crossMargin;
    this.cushion = o.cushion;
    this.reservedTicks = o.reservedTicks;
    this.commission = o.commission;
    this.reward = o.reward;
    this.status = o.status;
    this.entryTime = o.entryTime;
    this.eventTime = o.eventTime;
    this.entryOrder = o._single ? singleEntry(o._eoKey, o._eoQty) : o.entryOrder === EMPTY_ENTRY_ORDER ? dict<number>() : dict(o.entryOrder);
    if (o.clientid !== undefined) this.clientid = o.clientid;
    if (o.normalizedPrice !== undefined) this.normalizedPrice = o.normalizedPrice;
    if (o.stopPrice !== undefined) this.stopPrice = o.stopPrice;
    if (o.targetPrice !== undefined) this.targetPrice = o.targetPrice;
    if (o.triggered !== undefined) this.triggered = o.triggered;
    if (o.marginPerQty !== undefined) this.marginPerQty = o.marginPerQty;
    if (o.postOnly !== undefined) this.postOnly = o.postOnly;
    if (o.oco !== undefined) this.oco = o.oco;
    if (o.entryPrice !== undefined) this.entryPrice = o.entryPrice;
    if (o._single) this.entryPrices = [o.entryPrice];
    else if (o.entryPrices !== undefined) this.entryPrices = o.entryPrices.slice();
    if (o._single) this.entryAmounts = [o._ea1];
    else if (o.entryAmounts !== undefined) this.entryAmounts = o.entryAmounts.slice();
    if (o.entryAmount !== undefined) this.entryAmount = o.entryAmount;
    if (o.normalizedEntryPrice !== undefined) this.normalizedEntryPrice = o.normalizedEntryPrice;
    if (o.maxStop !== undefined) this.maxStop = o.maxStop;
    if (o.normalizedMaxStop !== undefined) this.normalizedMaxStop = o.normalizedMaxStop;
  };
  Wire.prototype = Object.prototype; // plain objects, like literals
  return Wire as unknown as WireCtor;
}

const WireEntry = wireCtor();
const WireStp = wireCtor();
const WireTgt = wireCtor();

/** Wire copy of an order (runs for every order in every event). */
export function toWire(o: Ord): Order {
  const type = o.orderType;
  return type === 'STP' ? new WireStp(o) : type === 'TGT' ? new WireTgt(o) : new WireEntry(o);
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
  add: Order[] | null;
  update: Order[] | null;
  del: string[] | null;
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
 * advances exactly as if the text were built), but the text is built only when someone reads it (execUuid): most
 * executions are never queried, and building the text is a large share of a fill's cost. A literal (see newOrd).
 */
export interface Exec {
  d1: number;
  d2: number;
  d3: number;
  d4: number;
  /** The uuid text once built (or from a snapshot). */
  id: string | null;
  orderid: string;
  instrument: string;
  side: Side;
  quantity: number;
  price: number;
  liquidity: 'maker' | 'taker';
  commission: number;
  time: number;
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

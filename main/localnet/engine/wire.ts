// Wire copies of orders (what events, replies and queries hand out) and the snapshot form of an order's fields.
// Orders keep compact exit fields (see Ord._single); everything that leaves the engine writes the full forms.

import type { Order } from '../../coinpit/types';
import { dict, EMPTY_ENTRY_ORDER, type Ord } from './types';

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


// The order ticket's checks and preview: field errors in words, and before submit the margin the order needs, the
// commission, and the worst-case loss if the stop fills at its cushion. The money math is the protocol library's
// (main/coinpit/instruments.ts, plain TS without Node imports) so the ticket and the exchange agree to the satoshi.

import type { Band, EntryOrderType, Instrument, OrderInput, Side } from '../../../preload/contract';
import { fee, isOnTick, maxStopPrice, orderMargin, pnl, stopTriggerPrice, targetPrice } from '../../../main/coinpit/instruments';
import { formatPrice } from './format';

export type TicketField = 'quantity' | 'price' | 'stop' | 'target';

export interface TicketFields {
  side: Side;
  orderType: EntryOrderType;
  /** text as typed */
  quantity: string;
  price: string;
  stop: string;
  target: string;
  noTarget: boolean;
  crossMargin: boolean;
}

export interface TicketContext {
  instrument: Instrument | null;
  band: Band | null;
  /** available margin (satoshi), null when unknown */
  available: number | null;
  bid: number | null;
  ask: number | null;
}

export interface TicketPreview {
  /** the price the preview assumes the entry fills at */
  entryPrice: number;
  /** margin the order holds (satoshi), null when the band is not known yet */
  margin: number | null;
  /** taker commission of the entry (satoshi) */
  commission: number;
  stopTrigger: number;
  /** the worst fill of the atomic stop: trigger ∓ cushion */
  worstStop: number;
  target: number | 'NONE';
  /** loss (satoshi, ≥ 0) if the stop fills at its worst, commissions in and out included */
  lossAtStop: number;
  /** soft warnings (the exchange may still accept the order) */
  warnings: string[];
}

export interface TicketCheck {
  errors: Partial<Record<TicketField, string>>;
  /** a problem that belongs to no single field */
  form: string | null;
  /** the request to send; null while there are errors */
  order: OrderInput | null;
  preview: TicketPreview | null;
}

export const ORDER_TYPE_LABELS: Record<EntryOrderType, string> = {
  LMT: 'Limit',
  MKT: 'Market',
  SLM: 'Stop limit',
  STM: 'Stop market',
};

/** The label of the price field for an order type. */
export function priceLabel(orderType: EntryOrderType): string {
  if (orderType === 'STM') return 'Trigger price';
  if (orderType === 'SLM') return 'Stop-limit price';
  return 'Limit price';
}

export function defaultTicket(instrument: Instrument | null): TicketFields {
  return {
    side: 'buy',
    orderType: 'LMT',
    quantity: '1',
    price: '',
    stop: instrument ? String(instrument.stopprice) : '',
    target: instrument ? String(instrument.targetprice) : '',
    noTarget: false,
    crossMargin: false,
  };
}

const DECIMAL = /^\d+(\.\d+)?$/;

function parseDecimal(text: string): number | null {
  const t = text.trim();
  if (!DECIMAL.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function tickText(instrument: Instrument): string {
  return formatPrice(1 / instrument.ticksperpoint, Math.max(instrument.ticksize, 1));
}

export function checkTicket(fields: TicketFields, ctx: TicketContext): TicketCheck {
  const errors: Partial<Record<TicketField, string>> = {};
  const { instrument } = ctx;
  if (!instrument) return { errors, form: 'Choose an instrument first.', order: null, preview: null };
  const tick = tickText(instrument);
  const decimals = instrument.ticksize;

  const quantityText = fields.quantity.trim();
  const quantity = /^\d+$/.test(quantityText) ? Number(quantityText) : null;
  if (quantityText === '') errors.quantity = 'Enter a quantity (contracts).';
  else if (quantity === null || !Number.isSafeInteger(quantity)) errors.quantity = 'Quantity must be a whole number of contracts.';
  else if (quantity <= 0) errors.quantity = 'Quantity must be at least 1 contract.';

  const market = fields.orderType === 'MKT';
  let price: number | undefined;
  if (!market) {
    const label = priceLabel(fields.orderType);
    const p = parseDecimal(fields.price);
    if (fields.price.trim() === '') errors.price = `Enter a ${label.toLowerCase()}.`;
    else if (p === null) errors.price = `${label} must be a number, like ${formatPrice(ctx.band?.price ?? 10000, decimals)}.`;
    else if (p <= 0) errors.price = `${label} must be greater than 0.`;
    else if (!isOnTick(p, instrument)) errors.price = `${label} must be a multiple of the tick ${tick}.`;
    else price = p;
  }

  const stop = parseDecimal(fields.stop);
  const minStop = market || fields.orderType === 'STM' ? instrument.minMarketStop : instrument.minLimitStop;
  if (fields.stop.trim() === '') errors.stop = 'Every order needs a stop: enter its distance in points.';
  else if (stop === null) errors.stop = 'Stop must be a number of points, like 2.';
  else if (stop <= 0) errors.stop = 'Stop must be greater than 0 points.';
  else if (!isOnTick(stop, instrument)) errors.stop = `Stop must be a multiple of the tick ${tick}.`;
  else if (stop < minStop) errors.stop = `Stop must be at least ${minStop} points.`;

  let target: number | 'NONE' = 'NONE';
  if (!fields.noTarget) {
    const t = parseDecimal(fields.target);
    if (fields.target.trim() === '') errors.target = 'Enter a target in points, or choose no target.';
    else if (t === null) errors.target = 'Target must be a number of points, like 3.';
    else if (!isOnTick(t, instrument)) errors.target = `Target must be a multiple of the tick ${tick}.`;
    else target = t;
  }

  if (Object.keys(errors).length > 0 || quantity === null || stop === null) {
    return { errors, form: null, order: null, preview: null };
  }

  const order: OrderInput = {
    instrument: instrument.symbol,
    side: fields.side,
    quantity,
    orderType: fields.orderType,
    stopPrice: stop,
    targetPrice: target,
    crossMargin: fields.crossMargin,
  };
  if (price !== undefined) order.price = price;

  let preview: TicketPreview | null = null;
  let form: string | null = null;
  try {
    preview = previewOrder(order, ctx, instrument);
  } catch (err) {
    form = err instanceof Error ? err.message : 'The order cannot be priced.';
  }
  if (preview && preview.margin !== null && ctx.available !== null && preview.margin > ctx.available) {
    errors.quantity = 'Not enough available margin for this quantity: reduce it or move margin in.';
    return { errors, form, order: null, preview };
  }
  return { errors, form, order: form ? null : order, preview };
}

/** The entry price the preview assumes: the order's price, or for market orders the touch (else the band edge). */
function assumedEntry(order: OrderInput, ctx: TicketContext): number | null {
  if (order.price !== undefined) return order.price;
  if (order.side === 'buy') return ctx.ask ?? ctx.band?.max ?? null;
  return ctx.bid ?? ctx.band?.min ?? null;
}

export function previewOrder(order: OrderInput, ctx: TicketContext, instrument: Instrument): TicketPreview | null {
  const entry = assumedEntry(order, ctx);
  if (entry === null) return null;
  const warnings: string[] = [];
  const band = ctx.band;
  if (band && order.price !== undefined && (order.price < band.min || order.price > band.max)) {
    warnings.push(`The price is outside the trading band ${formatPrice(band.min, instrument.ticksize)}–${formatPrice(band.max, instrument.ticksize)}: it cannot trade until the band moves.`);
  }
  const margin = band
    ? orderMargin(
        { side: order.side, quantity: order.quantity, filled: 0, cancelled: 0, orderType: order.orderType, price: order.price, stopPrice: order.stopPrice, crossMargin: order.crossMargin === true },
        instrument,
        { [instrument.symbol]: band },
        'min-cross',
      )
    : null;
  const commission = fee('commission', order.quantity, entry, instrument);
  const trigger = stopTriggerPrice(order.side, entry, order.stopPrice, instrument);
  const stopSide: Side = order.side === 'buy' ? 'sell' : 'buy';
  const worst = maxStopPrice(stopSide, trigger, instrument.stopcushion, instrument);
  const target = targetPrice(order.side, entry, order.targetPrice ?? 'NONE', instrument);
  const result = order.side === 'buy' ? pnl(entry, worst, order.quantity, instrument) : pnl(worst, entry, order.quantity, instrument);
  const exitCommission = fee('commission', order.quantity, worst, instrument);
  const lossAtStop = Math.max(0, -result) + commission + exitCommission;
  return { entryPrice: entry, margin, commission, stopTrigger: trigger, worstStop: worst, target, lossAtStop, warnings };
}

/**
 * Which field an exchange error is about, from the reference error texts ("price 10.05 is invalid…",
 * "stopPrice 1 should be at least 1.6", "Insufficient margin"). Null when it names none.
 */
export function fieldOfServerError(message: string): TicketField | null {
  const m = message.replace(/^[:\s]+/, '');
  if (/^quantity\b/i.test(m) || /insufficient margin/i.test(m)) return 'quantity';
  if (/^stopPrice\b/.test(m) || /\bstop\b/i.test(m)) return 'stop';
  if (/^targetPrice\b/.test(m)) return 'target';
  if (/^price\b/i.test(m) || /cannot specify price/i.test(m)) return 'price';
  return null;
}

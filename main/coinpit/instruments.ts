// Instrument math (PROTOCOL §5, §8.13, §8.14): normalized prices, ticks, fees, margin, P&L, bands, stops, symbols.
// Satoshi results are integers. Float math appears only where the spec uses it (np's division, fee rates, band
// fractions) and is rounded exactly as the vectors in test/fixtures/vectors/margin.json require. Price ± points
// arithmetic is done on scaled integers so 1229.4 − 16 is 1213.4, not 1213.3999999999999.

import type { Band, Instrument, Order, Pnl, Position, Side } from './types';

export type TickSpec = Pick<Instrument, 'ticksperpoint'>;
export type PriceSpec = Pick<Instrument, 'type' | 'contractusdvalue'>;
export type FeeSpec = PriceSpec & Pick<Instrument, 'commission' | 'reward'>;
export type MarginSpec = PriceSpec &
  Pick<Instrument, 'symbol' | 'ticksperpoint' | 'tickvalue' | 'stopcushion' | 'crossMarginInitialStop'>;
export type BandSpec = Pick<Instrument, 'symbol' | 'ticksperpoint' | 'bandUpperLimit' | 'bandLowerLimit'>;

/** "min-cross": cross stops at their initial distance (pre-trade checks); "max-cross": actual maxStop (§5.6). */
export type MarginMode = 'min-cross' | 'max-cross';
export type FeeKind = 'commission' | 'reward';
export type BandMap = Readonly<Record<string, Band | undefined>>;

/** The order fields margin depends on; full Orders and bare fixture orders both fit. */
export type MarginOrder = Pick<Order, 'side' | 'quantity'> &
  Partial<
    Pick<
      Order,
      | 'uuid'
      | 'orderType'
      | 'filled'
      | 'cancelled'
      | 'price'
      | 'crossMargin'
      | 'cushion'
      | 'stopPrice'
      | 'marginPerQty'
      | 'entryAmount'
      | 'entryPrice'
      | 'maxStop'
      | 'normalizedMaxStop'
      | 'executionPrice'
    >
  >;

/** What availableMargin needs from an Account (or a server-side account record). */
export interface MarginAccount {
  accountMargin: number;
  orders: Readonly<Record<string, Readonly<Record<string, MarginOrder>>>>;
  pnl?: Pick<Pnl, 'pnl'> | null;
  positions?: Readonly<Record<string, Pick<Position, 'quantity' | 'averagePrice'>>> | null;
}

const TICK_EPSILON = 1e-6; // in ticks: absorbs binary float noise (464.8 × 10), far below any real tick offset
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------- exact decimal helpers

function decimalsOf(x: number): number {
  if (Number.isInteger(x)) return 0;
  const s = String(Math.abs(x));
  const e = s.indexOf('e');
  if (e >= 0) {
    const mantissaDecimals = (s.slice(0, e).split('.')[1] ?? '').length;
    return Math.max(0, mantissaDecimals - Number(s.slice(e + 1)));
  }
  return (s.split('.')[1] ?? '').length;
}

/** a + b on the decimal values as written (1229.4 − 16 = 1213.4). */
function exactSum(a: number, b: number): number {
  const d = Math.max(decimalsOf(a), decimalsOf(b));
  if (d > 12) return a + b;
  const f = 10 ** d;
  const ia = Math.round(a * f);
  const ib = Math.round(b * f);
  if (!Number.isSafeInteger(ia) || !Number.isSafeInteger(ib)) return a + b;
  return (ia + ib) / f;
}

/** a × b on the decimal values as written (4.6 × 100000 = 460000). */
function exactProduct(a: number, b: number): number {
  const da = decimalsOf(a);
  const db = decimalsOf(b);
  if (da + db > 15) return a * b;
  const product = Math.round(a * 10 ** da) * Math.round(b * 10 ** db);
  if (!Number.isSafeInteger(product)) return a * b;
  return product / 10 ** (da + db);
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function sideSign(side: unknown): 1 | -1 {
  if (side === 'buy') return 1;
  if (side === 'sell') return -1;
  throw new Error(`Invalid side ${String(side)}: expecting "buy" or "sell"`);
}

function ticksPerPoint(instrument: TickSpec): number {
  const tpp = instrument.ticksperpoint;
  if (!isFiniteNumber(tpp) || tpp <= 0) throw new Error(`Invalid ticksperpoint ${String(tpp)}`);
  return tpp;
}

// ---------------------------------------------------------------- prices and ticks

/** Normalized price (§5.2): inverse round(contractusdvalue × 1e8 / p) satoshi per contract; quanto p. */
export function np(price: number, instrument: PriceSpec): number {
  if (!isFiniteNumber(price) || price <= 0) throw new Error(`Price must be a positive number, got ${String(price)}`);
  if (instrument.type === 'quanto') return price;
  if (instrument.type !== 'inverse') throw new Error(`Unknown instrument type ${String(instrument.type)}`);
  const usd = instrument.contractusdvalue;
  if (!isFiniteNumber(usd) || usd <= 0) throw new Error(`Invalid contractusdvalue ${String(usd)}`);
  return Math.round((usd * 1e8) / price);
}

/** The tick in points (1 / ticksperpoint). */
export function tickSize(instrument: TickSpec): number {
  return 1 / ticksPerPoint(instrument);
}

/** True when value is a finite number and a whole multiple of the tick (§5.2). */
export function isOnTick(value: unknown, instrument: TickSpec): boolean {
  if (!isFiniteNumber(value)) return false;
  const t = value * ticksPerPoint(instrument);
  return Math.abs(t - Math.round(t)) <= TICK_EPSILON;
}

/** Price (or points) → integer ticks. Throws when the value is not on the tick. */
export function toTicks(price: number, instrument: TickSpec): number {
  if (!isOnTick(price, instrument)) {
    throw new Error(`${String(price)} is not a multiple of the tick ${tickSize(instrument)}`);
  }
  return Math.round(price * ticksPerPoint(instrument)) || 0; // `|| 0`: never -0
}

/** Integer ticks → price. */
export function fromTicks(ticks: number, instrument: TickSpec): number {
  if (!Number.isSafeInteger(ticks)) throw new Error(`Ticks must be an integer, got ${String(ticks)}`);
  return ticks / ticksPerPoint(instrument) || 0;
}

/** Rounds a price to the tick grid; values within float noise of a tick snap to it first. */
export function roundToTick(price: number, instrument: TickSpec, mode: 'floor' | 'ceil' | 'nearest' = 'nearest'): number {
  if (!isFiniteNumber(price)) throw new Error(`Price must be a finite number, got ${String(price)}`);
  const t = price * ticksPerPoint(instrument);
  const nearest = Math.round(t);
  let ticks: number;
  if (Math.abs(t - nearest) <= TICK_EPSILON) ticks = nearest;
  else if (mode === 'floor') ticks = Math.floor(t);
  else if (mode === 'ceil') ticks = Math.ceil(t);
  else ticks = nearest;
  return fromTicks(ticks, instrument);
}

/** Text of a price with the instrument's decimals (`ticksize`, §5.2). */
export function formatPrice(price: number, instrument: Pick<Instrument, 'ticksize'>): string {
  if (!isFiniteNumber(price)) throw new Error(`Price must be a finite number, got ${String(price)}`);
  const decimals = instrument.ticksize;
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 20) throw new Error(`Invalid ticksize ${String(decimals)}`);
  return price.toFixed(decimals);
}

// ---------------------------------------------------------------- fees

/**
 * Commission (taker, > 0) or reward (maker, ≤ 0) in satoshi (§5.3): a rate in (−1, 1] is a fraction of the
 * normalized value, round(np(price) × qty × rate); otherwise qty × rate absolute satoshi (rounded too, so satoshi
 * stay integers; every vector is already whole).
 */
export function fee(kind: FeeKind, qty: number, price: number, instrument: FeeSpec): number {
  if (kind !== 'commission' && kind !== 'reward') throw new Error('commission or reward expected');
  if (!isFiniteNumber(qty) || qty < 0) throw new Error(`Invalid quantity ${String(qty)}`);
  if (qty === 0) return 0;
  const rate = instrument[kind];
  if (!isFiniteNumber(rate)) throw new Error(`Invalid ${kind} ${String(rate)}`);
  const value = rate > -1 && rate <= 1 ? Math.round(np(price, instrument) * qty * rate) : Math.round(qty * rate);
  return value || 0;
}

// ---------------------------------------------------------------- margin (§5.6)

/** Open quantity: quantity − filled − cancelled. */
export function openQuantity(order: Pick<MarginOrder, 'quantity' | 'filled' | 'cancelled'>): number {
  const q = order.quantity - (order.filled ?? 0) - (order.cancelled ?? 0);
  if (!isFiniteNumber(q)) throw new Error(`Invalid order quantity ${String(order.quantity)}`);
  return q;
}

/** Stop cushion of an order: its own (if non-zero), else the instrument's (§5.5). */
export function cushionOf(order: Pick<MarginOrder, 'cushion'>, instrument: Pick<Instrument, 'stopcushion'>): number {
  const cushion = order.cushion || instrument.stopcushion;
  if (!isFiniteNumber(cushion) || cushion < 0) throw new Error(`Invalid stop cushion ${String(cushion)}`);
  return cushion;
}

function entryStopPoints(order: MarginOrder, instrument: MarginSpec): number {
  const points = order.crossMargin ? instrument.crossMarginInitialStop : order.stopPrice;
  if (!isFiniteNumber(points) || points < 0) {
    throw new Error(`${order.crossMargin ? 'crossMarginInitialStop' : 'stopPrice'} missing or invalid on order: every entry order needs a stop`);
  }
  return exactSum(points, cushionOf(order, instrument));
}

function requireNumber(value: unknown, name: string, order: MarginOrder): number {
  if (!isFiniteNumber(value)) throw new Error(`${name} missing on ${order.orderType ?? 'order'} ${order.uuid ?? ''}`.trim());
  return value;
}

function inverseMargin(order: MarginOrder, instrument: MarginSpec, bands: BandMap | null | undefined, mode: MarginMode, q: number): number {
  const s = sideSign(order.side);
  if (order.orderType === 'STP') {
    const entryAmount = requireNumber(order.entryAmount, 'entryAmount', order);
    if (order.crossMargin && mode === 'min-cross') {
      const entryPrice = requireNumber(order.entryPrice, 'entryPrice', order);
      const distance = exactSum(instrument.crossMarginInitialStop, cushionOf(order, instrument));
      const stop = exactSum(entryPrice, order.side === 'sell' ? -distance : distance);
      return Math.abs(entryAmount - q * np(stop, instrument));
    }
    const nMaxStop = order.normalizedMaxStop;
    if (!isFiniteNumber(nMaxStop) || nMaxStop <= 0) throw new Error('Max stop must be positive.');
    return Math.max(0, s * (entryAmount - q * nMaxStop));
  }
  if (order.marginPerQty) return order.marginPerQty * q;

  const band = bands?.[instrument.symbol];
  if (!band || !band.min) throw new Error('min not defined on bands: ' + JSON.stringify(bands ?? null));
  let price = isFiniteNumber(order.price) && order.price > 0 ? order.price : band.min;
  if (order.side === 'buy') price = Math.min(price, band.min);
  const stop = exactSum(price, -s * entryStopPoints(order, instrument));
  return q * Math.abs(np(price, instrument) - np(stop, instrument));
}

function quantoMargin(order: MarginOrder, instrument: MarginSpec, mode: MarginMode, q: number): number {
  sideSign(order.side);
  let points: number;
  if (order.orderType === 'STP' && order.crossMargin && mode === 'min-cross') {
    points = exactProduct(exactSum(instrument.crossMarginInitialStop, cushionOf(order, instrument)), q);
  } else if (order.orderType === 'STP') {
    const maxStop = order.maxStop;
    if (!isFiniteNumber(maxStop) || maxStop <= 0) throw new Error('Max stop must be positive.');
    const entryAmount = order.entryAmount || exactProduct(requireNumber(order.executionPrice, 'entryAmount', order), q);
    points = Math.abs(exactSum(entryAmount, -exactProduct(maxStop, q)));
  } else {
    // Cross entries use crossMarginInitialStop as on inverse (the retired quanto reference read stopPrice only).
    points = exactProduct(q, entryStopPoints(order, instrument));
  }
  const tickvalue = instrument.tickvalue;
  if (!isFiniteNumber(tickvalue) || tickvalue <= 0) throw new Error(`Invalid tickvalue ${String(tickvalue)}`);
  return Math.ceil(exactProduct(exactProduct(points, ticksPerPoint(instrument)), tickvalue));
}

/**
 * Margin (satoshi) an open order holds (§5.6 table). `bands` is the priceband map keyed by symbol; only entry
 * orders without marginPerQty read it (`bands[symbol].min`). Throws `Max stop must be positive.` for an STP whose
 * normalizedMaxStop is ≤ 0 or missing.
 */
export function orderMargin(order: MarginOrder, instrument: MarginSpec, bands: BandMap | null | undefined, mode: MarginMode): number {
  if (mode !== 'min-cross' && mode !== 'max-cross') throw new Error(`Invalid margin mode ${String(mode)}`);
  if (order.orderType === 'TGT') return 0;
  const q = openQuantity(order);
  if (q <= 0) return 0; // nothing left open holds no margin
  const margin = instrument.type === 'quanto' ? quantoMargin(order, instrument, mode, q) : inverseMargin(order, instrument, bands, mode, q);
  return margin || 0;
}

function instrumentFor<T>(instruments: Readonly<Record<string, T | undefined>>, symbol: string): T {
  const instrument = instruments[symbol];
  if (!instrument) throw new Error(`Unknown instrument ${symbol}`);
  return instrument;
}

/** Σ orderMargin over {symbol: {uuid: order}}. A symbol with orders but no instrument is an error. */
export function ordersMargin(
  orders: MarginAccount['orders'],
  instruments: Readonly<Record<string, MarginSpec | undefined>>,
  bands: BandMap | null | undefined,
  mode: MarginMode,
): number {
  let total = 0;
  for (const [symbol, bySymbol] of Object.entries(orders)) {
    const list = Object.values(bySymbol ?? {});
    if (list.length === 0) continue;
    const instrument = instrumentFor(instruments, symbol);
    for (const order of list) total += orderMargin(order, instrument, bands, mode);
  }
  return total;
}

/** Exit commission reserved for open positions: round(Σ fee('commission', |quantity|, |averagePrice|)). */
export function positionsCommission(
  positions: MarginAccount['positions'],
  instruments: Readonly<Record<string, FeeSpec | undefined>>,
): number {
  let total = 0;
  for (const [symbol, position] of Object.entries(positions ?? {})) {
    const instrument = instrumentFor(instruments, symbol);
    total += fee('commission', Math.abs(position.quantity), Math.abs(position.averagePrice), instrument);
  }
  return Math.round(total);
}

/**
 * Available margin (§5.6): accountMargin − Σ orderMargin + pnl.pnl − positionsCommission. May be negative
 * (the caller rejects a pre-trade check below 0 with "Insufficient margin").
 */
export function availableMargin(
  account: MarginAccount,
  instruments: Readonly<Record<string, (MarginSpec & FeeSpec) | undefined>>,
  bands: BandMap | null | undefined,
  mode: MarginMode,
): number {
  const balance = account.accountMargin;
  if (!isFiniteNumber(balance) || balance < 0) throw new Error(`Invalid margin balance ${String(balance)}`);
  if (!account.orders || typeof account.orders !== 'object') throw new Error('Orders not present');
  if (account.pnl && !isFiniteNumber(account.pnl.pnl)) throw new Error('Invalid profit and loss');
  const used = ordersMargin(account.orders, instruments, bands, mode);
  const pnlValue = account.pnl?.pnl ?? 0;
  return balance - used + pnlValue - positionsCommission(account.positions, instruments);
}

// ---------------------------------------------------------------- P&L (§5.7)

function quantoValue(points: number, qty: number, instrument: Pick<Instrument, 'ticksperpoint' | 'tickvalue'>): number {
  const tickvalue = instrument.tickvalue;
  if (!isFiniteNumber(tickvalue) || tickvalue <= 0) throw new Error(`Invalid tickvalue ${String(tickvalue)}`);
  return Math.round(exactProduct(exactProduct(exactProduct(points, ticksPerPoint(instrument)), tickvalue), qty)) || 0;
}

/** Realized P&L in satoshi of qty contracts bought at buyPrice and sold at sellPrice. */
export function pnl(buyPrice: number, sellPrice: number, qty: number, instrument: PriceSpec & Pick<Instrument, 'ticksperpoint' | 'tickvalue'>): number {
  if (!isFiniteNumber(qty) || qty < 0) throw new Error(`Invalid quantity ${String(qty)}`);
  if (instrument.type === 'quanto') {
    np(buyPrice, instrument);
    np(sellPrice, instrument);
    return quantoValue(exactSum(sellPrice, -buyPrice), qty, instrument);
  }
  return qty * (np(buyPrice, instrument) - np(sellPrice, instrument)) || 0;
}

/** Unrealized P&L at mark m: inverse −(entryAmount + quantity × np(m)); quanto (m − averagePrice) × quantity. */
export function unrealizedPnl(
  position: Pick<Position, 'quantity' | 'entryAmount' | 'averagePrice'>,
  mark: number,
  instrument: PriceSpec & Pick<Instrument, 'ticksperpoint' | 'tickvalue'>,
): number {
  if (!isFiniteNumber(position.quantity)) throw new Error(`Invalid position quantity ${String(position.quantity)}`);
  if (position.quantity === 0) return 0;
  if (instrument.type === 'quanto') {
    np(mark, instrument);
    return quantoValue(exactSum(mark, -position.averagePrice), position.quantity, instrument);
  }
  if (!isFiniteNumber(position.entryAmount)) throw new Error(`Invalid position entryAmount ${String(position.entryAmount)}`);
  return -(position.entryAmount + position.quantity * np(mark, instrument)) || 0;
}

// ---------------------------------------------------------------- bands (§8.13)

function bandOffset(index: number, limit: number, name: string): number {
  if (!isFiniteNumber(limit) || limit < 0) throw new Error(`Invalid ${name} ${String(limit)}`);
  return limit <= 1 ? exactProduct(index, limit) : limit;
}

/**
 * Trading band around an index: a limit ≤ 1 is a fraction of the index, above 1 points; bounds are rounded to
 * the tick inward (min up, max down). min never drops below one tick.
 */
export function bandLimits(index: number, instrument: BandSpec): Band {
  if (!isFiniteNumber(index) || index <= 0) throw new Error(`Index price must be a positive number, got ${String(index)}`);
  const lower = exactSum(index, -bandOffset(index, instrument.bandLowerLimit, 'bandLowerLimit'));
  const upper = exactSum(index, bandOffset(index, instrument.bandUpperLimit, 'bandUpperLimit'));
  const min = Math.max(roundToTick(lower, instrument, 'ceil'), tickSize(instrument));
  const max = roundToTick(upper, instrument, 'floor');
  if (max < min) throw new Error(`Band for index ${index} is empty`);
  return { price: index, min, max, instrument: instrument.symbol };
}

// ---------------------------------------------------------------- stops and targets (§5.5, §8.14)

/** The side of the exit orders (STP/TGT) of an entry on `side`. */
export function exitSide(side: Side): Side {
  return sideSign(side) === 1 ? 'sell' : 'buy';
}

function offsetTicks(price: number, points: number, sign: 1 | -1, instrument: TickSpec): number {
  return fromTicks(toTicks(price, instrument) + sign * toTicks(points, instrument), instrument);
}

/** STP trigger of an entry filled at fillPrice: fill − stopPoints for a buy entry, fill + stopPoints for a sell. */
export function stopTriggerPrice(entrySide: Side, fillPrice: number, stopPoints: number, instrument: TickSpec): number {
  if (!isFiniteNumber(stopPoints) || stopPoints <= 0) throw new Error(`stopPrice must be greater than 0, got ${String(stopPoints)}`);
  const trigger = offsetTicks(fillPrice, stopPoints, -sideSign(entrySide) as 1 | -1, instrument);
  if (trigger <= 0) throw new Error(`Stop price ${trigger} must be positive`);
  return trigger;
}

/** TGT price of an entry filled at fillPrice: fill + target for a buy entry, fill − target for a sell; "NONE" stays. */
export function targetPrice(entrySide: Side, fillPrice: number, targetPoints: number | 'NONE', instrument: TickSpec): number | 'NONE' {
  if (targetPoints === 'NONE') return 'NONE';
  if (!isFiniteNumber(targetPoints) || targetPoints < 0) throw new Error(`targetPrice must be at least 0, got ${String(targetPoints)}`);
  const target = offsetTicks(fillPrice, targetPoints, sideSign(entrySide), instrument);
  if (target <= 0) throw new Error(`Target price ${target} must be positive`);
  return target;
}

/** Worst fill of the atomic stop (§5.5): trigger − cushion for a sell STP, trigger + cushion for a buy STP. */
export function maxStopPrice(stopSide: Side, triggerPrice: number, cushion: number, instrument: TickSpec): number {
  if (!isFiniteNumber(cushion) || cushion < 0) throw new Error(`Invalid stop cushion ${String(cushion)}`);
  const maxStop = offsetTicks(triggerPrice, cushion, sideSign(stopSide), instrument);
  if (maxStop <= 0) throw new Error('Max stop must be positive.');
  return maxStop;
}

// ---------------------------------------------------------------- symbols (§5.1)

const MONTH_CODES = 'FGHJKMNQUVXZ';

export interface ParsedSymbol {
  template: string;
  /** Expiry, ms since epoch (Friday 17:15 UTC unless the symbol carries HHMM). */
  expiry: number;
}

/**
 * `<template><year digit><month code><DD>[HHMM]` → expiry (§5.1). The year digit is resolved to the year with that
 * last digit in [ref − 5, ref + 4], ref = the UTC year of refMs (default now).
 */
export function parseSymbol(symbol: string, refMs: number = Date.now()): ParsedSymbol {
  const m = typeof symbol === 'string' ? /^([A-Z]+)(\d)([FGHJKMNQUVXZ])(\d{2})(\d{2})?(\d{2})?$/.exec(symbol) : null;
  if (!m || (m[5] === undefined) !== (m[6] === undefined)) throw new Error(`Invalid contract symbol ${String(symbol)}`);
  const [, template = '', yearDigit = '', monthCode = '', dd = '', hh = '17', mm = '15'] = m;
  const refYear = new Date(refMs).getUTCFullYear();
  if (!Number.isFinite(refYear)) throw new Error(`Invalid reference time ${String(refMs)}`);
  const low = refYear - 5;
  const year = low + ((Number(yearDigit) - (low % 10) + 10) % 10);
  const month = MONTH_CODES.indexOf(monthCode);
  const day = Number(dd);
  const hour = Number(hh);
  const minute = Number(mm);
  const expiry = Date.UTC(year, month, day, hour, minute);
  const check = new Date(expiry);
  if (hour > 23 || minute > 59 || check.getUTCDate() !== day || check.getUTCMonth() !== month) {
    throw new Error(`Invalid contract symbol ${symbol}: no such date`);
  }
  return { template, expiry };
}

/** The first Friday 17:15:00 UTC at or after `date` (ms). */
export function weeklyExpiry(date: Date | number): number {
  const ms = typeof date === 'number' ? date : date.getTime();
  if (!Number.isFinite(ms)) throw new Error(`Invalid date ${String(date)}`);
  const midnight = Math.floor(ms / DAY_MS) * DAY_MS;
  const dow = new Date(midnight).getUTCDay();
  let expiry = midnight + ((5 - dow + 7) % 7) * DAY_MS + (17 * 60 + 15) * 60_000;
  if (expiry < ms) expiry += 7 * DAY_MS;
  return expiry;
}

/** Symbol of the weekly contract expiring at the first Friday 17:15 UTC at or after `date`, e.g. `BTCUSD7J28`. */
export function weeklySymbol(date: Date | number, template = 'BTCUSD'): string {
  if (!/^[A-Z]+$/.test(template)) throw new Error(`Invalid template ${template}`);
  const d = new Date(weeklyExpiry(date));
  const day = String(d.getUTCDate()).padStart(2, '0');
  return `${template}${d.getUTCFullYear() % 10}${MONTH_CODES[d.getUTCMonth()]}${day}`;
}

// ---------------------------------------------------------------- instrument sanity (reference constructor checks)

/**
 * Throws the reference error text when an instrument's numbers are unusable: rates (§5.3 constraints), cushions,
 * limits, tick settings, contract value (inverse) or tick value (quanto).
 */
export function checkInstrument(instrument: Instrument): void {
  if (!instrument || typeof instrument !== 'object') throw new Error('config is undefined');
  const { commission, reward } = instrument;
  if (!isFiniteNumber(reward) || reward > 0) throw new Error(`Invalid reward ${String(reward)}`);
  if (!isFiniteNumber(commission) || commission <= 0) throw new Error(`Invalid commission ${String(commission)}`);
  const fractional = commission <= 1 && reward >= -1;
  const absolute = commission > 1 && (reward < -1 || reward === 0);
  if (!fractional && !absolute) throw new Error('Reward and commission should be either percentage or absolute values');
  if (!(commission > Math.abs(reward))) throw new Error('Reward more than commission');
  const nonNegative: (keyof Instrument)[] = [
    'stopcushion', 'targetprice', 'ticksize', 'crossMarginInitialStop', 'bandUpperLimit', 'bandLowerLimit',
    'introducerReward', 'introducedReward', 'rewardsCalculationInterval', 'maxLeverage', 'uplDecimalPlaces',
  ];
  for (const key of nonNegative) {
    const v = instrument[key];
    if (!isFiniteNumber(v) || v < 0) throw new Error(`Invalid ${key} ${String(v)}`);
  }
  ticksPerPoint(instrument);
  if (!instrument.externalFeed) throw new Error('ExternalFeed should be present');
  if (instrument.type === 'inverse') {
    const usd = instrument.contractusdvalue;
    if (!isFiniteNumber(usd) || usd <= 0) throw new Error(`Invalid contractusdvalue ${String(usd)}`);
  } else if (instrument.type === 'quanto') {
    const tv = instrument.tickvalue;
    if (!isFiniteNumber(tv) || tv <= 0) throw new Error(`Invalid tickvalue ${String(tv)}`);
  } else {
    throw new Error(`Unknown instrument type ${String(instrument.type)}`);
  }
}

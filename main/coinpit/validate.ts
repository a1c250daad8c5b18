// Order request validation (PROTOCOL §5.4): the client-side mirror of the server's 422 checks, with the reference
// error texts (coinpit-client validator) so client and local exchange report the same words.
// Results are values, not exceptions: the engine turns {ok:false} into a 422 body, the UI into a field message.

import { isOnTick } from './instruments';
import type { Instrument, Order } from './types';

export type ValidationResult = { ok: true } | { ok: false; error: string };

type TickSpec = Pick<Instrument, 'ticksperpoint'>;

const ORDER_TYPES = { MKT: 'Market', LMT: 'Limit', SLM: 'Stop Limit', STM: 'Stop Market' } as const;
const ORDER_TYPES_TEXT = JSON.stringify(ORDER_TYPES);
const QUANTITY_STEP: TickSpec = { ticksperpoint: 1 };

class Invalid extends Error {}

function fail(message: string): never {
  throw new Invalid(message);
}

function text(value: unknown): string {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}

/** A number, on the tick when one is given (`tick` undefined = structural check: finite only). */
function checkNumber(name: string, value: unknown, tick: TickSpec | undefined): number {
  if (typeof value !== 'number') fail(`${name} ${text(value)} expecting number, found ${typeof value}`);
  if (tick ? !isOnTick(value, tick) : !Number.isFinite(value)) {
    const rule = tick ? `multiple of ${1 / tick.ticksperpoint}` : 'a finite number';
    fail(`${name} ${value} is invalid. ${name} should be ${rule}`);
  }
  return value;
}

function greaterThanZero(name: string, value: unknown, tick: TickSpec | undefined): void {
  const n = checkNumber(name, value, tick);
  if (!(n > 0)) fail(`${name} ${n} should be greater than 0`);
}

function atLeastZero(name: string, value: unknown, tick: TickSpec | undefined): void {
  const n = checkNumber(name, value, tick);
  if (!(n >= 0)) fail(`${name} ${n} should be atleast 0`);
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function present(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

function checkOrder(req: unknown, tick: TickSpec | undefined): void {
  const order = asRecord(req, 'order');
  // Same order of checks as the reference, so a request with several faults gets the same first message.
  if (!present(order.userid)) fail('userid is missing');
  if (order.side !== 'buy' && order.side !== 'sell') fail(`: side ${text(order.side)} should be "buy" or "sell"`);
  greaterThanZero('quantity', order.quantity, QUANTITY_STEP);
  if (order.orderType === 'MKT') {
    if (order.price !== undefined) fail(`: MKT orders cannot specify price ${text(order.price)}`);
  } else {
    greaterThanZero('price', order.price, tick);
  }
  if (typeof order.orderType !== 'string' || !Object.hasOwn(ORDER_TYPES, order.orderType)) {
    fail(`${text(order.orderType)} is not a valid order type. Valid orderTypes are ${ORDER_TYPES_TEXT}`);
  }
  if (!present(order.clientid)) fail('clientid is missing');
  if (order.stopPrice !== undefined) greaterThanZero('stopPrice', order.stopPrice, tick);
  if (order.targetPrice !== undefined && order.targetPrice !== 'NONE') atLeastZero('targetPrice', order.targetPrice, tick);
  // Beyond the reference: the typed optional fields of §3.1.
  if (order.instrument !== undefined && !present(order.instrument)) fail(`instrument ${text(order.instrument)} should be a symbol`);
  for (const flag of ['crossMargin', 'postOnly'] as const) {
    if (order[flag] !== undefined && typeof order[flag] !== 'boolean') fail(`${flag} ${text(order[flag])} should be true or false`);
  }
}

function run(check: () => void): ValidationResult {
  try {
    check();
    return { ok: true };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, error: err.message };
    throw err;
  }
}

/**
 * Structural checks of an OrderRequest (§5.4) without instrument data: prices/stops/targets must be numbers of
 * the right sign, quantity a positive integer. Use validateOrderWithInstrument to also check the tick.
 */
export function validateOrder(req: unknown): ValidationResult {
  return run(() => checkOrder(req, undefined));
}

/** validateOrder plus: price, stopPrice and targetPrice are multiples of the instrument's tick. */
export function validateOrderWithInstrument(req: unknown, instrument: TickSpec): ValidationResult {
  return run(() => checkOrder(req, instrument));
}

/**
 * Price update of an open order (§5.4): the original must exist and have a price; the new price must be a number
 * > 0 (on the tick when `instrument` is given). A TGT may be set to "NONE".
 */
export function validateUpdate(
  update: unknown,
  original: Pick<Order, 'price' | 'orderType'> | null | undefined,
  instrument?: TickSpec,
): ValidationResult {
  return run(() => {
    const u = asRecord(update, 'update');
    if (!original) fail(`No order found with uuid: ${text(u.uuid)}`);
    if (!original.price) fail(`Orders created with no price can not be modified. uuid: ${text(u.uuid)}`);
    if (original.orderType === 'TGT' && u.price === 'NONE') return;
    greaterThanZero('price', u.price, instrument);
  });
}

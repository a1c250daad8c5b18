import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateOrder, validateOrderWithInstrument, validateUpdate } from '../../../main/coinpit/validate';
import type { Order } from '../../../main/coinpit/types';

// coinpit-client validator.spec.js, transcribed case by case into validator.json.
interface ValidatorCase {
  op: 'create' | 'update';
  base: string;
  set: Record<string, unknown>;
  delete: string[];
  expect: 'ok' | { error_matches: string };
}
interface ValidatorVectors {
  instruments: Record<string, { ticksperpoint: number }>;
  fixtures: Record<string, Record<string, unknown> & { instrument: string; uuid: string }>;
  cases: ValidatorCase[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/vectors/validator.json', import.meta.url), 'utf8'),
) as ValidatorVectors;

// The update originals: {instrument: {uuid: order}} from all fixtures in file order (later ones win).
const originals: Record<string, Record<string, Order>> = {};
for (const f of Object.values(vectors.fixtures)) {
  (originals[f.instrument] ??= {})[f.uuid] = structuredClone(f) as unknown as Order;
}

function build(c: ValidatorCase): Record<string, unknown> {
  const base = vectors.fixtures[c.base];
  if (!base) throw new Error(`fixture ${c.base} missing`);
  const order: Record<string, unknown> = { ...structuredClone(base), ...c.set };
  for (const key of c.delete) delete order[key];
  return order;
}

/** "error" / "error (…)" in the fixture mean "throws", not a text to match. */
function anyError(pattern: string): boolean {
  return pattern === 'error' || /^error \(.*\)$/.test(pattern);
}

describe('validator.json cases', () => {
  it('has the 27 transcribed cases', () => expect(vectors.cases).toHaveLength(27));

  for (const [i, c] of vectors.cases.entries()) {
    const label = `#${i} ${c.op} ${c.base} set=${JSON.stringify(c.set)} delete=${JSON.stringify(c.delete)}`;
    it(`${label} → ${c.expect === 'ok' ? 'ok' : c.expect.error_matches}`, () => {
      const order = build(c);
      const instrument = vectors.instruments[order.instrument as string]!;
      const result =
        c.op === 'create'
          ? validateOrderWithInstrument(order, instrument)
          : validateUpdate(order, originals[order.instrument as string]?.[order.uuid as string], instrument);
      if (c.expect === 'ok') {
        expect(result).toEqual({ ok: true });
        return;
      }
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(typeof result.error).toBe('string');
      if (!anyError(c.expect.error_matches)) expect(result.error).toContain(c.expect.error_matches);
    });
  }

  // Without instrument data only the tick rules go unchecked: every other outcome is the same.
  for (const [i, c] of vectors.cases.entries()) {
    if (c.op !== 'create') continue;
    const tickRule = c.expect !== 'ok' && /is invalid\. (price|stopPrice|targetPrice) should be multiple of/.test(c.expect.error_matches);
    it(`#${i} without instrument → ${tickRule ? 'ok (tick not checked)' : 'same outcome'}`, () => {
      const order = build(c);
      const withTicks = validateOrderWithInstrument(order, vectors.instruments[order.instrument as string]!);
      expect(validateOrder(order)).toEqual(tickRule ? { ok: true } : withTicks);
    });
  }

  it('the exact reference texts for the STP and TGT fixtures', () => {
    const types = '{"MKT":"Market","LMT":"Limit","SLM":"Stop Limit","STM":"Stop Market"}';
    expect(validateOrderWithInstrument(vectors.fixtures.STP, { ticksperpoint: 10 })).toEqual({
      ok: false,
      error: `STP is not a valid order type. Valid orderTypes are ${types}`,
    });
    // fixtures.TGT1 does not exist in the reference spec: an undefined order must fail too.
    expect(validateOrder(undefined).ok).toBe(false);
  });
});

describe('validateOrder: own cases', () => {
  const good = {
    clientid: 'b1a1c3f2-0d3e-4d0b-9e1b-6a1f3b7c2d10',
    userid: 'moVB8e8oWX1oKjaaesdimAGqJHxjih8kjU',
    instrument: 'BTCUSD7J28',
    side: 'buy',
    quantity: 3,
    orderType: 'LMT',
    price: 1184.5,
    stopPrice: 15,
    targetPrice: 'NONE',
    crossMargin: true,
    postOnly: false,
  };
  const T10 = { ticksperpoint: 10 };
  const err = (patch: Record<string, unknown>, omit: string[] = []) => {
    const order: Record<string, unknown> = { ...good, ...patch };
    for (const k of omit) delete order[k];
    const r = validateOrderWithInstrument(order, T10);
    return r.ok ? 'ok' : r.error;
  };

  it('accepts a complete request, a MKT without price and a zero target', () => {
    expect(validateOrderWithInstrument(good, T10)).toEqual({ ok: true });
    expect(err({ orderType: 'MKT' }, ['price'])).toBe('ok');
    expect(err({ targetPrice: 0 })).toBe('ok');
    expect(err({}, ['stopPrice', 'targetPrice', 'crossMargin', 'postOnly', 'instrument'])).toBe('ok');
  });

  it('rejects malformed requests with the reference wording', () => {
    expect(err({}, ['userid'])).toBe('userid is missing');
    expect(err({ userid: '' })).toBe('userid is missing');
    expect(err({}, ['clientid'])).toBe('clientid is missing');
    expect(err({ side: 'long' })).toBe(': side long should be "buy" or "sell"');
    expect(err({ quantity: -2 })).toBe('quantity -2 should be greater than 0');
    expect(err({ quantity: Number.NaN })).toBe('quantity NaN is invalid. quantity should be multiple of 1');
    expect(err({ quantity: '3' })).toBe('quantity 3 expecting number, found string');
    expect(err({ price: Number.POSITIVE_INFINITY })).toBe('price Infinity is invalid. price should be multiple of 0.1');
    expect(err({ price: -1 })).toBe('price -1 should be greater than 0');
    expect(err({ orderType: 'MKT', price: null })).toBe(': MKT orders cannot specify price null');
    expect(err({ orderType: 'STP' })).toContain('STP is not a valid order type.');
    expect(err({ orderType: undefined })).toContain('undefined is not a valid order type.');
    expect(err({ stopPrice: -15 })).toBe('stopPrice -15 should be greater than 0');
    expect(err({ targetPrice: 'none' })).toBe('targetPrice none expecting number, found string');
    expect(err({ price: 1184.55 })).toBe('price 1184.55 is invalid. price should be multiple of 0.1');
    expect(validateOrderWithInstrument({ ...good, price: 0.3 }, { ticksperpoint: 4 })).toEqual({
      ok: false,
      error: 'price 0.3 is invalid. price should be multiple of 0.25',
    });
  });

  it('rejects wrongly typed optional fields (beyond the reference)', () => {
    expect(err({ crossMargin: 'yes' })).toBe('crossMargin yes should be true or false');
    expect(err({ postOnly: 1 })).toBe('postOnly 1 should be true or false');
    expect(err({ instrument: 42 })).toBe('instrument 42 should be a symbol');
  });

  it('rejects non-objects and checks structure only without an instrument', () => {
    for (const bad of [null, 'order', 42, [good]]) expect(validateOrder(bad)).toEqual({ ok: false, error: 'order must be an object' });
    expect(validateOrder({ ...good, price: 1184.55 })).toEqual({ ok: true });
    expect(validateOrder({ ...good, price: Number.NaN })).toEqual({ ok: false, error: 'price NaN is invalid. price should be a finite number' });
    expect(validateOrder({ ...good, quantity: 1.5 })).toEqual({ ok: false, error: 'quantity 1.5 is invalid. quantity should be multiple of 1' });
  });

  it('reports a broken instrument as a thrown Error, not as a request fault', () => {
    expect(() => validateOrderWithInstrument(good, { ticksperpoint: 0 })).toThrow('Invalid ticksperpoint 0');
  });
});

describe('validateUpdate: own cases', () => {
  const T10 = { ticksperpoint: 10 };
  const lmt = { price: 464.8, orderType: 'LMT' as const };

  it('needs an original order that has a price', () => {
    expect(validateUpdate({ uuid: 'u1', price: 465 }, undefined, T10)).toEqual({ ok: false, error: 'No order found with uuid: u1' });
    expect(validateUpdate({ uuid: 'u1', price: 465 }, null)).toEqual({ ok: false, error: 'No order found with uuid: u1' });
    expect(validateUpdate({ uuid: 'u2', price: 465 }, { price: null, orderType: 'STP' }, T10)).toEqual({
      ok: false,
      error: 'Orders created with no price can not be modified. uuid: u2',
    });
  });

  it('accepts a new on-tick price, and "NONE" only for a target', () => {
    expect(validateUpdate({ uuid: 'u', price: 465.1 }, lmt, T10)).toEqual({ ok: true });
    expect(validateUpdate({ uuid: 'u', price: 'NONE' }, { price: 1186.9, orderType: 'TGT' }, T10)).toEqual({ ok: true });
    expect(validateUpdate({ uuid: 'u', price: 'NONE' }, lmt, T10)).toEqual({ ok: false, error: 'price NONE expecting number, found string' });
  });

  it('checks the tick only when the instrument is given', () => {
    expect(validateUpdate({ uuid: 'u', price: 12.123 }, lmt, T10)).toEqual({ ok: false, error: 'price 12.123 is invalid. price should be multiple of 0.1' });
    expect(validateUpdate({ uuid: 'u', price: 12.123 }, lmt)).toEqual({ ok: true });
    expect(validateUpdate({ uuid: 'u', price: -1 }, lmt)).toEqual({ ok: false, error: 'price -1 should be greater than 0' });
    expect(validateUpdate('u', lmt)).toEqual({ ok: false, error: 'update must be an object' });
  });
});

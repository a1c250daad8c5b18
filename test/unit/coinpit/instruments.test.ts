import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bandLimits,
  checkInstrument,
  cushionOf,
  exitSide,
  fee,
  formatPrice,
  fromTicks,
  isOnTick,
  maxStopPrice,
  np,
  parseSymbol,
  pnl,
  roundToTick,
  stopTriggerPrice,
  targetPrice,
  tickSize,
  toTicks,
  unrealizedPnl,
  weeklyExpiry,
  weeklySymbol,
  type FeeKind,
} from '../../../main/coinpit/instruments';
import type { Account, Band, Instrument, Order, Position } from '../../../main/coinpit/types';

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/vectors/${name}`, import.meta.url), 'utf8')) as T;
}

type LooseOrder = Partial<Order> & { instrument: string };
interface MarginVectors {
  instruments: Record<string, Instrument>;
  orders: { inverse: Record<string, LooseOrder> };
  commission_cases: { instrument: string; kind: FeeKind; quantity: number; price: number; expected: number }[];
  quanto_margin_cases: { order: LooseOrder }[];
  marginUtil_cases: {
    negativeBalance: { fixture: { orders: Record<string, Record<string, LooseOrder>>; positions: Record<string, Position> } };
    invalidStopPrice: {
      fixture: Record<'nullPrice' | 'zeroPrice', { orders: Record<string, Record<string, LooseOrder>>; positions: Record<string, Position> }> & {
        bands: Record<string, Band>;
        instruments: Record<string, Instrument>;
      };
    };
  };
}
interface PayloadVectors {
  all_config_response: { value: { instruments: Record<string, Instrument> } };
  account_response: { value: Account };
  python_fixtures: { open_orders_response: LooseOrder[] };
}

const vectors = load<MarginVectors>('margin.json');
const payloads = load<PayloadVectors>('api_payloads.json');
const invalidStop = vectors.marginUtil_cases.invalidStopPrice.fixture;
const account = payloads.account_response.value;

/** Every fixture instrument that is what its key says (not the deliberately broken NAN_REWARD etc.). */
const instruments: Record<string, Instrument> = {
  ...Object.fromEntries(Object.entries(vectors.instruments).filter(([k, v]) => k === v.symbol)),
  ...invalidStop.instruments,
  ...payloads.all_config_response.value.instruments,
};
const inst = (symbol: string): Instrument => {
  const i = instruments[symbol] ?? vectors.instruments[symbol];
  if (!i) throw new Error(`fixture instrument ${symbol} missing`);
  return i;
};
const T10 = { ticksperpoint: 10 };

describe('np: normalized price vectors', () => {
  it('np(750) of a 500 USD contract = 66666667 (§5.3)', () => {
    expect(np(750, inst('BTCUSD7F27'))).toBe(66666667);
  });

  // Every order in the fixtures whose normalized fields the server computed from valid prices.
  const orders: LooseOrder[] = [
    ...Object.values(vectors.orders.inverse),
    ...vectors.quanto_margin_cases.map((c) => c.order),
    ...Object.values(vectors.marginUtil_cases.negativeBalance.fixture.orders).flatMap((m) => Object.values(m)),
    ...Object.values(invalidStop.nullPrice.orders).flatMap((m) => Object.values(m)),
    ...Object.values(invalidStop.zeroPrice.orders).flatMap((m) => Object.values(m)),
    ...Object.values(account.orders).flatMap((m) => Object.values(m)),
    ...payloads.python_fixtures.open_orders_response,
  ];
  const pairs = [
    ['price', 'normalizedPrice'],
    ['entryPrice', 'normalizedEntryPrice'],
    ['maxStop', 'normalizedMaxStop'],
  ] as const;
  const checks: { label: string; price: number; expected: number; instrument: string }[] = [];
  for (const o of orders) {
    for (const [p, n] of pairs) {
      const price = o[p];
      const expected = o[n];
      // Negative or missing prices are the broken stops of the invalidStopPrice fixture, not np vectors; a merged
      // exit (several entryPrices) keeps the first fill's normalizedEntryPrice.
      const merged = p === 'entryPrice' && (o.entryPrices?.length ?? 0) > 1;
      if (typeof price === 'number' && price > 0 && typeof expected === 'number' && !merged) {
        checks.push({ label: `${o.uuid ?? o.orderType ?? o.side} ${p}=${price}`, price, expected, instrument: o.instrument });
      }
    }
  }

  it('collects the fixture vectors', () => {
    expect(checks.length).toBeGreaterThanOrEqual(30);
  });
  for (const c of checks) {
    it(`${c.instrument} ${c.label} → ${c.expected}`, () => {
      expect(np(c.price, inst(c.instrument))).toBe(c.expected);
    });
  }

  it('quanto np is the price itself', () => {
    expect(np(1255.1, inst('BTC1'))).toBe(1255.1);
  });

  it('rejects zero, negative, non-finite prices and broken instruments', () => {
    const F27 = inst('BTCUSD7F27');
    for (const bad of [0, -2, Number.NaN, Number.POSITIVE_INFINITY, '750' as unknown as number]) {
      expect(() => np(bad, F27)).toThrow('Price must be a positive number');
    }
    expect(() => np(750, { type: 'inverse' })).toThrow('Invalid contractusdvalue');
    expect(() => np(750, { type: 'option' as 'inverse', contractusdvalue: 100 })).toThrow('Unknown instrument type');
  });
});

describe('positions and exit orders carry np-derived amounts (§5.7)', () => {
  const singlePrice: [string, Position][] = [
    ...Object.entries(account.positions),
    ...Object.entries(vectors.marginUtil_cases.negativeBalance.fixture.positions),
    ...Object.entries(invalidStop.nullPrice.positions),
    ...Object.entries(invalidStop.zeroPrice.positions),
  ];
  for (const [symbol, p] of singlePrice) {
    it(`position ${symbol} ${p.quantity} @ ${p.averagePrice}: entryAmount = −quantity × np(average)`, () => {
      expect(-p.quantity * np(p.averagePrice, inst(symbol))).toBe(p.entryAmount);
      expect(unrealizedPnl(p, p.averagePrice, inst(symbol))).toBe(0);
    });
  }

  const stops = Object.values(account.orders).flatMap((m) => Object.values(m)).filter((o) => o.orderType === 'STP');
  for (const o of stops) {
    it(`STP ${o.uuid}: entryAmount = q × normalizedEntryPrice`, () => {
      expect(o.quantity * np(o.entryPrice!, inst(o.instrument))).toBe(o.entryAmount);
    });
  }
});

describe('ticks', () => {
  it('converts exactly between prices and integer ticks', () => {
    expect(toTicks(464.8, T10)).toBe(4648);
    expect(fromTicks(4648, T10)).toBe(464.8);
    expect(fromTicks(toTicks(1229.4, T10) - toTicks(16, T10), T10)).toBe(1213.4);
    expect(toTicks(0, T10)).toBe(0);
    expect(Object.is(toTicks(-0, T10), 0)).toBe(true);
    expect(toTicks(0.75, { ticksperpoint: 4 })).toBe(3);
    expect(tickSize(T10)).toBe(0.1);
    expect(tickSize({ ticksperpoint: 4 })).toBe(0.25);
  });

  it('knows what is on the tick', () => {
    for (const v of [464.8, 12.1, 0.5, 0.1, 1184.9, 0, 100000.1]) expect(isOnTick(v, T10)).toBe(true);
    for (const v of [12.123, 12.13, 0.05, Number.NaN, Number.POSITIVE_INFINITY, '1', null, undefined]) expect(isOnTick(v, T10)).toBe(false);
    expect(isOnTick(0.25, { ticksperpoint: 4 })).toBe(true);
    expect(isOnTick(0.3, { ticksperpoint: 4 })).toBe(false);
  });

  it('throws on off-tick prices, fractional ticks and broken tick settings', () => {
    expect(() => toTicks(12.13, T10)).toThrow('12.13 is not a multiple of the tick 0.1');
    expect(() => toTicks(Number.NaN, T10)).toThrow('not a multiple');
    expect(() => fromTicks(1.5, T10)).toThrow('Ticks must be an integer');
    expect(() => toTicks(1, { ticksperpoint: 0 })).toThrow('Invalid ticksperpoint 0');
    expect(() => isOnTick(1, { ticksperpoint: -10 })).toThrow('Invalid ticksperpoint -10');
  });

  it('rounds to the tick, snapping float noise first', () => {
    expect(roundToTick(2330.46, T10, 'ceil')).toBe(2330.5);
    expect(roundToTick(2330.46, T10, 'floor')).toBe(2330.4);
    expect(roundToTick(2330.46, T10)).toBe(2330.5);
    expect(roundToTick(990.0000000000001, T10, 'ceil')).toBe(990);
    expect(roundToTick(1009.9999999999999, T10, 'floor')).toBe(1010);
    expect(() => roundToTick(Number.NaN, T10)).toThrow('finite');
  });

  it('formats with the instrument decimals', () => {
    expect(formatPrice(1184.9, { ticksize: 1 })).toBe('1184.9');
    expect(formatPrice(1177, { ticksize: 1 })).toBe('1177.0');
    expect(formatPrice(1177, { ticksize: 0 })).toBe('1177');
    expect(() => formatPrice(Number.NaN, { ticksize: 1 })).toThrow('finite');
    expect(() => formatPrice(1, { ticksize: -1 })).toThrow('Invalid ticksize');
  });
});

describe('fee: commission / reward vectors (§5.3)', () => {
  for (const c of vectors.commission_cases) {
    it(`${c.instrument} ${c.kind} ${c.quantity} @ ${c.price} → ${c.expected}`, () => {
      expect(fee(c.kind, c.quantity, c.price, inst(c.instrument))).toBe(c.expected);
    });
  }

  it('zero quantity costs nothing, even at an unusable price', () => {
    expect(fee('commission', 0, 0, inst('BTCUSD7F27'))).toBe(0);
  });

  it('rejects a wrong kind, a broken rate and a negative quantity', () => {
    expect(() => fee('rebate' as FeeKind, 1, 750, inst('BTCUSD7F27'))).toThrow('commission or reward expected');
    expect(() => fee('reward', 1, 750, vectors.instruments.NAN_REWARD!)).toThrow('Invalid reward not a number');
    expect(() => fee('commission', -1, 750, inst('BTCUSD7F27'))).toThrow('Invalid quantity -1');
  });
});

describe('checkInstrument (reference constructor checks)', () => {
  for (const symbol of Object.keys(instruments)) {
    it(`${symbol} is usable`, () => expect(() => checkInstrument(inst(symbol))).not.toThrow());
  }
  const broken: [string, string][] = [
    ['NAN_REWARD', 'Invalid reward not a number'],
    ['INVALID_REWARD', 'Invalid reward 1'],
    ['INVALID_CONTRACT', 'Reward and commission should be either percentage or absolute values'],
  ];
  for (const [key, message] of broken) {
    it(`${key} → ${message}`, () => expect(() => checkInstrument(vectors.instruments[key]!)).toThrow(message));
  }
  it('own broken instruments', () => {
    const base = inst('BTCUSD7H10');
    expect(() => checkInstrument({ ...base, commission: 10, reward: -0.005 })).toThrow('either percentage or absolute');
    expect(() => checkInstrument({ ...base, commission: 0.0005, reward: -0.005 })).toThrow('Reward more than commission');
    expect(() => checkInstrument({ ...base, stopcushion: -1 })).toThrow('Invalid stopcushion -1');
    expect(() => checkInstrument({ ...base, ticksperpoint: 0 })).toThrow('Invalid ticksperpoint 0');
    expect(() => checkInstrument({ ...base, contractusdvalue: undefined })).toThrow('Invalid contractusdvalue');
    expect(() => checkInstrument({ ...base, externalFeed: '' })).toThrow('ExternalFeed should be present');
    expect(() => checkInstrument({ ...inst('BTC1'), tickvalue: 0 })).toThrow('Invalid tickvalue 0');
    expect(() => checkInstrument(undefined as unknown as Instrument)).toThrow('config is undefined');
  });
});

describe('P&L (§5.7)', () => {
  const J28 = inst('BTCUSD7J28'); // 100 USD contracts

  it('realized inverse P&L is q × (np(buy) − np(sell))', () => {
    // np(1184.9) = 8439531, np(1200) = 8333333
    expect(pnl(1184.9, 1200, 1, J28)).toBe(8439531 - 8333333);
    expect(pnl(1200, 1184.9, 3, J28)).toBe(3 * (8333333 - 8439531));
    expect(pnl(1200, 1200, 3, J28)).toBe(0);
  });

  it('unrealized P&L of the fixture long equals the realized P&L of closing it at the mark', () => {
    const long = account.positions.BTCUSD7J28!; // +1 @ 1184.9
    expect(unrealizedPnl(long, 1200, J28)).toBe(pnl(1184.9, 1200, 1, J28));
    const short = vectors.marginUtil_cases.negativeBalance.fixture.positions.BTCUSD7H10!; // −4 @ 1229.4
    expect(unrealizedPnl(short, 1200, inst('BTCUSD7H10'))).toBe(pnl(1200, 1229.4, 4, inst('BTCUSD7H10')));
    expect(unrealizedPnl({ quantity: 0, entryAmount: 0, averagePrice: 0 }, 1200, J28)).toBe(0);
  });

  it('quanto P&L is (sell − buy) × 0.001 BTC per contract', () => {
    const BTC1 = inst('BTC1');
    expect(pnl(1254.5, 1259.1, 1, BTC1)).toBe(460000);
    expect(pnl(1259.1, 1254.5, 2, BTC1)).toBe(-920000);
    expect(unrealizedPnl({ quantity: -10, averagePrice: 899.1, entryAmount: 0 }, 898.1, BTC1)).toBe(1000000);
  });

  it('rejects bad prices and quantities', () => {
    expect(() => pnl(0, 1200, 1, J28)).toThrow('Price must be a positive number');
    expect(() => pnl(1200, 1200, -1, J28)).toThrow('Invalid quantity');
    expect(() => unrealizedPnl({ quantity: 1, entryAmount: Number.NaN, averagePrice: 1 }, 1200, J28)).toThrow('entryAmount');
    expect(() => unrealizedPnl({ quantity: 1, entryAmount: -1, averagePrice: 1 }, -5, J28)).toThrow('Price must be a positive number');
  });
});

describe('bandLimits (§8.13)', () => {
  for (const [symbol, band] of Object.entries(invalidStop.bands)) {
    it(`${symbol} index ${band.price} → [${band.min}, ${band.max}]`, () => {
      expect(bandLimits(band.price, inst(symbol))).toEqual(band);
    });
  }

  it('fractions round inward to the tick; an on-tick bound stays put', () => {
    const J21 = inst('BTCUSD7J21'); // ±0.02
    expect(bandLimits(1184.7, J21)).toEqual({ price: 1184.7, min: 1161.1, max: 1208.3, instrument: 'BTCUSD7J21' });
    const J28 = inst('BTCUSD7J28'); // ±0.01
    expect(bandLimits(1000, J28)).toEqual({ price: 1000, min: 990, max: 1010, instrument: 'BTCUSD7J28' });
    expect(bandLimits(1, { symbol: 'X', ticksperpoint: 10, bandLowerLimit: 1, bandUpperLimit: 1 })).toMatchObject({ min: 0.1, max: 2 });
  });

  it('rejects a bad index or limit', () => {
    const J28 = inst('BTCUSD7J28');
    expect(() => bandLimits(0, J28)).toThrow('Index price must be a positive number');
    expect(() => bandLimits(Number.NaN, J28)).toThrow('Index price');
    expect(() => bandLimits(1000, { ...J28, bandUpperLimit: -1 })).toThrow('Invalid bandUpperLimit -1');
    expect(() => bandLimits(0.1, { symbol: 'X', ticksperpoint: 1, bandLowerLimit: 0.01, bandUpperLimit: 0.01 })).toThrow('empty');
  });
});

describe('stops and targets (§5.5, §8.14)', () => {
  const orderByUuid = new Map(
    [
      ...Object.values(account.orders).flatMap((m) => Object.values(m)),
      ...Object.values(vectors.marginUtil_cases.negativeBalance.fixture.orders).flatMap((m) => Object.values(m) as Order[]),
    ].map((o) => [o.uuid, o]),
  );

  // STP orders whose maxStop the server derived from their trigger and cushion.
  for (const uuid of ['c45ba360-2136-11e7-92f9-aef23f9e82b8', 'cd615c70-2136-11e7-8c09-f6728e92bc2c', 'fbb8ac60-fef7-11e6-96f7-abd5fdb4b0c8', '6490bb10-fef8-11e6-8ffa-aade6e808e0a']) {
    it(`maxStop of STP ${uuid}`, () => {
      const o = orderByUuid.get(uuid)!;
      const instrument = inst(o.instrument);
      expect(maxStopPrice(o.side, o.price as number, cushionOf(o, instrument), instrument)).toBe(o.maxStop);
      expect(np(o.maxStop!, instrument)).toBe(o.normalizedMaxStop);
    });
  }

  // TGT orders: entry fill ± targetPrice.
  for (const uuid of ['c45ba361-2136-11e7-a66c-fdfdb4ca12ec', 'cd615c71-2136-11e7-a9a7-0cc49f518163']) {
    it(`target of TGT ${uuid}`, () => {
      const o = orderByUuid.get(uuid)!;
      expect(targetPrice(exitSide(o.side), o.entryPrice!, o.targetPrice as number, inst(o.instrument))).toBe(o.price);
    });
  }

  it('BTC1 STP trigger = entry − stopPrice for a buy entry', () => {
    const o = vectors.quanto_margin_cases[1]!.order;
    expect(stopTriggerPrice(exitSide(o.side!), o.entryPrice!, o.stopPrice!, T10)).toBe(o.price);
  });

  it('is relative to the fill, on both sides', () => {
    expect(stopTriggerPrice('buy', 1184.9, 5.5, T10)).toBe(1179.4);
    expect(stopTriggerPrice('sell', 1229.3, 2, T10)).toBe(1231.3);
    expect(targetPrice('sell', 1229.3, 3, T10)).toBe(1226.3);
    expect(targetPrice('buy', 1229.3, 0, T10)).toBe(1229.3);
    expect(targetPrice('buy', 1229.3, 'NONE', T10)).toBe('NONE');
    expect(maxStopPrice('buy', 1231.3, 1, T10)).toBe(1232.3);
    expect(exitSide('buy')).toBe('sell');
    expect(exitSide('sell')).toBe('buy');
  });

  it('rejects off-tick, non-positive and impossible results', () => {
    expect(() => stopTriggerPrice('buy', 1184.9, 0, T10)).toThrow('stopPrice must be greater than 0');
    expect(() => stopTriggerPrice('buy', 1184.9, 0.05, T10)).toThrow('not a multiple of the tick');
    expect(() => stopTriggerPrice('buy', 5, 5, T10)).toThrow('must be positive');
    expect(() => targetPrice('sell', 5, 6, T10)).toThrow('must be positive');
    expect(() => targetPrice('buy', 5, -1, T10)).toThrow('targetPrice must be at least 0');
    expect(() => maxStopPrice('sell', 1, 1, T10)).toThrow('Max stop must be positive.');
    expect(() => maxStopPrice('sell', 100, -1, T10)).toThrow('Invalid stop cushion');
    expect(() => stopTriggerPrice('long' as 'buy', 100, 1, T10)).toThrow('Invalid side');
  });
});

describe('symbols (§5.1)', () => {
  const REF_2017 = Date.UTC(2017, 5, 1);
  // Instruments whose fixture expiry belongs to their symbol (BTCUSD7F27's fixture copies F20's dates).
  const dated = Object.values(instruments).filter((i) => i.template && i.symbol !== 'BTCUSD7F27');

  it('has dated fixture instruments', () => expect(dated.length).toBeGreaterThanOrEqual(8));
  for (const i of dated) {
    it(`${i.symbol} expires ${new Date(i.expiry).toISOString()}`, () => {
      expect(parseSymbol(i.symbol, REF_2017)).toEqual({ template: i.template, expiry: i.expiry });
      if (i.expiryClass === 'weekly') {
        expect(weeklySymbol(i.expiry, i.template)).toBe(i.symbol);
        expect(weeklySymbol(i.start + 1, i.template)).not.toBe(i.symbol); // weeklies list two weeks ahead
      }
    });
  }

  it('the year digit resolves around the reference time', () => {
    expect(new Date(parseSymbol('BTCUSD7J28', Date.UTC(2026, 0, 1)).expiry).toISOString()).toBe('2027-04-28T17:15:00.000Z');
    expect(new Date(parseSymbol('BTCUSD1F01', Date.UTC(2029, 11, 31)).expiry).toISOString()).toBe('2031-01-01T17:15:00.000Z');
    expect(new Date(parseSymbol('BTCUSD4F01', Date.UTC(2029, 11, 31)).expiry).toISOString()).toBe('2024-01-01T17:15:00.000Z');
  });

  it('weekly expiry is the first Friday 17:15 UTC at or after the date', () => {
    const friday = Date.UTC(2017, 3, 28, 17, 15);
    expect(weeklyExpiry(friday)).toBe(friday);
    expect(weeklyExpiry(friday - 1)).toBe(friday);
    expect(weeklyExpiry(friday + 1)).toBe(friday + 7 * 86_400_000);
    expect(weeklyExpiry(new Date(Date.UTC(2017, 3, 22)))).toBe(friday); // Saturday
    expect(weeklySymbol(Date.UTC(2017, 3, 21, 17, 15, 0, 1))).toBe('BTCUSD7J28');
    expect(weeklySymbol(Date.UTC(2024, 11, 28))).toBe('BTCUSD5F03'); // crosses the year
    expect(weeklySymbol(Date.UTC(2025, 8, 1), 'MBTCUSD')).toBe('MBTCUSD5U05');
  });

  it('rejects malformed symbols, impossible dates and bad dates', () => {
    for (const bad of ['BTC1', 'BTCUSD7A28', 'BTCUSD7J2', 'BTCUSD7J28161', 'btcusd7j28', '7J28', 'BTCUSD7J3116', 'BTCUSD7G30', 'BTCUSD7J282460', 'BTCUSD7J281275', '']) {
      expect(() => parseSymbol(bad, REF_2017), bad).toThrow('Invalid contract symbol');
    }
    expect(() => parseSymbol(42 as unknown as string)).toThrow('Invalid contract symbol');
    expect(() => weeklyExpiry(Number.NaN)).toThrow('Invalid date');
    expect(() => weeklySymbol(new Date('nope'))).toThrow('Invalid date');
    expect(() => weeklySymbol(0, 'btc')).toThrow('Invalid template');
  });
});

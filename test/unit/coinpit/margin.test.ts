import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  availableMargin,
  orderMargin,
  ordersMargin,
  positionsCommission,
  type BandMap,
  type MarginAccount,
  type MarginMode,
  type MarginOrder,
} from '../../../main/coinpit/instruments';
import type { Account, Band, Instrument, Order } from '../../../main/coinpit/types';

// Vectors: coinpit-common instruments/orders/marginUtil fixtures (margin.json) and the coinpit-client account
// fixture (api_payloads.json). Tests read them from test/fixtures, never from /work/shared.
function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/vectors/${name}`, import.meta.url), 'utf8')) as T;
}

type Orders = Record<string, Record<string, MarginOrder>>;
interface MarginCase {
  instrument: string;
  order: string;
  bands: BandMap | null;
  excludeExtraForCross: boolean;
  expected?: number;
  expected_error?: string;
}
interface MarginVectors {
  instruments: Record<string, Instrument>;
  orders: { inverse: Record<string, MarginOrder> };
  inverse_margin_cases: MarginCase[];
  quanto_margin_cases: { instrument: string; order: MarginOrder; expected: number }[];
  marginUtil_cases: {
    commissionForOpenPositions: { positions: MarginAccount['positions']; expected: number };
    negativeBalance: {
      fixture: { availableMargin: number; orders: Orders; profitAndLoss: { pnl: number }; positions: MarginAccount['positions']; margin: number };
    };
    computeAvailableMargin_stubbed: { marginBalance: number; pnl: number; marginUsedByOrders: number; commissionForOpenPositions: number; expected: number };
    invalidStopPrice: {
      fixture: Record<'nullPrice' | 'zeroPrice', { orders: Orders; positions: MarginAccount['positions']; margin: number; pnl?: { pnl: number } }> & {
        bands: Record<string, Band>;
        instruments: Record<string, Instrument>;
      };
    };
  };
  derived_client_account_check: {
    accountMargin: number;
    pnl: number;
    order_margins: Record<string, number>;
    position_exit_commission: Record<string, number>;
    computed_available_margin: number;
    server_margin: number;
  };
}
interface PayloadVectors {
  all_config_response: { value: { instruments: Record<string, Instrument> } };
  account_response: { value: Account };
}

const vectors = load<MarginVectors>('margin.json');
const payloads = load<PayloadVectors>('api_payloads.json');
const instruments = vectors.instruments;

function inst(symbol: string): Instrument {
  const i = instruments[symbol];
  if (!i) throw new Error(`fixture instrument ${symbol} missing`);
  return i;
}

function fixtureOrder(ref: string): MarginOrder {
  const [family, name] = ref.split('.');
  const order = family === 'inverse' && name ? vectors.orders.inverse[name] : undefined;
  if (!order) throw new Error(`fixture order ${ref} missing`);
  return order;
}

const modeOf = (excludeExtraForCross: boolean): MarginMode => (excludeExtraForCross ? 'min-cross' : 'max-cross');

describe('orderMargin: inverse vectors (coinpit-common inverse.spec.js)', () => {
  for (const [i, c] of vectors.inverse_margin_cases.entries()) {
    const label = `#${i} ${c.order} ${modeOf(c.excludeExtraForCross)} bands=${JSON.stringify(c.bands)}`;
    it(`${label} → ${c.expected ?? c.expected_error}`, () => {
      const run = () => orderMargin(fixtureOrder(c.order), inst(c.instrument), c.bands, modeOf(c.excludeExtraForCross));
      if (c.expected_error !== undefined) expect(run).toThrow(c.expected_error);
      else expect(run()).toBe(c.expected);
    });
  }

  it('names the five margin figures of PROTOCOL §5.6', () => {
    const figures = vectors.inverse_margin_cases.map((c) => c.expected);
    for (const f of [338305941, 6926683, 23140495, 36458331, 15746423]) expect(figures).toContain(f);
  });
});

describe('orderMargin: quanto vectors (BTC1)', () => {
  for (const c of vectors.quanto_margin_cases) {
    it(`${c.order.orderType} ${c.order.side} ${c.order.quantity} → ${c.expected}`, () => {
      expect(orderMargin(c.order, inst(c.instrument), null, 'max-cross')).toBe(c.expected);
      expect(orderMargin(c.order, inst(c.instrument), null, 'min-cross')).toBe(c.expected);
    });
  }
});

describe('marginUtil vectors', () => {
  const mu = vectors.marginUtil_cases;

  it('commission reserved for open positions = 378149', () => {
    expect(positionsCommission(mu.commissionForOpenPositions.positions, instruments)).toBe(mu.commissionForOpenPositions.expected);
  });

  it('negative availability: getMaxCrossStopMargin = −203033', () => {
    const f = mu.negativeBalance.fixture;
    const account: MarginAccount = { accountMargin: f.margin, orders: f.orders, pnl: f.profitAndLoss, positions: f.positions };
    expect(availableMargin(account, instruments, {}, 'max-cross')).toBe(f.availableMargin);
    expect(f.availableMargin).toBe(-203033);
  });

  it('negative availability account in min-cross mode counts the cross stop at its initial distance', () => {
    // Own derivation: the cross STP (buy 2 @ entry 1229.4, initial stop 15 + cushion 1) needs
    // |81337184 − 2·np(1245.4)| = |81337184 − 2·40147744| = 1041696 instead of 48734158.
    const f = mu.negativeBalance.fixture;
    const account: MarginAccount = { accountMargin: f.margin, orders: f.orders, pnl: f.profitAndLoss, positions: f.positions };
    expect(availableMargin(account, instruments, {}, 'min-cross')).toBe(f.availableMargin + 48734158 - 1041696);
  });

  it('available = balance − orders + pnl − position commission (stubbed parts 5000/100/−200/50 → 4650)', () => {
    const s = mu.computeAvailableMargin_stubbed;
    // The reference stubs the two sums; here real inputs produce them: one order with marginPerQty 100,
    // one position whose exit commission is an absolute 50 sat per contract.
    const absolute: Instrument = { ...inst('HIGH_COMMISION_CONTRACT'), symbol: 'ABS', commission: s.commissionForOpenPositions, reward: 0 };
    const account: MarginAccount = {
      accountMargin: s.marginBalance,
      pnl: { pnl: s.pnl },
      orders: { ABS: { a: { side: 'buy', quantity: 1, filled: 0, cancelled: 0, orderType: 'LMT', marginPerQty: s.marginUsedByOrders } } },
      positions: { ABS: { quantity: -1, averagePrice: 900 } },
    };
    expect(ordersMargin(account.orders, { ABS: absolute }, {}, 'max-cross')).toBe(s.marginUsedByOrders);
    expect(positionsCommission(account.positions, { ABS: absolute })).toBe(s.commissionForOpenPositions);
    expect(availableMargin(account, { ABS: absolute }, {}, 'max-cross')).toBe(s.expected);
  });

  for (const name of ['nullPrice', 'zeroPrice'] as const) {
    it(`invalid stop (${name}): "Max stop must be positive."`, () => {
      const f = mu.invalidStopPrice.fixture;
      const t = f[name];
      const account: MarginAccount = { accountMargin: t.margin, orders: t.orders, pnl: t.pnl, positions: t.positions };
      expect(() => availableMargin(account, f.instruments, f.bands, 'max-cross')).toThrow('Max stop must be positive.');
    });
  }
});

describe('derived /account check (coinpit-client account fixture)', () => {
  const d = vectors.derived_client_account_check;
  const account = payloads.account_response.value;
  const configInstruments = payloads.all_config_response.value.instruments;
  const allOrders = Object.values(account.orders).flatMap((byUuid) => Object.values(byUuid));

  for (const [key, expected] of Object.entries(d.order_margins)) {
    const uuid = key.split(' ')[0] ?? '';
    it(`order ${key} holds ${expected}`, () => {
      const order = allOrders.find((o: Order) => o.uuid === uuid);
      expect(order).toBeDefined();
      const instrument = configInstruments[order!.instrument]!;
      expect(orderMargin(order!, instrument, {}, 'max-cross')).toBe(expected);
      expect(orderMargin(order!, instrument, {}, 'min-cross')).toBe(expected);
    });
  }

  for (const [symbol, expected] of Object.entries(d.position_exit_commission)) {
    it(`position ${symbol} reserves exit commission ${expected}`, () => {
      const position = account.positions[symbol]!;
      expect(positionsCommission({ [symbol]: position }, configInstruments)).toBe(expected);
    });
  }

  it('available margin equals the server-reported margin 374103575', () => {
    expect(account.accountMargin).toBe(d.accountMargin);
    expect(account.pnl?.pnl).toBe(d.pnl);
    for (const mode of ['min-cross', 'max-cross'] as const) {
      expect(availableMargin(account, configInstruments, {}, mode)).toBe(d.computed_available_margin);
    }
    expect(d.computed_available_margin).toBe(d.server_margin);
  });
});

describe('orderMargin: own cases', () => {
  const F27 = inst('BTCUSD7F27'); // 500 USD contracts, cushion 1, cross initial stop 15
  const bands = { BTCUSD7F27: { price: 500, min: 490, max: 510, instrument: 'BTCUSD7F27' } };

  it('a sell MKT (no price) is margined from band.min', () => {
    // P = 490, D = 10 + 1, stop at 501: 2 × |np(490) − np(501)| = 2 × |102040816 − 99800399|
    const order: MarginOrder = { side: 'sell', quantity: 2, orderType: 'MKT', stopPrice: 10 };
    expect(orderMargin(order, F27, bands, 'min-cross')).toBe(2 * (102040816 - 99800399));
  });

  it('a sell LMT uses its own price, not band.min', () => {
    // P = 505, stop at 516: 1 × (np(505) − np(516)) = 99009901 − 96899225
    const order: MarginOrder = { side: 'sell', quantity: 1, orderType: 'LMT', price: 505, stopPrice: 10 };
    expect(orderMargin(order, F27, bands, 'min-cross')).toBe(99009901 - 96899225);
  });

  it('price ± points stays exact in decimal (1229.4 − 16 is 1213.4)', () => {
    const b = { BTCUSD7F27: { price: 1230, min: 1229.4, max: 1240, instrument: 'BTCUSD7F27' } };
    const order: MarginOrder = { side: 'buy', quantity: 1, orderType: 'LMT', price: 1229.4, crossMargin: true };
    // np(1229.4) = 40670246, np(1213.4) = 41206527
    expect(orderMargin(order, F27, b, 'min-cross')).toBe(41206527 - 40670246);
  });

  it('only the open quantity counts; a fully filled order holds nothing', () => {
    const order: MarginOrder = { side: 'buy', quantity: 5, filled: 3, cancelled: 1, orderType: 'LMT', marginPerQty: 10 };
    expect(orderMargin(order, F27, null, 'max-cross')).toBe(10);
    expect(orderMargin({ ...order, filled: 4 }, F27, null, 'max-cross')).toBe(0);
    const stp: MarginOrder = { side: 'buy', quantity: 2, filled: 2, orderType: 'STP', entryAmount: 100, normalizedMaxStop: 40 };
    expect(orderMargin(stp, F27, null, 'max-cross')).toBe(0);
    expect(orderMargin({ ...stp, filled: 1 }, F27, null, 'max-cross')).toBe(60);
  });

  it("an order's own cushion wins over the instrument's stopcushion", () => {
    // buy 1 @ 500, stop 10 + cushion 3 → 487: np(487) − np(500) = 102669405 − 100000000
    const order: MarginOrder = { side: 'buy', quantity: 1, orderType: 'LMT', price: 500, stopPrice: 10, cushion: 3 };
    const b = { BTCUSD7F27: { ...bands.BTCUSD7F27, min: 500 } };
    expect(orderMargin(order, F27, b, 'max-cross')).toBe(102669405 - 100000000);
    expect(orderMargin({ ...order, cushion: 0 }, F27, b, 'max-cross')).toBe(orderMargin({ ...order, cushion: 1 }, F27, b, 'max-cross'));
  });

  it('quanto margin is exact in decimal and rounds up', () => {
    const BTC1 = inst('BTC1'); // 10 ticks a point, 10000 sat a tick
    // |1000 − 999.9| is 0.1 point = 10000 sat; binary floats would make it 10000.000000002 and ceil to 10001.
    const stp: MarginOrder = { side: 'sell', quantity: 1, orderType: 'STP', entryAmount: 1000, maxStop: 999.9 };
    expect(orderMargin(stp, BTC1, null, 'max-cross')).toBe(10000);
    // A fractional tick value: 0.2 point × 10 × 0.1 sat = 0.2 sat → 1 sat.
    const tiny: Instrument = { ...BTC1, tickvalue: 0.1, stopcushion: 0.1 };
    expect(orderMargin({ side: 'buy', quantity: 1, orderType: 'LMT', price: 900, stopPrice: 0.1 }, tiny, null, 'max-cross')).toBe(1);
    expect(() => orderMargin({ ...stp, maxStop: 0 }, BTC1, null, 'max-cross')).toThrow('Max stop must be positive.');
    expect(() => orderMargin(stp, { ...BTC1, tickvalue: undefined }, null, 'max-cross')).toThrow('Invalid tickvalue');
  });

  it('a non-cross STP is the same in both modes; a buy STP tightened past entry holds 0 not a negative', () => {
    const cross = fixtureOrder('inverse.cross');
    const plain = { ...cross, crossMargin: false };
    expect(orderMargin(plain, F27, null, 'min-cross')).toBe(338305941);
    expect(orderMargin(fixtureOrder('inverse.maxStopTightenBeyondEntryBuy'), F27, null, 'max-cross')).toBe(0);
  });

  it('rejects bad input with clear errors', () => {
    const stp: MarginOrder = { side: 'sell', quantity: 1, orderType: 'STP', entryAmount: 100, normalizedMaxStop: 50 };
    expect(() => orderMargin(stp, F27, null, 'sideways' as MarginMode)).toThrow('Invalid margin mode');
    expect(() => orderMargin({ ...stp, entryAmount: undefined }, F27, null, 'max-cross')).toThrow('entryAmount missing');
    expect(() => orderMargin({ ...stp, normalizedMaxStop: -1 }, F27, null, 'max-cross')).toThrow('Max stop must be positive.');
    expect(() => orderMargin({ ...stp, normalizedMaxStop: null }, F27, null, 'max-cross')).toThrow('Max stop must be positive.');
    expect(() => orderMargin({ ...stp, side: 'up' as 'buy' }, F27, null, 'max-cross')).toThrow('Invalid side');
    expect(() => orderMargin({ side: 'buy', quantity: 1, orderType: 'LMT', price: 500 }, F27, bands, 'max-cross')).toThrow('stopPrice missing');
    expect(() => orderMargin({ side: 'buy', quantity: 1, orderType: 'LMT', price: 500, stopPrice: 2 }, F27, { BTCUSD7F27: { ...bands.BTCUSD7F27, min: 0 } }, 'max-cross')).toThrow(
      'min not defined on bands:',
    );
    // A stop at or below zero has no finite inverse loss: refused rather than margined.
    expect(() => orderMargin({ side: 'buy', quantity: 1, orderType: 'LMT', price: 10, stopPrice: 12 }, F27, { BTCUSD7F27: { ...bands.BTCUSD7F27, min: 10 } }, 'max-cross')).toThrow(
      'Price must be a positive number',
    );
  });

  it('availableMargin rejects an unknown instrument with orders, a bad balance and a bad pnl', () => {
    const order: MarginOrder = { side: 'buy', quantity: 1, orderType: 'LMT', marginPerQty: 1 };
    expect(() => availableMargin({ accountMargin: 10, orders: { NOPE: { a: order } } }, instruments, {}, 'max-cross')).toThrow('Unknown instrument NOPE');
    expect(availableMargin({ accountMargin: 10, orders: { NOPE: {} } }, instruments, {}, 'max-cross')).toBe(10);
    expect(() => availableMargin({ accountMargin: -1, orders: {} }, instruments, {}, 'max-cross')).toThrow('Invalid margin balance -1');
    expect(() => availableMargin({ accountMargin: Number.NaN, orders: {} }, instruments, {}, 'max-cross')).toThrow('Invalid margin balance');
    expect(() => availableMargin({ accountMargin: 1, orders: {}, pnl: { pnl: Number.NaN } }, instruments, {}, 'max-cross')).toThrow('Invalid profit and loss');
    expect(() => positionsCommission({ NOPE: { quantity: 1, averagePrice: 100 } }, instruments)).toThrow('Unknown instrument NOPE');
  });
});

import { describe, expect, it } from 'vitest';
import { chartLines } from '../../../renderer/src/lib/chart-lines';
import { mergeTrades } from '../../../renderer/src/lib/candles';
import { accountFigures, positionRows } from '../../../renderer/src/lib/positions';
import { account, band, instrument, order, SYMBOL } from './fixtures';

const instruments = { [SYMBOL]: instrument };
const bands = { [SYMBOL]: { ...band, price: 10100 } };

describe('positions and P&L display', () => {
  it('a long of 10 bought at 10000 shows its unrealized gain at the index 10100', () => {
    const a = account({
      positions: { [SYMBOL]: { userid: 'mUser', instrument: SYMBOL, averagePrice: 10000, quantity: 10, entryAmount: -10 * 1_000_000, commission: 5000 } },
      orders: {
        [SYMBOL]: {
          s: order({ uuid: 's', orderType: 'STP', side: 'sell', price: 9995, quantity: 10 }),
          t: order({ uuid: 't', orderType: 'TGT', side: 'sell', price: 10003, quantity: 10 }),
        },
      },
    });
    const [row] = positionRows(a, instruments, bands);
    // −(entryAmount + q × np(10100)) = −(−10,000,000 + 10 × 990,099) = 99,010
    expect(row).toMatchObject({ side: 'Long', quantity: 10, entry: 10000, mark: 10100, upl: 99010, stops: [9995], targets: [10003] });
  });

  it('a short loses when the index rises; no band → no P&L', () => {
    const a = account({
      positions: { [SYMBOL]: { userid: 'mUser', instrument: SYMBOL, averagePrice: 10000, quantity: -10, entryAmount: 10 * 1_000_000, commission: 0 } },
    });
    expect(positionRows(a, instruments, bands)[0]).toMatchObject({ side: 'Short', quantity: 10, upl: -99010, stops: [], targets: [] });
    expect(positionRows(a, instruments, {})[0]?.upl).toBeNull();
  });

  it('a target of NONE is shown as none; flat positions are hidden', () => {
    const a = account({
      positions: {
        [SYMBOL]: { userid: 'mUser', instrument: SYMBOL, averagePrice: 10000, quantity: 1, entryAmount: -1_000_000, commission: 0 },
        FLAT: { userid: 'mUser', instrument: 'FLAT', averagePrice: 1, quantity: 0, entryAmount: 0, commission: 0 },
      },
      orders: { [SYMBOL]: { t: order({ uuid: 't', orderType: 'TGT', price: 'NONE' }) } },
    });
    const rows = positionRows(a, instruments, bands);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.targets).toEqual(['NONE']);
  });

  it('account figures: total = multisig + margin balance + realized P&L', () => {
    const a = account({ multisig: 5, accountMargin: 100, margin: 60, pnl: { userid: 'u', accountid: 'a', pnl: -7, commission: 0 } });
    expect(accountFigures(a, [])).toEqual({ multisig: 5, margin: 100, available: 60, pnl: -7, unrealized: 0, total: 98 });
    expect(accountFigures(null, [])).toBeNull();
  });
});

describe('chart lines', () => {
  it('index, band, entry, open orders, stop and target', () => {
    const a = account({
      positions: { [SYMBOL]: { userid: 'mUser', instrument: SYMBOL, averagePrice: 10000, quantity: 2, entryAmount: -2_000_000, commission: 0 } },
      orders: {
        [SYMBOL]: {
          e: order({ uuid: 'e', side: 'sell', price: 10050, quantity: 3, filled: 1, entryTime: 1 }),
          s: order({ uuid: 's', orderType: 'STP', side: 'sell', price: 9995, quantity: 2, entryTime: 2 }),
          t: order({ uuid: 't', orderType: 'TGT', side: 'sell', price: 10003, quantity: 2, entryTime: 3 }),
          n: order({ uuid: 'n', orderType: 'TGT', side: 'sell', price: 'NONE', entryTime: 4 }),
        },
      },
    });
    const lines = chartLines(SYMBOL, a, band);
    expect(lines.map((l) => [l.kind, l.price, l.title])).toEqual([
      ['index', 10000, 'Index'],
      ['band', 10100, 'Band high'],
      ['band', 9900, 'Band low'],
      ['entry', 10000, 'Entry long 2'],
      ['order-sell', 10050, 'Sell 2 LMT'],
      ['stop', 9995, 'Stop 2'],
      ['target', 10003, 'Target 2'],
    ]);
    expect(chartLines(null, a, band)).toEqual([]);
  });
});

describe('candles from trades', () => {
  const t = (time: number, price: number, quantity = 1) => ({ uuid: String(time), instrument: SYMBOL, price, quantity, side: 'buy' as const, time });

  it('updates the last bucket and opens new ones', () => {
    const base = [{ time: 0, open: 10, high: 12, low: 9, close: 11, volume: 5 }];
    const out = mergeTrades(base, [t(300_000 + 5, 14, 2), t(60_000, 13), t(301_000, 8)]);
    expect(out).toEqual([
      { time: 0, open: 10, high: 13, low: 9, close: 13, volume: 6 },
      { time: 300_000, open: 14, high: 14, low: 8, close: 8, volume: 3 },
    ]);
    expect(base[0]?.close).toBe(11); // input untouched
  });

  it('returns the same array when nothing applies', () => {
    const base = [{ time: 600_000, open: 1, high: 1, low: 1, close: 1, volume: 1 }];
    expect(mergeTrades(base, [])).toBe(base);
    expect(mergeTrades(base, [t(10, 5)])).toBe(base);
  });
});

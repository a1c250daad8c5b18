import { describe, expect, it } from 'vitest';
import { formatAmount, formatDuration, formatPrice, formatSignedAmount, parseAmount, pnlTone } from '../../../renderer/src/lib/format';

describe('amounts', () => {
  it.each([
    [0, 'btc', '0.00000000 BTC'],
    [1, 'btc', '0.00000001 BTC'],
    [123456789, 'btc', '1.23456789 BTC'],
    [-5000, 'btc', '−0.00005000 BTC'],
    [2_100_000_000_000_000, 'btc', '21,000,000.00000000 BTC'],
    [12345678, 'sat', '12,345,678 sat'],
    [-17004, 'sat', '−17,004 sat'],
  ] as const)('%d in %s → %s', (sat, units, text) => {
    expect(formatAmount(sat, units)).toBe(text);
  });

  it('P&L gets a sign and a tone', () => {
    expect(formatSignedAmount(7000, 'sat')).toBe('+7,000 sat');
    expect(formatSignedAmount(-7000, 'sat')).toBe('−7,000 sat');
    expect(formatSignedAmount(0, 'btc')).toBe('0.00000000 BTC');
    expect([pnlTone(1), pnlTone(-1), pnlTone(0)]).toEqual(['gain', 'loss', 'flat']);
  });

  it('parses typed amounts exactly (no float rounding)', () => {
    expect(parseAmount('0.1', 'btc')).toBe(10_000_000);
    expect(parseAmount('1.23456789', 'btc')).toBe(123_456_789);
    expect(parseAmount('.5', 'btc')).toBe(50_000_000);
    expect(parseAmount('0.000000001', 'btc')).toBeNull();
    expect(parseAmount('1,000', 'sat')).toBe(1000);
    expect(parseAmount('1.5', 'sat')).toBeNull();
    expect(parseAmount('0', 'btc')).toBeNull();
    expect(parseAmount('-1', 'btc')).toBeNull();
    expect(parseAmount('21000001', 'btc')).toBeNull();
    expect(parseAmount('', 'btc')).toBeNull();
  });

  it('formats prices and durations', () => {
    expect(formatPrice(10000, 1)).toBe('10000.0');
    expect(formatPrice(null, 1)).toBe('—');
    expect(formatDuration(3 * 86400_000 + 4 * 3600_000)).toBe('3d 4h');
    expect(formatDuration(-1)).toBe('expired');
  });
});

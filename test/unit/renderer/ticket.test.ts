import { describe, expect, it } from 'vitest';
import { checkTicket, defaultTicket, fieldOfServerError, type TicketContext, type TicketFields } from '../../../renderer/src/lib/ticket';
import { band, instrument } from './fixtures';

const ctx: TicketContext = { instrument, band, available: 1_000_000_000, bid: 9999, ask: 10001 };

function fields(over: Partial<TicketFields> = {}): TicketFields {
  return { ...defaultTicket(instrument), quantity: '10', price: '10000', stop: '5', target: '3', ...over };
}

describe('order ticket validation', () => {
  it('defaults to a 1-contract limit buy with the instrument stop and target', () => {
    expect(defaultTicket(instrument)).toMatchObject({ side: 'buy', orderType: 'LMT', quantity: '1', stop: '2', target: '3', noTarget: false });
  });

  it('accepts a valid bracketed limit order and builds the request', () => {
    const r = checkTicket(fields(), ctx);
    expect(r.errors).toEqual({});
    expect(r.order).toEqual({
      instrument: instrument.symbol,
      side: 'buy',
      quantity: 10,
      orderType: 'LMT',
      price: 10000,
      stopPrice: 5,
      targetPrice: 3,
      crossMargin: false,
    });
  });

  it.each([
    [{ quantity: '' }, 'quantity', 'Enter a quantity (contracts).'],
    [{ quantity: '1.5' }, 'quantity', 'Quantity must be a whole number of contracts.'],
    [{ quantity: '0' }, 'quantity', 'Quantity must be at least 1 contract.'],
    [{ price: '' }, 'price', 'Enter a limit price.'],
    [{ price: 'abc' }, 'price', 'Limit price must be a number, like 10000.0.'],
    [{ price: '10000.05' }, 'price', 'Limit price must be a multiple of the tick 0.1.'],
    [{ price: '0' }, 'price', 'Limit price must be greater than 0.'],
    [{ stop: '' }, 'stop', 'Every order needs a stop: enter its distance in points.'],
    [{ stop: '1' }, 'stop', 'Stop must be at least 1.6 points.'],
    [{ stop: '2.05' }, 'stop', 'Stop must be a multiple of the tick 0.1.'],
    [{ stop: '0' }, 'stop', 'Stop must be greater than 0 points.'],
    [{ target: '' }, 'target', 'Enter a target in points, or choose no target.'],
    [{ target: '-1' }, 'target', 'Target must be a number of points, like 3.'],
    [{ orderType: 'STM' as const, price: '' }, 'price', 'Enter a trigger price.'],
  ])('%j → %s error', (over, field, message) => {
    const r = checkTicket(fields(over), ctx);
    expect(r.errors[field as keyof typeof r.errors]).toBe(message);
    expect(r.order).toBeNull();
  });

  it('market orders carry no price and price at the touch', () => {
    const r = checkTicket(fields({ orderType: 'MKT', price: 'ignored' }), ctx);
    expect(r.errors).toEqual({});
    expect(r.order).not.toHaveProperty('price');
    expect(r.preview?.entryPrice).toBe(10001); // the ask for a buy
    const s = checkTicket(fields({ orderType: 'MKT', side: 'sell' }), ctx);
    expect(s.preview?.entryPrice).toBe(9999);
  });

  it('no target sends "NONE" and ignores the target text', () => {
    const r = checkTicket(fields({ noTarget: true, target: 'junk' }), ctx);
    expect(r.errors).toEqual({});
    expect(r.order?.targetPrice).toBe('NONE');
    expect(r.preview?.target).toBe('NONE');
  });

  it('refuses a quantity whose margin exceeds the available margin', () => {
    const r = checkTicket(fields({ quantity: '1000' }), { ...ctx, available: 1000 });
    expect(r.errors.quantity).toMatch(/Not enough available margin/);
    expect(r.order).toBeNull();
    expect(r.preview?.margin).toBeGreaterThan(1000);
  });

  it('needs an instrument', () => {
    expect(checkTicket(fields(), { ...ctx, instrument: null }).form).toBe('Choose an instrument first.');
  });
});

describe('order ticket preview (PROTOCOL §5.3, §5.6, §8.14)', () => {
  it('margin, commission, stop, target and loss at stop of a 10-lot limit buy at 10000, stop 5, target 3', () => {
    const p = checkTicket(fields(), ctx).preview;
    // margin: buys price at min(price, band.min) = 9900; D = stop 5 + cushion 2; 10 × |np(9900) − np(9893)|
    expect(p?.margin).toBe(10 * (1010816 - 1010101));
    // commission: round(np(10000) × 10 × 0.0005)
    expect(p?.commission).toBe(5000);
    expect(p?.stopTrigger).toBe(9995);
    expect(p?.worstStop).toBe(9993);
    expect(p?.target).toBe(10003);
    // loss: 10 × (np(9993) − np(10000)) = 7000, plus entry 5000 and exit round(1000700 × 10 × 0.0005) = 5004
    expect(p?.lossAtStop).toBe(7000 + 5000 + 5004);
    expect(p?.warnings).toEqual([]);
  });

  it('a sell stops above the entry', () => {
    const p = checkTicket(fields({ side: 'sell' }), ctx).preview;
    expect(p?.stopTrigger).toBe(10005);
    expect(p?.worstStop).toBe(10007);
    expect(p?.target).toBe(9997);
  });

  it('warns about a price outside the band but lets it through', () => {
    const r = checkTicket(fields({ price: '10200' }), ctx);
    expect(r.order).not.toBeNull();
    expect(r.preview?.warnings[0]).toMatch(/outside the trading band 9900.0–10100.0/);
  });

  it('has no margin figure before the band is known', () => {
    const r = checkTicket(fields(), { ...ctx, band: null });
    expect(r.preview?.margin).toBeNull();
    expect(r.order).not.toBeNull();
  });
});

describe('server errors to fields', () => {
  it.each([
    ['price 10.05 is invalid. price should be multiple of 0.1', 'price'],
    [': MKT orders cannot specify price 5', 'price'],
    ['stopPrice 1 should be at least 1.6', 'stop'],
    ['targetPrice -1 should be atleast 0', 'target'],
    ['quantity 0 should be greater than 0', 'quantity'],
    ['Insufficient margin', 'quantity'],
    ['Exchange is readonly', null],
  ])('%s → %s', (message, field) => {
    expect(fieldOfServerError(message)).toBe(field);
  });
});

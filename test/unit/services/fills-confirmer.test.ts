import { describe, expect, it } from 'vitest';
import type { Order } from '../../../main/coinpit/types';
import { confirmRequest, describeConfirmation, ScriptedConfirmer, type ConfirmRequest } from '../../../main/services/confirmer';
import type { ConfirmSubject } from '../../../main/wallet/confirm';
import type { Review } from '../../../main/wallet/review';
import { accountOrders, FillTracker } from '../../../main/services/fills';

const order = (uuid: string, filled: number, quantity = 10, extra: Partial<Order> = {}): Order =>
  ({
    uuid,
    userid: 'u',
    instrument: 'BTCUSD7J28',
    side: 'buy',
    quantity,
    filled,
    cancelled: 0,
    price: 1000,
    averagePrice: filled > 0 ? 1000.5 : 0,
    orderType: 'LMT',
    status: filled >= quantity ? 'filled' : 'open',
    entryTime: 0,
    eventTime: 0,
    ...extra,
  }) as Order;

describe('FillTracker', () => {
  it('reports only increases, after a silent baseline', () => {
    const t = new FillTracker();
    t.baseline([order('a', 3)]);
    expect(t.observe([order('a', 3)])).toEqual([]);
    expect(t.observe([order('a', 5), order('b', 0)])).toEqual([
      { instrument: 'BTCUSD7J28', side: 'buy', orderType: 'LMT', uuid: 'a', quantity: 2, price: 1000.5, complete: false },
    ]);
    expect(t.observe([order('b', 10)])).toMatchObject([{ uuid: 'b', quantity: 10, complete: true }]);
    expect(t.observe([order('a', 4)])).toEqual([]); // never backwards
  });

  it('reports an order first seen already (partly) filled, e.g. a market order', () => {
    expect(new FillTracker().observe([order('m', 7, 7, { orderType: 'MKT', price: null })])).toMatchObject([{ quantity: 7, price: 1000.5, complete: true }]);
  });

  it('ignores garbage entries', () => {
    expect(new FillTracker().observe([null as unknown as Order, {} as Order])).toEqual([]);
    expect(accountOrders(undefined)).toEqual([]);
    expect(accountOrders({ A: { x: order('x', 0) }, B: { y: order('y', 1) } }).map((o) => o.uuid)).toEqual(['x', 'y']);
  });
});

describe('ScriptedConfirmer and the confirmation text', () => {
  const request: ConfirmRequest = { action: 'withdraw', title: 'Withdraw', review: null, amount: 123_456_789, destination: 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', fee: 11_350 };

  const MARGIN = 'muDRpS4UgfLoBj3ZaZeEcaESKrBUceUU3B';
  const MULTISIG = '2N1Ffz3SaWHYSHM3A4NmXQWGGDQnDPJsQmr';
  const subject: ConfirmSubject = { kind: 'margin-out', amount: 123_456_789, from: MARGIN, to: MULTISIG };

  it('answers as scripted and records every request', async () => {
    const c = new ScriptedConfirmer();
    expect(await c.confirm(subject)).toBe(true);
    c.answer = false;
    expect(await c.confirm(subject)).toBe(false);
    c.answer = (r) => r.amount === 1;
    expect(await c.confirm(subject)).toBe(false);
    expect(c.requests).toHaveLength(3);
    expect(c.subjects).toEqual([subject, subject, subject]);
    expect(c.requests[0]).toEqual({
      action: 'margin-out',
      title: 'Move 1.23456789 BTC from margin back to the wallet',
      review: null,
      amount: 123_456_789,
      destination: MULTISIG,
      fee: null,
    });
  });

  // only the fields confirmRequest reads; a real Review has many more
  const fakeReview = (kind: Review['kind'], outputs: { address: string | null; role: Review['outputs'][number]['role'] }[]): Review =>
    ({ kind, amount: 50_000_000, fee: 1_000, outputs: outputs.map((o, index) => ({ index, value: 1, ...o })) }) as unknown as Review;

  it('turns every kind of subject into what the dialog shows', () => {
    const marginIn = fakeReview('margin-in', [
      { address: MARGIN, role: 'payment' },
      { address: MULTISIG, role: 'change' },
    ]);
    expect(confirmRequest(marginIn)).toEqual({ action: 'margin-in', title: 'Move 0.5 BTC to trading margin', review: marginIn, amount: 50_000_000, destination: MARGIN, fee: 1_000 });
    const withdraw = fakeReview('withdraw', [{ address: 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', role: 'payment' }]);
    expect(confirmRequest(withdraw)).toMatchObject({ action: 'withdraw', title: 'Withdraw 0.5 BTC to mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', destination: 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn' });
    const recovery = fakeReview('recovery', [{ address: 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', role: 'recovery' }]);
    expect(confirmRequest(recovery)).toMatchObject({ action: 'recovery-sign', title: 'Sign the recovery transaction (0.5 BTC to mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn)', fee: 1_000 });
    expect(confirmRequest({ kind: 'sign-file', fileName: 'recovery.json', review: recovery })).toMatchObject({ action: 'sign-file', title: 'Sign recovery.json', review: recovery, amount: 50_000_000 });
    expect(confirmRequest({ kind: 'sign-file', fileName: null, review: recovery }).title).toBe('Sign the imported transaction');
    expect(confirmRequest({ kind: 'margin-out', amount: 'all', from: MARGIN, to: MULTISIG })).toEqual({
      action: 'margin-out',
      title: 'Move all free margin back to the wallet',
      review: null,
      amount: null,
      destination: MULTISIG,
      fee: null,
    });
    expect(confirmRequest({ kind: 'recovery-broadcast', txid: 'ab'.repeat(32), amount: 49_999_000, to: 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', fee: 1_000, review: null })).toEqual({
      action: 'recovery-broadcast',
      title: 'Broadcast the recovery transaction: every coin in the wallet goes to your own address',
      review: null,
      amount: 49_999_000,
      destination: 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn',
      fee: 1_000,
    });
  });

  it('shows amount, destination and fee in BTC', () => {
    expect(describeConfirmation(request)).toBe('Amount: 1.23456789 BTC\nTo: mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn\nFee: 0.00011350 BTC');
  });
});

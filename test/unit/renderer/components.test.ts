import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { flushSync, tick } from 'svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RecoveryStatus, TxReview } from '../../../preload/contract';
import ConnectionBanner from '../../../renderer/src/components/status/ConnectionBanner.svelte';
import OpenOrders from '../../../renderer/src/components/trade/OpenOrders.svelte';
import OrderBook from '../../../renderer/src/components/trade/OrderBook.svelte';
import Positions from '../../../renderer/src/components/trade/Positions.svelte';
import RecoveryPanel from '../../../renderer/src/components/wallet/RecoveryPanel.svelte';
import { accountStore } from '../../../renderer/src/stores/account.svelte';
import { book } from '../../../renderer/src/stores/book.svelte';
import { market } from '../../../renderer/src/stores/market.svelte';
import { session } from '../../../renderer/src/stores/session.svelte';
import { ui } from '../../../renderer/src/stores/ui.svelte';
import { wallet } from '../../../renderer/src/stores/wallet.svelte';
import { fail, fakeApi, installFake, ok, type FakeApi } from './fake-api';
import { account, band, order, SYMBOL } from './fixtures';
import { CONNECTED, connectedStores } from './setup-stores';

let fake: FakeApi;

beforeEach(() => {
  fake = fakeApi();
  installFake(fake);
  connectedStores();
});

const lvl = (price: number, totalQuantity: number) => ({ price, totalQuantity, numberOfOrders: 1, instrument: SYMBOL });

describe('OrderBook', () => {
  /** The canvas a side is drawn on (drawing itself is tested with lib/book-paint.ts's paintSide). */
  const canvasOf = (list: HTMLElement) => list.parentElement?.querySelector('canvas') as HTMLCanvasElement;

  it('shows 25 levels a side, the spread, and a click puts the level price in the ticket', async () => {
    book.select(SYMBOL, 10);
    book.snapshot(SYMBOL, {
      bid: 9999,
      ask: 10000.5,
      buy: Array.from({ length: 30 }, (_, i) => lvl(9999 - i, i + 1)),
      sell: Array.from({ length: 30 }, (_, i) => lvl(10000.5 + i, 2)),
    });
    book.flush();
    render(OrderBook);
    const asks = screen.getByRole('list', { name: /Asks/ });
    const bids = screen.getByRole('list', { name: /Bids/ });
    expect(within(asks).getAllByRole('button')).toHaveLength(25);
    expect(within(bids).getAllByRole('button')).toHaveLength(25);
    expect(screen.getByTestId('spread').textContent).toContain('1.5');
    // the best ask is the last row above the spread, named as a screen reader reads it
    const bestAsk = within(asks).getAllByRole('button').at(-1)!;
    expect(screen.getByRole('button', { name: 'Ask 10000.5, 2 contracts, total 2' })).toBe(bestAsk);
    expect(within(bids).getAllByRole('button')[0]!.getAttribute('aria-label')).toBe('Bid 9999.0, 1 contracts, total 1');
    // drawn under the buttons: a canvas a side, as tall as its rows, hidden from screen readers
    for (const list of [asks, bids]) {
      expect(canvasOf(list).getAttribute('aria-hidden')).toBe('true');
      expect(canvasOf(list).style.height).toBe('425px');
    }
    await fireEvent.click(within(bids).getAllByRole('button')[1]!);
    expect(ui.pickedPrice?.price).toBe(9998);
  });

  it('re-renders after a diff is published', async () => {
    book.select(SYMBOL, 10);
    book.flush();
    render(OrderBook);
    book.applyDiff(SYMBOL, { bid: 100, ask: null, buy: { '100': lvl(100, 7) }, sell: {} });
    book.flush();
    flushSync();
    expect(screen.getByRole('button', { name: 'Bid 100.0, 7 contracts, total 7' })).toBeTruthy();
    expect(screen.getByTestId('spread').textContent).toContain('One side empty');
  });

  it('a burst of diffs changes nothing on screen until the frame, then shows the last state in one render', async () => {
    book.select(SYMBOL, 10);
    book.snapshot(SYMBOL, { bid: 100, ask: 101, buy: [lvl(100, 1)], sell: [lvl(101, 1)] });
    book.flush();
    render(OrderBook);
    flushSync();
    const bids = screen.getByRole('list', { name: /Bids/ });
    const mutations: MutationRecord[] = [];
    const observer = new MutationObserver((records) => mutations.push(...records));
    observer.observe(bids.closest('[data-testid="order-book"]')!, { subtree: true, childList: true, characterData: true, attributes: true });
    for (let i = 1; i <= 200; i++) book.applyDiff(SYMBOL, { bid: 100, ask: 101, buy: { '100': lvl(100, i) }, sell: {} });
    flushSync();
    await tick();
    expect(mutations.splice(0)).toEqual([]); // 200 diffs, no render yet
    expect(within(bids).getByRole('button').getAttribute('aria-label')).toBe('Bid 100.0, 1 contracts, total 1');
    book.flush(); // the frame
    flushSync();
    await tick();
    observer.disconnect();
    expect(within(bids).getByRole('button').getAttribute('aria-label')).toBe('Bid 100.0, 200 contracts, total 200');
    // one render: the changed name written once, not once per diff
    expect(mutations.length).toBeGreaterThan(0);
    expect(mutations.length).toBeLessThan(10);
  });

  it('a click takes the price the row shows at the time of the click', async () => {
    book.select(SYMBOL, 10);
    book.snapshot(SYMBOL, { bid: 100, ask: null, buy: [lvl(100, 1), lvl(99, 1)], sell: [] });
    book.flush();
    render(OrderBook);
    const second = within(screen.getByRole('list', { name: /Bids/ })).getAllByRole('button')[1]!;
    book.applyDiff(SYMBOL, { bid: 100, ask: null, buy: { '99.5': lvl(99.5, 3) }, sell: {} });
    book.flush();
    flushSync();
    await fireEvent.click(second);
    expect(ui.pickedPrice?.price).toBe(99.5);
  });
});

describe('Positions', () => {
  it('shows entry, index, signed P&L, stop and target', () => {
    market.bands = { [SYMBOL]: { ...band, price: 9900 } };
    accountStore.account = account({
      positions: { [SYMBOL]: { userid: 'mUser', instrument: SYMBOL, averagePrice: 10000, quantity: 10, entryAmount: -10_000_000, commission: 0 } },
      orders: { [SYMBOL]: { s: order({ uuid: 's', orderType: 'STP', side: 'sell', price: 9995 }), t: order({ uuid: 't', orderType: 'TGT', side: 'sell', price: 'NONE' }) } },
    });
    render(Positions);
    const row = screen.getByTestId('position');
    expect(within(row).getByTestId('position-entry').textContent).toBe('10000.0');
    // −(−10,000,000 + 10 × np(9900) = 10,101,010) = −101,010
    expect(within(row).getByTestId('position-pnl').textContent).toBe('−101,010 sat');
    expect(within(row).getByTestId('position-pnl').querySelector('.loss')).not.toBeNull();
    expect(within(row).getByTestId('position-stop').textContent).toBe('9995.0');
    expect(within(row).getByTestId('position-target').textContent?.trim()).toBe('none');
  });

  it('in BTC units', () => {
    session.settings = { theme: 'dark', units: 'btc' };
    accountStore.account = account({
      positions: { [SYMBOL]: { userid: 'mUser', instrument: SYMBOL, averagePrice: 10000, quantity: -1, entryAmount: 1_000_000, commission: 0 } },
    });
    render(Positions);
    expect(screen.getByTestId('position-pnl').textContent).toBe('0.00000000 BTC'); // index = entry
  });
});

describe('OpenOrders', () => {
  it('edits a price inline and cancels one order, showing errors in words where the user acted', async () => {
    const o = order({ uuid: 'o1', price: 9990, quantity: 2 });
    accountStore.account = account({ orders: { [SYMBOL]: { o1: o } } });
    fake.reply('ordersUpdate', (req) => {
      const r = req as { updates: { uuid: string; price: number }[] };
      return ok([{ ...o, price: r.updates[0]!.price }]);
    });
    fake.reply('ordersCancel', fail('SERVER', 'No order found with uuid: o1'));
    render(OpenOrders);
    await fireEvent.click(screen.getByRole('button', { name: /Edit price of the Limit buy order at 9990.0/ }));
    await tick();
    const input = screen.getByLabelText(/New price/) as HTMLInputElement;
    expect(document.activeElement).toBe(input);
    await fireEvent.input(input, { target: { value: '9990.05' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    expect(screen.getByRole('alert').textContent).toBe('The price must be a multiple of the tick 0.1.');
    await fireEvent.input(input, { target: { value: '9991.5' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await tick();
    await tick();
    expect(fake.callsTo('ordersUpdate')).toEqual([{ symbol: SYMBOL, updates: [{ uuid: 'o1', price: 9991.5 }] }]);
    expect(screen.getByTestId('order-price').textContent).toBe('9991.5');

    await fireEvent.click(screen.getByRole('button', { name: /Cancel the Limit buy order/ }));
    expect((await screen.findByRole('alert')).textContent).toBe('No order found with uuid: o1');
  });
});

describe('RecoveryPanel', () => {
  const review = { coverage: { covered: 150_000_000, total: 150_000_000 } } as unknown as TxReview;

  it('says "Ready: covers X of Y" with the refresh time, and exports', async () => {
    const status: RecoveryStatus = { state: 'ready', review, updatedAt: Date.UTC(2024, 0, 1, 12), txid: 'ab'.repeat(32), message: null };
    wallet.recovery = status;
    session.settings = { theme: 'dark', units: 'btc' };
    fake.reply('walletRecoveryExport', ok({ path: '/tmp/recovery.txt' }));
    render(RecoveryPanel);
    expect(screen.getByTestId('recovery-state').textContent).toBe('Ready: covers 1.50000000 of 1.50000000 BTC');
    expect(screen.getByText(/^Refreshed at /)).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Export…' }));
    expect(await screen.findByText('Saved to /tmp/recovery.txt.')).toBeTruthy();
  });

  it('a refused refresh is explained and nothing can be exported', async () => {
    wallet.recovery = { state: 'none', review: null, updatedAt: null, txid: null, message: null };
    fake.reply('walletRecoveryRefresh', fail('REVIEW_REFUSED', 'The output does not pay your own address.'));
    render(RecoveryPanel);
    expect((screen.getByRole('button', { name: 'Export…' }) as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The output does not pay your own address.');
  });
});

describe('ConnectionBanner', () => {
  it('shows reconnecting, read-only and clock skew states', () => {
    session.connection = { ...CONNECTED, state: 'reconnecting' };
    const { unmount } = render(ConnectionBanner);
    const down = screen.getByTestId('connection-banner');
    expect(down.textContent).toMatch(/reconnecting/);
    expect([down.getAttribute('role'), down.dataset.state, down.classList.contains('danger')]).toEqual(['alert', 'reconnecting', true]);
    session.connection = { ...CONNECTED, readonly: true, skewMs: 9500 };
    flushSync();
    expect(screen.queryByTestId('connection-banner')).toBeNull();
    expect(screen.getByTestId('readonly-banner').textContent).toMatch(/read-only/);
    expect(screen.getByTestId('readonly-banner').classList.contains('warn')).toBe(true);
    expect(screen.getByTestId('skew-banner').textContent).toMatch(/9.5 s ahead of the exchange's/);
    session.connection = { ...CONNECTED, skewMs: 300 };
    flushSync();
    expect(screen.queryByTestId('skew-banner')).toBeNull();
    unmount();
  });
});

describe('wallet store', () => {
  it('keeps the review of the same signed recovery transaction when a later status comes without it', () => {
    const review = { coverage: { covered: 5, total: 5 } } as unknown as TxReview;
    wallet.recovery = { state: 'ready', review, updatedAt: 1, txid: 'aa', message: null };
    wallet.onRecovery({ state: 'ready', review: null, updatedAt: 2, txid: 'aa', message: null });
    expect(wallet.recovery?.review).toBe(review);
    expect(wallet.recovery?.updatedAt).toBe(2);
    wallet.onRecovery({ state: 'ready', review: null, updatedAt: 3, txid: 'bb', message: null });
    expect(wallet.recovery?.review).toBeNull();
  });
});

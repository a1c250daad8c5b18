// The scenario in Debian's Chromium, through the web host (real services) and the local exchange:
// first run → create key → faucet → margin in → bracketed limit buy → a second user sells into it → fill, position,
// stop/target lines and P&L → edit and cancel → invalid order → exchange restart → margin out → withdraw →
// recovery ready → export. Each step depends on the one before (one world, run in order).

import { existsSync, readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateWif, identity } from '../../main/coinpit/identity';
import { startHarness, type Harness } from './helpers/harness';
import { secondUser, type SecondUser } from './helpers/second-user';

const WAIT = 20_000;
let h: Harness;
let page: Page;
let symbol = '';
let other: SecondUser;

const poll = (f: () => Promise<string | null>) => expect.poll(f, { timeout: WAIT, interval: 100 });
const text = (l: Locator) => () => l.first().textContent({ timeout: WAIT });

async function view(name: 'Trade' | 'Wallet' | 'Offline signing' | 'API keys' | 'Settings'): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name }).click();
}

async function fill(label: string | RegExp, value: string, scope: Page | Locator = page): Promise<void> {
  await scope.getByLabel(label, { exact: typeof label === 'string' }).fill(value);
}

async function openTab(name: RegExp): Promise<void> {
  await page.getByRole('tab', { name }).click();
}

beforeAll(async () => {
  h = await startHarness(inject('rendererDir'));
  page = h.page;
});

afterEach(async (ctx) => {
  // a failed step leaves a picture of what the page showed
  if (ctx.task.result?.state === 'fail' && page) await h.screenshot(`failed-${ctx.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
});

afterAll(async () => {
  await h?.close();
});

describe('a first-time trader', () => {
  it('creates a key on the Local network, postpones the backup and is reminded, then saves it', async () => {
    await page.goto(h.host.url);
    await page.getByRole('heading', { name: 'Welcome to Coinpit Desk' }).waitFor({ timeout: WAIT });
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByLabel(/System keychain/).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByLabel(/Local exchange/).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('heading', { name: 'Back up your key' }).waitFor({ timeout: WAIT });
    await page.getByRole('button', { name: 'Remind me later' }).click();

    await poll(text(page.getByTestId('connection-state'))).toBe('connected');
    const reminder = page.getByTestId('backup-reminder');
    await reminder.waitFor({ timeout: WAIT });
    await reminder.getByRole('button', { name: 'Save backup file' }).click();
    await reminder.waitFor({ state: 'detached', timeout: WAIT });
    const backup = h.host.files.saved.find((f) => /backup|key/i.test(f));
    expect(backup && existsSync(backup)).toBe(true);
    // the contract furthest from expiry, so no settlement happens during the run
    const picker = page.getByLabel('Instrument');
    const symbols = await picker.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    symbol = symbols.at(-1) ?? '';
    expect(symbol).toMatch(/^BTCUSD/);
    await picker.selectOption(symbol);
    await page.getByRole('heading', { name: `${symbol} · 5 min` }).waitFor();
  });

  it('gets coins from the faucet and moves margin in', async () => {
    await view('Wallet');
    const faucet = page.getByTestId('faucet');
    await fill(/^Amount/, '1', faucet);
    await faucet.getByRole('button', { name: 'Get test coins' }).click();
    await faucet.getByText(/^Mined 1\.00000000 BTC to /).waitFor({ timeout: WAIT });
    await poll(text(page.getByTestId('balance-multisig'))).toBe('1.00000000 BTC');

    const margin = page.getByTestId('margin');
    await fill(/^Move in/, '0.5', margin);
    await margin.getByRole('button', { name: 'Margin in' }).click();
    await margin.getByText('Moved 0.50000000 BTC to margin.').waitFor({ timeout: WAIT });
    await margin.getByRole('region', { name: 'Margin-in transaction' }).waitFor();
    await h.exchange.post('mine', { blocks: 1 });
    await page.getByTestId('balances').getByRole('button', { name: 'Refresh' }).click();
    await poll(text(page.getByTestId('balance-margin'))).toBe('0.50000000 BTC');
  });

  it('places a limit buy with stop and target; a second user sells into it; fill, position, lines and P&L appear', async () => {
    await view('Trade');
    const ticket = page.getByTestId('order-ticket');
    await fill('Quantity', '10', ticket);
    await fill('Limit price', '9990', ticket);
    await fill('Stop distance', '5', ticket);
    await fill('Target distance', '10', ticket);
    // the preview before submit: 10 × |np(9900) − np(9893)| margin, round(np(9990) × 10 × 0.0005) commission
    await poll(text(page.getByTestId('preview-margin'))).toBe('0.00007150 BTC');
    await poll(text(page.getByTestId('preview-commission'))).toBe('0.00005005 BTC');
    await ticket.getByRole('button', { name: 'Place buy order' }).click();
    await ticket.getByText('Buy 10 limit at 9990.0 placed.').waitFor({ timeout: WAIT });
    const entryRow = page.getByTestId('open-order').filter({ hasText: '9990.0' });
    await entryRow.waitFor({ timeout: WAIT });
    await page.getByTestId('chart-lines').getByText('Buy 10 LMT').waitFor();

    other = await secondUser(h.exchange);
    await other.place(symbol, { side: 'sell', quantity: 10, orderType: 'LMT', price: 9990 });

    await page.getByTestId('toast').filter({ hasText: `Bought 10 ${symbol} at 9990.0, order filled` }).waitFor({ timeout: WAIT });
    await openTab(/^Positions/);
    const position = page.getByTestId('position');
    await poll(text(position.getByTestId('position-entry'))).toBe('9990.0');
    await poll(text(position.getByTestId('position-stop'))).toBe('9985.0');
    await poll(text(position.getByTestId('position-target'))).toBe('10000.0');
    // unrealized at the index 10000: 10 × (np(9990) − np(10000)) = 10 × (1001001 − 1000000)
    await poll(text(position.getByTestId('position-pnl'))).toBe('+0.00010010 BTC');
    await poll(text(page.getByTestId('strip-unrealized'))).toBe('+0.00010010 BTC');
    const lines = page.getByTestId('chart-lines');
    await lines.locator('[data-kind="stop"]').filter({ hasText: '9985.0' }).waitFor();
    await lines.locator('[data-kind="target"]').filter({ hasText: '10000.0' }).waitFor();
    await lines.locator('[data-kind="entry"]').filter({ hasText: '9990.0' }).waitFor();
    await openTab(/^Executions/);
    await page.getByTestId('executions').getByText('9990.0').waitFor({ timeout: WAIT });
  });

  it('edits an order price inline and cancels it', async () => {
    const ticket = page.getByTestId('order-ticket');
    await fill('Quantity', '2', ticket);
    await fill('Limit price', '9950', ticket);
    await ticket.getByRole('button', { name: 'Place buy order' }).click();
    await ticket.getByText('Buy 2 limit at 9950.0 placed.').waitFor({ timeout: WAIT });
    await openTab(/^Open orders/);
    await page.getByRole('button', { name: 'Edit price of the Limit buy order at 9950.0' }).click();
    const input = page.getByLabel('New price for the Limit buy order');
    await input.fill('9955');
    await input.press('Enter');
    const row = page.getByTestId('open-order').filter({ hasText: '9955.0' });
    await row.waitFor({ timeout: WAIT });
    await page.getByRole('button', { name: 'Cancel the Limit buy order at 9955.0' }).click();
    await row.waitFor({ state: 'detached', timeout: WAIT });
    await openTab(/^Cancelled/);
    await page.getByTestId('history-cancelled').getByText('9955.0').waitFor({ timeout: WAIT });
    await openTab(/^Open orders/);
  });

  it('an invalid order shows the field error and is not sent', async () => {
    const ticket = page.getByTestId('order-ticket');
    const before = await page.getByTestId('open-order').count();
    await fill('Limit price', '9990.05', ticket);
    await ticket.getByRole('button', { name: 'Place buy order' }).click();
    const error = page.getByTestId('field-error-price');
    await poll(text(error)).toBe('Limit price must be a multiple of the tick 0.1.');
    expect(await ticket.getByLabel('Limit price').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('ticket-price');
    expect(await page.getByTestId('open-order').count()).toBe(before);
    await fill('Limit price', '9900', ticket);
    await fill('Quantity', '1', ticket);
    await ticket.getByRole('button', { name: 'Place buy order' }).click();
    await ticket.getByText('Buy 1 limit at 9900.0 placed.').waitFor({ timeout: WAIT });
  });

  it('an exchange restart shows the reconnecting banner, then the view recovers with the same orders', async () => {
    await page.getByTestId('open-order').filter({ hasText: '9900.0' }).waitFor({ timeout: WAIT });
    const uuids = async () => (await page.getByTestId('open-order').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-uuid')))).sort();
    const before = await uuids();
    expect(before.length).toBe(3); // the resting 9900 buy, the stop and the target
    await h.exchange.stop();
    const banner = page.getByTestId('connection-banner');
    await banner.waitFor({ timeout: WAIT });
    await poll(() => banner.getAttribute('data-state')).toBe('reconnecting');
    expect(await banner.textContent()).toMatch(/reconnecting/i);
    await h.screenshot('trade-reconnecting-dark');
    await h.exchange.start();
    await banner.waitFor({ state: 'detached', timeout: 60_000 });
    await poll(text(page.getByTestId('connection-state'))).toBe('connected');
    await expect.poll(uuids, { timeout: WAIT }).toEqual(before);
  });

  it('moves margin out and withdraws after reviewing', async () => {
    await view('Wallet');
    const margin = page.getByTestId('margin');
    await fill(/^Move out/, '0.1', margin);
    await margin.getByRole('button', { name: 'Margin out' }).click();
    await margin.getByText('Moved 0.10000000 BTC back to the multisig.').waitFor({ timeout: WAIT });
    await h.exchange.post('mine', { blocks: 1 });

    const destination = identity(generateWif('testnet')).userid;
    const withdraw = page.getByTestId('withdraw');
    await fill('To address', destination, withdraw);
    await fill(/^Amount/, '0.05', withdraw);
    await withdraw.getByRole('button', { name: 'Review withdrawal' }).click();
    const review = page.getByTestId('withdraw-review');
    await review.getByText(destination).waitFor();
    await review.getByText('0.05000000 BTC').waitFor();
    const confirmationsBefore = h.host.confirmer.requests.length;
    await review.getByRole('button', { name: 'Confirm and sign' }).click();
    await withdraw.getByText(/^Sent: transaction [0-9a-f]{64}\.$/).waitFor({ timeout: WAIT });
    await withdraw.getByRole('region', { name: 'Withdrawal transaction' }).getByText(destination).waitFor();
    expect(h.host.confirmer.requests.length).toBe(confirmationsBefore + 1); // main asked once more before signing
    await h.exchange.post('mine', { blocks: 1 });
  });

  it('keeps a recovery transaction ready and exports it', async () => {
    const recovery = page.getByTestId('recovery');
    await recovery.getByRole('button', { name: 'Refresh' }).click();
    const state = page.getByTestId('recovery-state');
    await poll(() => state.getAttribute('data-state')).toBe('ready');
    expect(await state.textContent()).toMatch(/^Ready: covers \d+\.\d{8} of \d+\.\d{8} BTC$/);
    await recovery.getByText(/^Refreshed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/).waitFor();
    await recovery.getByRole('button', { name: 'Export…' }).click();
    const saved = recovery.getByText(/^Saved to .+\.$/);
    await saved.waitFor({ timeout: WAIT });
    const file = (await saved.textContent())!.replace(/^Saved to /, '').replace(/\.$/, '');
    expect(readFileSync(file, 'utf8')).toMatch(/[0-9a-f]{100,}/);
  });

  it('the keyboard reaches everything: help overlay, focus ticket, views', async () => {
    await page.locator('body').press('Escape');
    await page.keyboard.press('?');
    const help = page.getByTestId('help-overlay');
    await help.getByRole('heading', { name: 'Keyboard shortcuts' }).waitFor();
    await help.getByText('Cancel all open orders of the instrument').waitFor();
    await h.screenshot('help-overlay-dark');
    await page.keyboard.press('Escape');
    await help.getByRole('heading').waitFor({ state: 'hidden' });
    await page.keyboard.press('t');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('ticket-quantity');
    await page.locator('body').click({ position: { x: 2, y: 2 } });
    await page.keyboard.press('2');
    await page.getByTestId('recovery').waitFor();
    await page.keyboard.press('1');
    await page.getByTestId('order-ticket').waitFor();
  });

  it('the page saw no errors and no Content-Security-Policy refusals', () => {
    expect(h.problems).toEqual([]);
  });
});

// The scenario in Debian's Chromium, through the web host (real services) and the local exchange:
// first run → create key → faucet → margin in → bracketed limit buy → a second user sells into it → fill, position,
// stop/target lines and P&L → edit and cancel → invalid order → exchange restart → margin out → withdraw →
// recovery ready → export. Each step depends on the one before (one world, run in order).

import { existsSync, readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { generateWif, identity } from '../../main/coinpit/identity';
import { axeScan, describeViolations, seriousOrWorse, type AxeViolation } from './helpers/axe';
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

/** id of the focused element (a string expression: this file is checked without the DOM library) */
const activeId = () => page.evaluate<string | null>('document.activeElement ? document.activeElement.id : null');

const SCHEMES = ['dark', 'light'] as const;
/** serious and critical axe findings, by where they were found */
const accessibility: { where: string; violations: AxeViolation[] }[] = [];

/** Screenshot (test/output/<name>-<scheme>.png) and accessibility scan of what is on screen, in both themes. */
async function capture(name: string): Promise<void> {
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    await poll(() => page.evaluate<string | null>('document.documentElement.dataset.theme ?? null')).toBe(scheme);
    await page.waitForTimeout(250); // the chart repaints on the next frames
    await h.screenshot(`${name}-${scheme}`);
    const violations = seriousOrWorse(await axeScan(page));
    if (violations.length > 0) accessibility.push({ where: `${name} (${scheme})`, violations });
  }
}

async function openTab(name: RegExp): Promise<void> {
  await page.getByRole('tab', { name }).click();
}

// A world that could not start (no Chromium, say) fails every test rather than skipping them.
let setupError: unknown = null;
beforeAll(async () => {
  try {
    h = await startHarness(inject('rendererDir'));
    page = h.page;
  } catch (err) {
    setupError = err;
  }
});

beforeEach(() => {
  if (setupError) throw setupError;
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
    await capture('onboarding-1-key');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByLabel(/System keychain/).isChecked()).toBe(true);
    await capture('onboarding-2-storage');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByLabel(/Local exchange/).isChecked()).toBe(true);
    await capture('onboarding-3-network');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('heading', { name: 'Back up your key' }).waitFor({ timeout: WAIT });
    await capture('onboarding-4-backup');
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
    const symbols = await picker.locator('option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
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
    expect(await activeId()).toBe('ticket-price');
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
    await h.screenshot('trade-reconnecting');
    await h.exchange.start();
    await banner.waitFor({ state: 'detached', timeout: 60_000 });
    await poll(text(page.getByTestId('connection-state'))).toBe('connected');
    await expect.poll(uuids, { timeout: WAIT }).toEqual(before);
  });

  it('read-only mode on the exchange is an obvious banner and blocks the ticket', async () => {
    await h.exchange.post('readonly', { readonly: true, reason: 'maintenance' });
    const banner = page.getByTestId('readonly-banner');
    await banner.waitFor({ timeout: WAIT });
    expect(await page.getByTestId('ticket-submit').isDisabled()).toBe(true);
    await h.screenshot('trade-readonly');
    await h.exchange.post('readonly', { readonly: false });
    await banner.waitFor({ state: 'detached', timeout: WAIT });
    expect(await page.getByTestId('ticket-submit').isDisabled()).toBe(false);
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
    await recovery.getByRole('button', { name: 'Refresh' }).isEnabled({ timeout: WAIT });
    await poll(() => state.getAttribute('data-state')).toBe('ready');
    await poll(text(state)).toMatch(/^Ready: covers \d+\.\d{8} of \d+\.\d{8} BTC$/);
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
    await help.getByText('Cancel all open orders of the instrument (on the trade view)').waitFor();
    await page.keyboard.press('Escape');
    await help.getByRole('heading').waitFor({ state: 'hidden' });
    await page.keyboard.press('t');
    expect(await activeId()).toBe('ticket-quantity');
    await page.locator('body').click({ position: { x: 2, y: 2 } });
    await page.keyboard.press('2');
    await page.getByTestId('recovery').waitFor();
    await page.keyboard.press('1');
    await page.getByTestId('order-ticket').waitFor();
  });

  it('every view, in dark and light: screenshots and an accessibility scan with no serious or critical findings', async () => {
    // some depth on both sides of the book for the pictures
    for (let i = 1; i <= 6; i++) {
      await other.place(symbol, { side: 'sell', quantity: i * 3, orderType: 'LMT', price: 10000 + i * 2.5 });
      await other.place(symbol, { side: 'buy', quantity: i * 2, orderType: 'LMT', price: 9980 - i * 2.5, stopPrice: 5 });
    }
    await view('Trade');
    await page.getByTestId('order-book').getByRole('button', { name: /^Ask 10015\.0/ }).waitFor({ timeout: WAIT });
    await capture('trade');
    await openTab(/^Positions/);
    await capture('trade-positions');
    await openTab(/^Open orders/);
    await view('Wallet');
    await page.getByTestId('deposit-address').waitFor({ timeout: WAIT });
    await capture('wallet');
    await view('Offline signing');
    await page.getByRole('heading', { name: '1. Open a transaction' }).waitFor();
    await capture('offline');
    await view('API keys');
    await page.getByRole('heading', { name: 'New key' }).waitFor();
    await capture('apikeys');
    await view('Settings');
    await page.getByRole('heading', { name: 'Appearance and units' }).waitFor();
    await capture('settings');
    await page.keyboard.press('?');
    await page.getByTestId('help-overlay').getByRole('heading', { name: 'Keyboard shortcuts' }).waitFor();
    await capture('help');
    await page.keyboard.press('Escape');
    await page.emulateMedia({ colorScheme: null });
    expect(accessibility.map((a) => `${a.where}:\n${describeViolations(a.violations)}`)).toEqual([]);
  });

  it('Shift+X on the trade view cancels all open orders of the instrument (the stop of the open position stays)', async () => {
    await view('Trade');
    const types = async () => (await page.getByTestId('open-order').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')))).sort().join(',');
    await poll(types).toBe('LMT,STP,TGT');
    await page.locator('body').click({ position: { x: 2, y: 2 } });
    await page.keyboard.press('Shift+X');
    await page.getByText('All open orders cancelled.').waitFor({ timeout: WAIT });
    await poll(types).toBe('STP');
  });

  it('the page saw no errors and no Content-Security-Policy refusals', () => {
    expect(h.problems).toEqual([]);
  });
});

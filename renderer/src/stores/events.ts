// Wires window.coinpit events to the stores, and loads data when the connection comes up (again).

import type { ConnectionStatus, FillNotice } from '../../../preload/contract';
import { api } from '../lib/bridge';
import { formatPrice } from '../lib/format';
import { accountStore } from './account.svelte';
import { book } from './book.svelte';
import { market } from './market.svelte';
import { session } from './session.svelte';
import { toasts } from './toasts.svelte';
import { wallet } from './wallet.svelte';

let started = false;
let balanceTimer: ReturnType<typeof setTimeout> | null = null;

/** Balances change with every account event; refetch them at most every 2 s. */
function scheduleBalances(): void {
  if (balanceTimer !== null) return;
  balanceTimer = setTimeout(() => {
    balanceTimer = null;
    void wallet.refreshBalances();
  }, 2000);
}

export function fillText(f: FillNotice, decimals: number): string {
  const verb = f.side === 'buy' ? 'Bought' : 'Sold';
  const kind = f.orderType === 'STP' ? ' (stop)' : f.orderType === 'TGT' ? ' (target)' : '';
  return `${verb} ${f.quantity} ${f.instrument} at ${formatPrice(f.price, decimals)}${kind}${f.complete ? ', order filled' : ', partly filled'}`;
}

/** Everything the app loads once connected; also after a reconnect, so the view shows the exchange's state. */
export async function loadConnected(): Promise<void> {
  await Promise.allSettled([market.load(), accountStore.refresh(), accountStore.loadExecutions(), wallet.refreshBalances(), wallet.loadRecovery()]);
}

function onConnection(next: ConnectionStatus, previous: ConnectionStatus): void {
  const up = next.state === 'connected';
  const wasUp = previous.state === 'connected';
  if (up && (!wasUp || next.profileId !== previous.profileId)) void loadConnected();
  if (next.profileId !== previous.profileId && previous.profileId !== null) {
    market.clear();
    accountStore.clear();
    wallet.clear();
  }
}

export function startEvents(): void {
  if (started) return;
  started = true;
  const bridge = api();
  bridge.on('book', ({ symbol, book: snapshot }) => book.snapshot(symbol, snapshot));
  bridge.on('bookDiff', ({ symbol, diff }) => book.applyDiff(symbol, diff));
  bridge.on('trades', ({ trades }) => market.onTrades(trades));
  bridge.on('bands', (bands) => market.onBands(bands));
  bridge.on('instruments', (instruments) => market.onInstruments(instruments));
  bridge.on('account', (account) => {
    accountStore.onAccount(account);
    scheduleBalances();
  });
  bridge.on('orderResult', (result) => {
    accountStore.onOrderResult(result);
    if (result.kind === 'error') toasts.push(`Order refused: ${result.message}`, 'warn');
  });
  bridge.on('connection', (status) => session.setConnection(status));
  bridge.on('recovery', (status) => wallet.onRecovery(status));
  bridge.on('fill', (notice) => {
    const decimals = market.instruments[notice.instrument]?.ticksize ?? 1;
    toasts.push(fillText(notice, decimals), notice.side === 'buy' ? 'gain' : 'loss');
    void accountStore.loadExecutions();
  });
  session.onConnection(onConnection);
}

// The user's account: balances, positions, open orders (kept current from account events and order results) and
// executions.

import type { Account, Execution, Order, OrderResult } from '../../../preload/contract';
import { api, call } from '../lib/bridge';

/** Open orders of one instrument, entries first then exits, newest first. */
export function openOrdersOf(account: Account | null, symbol: string | null): Order[] {
  if (!account || !symbol) return [];
  const rank = (o: Order): number => (o.orderType === 'STP' || o.orderType === 'TGT' ? 1 : 0);
  return Object.values(account.orders?.[symbol] ?? {})
    .filter((o) => o.status === 'open')
    .sort((a, b) => rank(a) - rank(b) || b.entryTime - a.entryTime);
}

function withOrders(account: Account, orders: readonly Order[]): Account {
  const next: Account['orders'] = { ...account.orders };
  for (const o of orders) {
    const bySymbol = { ...(next[o.instrument] ?? {}) };
    if (o.status === 'open') bySymbol[o.uuid] = o;
    else delete bySymbol[o.uuid];
    next[o.instrument] = bySymbol;
  }
  return { ...account, orders: next };
}

function withoutOrders(account: Account, uuids: readonly string[]): Account {
  const drop = new Set(uuids);
  const next: Account['orders'] = {};
  for (const [symbol, bySymbol] of Object.entries(account.orders ?? {})) {
    next[symbol] = Object.fromEntries(Object.entries(bySymbol).filter(([uuid]) => !drop.has(uuid)));
  }
  return { ...account, orders: next };
}

export class AccountStore {
  account = $state.raw<Account | null>(null);
  executions = $state.raw<Execution[]>([]);
  loadError = $state<string | null>(null);
  /** the last order error the exchange reported asynchronously (socket order_error) */
  lastOrderError = $state<string | null>(null);

  async refresh(): Promise<void> {
    try {
      this.account = await call(() => api().accountGet());
      this.loadError = null;
    } catch (err) {
      this.loadError = err instanceof Error ? err.message : 'The account could not be loaded.';
    }
  }

  async loadExecutions(): Promise<void> {
    try {
      this.executions = await call(() => api().ordersExecutions());
    } catch (err) {
      this.loadError = err instanceof Error ? err.message : 'Executions could not be loaded.';
    }
  }

  onAccount(account: Account): void {
    this.account = account;
  }

  /** Applies an order command's outcome to the open orders until the next account event replaces them. */
  onOrderResult(result: OrderResult): void {
    const account = this.account;
    switch (result.kind) {
      case 'add':
      case 'update':
        if (account) this.account = withOrders(account, result.orders);
        break;
      case 'delete':
        if (account) this.account = withoutOrders(account, result.uuids);
        break;
      case 'patch':
      case 'deleteAll':
        void this.refresh();
        break;
      case 'error':
        this.lastOrderError = result.message;
        break;
    }
  }

  /** Orders the app created or changed through a call: shown at once, before the events arrive. */
  applyOrders(orders: readonly Order[]): void {
    if (this.account) this.account = withOrders(this.account, orders);
  }

  removeOrders(uuids: readonly string[]): void {
    if (this.account) this.account = withoutOrders(this.account, uuids);
  }

  clear(): void {
    this.account = null;
    this.executions = [];
    this.loadError = null;
  }
}

export const accountStore = new AccountStore();

// Closed or cancelled orders of one instrument, 100 a page, newest first. "Older" pages use the last uuid of the
// page as the `after` cursor; "Newer" goes back through the cursors already seen.

import type { Order } from '../../../preload/contract';
import { api, call } from '../lib/bridge';

export const PAGE_SIZE = 100;

export class OrderHistory {
  readonly kind: 'closed' | 'cancelled';
  orders = $state.raw<Order[]>([]);
  busy = $state(false);
  error = $state<string | null>(null);
  symbol = $state<string | null>(null);
  /** cursors of the pages before the current one; the current page's cursor is the last entry */
  #cursors = $state.raw<(string | undefined)[]>([]);

  constructor(kind: 'closed' | 'cancelled') {
    this.kind = kind;
  }

  get page(): number {
    return Math.max(1, this.#cursors.length);
  }

  get hasNewer(): boolean {
    return this.#cursors.length > 1;
  }

  get hasOlder(): boolean {
    return this.orders.length >= PAGE_SIZE;
  }

  async first(symbol: string | null): Promise<void> {
    this.symbol = symbol;
    this.#cursors = [];
    await this.#load(undefined, 'push');
  }

  async older(): Promise<void> {
    const last = this.orders.at(-1);
    if (!last) return;
    await this.#load(last.uuid, 'push');
  }

  async newer(): Promise<void> {
    if (this.#cursors.length < 2) return;
    await this.#load(this.#cursors[this.#cursors.length - 2], 'pop');
  }

  async #load(after: string | undefined, move: 'push' | 'pop'): Promise<void> {
    const symbol = this.symbol;
    if (!symbol) {
      this.orders = [];
      return;
    }
    this.busy = true;
    this.error = null;
    try {
      const bridge = api();
      const req = after === undefined ? { symbol } : { symbol, after };
      const orders = await call(() => (this.kind === 'closed' ? bridge.ordersClosed(req) : bridge.ordersCancelled(req)));
      if (symbol !== this.symbol) return;
      this.orders = orders;
      this.#cursors = move === 'push' ? [...this.#cursors, after] : this.#cursors.slice(0, -1);
    } catch (err) {
      this.error = err instanceof Error ? err.message : 'Orders could not be loaded.';
    } finally {
      this.busy = false;
    }
  }
}

export const closedOrders = new OrderHistory('closed');
export const cancelledOrders = new OrderHistory('cancelled');

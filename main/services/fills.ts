// Turns order updates into toast-worthy fill notices: remembers how much of each order was filled and reports the
// increase. The first account snapshot after (re)connecting only sets the baseline, so old fills are not replayed.
import type { FillNotice, Order } from '../../preload/contract';

export class FillTracker {
  readonly #filled = new Map<string, number>();

  /** Records orders without reporting anything (the snapshot at connect / resync). */
  baseline(orders: Iterable<Order>): void {
    for (const o of orders) if (typeof o?.uuid === 'string') this.#filled.set(o.uuid, numberOr0(o.filled));
  }

  /** Records orders and returns a notice for each whose filled quantity grew. */
  observe(orders: Iterable<Order>): FillNotice[] {
    const out: FillNotice[] = [];
    for (const o of orders) {
      if (!o || typeof o.uuid !== 'string') continue;
      const before = this.#filled.get(o.uuid) ?? 0;
      const now = numberOr0(o.filled);
      this.#filled.set(o.uuid, Math.max(before, now));
      if (now > before) {
        const price = typeof o.averagePrice === 'number' && o.averagePrice > 0 ? o.averagePrice : typeof o.price === 'number' ? o.price : 0;
        out.push({
          instrument: o.instrument,
          side: o.side,
          orderType: o.orderType,
          uuid: o.uuid,
          quantity: now - before,
          price,
          complete: now >= o.quantity,
        });
      }
    }
    if (this.#filled.size > 10_000) {
      // keep memory bounded in a long session: forget the oldest half
      for (const k of [...this.#filled.keys()].slice(0, 5_000)) this.#filled.delete(k);
    }
    return out;
  }
}

/** Every order of an account's `{symbol: {uuid: Order}}` map. */
export function accountOrders(orders: Record<string, Record<string, Order>> | undefined): Order[] {
  if (!orders || typeof orders !== 'object') return [];
  return Object.values(orders).flatMap((bySymbol) => (bySymbol && typeof bySymbol === 'object' ? Object.values(bySymbol) : []));
}

function numberOr0(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

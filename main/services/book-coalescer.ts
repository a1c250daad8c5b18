// Coalesces order-book traffic before it crosses IPC: at most one `book` or `bookDiff` per instrument per window
// (50 ms). Within a window a newer snapshot replaces whatever was pending, diffs merge (a later level for the same
// price wins), and a diff arriving after a pending snapshot is applied to that snapshot. Pure apart from the
// injected timer, so tests drive it with a fake clock.
import type { BookDiff, Level, OrderBook } from '../coinpit/types';

export const BOOK_WINDOW_MS = 50;

export type BookUpdate = { event: 'book'; symbol: string; book: OrderBook } | { event: 'bookDiff'; symbol: string; diff: BookDiff };

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

type Pending = { kind: 'book'; book: OrderBook } | { kind: 'diff'; diff: BookDiff };

const byPriceDesc = (a: Level, b: Level) => b.price - a.price;
const byPriceAsc = (a: Level, b: Level) => a.price - b.price;

/** Applies a diff to a snapshot: a level with 0 orders (or 0 quantity) removes that price. */
export function applyBookDiff(book: OrderBook, diff: BookDiff): OrderBook {
  const side = (levels: Level[], changes: Record<string, Level>, order: (a: Level, b: Level) => number): Level[] => {
    const map = new Map<number, Level>(levels.map((l) => [l.price, l]));
    for (const [key, level] of Object.entries(changes)) {
      const price = Number.isFinite(level?.price) ? level.price : Number(key);
      if (!level || level.numberOfOrders <= 0 || level.totalQuantity <= 0) map.delete(price);
      else map.set(price, { ...level, price });
    }
    return [...map.values()].sort(order);
  };
  return {
    bid: diff.bid,
    ask: diff.ask,
    buy: side(book.buy, diff.buy, byPriceDesc),
    sell: side(book.sell, diff.sell, byPriceAsc),
  };
}

/** Two diffs as one: the later one's bid/ask and levels win. */
export function mergeBookDiffs(a: BookDiff, b: BookDiff): BookDiff {
  return { bid: b.bid, ask: b.ask, buy: { ...a.buy, ...b.buy }, sell: { ...a.sell, ...b.sell } };
}

export class BookCoalescer {
  readonly #emit: (update: BookUpdate) => void;
  readonly #windowMs: number;
  readonly #timers: Timers;
  readonly #pending = new Map<string, Pending>();
  #timer: unknown = null;
  #closed = false;

  constructor(emit: (update: BookUpdate) => void, options: { windowMs?: number; timers?: Timers } = {}) {
    this.#emit = emit;
    this.#windowMs = options.windowMs ?? BOOK_WINDOW_MS;
    this.#timers = options.timers ?? realTimers;
  }

  book(symbol: string, book: OrderBook): void {
    this.#put(symbol, { kind: 'book', book });
  }

  diff(symbol: string, diff: BookDiff): void {
    const prev = this.#pending.get(symbol);
    if (prev?.kind === 'book') this.#put(symbol, { kind: 'book', book: applyBookDiff(prev.book, diff) });
    else if (prev?.kind === 'diff') this.#put(symbol, { kind: 'diff', diff: mergeBookDiffs(prev.diff, diff) });
    else this.#put(symbol, { kind: 'diff', diff });
  }

  #put(symbol: string, pending: Pending): void {
    if (this.#closed) return;
    this.#pending.set(symbol, pending);
    if (this.#timer === null) this.#timer = this.#timers.set(() => this.flush(), this.#windowMs);
  }

  /** Emits everything pending now (one update per instrument). */
  flush(): void {
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const [symbol, p] of pending) {
      this.#emit(p.kind === 'book' ? { event: 'book', symbol, book: p.book } : { event: 'bookDiff', symbol, diff: p.diff });
    }
  }

  /** Drops what is pending and stops the timer. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
    this.#pending.clear();
  }
}

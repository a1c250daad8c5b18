// Coalesces order-book traffic before it crosses IPC: at most one `book` or `bookDiff` per instrument per window
// (50 ms). Within a window a newer snapshot replaces whatever was pending, diffs merge (a later level for the same
// price wins), and a diff arriving after a pending snapshot is applied to that snapshot. Pure apart from the
// injected timer, so tests drive it with a fake clock.
//
// Cost: a diff is merged in place into a pending accumulator the coalescer owns (O(levels in the diff)), and a diff
// after a pending snapshot updates that snapshot's price maps; the sorted snapshot is built once, when it is emitted.
// (Copying the pending diff or re-sorting the snapshot for every diff made a busy window quadratic.)
import type { BookDiff, Level, OrderBook } from '../coinpit/types';

export const BOOK_WINDOW_MS = 50;

export type BookUpdate = { event: 'book'; symbol: string; book: OrderBook } | { event: 'bookDiff'; symbol: string; diff: BookDiff };

export interface Timers {
  /** Schedules `fn` after `ms`. May also run it at once (no window: every change is forwarded as it comes). */
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A pending snapshot with the diffs since applied to it: price → level maps, sorted when emitted. */
interface PendingBook {
  kind: 'book';
  /** the snapshot as received, while no diff has touched it (emitted as is) */
  original: OrderBook | null;
  bid: number | null;
  ask: number | null;
  buy: Map<number, Level>;
  sell: Map<number, Level>;
}

/** A pending diff; `owned` once it is a copy the coalescer may change in place (never the caller's object). */
interface PendingDiff {
  kind: 'diff';
  diff: BookDiff;
  owned: boolean;
}

type Pending = PendingBook | PendingDiff;

const byPriceDesc = (a: Level, b: Level) => b.price - a.price;
const byPriceAsc = (a: Level, b: Level) => a.price - b.price;

const emptied = (level: Level | undefined): boolean => !level || !(level.numberOfOrders > 0) || !(level.totalQuantity > 0);

/** Applies one side of a diff to a price → level map: a level with 0 orders (or 0 quantity) removes that price. */
function applySide(map: Map<number, Level>, changes: Record<string, Level>): void {
  for (const key in changes) {
    const level = changes[key];
    const price = level && Number.isFinite(level.price) ? level.price : Number(key);
    if (!level || emptied(level)) map.delete(price);
    else map.set(price, level.price === price ? { ...level } : { ...level, price });
  }
}

const priceMap = (levels: readonly Level[]): Map<number, Level> => new Map(levels.map((l) => [l.price, l]));

/** Applies a diff to a snapshot: a level with 0 orders (or 0 quantity) removes that price. */
export function applyBookDiff(book: OrderBook, diff: BookDiff): OrderBook {
  const buy = priceMap(book.buy);
  const sell = priceMap(book.sell);
  applySide(buy, diff.buy);
  applySide(sell, diff.sell);
  return { bid: diff.bid, ask: diff.ask, buy: [...buy.values()].sort(byPriceDesc), sell: [...sell.values()].sort(byPriceAsc) };
}

/** Two diffs as one: the later one's bid/ask and levels win. Neither input is modified. */
export function mergeBookDiffs(a: BookDiff, b: BookDiff): BookDiff {
  return mergeBookDiffInto({ bid: a.bid, ask: a.ask, buy: { ...a.buy }, sell: { ...a.sell } }, b);
}

/**
 * Merges `b` into `target` in place (the later diff's bid/ask and levels win) and returns `target`: O(levels in b),
 * however many diffs `target` already holds.
 */
export function mergeBookDiffInto(target: BookDiff, b: BookDiff): BookDiff {
  target.bid = b.bid;
  target.ask = b.ask;
  for (const key in b.buy) target.buy[key] = b.buy[key] as Level;
  for (const key in b.sell) target.sell[key] = b.sell[key] as Level;
  return target;
}

function bookOf(p: PendingBook): OrderBook {
  if (p.original) return p.original;
  return { bid: p.bid, ask: p.ask, buy: [...p.buy.values()].sort(byPriceDesc), sell: [...p.sell.values()].sort(byPriceAsc) };
}

export class BookCoalescer {
  readonly #emit: (update: BookUpdate) => void;
  readonly #windowMs: number;
  readonly #timers: Timers;
  readonly #pending = new Map<string, Pending>();
  #armed = false;
  #timer: unknown = null;
  #closed = false;

  constructor(emit: (update: BookUpdate) => void, options: { windowMs?: number; timers?: Timers } = {}) {
    this.#emit = emit;
    this.#windowMs = options.windowMs ?? BOOK_WINDOW_MS;
    this.#timers = options.timers ?? realTimers;
  }

  book(symbol: string, book: OrderBook): void {
    if (this.#closed) return;
    this.#pending.set(symbol, { kind: 'book', original: book, bid: book.bid, ask: book.ask, buy: new Map(), sell: new Map() });
    this.#arm();
  }

  diff(symbol: string, diff: BookDiff): void {
    if (this.#closed) return;
    const prev = this.#pending.get(symbol);
    if (prev?.kind === 'book') {
      if (prev.original) {
        prev.buy = priceMap(prev.original.buy);
        prev.sell = priceMap(prev.original.sell);
        prev.original = null;
      }
      applySide(prev.buy, diff.buy);
      applySide(prev.sell, diff.sell);
      prev.bid = diff.bid;
      prev.ask = diff.ask;
    } else if (prev?.kind === 'diff') {
      if (!prev.owned) {
        const d = prev.diff;
        prev.diff = { bid: d.bid, ask: d.ask, buy: { ...d.buy }, sell: { ...d.sell } };
        prev.owned = true;
      }
      mergeBookDiffInto(prev.diff, diff);
    } else {
      this.#pending.set(symbol, { kind: 'diff', diff, owned: false });
    }
    this.#arm();
  }

  #arm(): void {
    if (this.#armed) return;
    this.#armed = true;
    // set() may run flush() before it returns (a zero window); flush() then disarms, and the handle is stale
    const handle = this.#timers.set(() => this.flush(), this.#windowMs);
    if (this.#armed) this.#timer = handle;
  }

  /** Emits everything pending now (one update per instrument). */
  flush(): void {
    if (this.#armed && this.#timer !== null) this.#timers.clear(this.#timer);
    this.#armed = false;
    this.#timer = null;
    if (this.#pending.size === 0) return;
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const [symbol, p] of pending) {
      this.#emit(p.kind === 'book' ? { event: 'book', symbol, book: bookOf(p) } : { event: 'bookDiff', symbol, diff: p.diff });
    }
  }

  /** Drops what is pending and stops the timer. */
  close(): void {
    this.#closed = true;
    if (this.#armed && this.#timer !== null) this.#timers.clear(this.#timer);
    this.#armed = false;
    this.#timer = null;
    this.#pending.clear();
  }
}

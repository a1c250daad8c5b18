// One side of an order book kept sorted best-first, so a diff's level is found by binary search (O(log n)) and the
// top N levels are a slice. Prices are compared as integer ticks: two texts of one price ("10000.1" and 10000.1
// after JSON) always land on the same level.

import type { BookDiff, OrderBook } from '../../../preload/contract';

export type Level = OrderBook['buy'][number];

export type BookSideName = 'buy' | 'sell';

/** A level as the view shows it: cumulative quantity from the best price and the depth bar's fraction. */
export interface ViewLevel {
  price: number;
  quantity: number;
  orders: number;
  cumulative: number;
  /** cumulative / the larger side's cumulative over the shown levels, 0…1 */
  depth: number;
}

export interface BookView {
  symbol: string | null;
  bids: ViewLevel[];
  asks: ViewLevel[];
  bid: number | null;
  ask: number | null;
  /** ask − bid, null when a side is empty */
  spread: number | null;
  /** levels held in total (not just shown) */
  bidLevels: number;
  askLevels: number;
}

export const EMPTY_BOOK: BookView = Object.freeze({
  symbol: null,
  bids: [],
  asks: [],
  bid: null,
  ask: null,
  spread: null,
  bidLevels: 0,
  askLevels: 0,
}) as BookView;

export class BookSide {
  readonly side: BookSideName;
  readonly #ticksPerPoint: number;
  /** ticks, best first: descending for bids, ascending for asks */
  readonly #ticks: number[] = [];
  readonly #levels: Level[] = [];

  constructor(side: BookSideName, ticksPerPoint = 10) {
    if (!(ticksPerPoint > 0)) throw new Error('ticksPerPoint must be positive');
    this.side = side;
    this.#ticksPerPoint = ticksPerPoint;
  }

  get size(): number {
    return this.#ticks.length;
  }

  toTicks(price: number): number {
    return Math.round(price * this.#ticksPerPoint);
  }

  /** True when tick a is a better price than tick b for this side. */
  #better(a: number, b: number): boolean {
    return this.side === 'buy' ? a > b : a < b;
  }

  /** The first index whose price is not better than `tick` (where it is, or where it would go). */
  indexOf(tick: number): number {
    let lo = 0;
    let hi = this.#ticks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#better(this.#ticks[mid] as number, tick)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds, replaces or (for a level without orders or quantity) removes the level at level.price. */
  set(level: Level): void {
    const tick = this.toTicks(level.price);
    const i = this.indexOf(tick);
    const found = i < this.#ticks.length && this.#ticks[i] === tick;
    const empty = !(level.numberOfOrders > 0) || !(level.totalQuantity > 0);
    if (empty) {
      if (found) {
        this.#ticks.splice(i, 1);
        this.#levels.splice(i, 1);
      }
    } else if (found) {
      this.#levels[i] = level;
    } else {
      this.#ticks.splice(i, 0, tick);
      this.#levels.splice(i, 0, level);
    }
  }

  /** Replaces every level (a snapshot); input order does not matter. */
  replace(levels: readonly Level[]): void {
    this.#ticks.length = 0;
    this.#levels.length = 0;
    for (const level of levels) this.set(level);
  }

  best(): Level | undefined {
    return this.#levels[0];
  }

  /** The best `n` levels, best first. */
  top(n: number): Level[] {
    return this.#levels.slice(0, n);
  }

  /** All prices best first (tests and checks). */
  prices(): number[] {
    return this.#levels.map((l) => l.price);
  }
}

/** Both sides of one instrument's book. */
export class Book {
  readonly bids: BookSide;
  readonly asks: BookSide;

  constructor(ticksPerPoint = 10) {
    this.bids = new BookSide('buy', ticksPerPoint);
    this.asks = new BookSide('sell', ticksPerPoint);
  }

  snapshot(book: OrderBook): void {
    this.bids.replace(book.buy);
    this.asks.replace(book.sell);
  }

  /** Applies a difforderbook entry: each level replaces its price; a level with 0 orders removes it. */
  applyDiff(diff: BookDiff): void {
    for (const key in diff.buy) {
      const level = diff.buy[key];
      if (level) this.bids.set(withPrice(level, key));
    }
    for (const key in diff.sell) {
      const level = diff.sell[key];
      if (level) this.asks.set(withPrice(level, key));
    }
  }

  /** The view of the top `depth` levels a side with cumulative quantities and depth fractions. */
  view(symbol: string | null, depth: number): BookView {
    const bids = cumulate(this.bids.top(depth));
    const asks = cumulate(this.asks.top(depth));
    const maxCum = Math.max(bids.at(-1)?.cumulative ?? 0, asks.at(-1)?.cumulative ?? 0);
    if (maxCum > 0) {
      for (const l of bids) l.depth = l.cumulative / maxCum;
      for (const l of asks) l.depth = l.cumulative / maxCum;
    }
    const bid = this.bids.best()?.price ?? null;
    const ask = this.asks.best()?.price ?? null;
    const spread = bid !== null && ask !== null ? roundSpread(ask - bid) : null;
    return { symbol, bids, asks, bid, ask, spread, bidLevels: this.bids.size, askLevels: this.asks.size };
  }
}

/** A diff level whose price is missing takes it from its key (the keys are the price texts, PROTOCOL §4.3). */
function withPrice(level: Level, key: string): Level {
  if (typeof level.price === 'number' && Number.isFinite(level.price)) return level;
  return { ...level, price: Number(key) };
}

function cumulate(levels: readonly Level[]): ViewLevel[] {
  let cumulative = 0;
  return levels.map((l) => {
    cumulative += l.totalQuantity;
    return { price: l.price, quantity: l.totalQuantity, orders: l.numberOfOrders, cumulative, depth: 0 };
  });
}

function roundSpread(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}

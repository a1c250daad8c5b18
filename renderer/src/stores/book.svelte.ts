// The order book of the selected instrument. Snapshots and diffs mutate a plain sorted Book (binary search per
// level, see lib/book.ts); the reactive `view` (top 25 a side) is published at most once per animation frame, so a
// burst of diffs costs one render.

import type { BookDiff, OrderBook } from '../../../preload/contract';
import { Book, EMPTY_BOOK, type BookView } from '../lib/book';
import { animationFrame, type FrameScheduler } from '../lib/frame';
import { afterPaint, benchProbe } from '../lib/perf-probe';

export const BOOK_DEPTH = 25;

export interface BookStoreOptions {
  schedule?: FrameScheduler;
  depth?: number;
}

export class BookStore {
  /** What the book component renders. Replaced (never mutated) once per frame at most. */
  view = $state.raw<BookView>(EMPTY_BOOK);
  /** The best bid and ask: replaced only when one of them changes, so readers of the touch alone (the ticket) do
   * not re-run with every frame of deeper changes. */
  best = $state.raw<{ bid: number | null; ask: number | null }>({ bid: null, ask: null });

  #symbol: string | null = null;
  #book = new Book();
  #scheduled = false;
  readonly #schedule: FrameScheduler;
  readonly #depth: number;
  /** arrival times (performance.now) of events not yet painted; only kept while a benchmark probe is present */
  #arrivals: number[] = [];

  constructor(options: BookStoreOptions = {}) {
    this.#schedule = options.schedule ?? animationFrame;
    this.#depth = options.depth ?? BOOK_DEPTH;
  }

  get symbol(): string | null {
    return this.#symbol;
  }

  /** Switches to another instrument: clears the book until its snapshot arrives. */
  select(symbol: string | null, ticksPerPoint = 10): void {
    this.#symbol = symbol;
    this.#book = new Book(ticksPerPoint);
    this.#arrivals = [];
    this.#invalidate();
  }

  snapshot(symbol: string, book: OrderBook): void {
    if (symbol !== this.#symbol) return;
    this.#note();
    this.#book.snapshot(book);
    this.#invalidate();
  }

  applyDiff(symbol: string, diff: BookDiff): void {
    if (symbol !== this.#symbol) return;
    this.#note();
    this.#book.applyDiff(diff);
    this.#invalidate();
  }

  /** Publishes pending changes now (tests; normally the frame scheduler does it). */
  flush(): void {
    this.#scheduled = false;
    const view = this.#book.view(this.#symbol, this.#depth);
    this.view = view;
    if (view.bid !== this.best.bid || view.ask !== this.best.ask) this.best = { bid: view.bid, ask: view.ask };
    const probe = benchProbe();
    if (probe && this.#arrivals.length > 0) {
      const arrivals = this.#arrivals;
      this.#arrivals = [];
      probe.commits = (probe.commits ?? 0) + 1;
      afterPaint(() => {
        const now = performance.now();
        for (const t of arrivals) probe.latencies.push(now - t);
      });
    }
  }

  #note(): void {
    const probe = benchProbe();
    if (probe) {
      probe.arrivals = (probe.arrivals ?? 0) + 1;
      this.#arrivals.push(performance.now());
    }
  }

  #invalidate(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => this.flush());
  }
}

export const book = new BookStore();

// The engine's matching core alone, bare like nodejs-order-book: its book sides (BookSide), its matching walk
// (walkBook) and its open-order table (OpenOrders, for cancels by id): the code every engine command matches with,
// without users (so no self-trade prevention), accounts, exits or events. A fill shrinks both orders, nothing more.
// Used by the engine benchmark and checked against nodejs-order-book in test/unit/localnet/matching-core.test.ts.

import { BookSide, openQty, type BookEntry } from '../main/localnet/engine/book';
import { walkBook, type Meeting } from '../main/localnet/engine/matching';
import { OpenOrders, type OpenLinks } from '../main/localnet/engine/open';

export interface CoreOrder extends BookEntry, OpenLinks {
  side: 'buy' | 'sell';
}

export class BareBook implements Meeting<CoreOrder> {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);
  private readonly open = new OpenOrders<CoreOrder>();
  private prio = 0;
  /** Resting orders filled completely by the current taker. */
  private done = 0;
  private readonly scratch: number[] = [];

  /** minT / maxT: the price band in ticks (market orders fill inside it only, as in the engine). */
  constructor(private readonly minT: number, private readonly maxT: number) {}

  /** A limit order: trades up to `tick`, the rest rests. Returns how many resting orders it filled completely. */
  limit(id: string, side: 'buy' | 'sell', tick: number, qty: number): number {
    const o = this.take(id, side, qty, tick);
    if (openQty(o) > 0) {
      o._tick = tick;
      o._prio = ++this.prio;
      (side === 'buy' ? this.bids : this.asks).add(o);
      this.open.add(o);
    }
    return this.done;
  }

  /** A market order: trades inside the band, the rest is dropped. Returns how many resting orders it filled. */
  market(id: string, side: 'buy' | 'sell', qty: number): number {
    this.take(id, side, qty, side === 'buy' ? this.maxT : this.minT);
    return this.done;
  }

  /** Cancels a resting order; false when it is not resting (filled, cancelled or unknown). */
  cancel(id: string): boolean {
    const o = this.open.get(id);
    if (!o) return false;
    (o.side === 'buy' ? this.bids : this.asks).remove(o);
    o.cancelled += openQty(o);
    this.open.delete(o);
    return true;
  }

  /** The ticks whose levels changed since the last call, as the engine takes them for difforderbook. */
  changedLevels(): number {
    return this.bids.takeTouched(this.scratch) + this.asks.takeTouched(this.scratch);
  }

  meet(taker: CoreOrder, maker: CoreOrder): boolean {
    const q = Math.min(openQty(taker), openQty(maker));
    (maker.side === 'buy' ? this.bids : this.asks).fillResting(maker, q);
    taker.filled += q;
    if (openQty(maker) === 0) {
      this.open.delete(maker);
      this.done++;
    }
    return false;
  }

  private take(uuid: string, side: 'buy' | 'sell', quantity: number, limitTick: number): CoreOrder {
    const o: CoreOrder = {
      uuid, side, quantity, filled: 0, cancelled: 0, _tick: 0, _prio: 0, _prev: null, _next: null, _level: null,
      _onext: null, _oprev: null, _hnext: null, _okey: 0,
    };
    this.done = 0;
    walkBook(side === 'buy' ? this.asks : this.bids, o, limitTick, this.minT, this.maxT, this);
    return o;
  }
}

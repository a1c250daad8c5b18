// The matching walk, shared by the engine and its benchmark: a taker meets the opposite side best level first and
// FIFO within a level, over the levels inside a price range. What a meeting does (fill, self-trade prevention,
// exits) is the caller's.

import { type BookEntry, type BookSide, type PriceLevel, openQty } from './book';

export interface Meeting<T extends BookEntry> {
  /** The taker meets the oldest order of the best level at `tick`; returns true when the taker is done. */
  meet(taker: T, maker: T, tick: number): boolean;
}

/**
 * Walks `opp`, the side opposite the taker, while the taker has open quantity: levels inside [minT, maxT] and no
 * worse for the taker than limitTick (all in ticks).
 */
export function walkBook<T extends BookEntry>(opp: BookSide, taker: T, limitTick: number, minT: number, maxT: number, meeting: Meeting<T>): void {
  // keys: bids by +tick, asks by −tick, best last (see BookSide)
  const takerBuys = !opp.isBuy;
  const hiKey = takerBuys ? -minT : maxT;
  const loKey = takerBuys ? -Math.min(limitTick, maxT) : Math.max(limitTick, minT);
  if (loKey > hiKey) return;
  let lvl: PriceLevel | null = null;
  while (openQty(taker) > 0) {
    if (lvl === null || lvl.count === 0) {
      lvl = opp.bestIn(loKey, hiKey);
      if (lvl === null) return;
    }
    if (meeting.meet(taker, lvl.head as T, lvl.tick)) return;
  }
}

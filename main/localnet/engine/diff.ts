// difforderbook: the levels a command touched, per side, keyed by String(price) (0 orders = level gone).

import { fromTicks } from '../../coinpit/instruments';
import type { BookDiff, Level } from '../../coinpit/types';
import type { BookSide } from './book';
import type { Market } from './market';
import { dict } from './types';

/** The book changes of a market since the last call (null: none), and forgets them. */
export function bookDiff(m: Market, ticks: number[]): BookDiff | null {
  if (m.bids.nTouched === 0 && m.asks.nTouched === 0) return null;
  const bid = m.bids.bestTick();
  const ask = m.asks.bestTick();
  return {
    bid: bid === null ? null : fromTicks(bid, m.inst),
    ask: ask === null ? null : fromTicks(ask, m.inst),
    buy: sideDiff(m, m.bids, ticks),
    sell: sideDiff(m, m.asks, ticks),
  };
}

/** The touched levels of one side keyed by String(price), ascending ticks (count 0 = level gone). */
function sideDiff(m: Market, b: BookSide, ticks: number[]): Record<string, Level> {
  const out = dict<Level>();
  if (b.nTouched === 0) return out;
  const symbol = m.inst.symbol;
  const n = b.takeTouched(ticks);
  const keys = m.keys;
  for (let i = 0; i < n; i++) {
    const tick = ticks[i] as number;
    const l = b.levels.get(tick);
    const price = fromTicks(tick, m.inst);
    let key = keys.get(tick);
    if (key === undefined) {
      if (keys.size >= 4096) keys.clear();
      keys.set(tick, (key = String(price)));
    }
    out[key] = { price, numberOfOrders: l ? l.count : 0, totalQuantity: l ? l.total : 0, instrument: symbol };
  }
  return out;
}

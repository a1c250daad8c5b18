// One listed instrument's live state: its two book sides, band, waiting stops, trades, candles and fees.

import type { Band, Instrument, Trade } from '../../coinpit/types';
import { BookSide } from './book';
import { IntIndex } from './open';
import type { CandleRec, Ord } from './types';

export interface Market {
  inst: Instrument;
  bids: BookSide;
  asks: BookSide;
  band?: Band;
  minT: number;
  maxT: number;
  /** Untriggered SLM / STM / STP orders. */
  stops: Set<Ord>;
  /** Oldest first. */
  trades: Trade[];
  candles: CandleRec[];
  /** Fees collected in this instrument, not yet settled (sat). */
  fees: number;
  /** Per-command marks (not state): ctx epoch when last in ctx.books / ctx.traded, and this command's trades. */
  bookMark: number;
  tradeMark: number;
  cmdTrades: Trade[];
  /** Memo of entryMarginPerQty for the current band (cleared when the band moves); derived, not state. */
  memo: Map<number, Map<number, number>>[];
  memoMin: number;
  /** difforderbook keys: tick → String(price), so a diff neither formats a price nor hashes a new key string. */
  keys: IntIndex<string>;
}

export interface ExpiredMarket {
  inst: Instrument;
  fees: number;
  settlePrice: number;
}

/** Placeholder for a market's per-command trade list outside a command (never pushed to). */
export const NO_TRADES: Trade[] = [];

export function newMarket(inst: Instrument): Market {
  return {
    inst, bids: new BookSide(true), asks: new BookSide(false), minT: 0, maxT: 0, stops: new Set(), trades: [],
    candles: [], fees: 0, bookMark: 0, tradeMark: 0, cmdTrades: NO_TRADES, memo: [], memoMin: 0, keys: new IntIndex<string>(),
  };
}

// 5-minute candles from `chart/5` extended by live trades: a trade updates its bucket's candle or opens a new one.

import type { Candle, Trade } from '../../../preload/contract';

export const CANDLE_MS = 5 * 60 * 1000;

export function bucketOf(timeMs: number, bucketMs = CANDLE_MS): number {
  return Math.floor(timeMs / bucketMs) * bucketMs;
}

/**
 * Adds trades (any order) to candles (oldest first). Returns a new array when anything changed, the same array
 * otherwise. Trades older than the last candle's bucket are ignored (the chart already has them).
 */
export function mergeTrades(candles: readonly Candle[], trades: readonly Trade[], bucketMs = CANDLE_MS): Candle[] {
  if (trades.length === 0) return candles as Candle[];
  const sorted = [...trades].sort((a, b) => a.time - b.time);
  const out = candles.slice();
  let changed = false;
  for (const t of sorted) {
    if (!Number.isFinite(t.price) || !Number.isFinite(t.time)) continue;
    const bucket = bucketOf(t.time, bucketMs);
    const last = out.at(-1);
    if (last && bucket < last.time) continue;
    if (last && bucket === last.time) {
      out[out.length - 1] = {
        time: last.time,
        open: last.open,
        high: Math.max(last.high, t.price),
        low: Math.min(last.low, t.price),
        close: t.price,
        volume: last.volume + t.quantity,
      };
    } else {
      out.push({ time: bucket, open: t.price, high: t.price, low: t.price, close: t.price, volume: t.quantity });
    }
    changed = true;
  }
  return changed ? out : (candles as Candle[]);
}

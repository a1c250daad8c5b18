// The seeded index random walk of the local exchange. Each step is a pure function of (seed, step, price), so a
// restarted exchange continues the same walk from its journaled position and a replay never needs it at all
// (every index change is journaled with its price).
import { Rng } from './engine/rng';

export interface WalkState {
  seed: number;
  /** steps taken so far */
  step: number;
  /** the walk's anchor: it reverts slowly towards this price */
  start: number;
  price: number;
}

/** Per-step volatility (fraction of the price) and pull back towards the start. */
const SIGMA = 0.0004;
const REVERSION = 0.002;

export function walkStart(seed: number, price = 1000): WalkState {
  return { seed: seed >>> 0, step: 0, start: price, price };
}

/** The next index price on a 0.1 tick, never below 1. */
export function walkNext(w: WalkState): number {
  const rng = new Rng((w.seed ^ Math.imul(w.step + 1, 0x9e3779b1)) >>> 0);
  // sum of three uniforms: a cheap bell curve on [-3, 3]
  const z = (rng.next() + rng.next() + rng.next() - 1.5) * 2;
  const next = w.price + (w.start - w.price) * REVERSION + w.price * SIGMA * z;
  return Math.max(1, Math.round(next * 10) / 10);
}

// Per-key token buckets (429 when empty). Keys are userids, or `ip:<address>` for unauthenticated requests.
export interface RateLimitOptions {
  /** tokens added per second */
  perSecond: number;
  /** bucket size */
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 500, burst: 1000 };

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = 0;

  constructor(private readonly opts: RateLimitOptions = DEFAULT_RATE_LIMIT) {
    if (!(opts.perSecond > 0) || !(opts.burst >= 1)) throw new Error('rate limit needs perSecond > 0 and burst >= 1');
  }

  /** Takes one token; false when the key has none left. */
  take(key: string, nowMs: number = Date.now()): boolean {
    this.sweep(nowMs);
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.opts.burst, at: nowMs };
      this.buckets.set(key, b);
    } else {
      const refill = ((nowMs - b.at) / 1000) * this.opts.perSecond;
      if (refill > 0) {
        b.tokens = Math.min(this.opts.burst, b.tokens + refill);
        b.at = nowMs;
      }
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Forgets full buckets now and then so the map does not grow without bound. */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweep < 60_000) return;
    this.lastSweep = nowMs;
    const full = (this.opts.burst / this.opts.perSecond) * 1000;
    for (const [k, b] of this.buckets) if (nowMs - b.at > full) this.buckets.delete(k);
  }
}

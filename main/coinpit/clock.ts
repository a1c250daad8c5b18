// Nonce source and server-clock calibration (PROTOCOL §2.5).
// nonce = now − offset, offset = clientTime − serverTime at the last calibration (0 before).

/** Methods whose response always recalibrates (§2.5); others only while uncalibrated. */
const RECALIBRATING = new Set(['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/**
 * A previous nonce further ahead than this of the calibrated time is treated as left over from a wrong clock:
 * keeping nonces above it would push them outside the server's ±10 s window.
 */
const STALE_FLOOR_MS = 5_000;

export class Clock {
  readonly #now: () => number;
  #offset = 0;
  #calibrated = false;
  #last = -Infinity;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Integer ms on the server's clock, strictly greater than every nonce handed out before. */
  nonce(): number {
    let n = Math.round(this.#now() - this.#offset);
    if (n <= this.#last) n = this.#last + 1;
    this.#last = n;
    return n;
  }

  /** Sets offset = clientTime − serverTime; bad input is ignored (a broken header must not break nonces). */
  calibrate(serverTimeMs: number, clientTimeMs: number = this.#now()): void {
    if (!isTime(serverTimeMs) || !isTime(clientTimeMs)) return;
    this.#offset = clientTimeMs - serverTimeMs;
    this.#calibrated = true;
    if (this.#last > Math.round(this.#now() - this.#offset) + STALE_FLOOR_MS) this.#last = -Infinity;
  }

  /** REST response hook: recalibrate from a `Server-Time` header per §2.5. */
  onResponse(method: string, serverTimeHeader?: string | null): void {
    if (serverTimeHeader === undefined || serverTimeHeader === null) return;
    if (this.#calibrated && !RECALIBRATING.has(method.toUpperCase())) return;
    const text = serverTimeHeader.trim();
    if (!/^\d+(\.\d+)?$/.test(text)) return;
    this.calibrate(Number(text));
  }

  /** Socket `server_time` event or `auth_error.server_time`. */
  onServerTime(ms: unknown): void {
    const value = typeof ms === 'string' && /^\d+$/.test(ms.trim()) ? Number(ms) : ms;
    if (typeof value === 'number') this.calibrate(value);
  }

  /** clientTime − serverTime in ms (positive: the local clock is ahead). */
  get skewMs(): number {
    return this.#offset;
  }

  get calibrated(): boolean {
    return this.#calibrated;
  }
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

// Number and time formatting for the UI. Satoshi are integers everywhere; BTC text is produced from them with
// integer arithmetic (no float rounding), and parsed back the same way.

export type Units = 'btc' | 'sat';

const SAT_PER_BTC = 100_000_000;
const MINUS = '−'; // U+2212: lines up with '+' in tabular figures

function groupDigits(n: number): string {
  return Math.abs(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "0.12345678 BTC" or "12,345,678 sat". `unit: false` leaves the unit off (for table cells with a unit header). */
export function formatAmount(sat: number, units: Units, unit = true): string {
  if (!Number.isFinite(sat)) return '—';
  const whole = Math.round(sat);
  const sign = whole < 0 ? MINUS : '';
  let text: string;
  if (units === 'sat') {
    text = `${sign}${groupDigits(whole)}`;
  } else {
    const abs = Math.abs(whole);
    const btc = Math.floor(abs / SAT_PER_BTC);
    const rest = String(abs % SAT_PER_BTC).padStart(8, '0');
    text = `${sign}${groupDigits(btc)}.${rest}`;
  }
  return unit ? `${text} ${unitLabel(units)}` : text;
}

/** Like formatAmount with an explicit '+' for gains (P&L). */
export function formatSignedAmount(sat: number, units: Units, unit = true): string {
  if (!Number.isFinite(sat)) return '—';
  const text = formatAmount(sat, units, unit);
  return Math.round(sat) > 0 ? `+${text}` : text;
}

export function unitLabel(units: Units): string {
  return units === 'sat' ? 'sat' : 'BTC';
}

/** 'gain' | 'loss' | 'flat': the CSS class of a P&L figure. */
export function pnlTone(sat: number): 'gain' | 'loss' | 'flat' {
  const s = Math.round(sat);
  return s > 0 ? 'gain' : s < 0 ? 'loss' : 'flat';
}

/**
 * Parses an amount typed in the given units into satoshi. Returns null for anything that is not a plain positive
 * decimal (BTC up to 8 decimals, sat whole), or that exceeds 21 million BTC.
 */
export function parseAmount(text: string, units: Units): number | null {
  const t = text.trim().replace(/[,_\s]/g, '');
  if (units === 'sat') {
    if (!/^\d{1,16}$/.test(t)) return null;
    const n = Number(t);
    return n > 0 && n <= 21e6 * SAT_PER_BTC ? n : null;
  }
  const m = /^(\d{0,8})(?:\.(\d{0,8}))?$/.exec(t);
  if (!m || t === '' || t === '.') return null;
  const sat = Number(m[1] || '0') * SAT_PER_BTC + Number((m[2] ?? '').padEnd(8, '0') || '0');
  return sat > 0 && sat <= 21e6 * SAT_PER_BTC ? sat : null;
}

/** Price with the instrument's decimals (`ticksize` is the number of decimals, PROTOCOL §5.2). */
export function formatPrice(price: number | null | undefined, decimals: number): string {
  if (price === null || price === undefined || !Number.isFinite(price)) return '—';
  return price.toFixed(Math.max(0, Math.min(8, decimals)));
}

export function formatQty(q: number): string {
  return Number.isFinite(q) ? `${q < 0 ? MINUS : ''}${groupDigits(q)}` : '—';
}

const two = (n: number): string => String(n).padStart(2, '0');

/** Local wall-clock time HH:MM:SS. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** Local date and time, YYYY-MM-DD HH:MM:SS. */
export function formatDateTime(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${formatTime(ms)}`;
}

/** "3d 4h", "2h 5m", "45s": a short duration (negative durations are "expired"). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Fri 28 Apr 17:15 UTC": an expiry, in UTC like the exchange states it. */
export function formatExpiry(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
}

/** Text for a clock offset in ms: "1.2 s ahead" / "3.0 s behind". */
export function formatSkew(skewMs: number): string {
  const s = (Math.abs(skewMs) / 1000).toFixed(1);
  return skewMs >= 0 ? `${s} s ahead of` : `${s} s behind`;
}

/** Shortens a long identifier for a table cell: first 8 … last 6. */
export function shortId(id: string, head = 8, tail = 6): string {
  return id.length <= head + tail + 1 ? id : `${id.slice(0, head)}…${id.slice(-tail)}`;
}

// The one error type the protocol client throws. Its text never carries a secret: server messages are
// passed through `redact` because the reference server echoes the Authorization header in its 401 texts.

export type CoinpitErrorCode = 'http' | 'timeout' | 'network' | 'auth' | 'protocol';

export interface CoinpitErrorOptions {
  status?: number;
  serverMessage?: string;
}

export class CoinpitError extends Error {
  readonly code: CoinpitErrorCode;
  readonly status?: number;
  readonly serverMessage?: string;

  constructor(code: CoinpitErrorCode, message: string, options: CoinpitErrorOptions = {}) {
    super(message);
    this.name = 'CoinpitError';
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
    if (options.serverMessage !== undefined) this.serverMessage = options.serverMessage;
  }

  toJSON(): { name: string; code: CoinpitErrorCode; message: string; status?: number; serverMessage?: string } {
    return { name: this.name, code: this.code, message: this.message, status: this.status, serverMessage: this.serverMessage };
  }
}

const REDACTED = '[redacted]';

/**
 * Removes Authorization values (`HMAC <userid>:<mac>`, `SIGN <userid>.<key>:<sig>`) and every given secret
 * (shared secret, WIF, API secret key) from a text before it goes into an error.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text
    .replace(/\b(HMAC\s+[1-9A-HJ-NP-Za-km-z]+):[0-9a-fA-F]+/g, `$1:${REDACTED}`)
    .replace(/\b(SIGN\s+[^\s:]+):[A-Za-z0-9+/=_-]+/g, `$1:${REDACTED}`);
  for (const s of secrets) {
    if (!s || s.length < 8) continue;
    out = out.split(s).join(REDACTED);
    const lower = s.toLowerCase();
    if (lower !== s) out = out.split(lower).join(REDACTED);
    const upper = s.toUpperCase();
    if (/^[0-9a-fA-F]+$/.test(s) && upper !== s) out = out.split(upper).join(REDACTED);
  }
  return out;
}

/** A short, secret-free description of a thrown value from fetch / socket code. */
export function describeCause(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = cause && typeof cause === 'object' && 'code' in cause ? String((cause as { code: unknown }).code) : '';
    return code ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

// Refuses HTTP requests that web pages could make to the loopback exchange. Any page the user visits can send a
// "simple" cross-site request (GET/POST with text/plain, form or no body) without a CORS preflight; the exchange's
// clients are Node programs (the app's main process, the bots, the reference clients), which send no Origin. So:
//   - a request carrying an Origin that is not explicitly allowed gets 403 (default: no origin is allowed; the
//     app's renderer talks to the main process over IPC, never to the exchange). Without an Origin, a browser's
//     Sec-Fetch-Site other than "none" (typed URL) gets 403 as well: this server serves no pages of its own.
//   - on the JSON API (/api/v1, /localnet) a body must be sent as application/json, which no page can send
//     cross-site without a preflight (and the preflight, carrying an Origin, is refused): else 415.
// The chain APIs (/esplora, /insight-api) take raw hex or form bodies by design, so only the Origin rule applies
// there. socket.io (/socket.io/) is answered by engine.io before this guard and checks origins itself.
import type { IncomingHttpHeaders } from 'node:http';

export interface Refusal {
  status: 403 | 415;
  error: string;
}

/** Methods whose routes take a body: their Content-Type must be JSON even when the body is empty. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const JSON_MEDIA = /^application\/json\s*(;.*)?$/is;
const CHAIN_PREFIXES = ['/esplora', '/insight-api'];

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v);
const shown = (v: string): string => JSON.stringify(v.length > 100 ? `${v.slice(0, 100)}…` : v);

function isChainPath(url: string): boolean {
  return CHAIN_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`) || url.startsWith(`${p}?`));
}

/** True when the request announces a body (a non-zero Content-Length or any Transfer-Encoding). */
function hasBody(h: IncomingHttpHeaders): boolean {
  if (h['transfer-encoding'] !== undefined) return true;
  const cl = h['content-length'];
  return cl !== undefined && !/^0+$/.test(cl.trim());
}

/**
 * Why this request must be refused, or undefined. Looks at headers only, so it runs before any body is read.
 * `allowedOrigins` are serialized origins (`scheme://host[:port]`), compared case-insensitively.
 */
export function webRefusal(
  method: string | undefined,
  url: string | undefined,
  headers: IncomingHttpHeaders,
  allowedOrigins: ReadonlySet<string>,
): Refusal | undefined {
  const origin = one(headers.origin);
  if (origin !== undefined) {
    if (!allowedOrigins.has(origin.trim().toLowerCase())) {
      return { status: 403, error: `Cross-origin request refused: web pages (Origin ${shown(origin)}) may not call this exchange` };
    }
  } else {
    const site = one(headers['sec-fetch-site']);
    if (site !== undefined && site.trim().toLowerCase() !== 'none') {
      return { status: 403, error: `Cross-origin request refused: browser requests from web pages (Sec-Fetch-Site ${shown(site)}) may not call this exchange` };
    }
  }
  if (url === undefined || isChainPath(url)) return undefined;
  const type = one(headers['content-type']);
  const body = hasBody(headers);
  if (type === undefined) {
    return body ? { status: 415, error: 'Missing Content-Type: send request bodies as application/json' } : undefined;
  }
  if ((body || BODY_METHODS.has(String(method).toUpperCase())) && !JSON_MEDIA.test(type.trim())) {
    return { status: 415, error: `Unsupported Content-Type ${shown(type)}: send request bodies as application/json` };
  }
  return undefined;
}

/** The allowlist as webRefusal wants it. */
export function originSet(origins: readonly string[] | undefined): ReadonlySet<string> {
  return new Set((origins ?? []).map((o) => o.trim().toLowerCase()));
}

// What a socket.io client sends, checked before it reaches the route table: the event name must be a request
// "<METHOD> <uri>" (PROTOCOL §4.2) and the payload must fit the REST body cap. Anything else is answered with
// an HTTP-equivalent status (§8.12) instead of silence, so a client never waits for its timeout.

/** Methods a socket request may use: REST's OPTIONS only recalibrates a REST clock (§2.6) and HEAD has no body. */
const SOCKET_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** longest event name taken: a method, a space and a uri of about 2000 characters (as before) */
const MAX_EVENT = 2100;

export type SocketEvent =
  | { ok: true; method: string; uri: string }
  | { ok: false; status: number; error: string };

/** Shown in error texts: the client's own event name, cut short. */
function shown(event: string): string {
  return event.length > 60 ? `${event.slice(0, 60)}…` : event;
}

/** Classifies an incoming event name (socket.io allows numbers too). */
export function requestEvent(event: unknown): SocketEvent {
  if (typeof event !== 'string') return { ok: false, status: 404, error: 'Unknown event: requests are "<METHOD> <uri>" events' };
  if (event.length > MAX_EVENT) return { ok: false, status: 414, error: 'Request URI too long' };
  const m = /^(\S+) (\S*)$/.exec(event);
  if (!m || !m[2]!.startsWith('/')) return { ok: false, status: 404, error: `Unknown event ${JSON.stringify(shown(event))}: requests are "<METHOD> <uri>" events` };
  const method = m[1]!;
  if (!SOCKET_METHODS.has(method)) return { ok: false, status: 405, error: `Method ${shown(method)} not allowed over the socket` };
  return { ok: true, method, uri: m[2]! };
}

/**
 * Size in bytes of a decoded socket.io payload as JSON text (binary attachments by their length), counted only
 * until it passes `limit`: the walk stops there, so a payload at the transport limit costs little to refuse.
 */
export function payloadBytes(value: unknown, limit: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= limit) {
    const v = stack.pop();
    if (typeof v === 'string') total += Buffer.byteLength(v) + 2;
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') total += String(v).length;
    else if (v === null || v === undefined) total += 4;
    else if (v instanceof ArrayBuffer) total += v.byteLength;
    else if (ArrayBuffer.isView(v)) total += v.byteLength;
    else if (Array.isArray(v)) {
      total += 2 + v.length; // brackets and commas: bails out before stacking a huge array
      if (total <= limit) for (const x of v) stack.push(x);
    } else if (typeof v === 'object') {
      const entries = Object.entries(v);
      total += 2 + entries.length;
      for (const [k, x] of entries) {
        total += Buffer.byteLength(k) + 3;
        stack.push(x);
      }
    } else total += 1; // a function (an ack) is not sent as data
  }
  return total;
}

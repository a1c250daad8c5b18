// Helpers shared by the route modules.
import type { Exchange } from '../../exchange';
import { HttpError, type Caller, type Reply, type RouteContext } from '../router';

export interface RouteDeps {
  exchange: Exchange;
  /** host root the clients reach this server at, e.g. http://127.0.0.1:8080 (for config.blockchainapi) */
  baseUrl(): string;
}

/** The authenticated caller (routes with access other than public always have one). */
export function caller(ctx: RouteContext): Caller {
  if (!ctx.caller) throw new HttpError(401, 'Expecting HMAC or SIGN Authorization');
  return ctx.caller;
}

/** §8.3: `after` and `from` mean the same cursor. */
export function cursor(ctx: RouteContext): string | undefined {
  const v = ctx.query.get('after') ?? ctx.query.get('from') ?? undefined;
  return v === '' ? undefined : v;
}

/** A symbol in the path that names an active or expired instrument, else 404. */
export function knownSymbol(ex: Exchange, symbol: string | undefined): string {
  if (typeof symbol !== 'string' || !ex.engine.instrument(symbol)) throw new HttpError(404, `Unknown instrument ${String(symbol).slice(0, 40)}`);
  return symbol;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A read reply that shows only durable state (exchange.ts: nothing is published before it is durable): the body is
 * taken now and sent once everything applied so far is fsynced; at once when nothing is pending.
 */
export function durableReply(ex: Exchange, read: () => unknown): Reply | Promise<Reply> {
  const out = ex.durableRead(read);
  return out instanceof Promise ? out.then((body) => ({ body })) : { body: out };
}

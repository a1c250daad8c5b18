// One route table for REST and socket requests, so both transports behave identically (PROTOCOL §8.1).
// Patterns are paths relative to /api/v1 with `:name` segments.

export type Access =
  | 'public' // no Authorization
  | 'read' // HMAC, or a SIGN key of any role
  | 'trade' // HMAC, or a SIGN key of role trade
  | 'hmac'; // HMAC only: money and key management (a SIGN key gets 403)

export interface Caller {
  userid: string;
  scheme: 'HMAC' | 'SIGN';
  role?: 'trade' | 'read';
}

export interface RouteContext {
  method: string;
  /** path relative to /api/v1 with the query string, exactly as signed */
  uri: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  caller?: Caller;
  now: number;
  requestid?: string;
  transport: 'rest' | 'socket';
  socketParams?: unknown;
  /** the Authorization header as received (POST /auth checks its bare `HMAC <userid>` form) */
  authorization?: string;
}

/** What a handler returns: the REST status/body and, for socket requests, the reply event. */
export interface Reply {
  status?: number;
  body: unknown;
  /** socket reply event name; the payload is {requestid, result: body} unless socketPayload is given */
  event?: string;
  socketPayload?: Record<string, unknown>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Route {
  method: string;
  patterns: string[];
  access: Access;
  write: boolean;
  /** local-mode endpoints (faucet, mine, clock…): 403 unless the server runs in local mode; REST only */
  local?: boolean;
  handler(ctx: RouteContext): Reply | Promise<Reply>;
}

interface Compiled {
  route: Route;
  segments: string[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  /** patterns by segment count, in the order added (a path only ever matches patterns of its own length) */
  private readonly compiled = new Map<number, Compiled[]>();

  add(route: Route): this {
    for (const pattern of route.patterns) {
      const segments = split(pattern);
      let list = this.compiled.get(segments.length);
      if (!list) this.compiled.set(segments.length, (list = []));
      list.push({ route, segments });
    }
    return this;
  }

  /** Finds the route for METHOD + path (no query). `methodKnown` tells 404 from 405 apart. */
  match(method: string, path: string): { match?: Match; pathKnown: boolean } {
    const parts = split(path);
    let pathKnown = false;
    for (const c of this.compiled.get(parts.length) ?? []) {
      const params = matchSegments(c.segments, parts);
      if (!params) continue;
      pathKnown = true;
      if (c.route.method === method) return { match: { route: c.route, params }, pathKnown };
    }
    return { pathKnown };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  // literal segments first: most patterns fail there, before any parameter is decoded
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (!p.startsWith(':') && p !== parts[i]) return undefined;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const v = parts[i]!;
    if (p.startsWith(':')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(v);
      } catch {
        return undefined;
      }
      params[p.slice(1)] = decoded;
    } else if (p !== v) return undefined;
  }
  return params;
}

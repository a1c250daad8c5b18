// One request pipeline for REST and socket.io: route match → verification (PROTOCOL §2, §8.4–8.7) → role
// check → rate limit → readonly → handler. Never throws: every failure becomes {status, error}.
import { verifyRequest, type AuthLookup, type VerifyInput } from '../../coinpit/auth';
import { ChainError } from '../chain/errors';
import type { Exchange } from '../exchange';
import { RateLimiter } from './ratelimit';
import { DEFAULT_TOLERANCE_MS, ReplayLog } from './replaylog';
import { HttpError, type Caller, type Route, type Router } from './router';

/** A request from either transport; the signed fields are those verifyRequest reads, the nonce still unchecked. */
export interface Incoming extends Pick<VerifyInput, 'method' | 'uri' | 'body' | 'rawBody' | 'bodyParsedFromRaw' | 'authorization'> {
  transport: 'rest' | 'socket';
  nonce?: unknown;
  requestid?: string;
  /** socket requests: payload.params (signed as part of the socket form of M) */
  socketParams?: unknown;
  /** client address, for rate limiting unauthenticated requests */
  ip?: string;
  /** called once the signature is verified, before the handler runs */
  onCaller?: (caller: Caller) => void;
}

export type Outcome =
  | { ok: true; status: number; body: unknown; event?: string; socketPayload?: Record<string, unknown>; caller?: Caller; route: Route }
  | { ok: false; status: number; error: string; caller?: Caller; route?: Route };

export interface DispatcherOptions {
  local: boolean;
  rateLimit: RateLimiter;
  /**
   * Accepted signatures (§8.6). startLocalnet passes one kept in the data dir so that a restart does not make
   * them usable again; the default lives in memory only.
   */
  replay?: ReplayLog;
  /** nonce window (ms), default 10000; should equal the replay log's */
  toleranceMs?: number;
  log?: (line: string) => void;
}

export const REPLAY_UNAVAILABLE = 'Replay log unavailable: signed requests are refused until the server can write it';

export class Dispatcher {
  readonly replay: ReplayLog;
  private readonly lookup: AuthLookup;

  constructor(
    private readonly router: Router,
    private readonly exchange: Exchange,
    private readonly opts: DispatcherOptions,
  ) {
    this.replay = opts.replay ?? ReplayLog.inMemory({ toleranceMs: opts.toleranceMs });
    this.lookup = {
      hmacSecret: (userid) => exchange.users.get(userid)?.secret,
      apiKey: (userid, name) => exchange.users.apiKey(userid, name),
    };
  }

  /**
   * Signature, nonce window and replay check of a signed request (REST or socket form). A failure is a 401
   * unless `status` says otherwise (503 when the replay log cannot be written).
   */
  authenticate(req: Incoming): { ok: true; caller: Caller; replayTicket: number } | { ok: false; error: string; status?: number } {
    const receivedMs = Date.now();
    const toleranceMs = this.opts.toleranceMs ?? DEFAULT_TOLERANCE_MS;
    // the replay check is done here, not by verifyRequest, so that it can use the durable log
    const verdict = verifyRequest(
      {
        method: String(req.method).toUpperCase(),
        uri: req.uri,
        body: req.body,
        rawBody: req.rawBody,
        ...(req.bodyParsedFromRaw === true ? { bodyParsedFromRaw: true } : {}),
        authorization: req.authorization,
        nonce: req.nonce as string | number | undefined,
        receivedMs,
        ...(req.transport === 'socket' ? { socket: { params: req.socketParams } } : {}),
      },
      this.lookup,
      { toleranceMs },
    );
    if (!verdict.ok) return { ok: false, error: verdict.error };
    // verified: the nonce is a safe integer, as a number or a string of digits
    const nonce = Number(req.nonce);
    switch (this.replay.accept(verdict.userid, req.authorization!, nonce + toleranceMs, receivedMs)) {
      case 'accepted':
        break;
      case 'replayed':
        return { ok: false, error: 'Authentication failed. Replayed request' };
      case 'full':
        return { ok: false, error: 'Authentication failed. Too many recent requests' };
      case 'restarted': {
        const after = Math.floor(this.replay.refusedUntil - toleranceMs);
        return { ok: false, error: `Authentication failed. Nonce ${nonce} is too close to an unclean stop of the server; sign with a nonce above ${after}` };
      }
      case 'unavailable':
        return { ok: false, status: 503, error: REPLAY_UNAVAILABLE };
    }
    const caller: Caller = { userid: verdict.userid, scheme: verdict.scheme, ...(verdict.role ? { role: verdict.role } : {}) };
    return { ok: true, caller, replayTicket: this.replay.ticket };
  }

  /**
   * True once the replay record of a request authenticated with `replayTicket` is on file (ReplayLog): call it
   * before answering. A command's record is written with its journal batch; this writes the others' (reads,
   * refusals) now.
   */
  replayRecorded(replayTicket: number): boolean {
    return this.replay.writtenThrough(replayTicket);
  }

  async handle(req: Incoming): Promise<Outcome> {
    let replayTicket: number | undefined;
    const out = await this.process(req, (ticket) => (replayTicket = ticket));
    if (replayTicket === undefined || this.replayRecorded(replayTicket)) return out;
    return { ok: false, status: 503, error: REPLAY_UNAVAILABLE, caller: out.caller, route: out.route };
  }

  private async process(req: Incoming, authenticated: (replayTicket: number) => void): Promise<Outcome> {
    let route: Route | undefined;
    let caller: Caller | undefined;
    try {
      const method = String(req.method).toUpperCase();
      const q = req.uri.indexOf('?');
      const path = q >= 0 ? req.uri.slice(0, q) : req.uri;
      const found = this.router.match(method, path);
      if (!found.match) return { ok: false, status: found.pathKnown ? 405 : 404, error: found.pathKnown ? `Method ${method} not allowed on ${path.slice(0, 100)}` : 'Not found' };
      route = found.match.route;
      if (route.local && !this.opts.local) {
        return { ok: false, status: 403, error: 'Local-mode endpoint: this server is not in local mode', route };
      }
      if (route.local && req.transport !== 'rest') {
        return { ok: false, status: 403, error: 'Local-mode endpoints are served over REST only', route };
      }
      if (route.access !== 'public') {
        const verdict = this.authenticate({ ...req, method });
        if (!verdict.ok) return { ok: false, status: verdict.status ?? 401, error: verdict.error, route };
        authenticated(verdict.replayTicket);
        caller = verdict.caller;
        req.onCaller?.(caller);
        if (caller.scheme === 'SIGN') {
          if (route.access === 'hmac') return { ok: false, status: 403, error: 'API keys cannot move coins or manage keys: sign with the account key (HMAC)', caller, route };
          if (caller.role === 'read' && method !== 'GET') return { ok: false, status: 403, error: 'This API key has the read role: GET requests only', caller, route };
        }
      }
      const bucket = caller ? caller.userid : `ip:${req.ip ?? 'unknown'}`;
      if (!this.opts.rateLimit.take(bucket)) return { ok: false, status: 429, error: 'Too many requests', caller, route };
      if (route.write && this.exchange.readonly) return { ok: false, status: 503, error: 'Exchange is in read-only mode', caller, route };
      const reply = await route.handler({
        method,
        uri: req.uri,
        params: found.match.params,
        query: queryOf(req.uri, q),
        body: req.body,
        caller,
        now: this.exchange.now(),
        requestid: req.requestid,
        transport: req.transport,
        socketParams: req.socketParams,
        authorization: req.authorization,
      });
      return { ok: true, status: reply.status ?? 200, body: reply.body, event: reply.event, socketPayload: reply.socketPayload, caller, route };
    } catch (err) {
      if (err instanceof HttpError || err instanceof ChainError) return { ok: false, status: err.status, error: err.message, caller, route };
      this.opts.log?.(`request ${String(req.method)} ${String(req.uri).slice(0, 200)} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return { ok: false, status: 500, error: 'Internal error', caller, route };
    }
  }
}

/** The query parameters of a signed uri (what new URL(uri).searchParams gives, without parsing a whole URL). */
function queryOf(uri: string, q: number): URLSearchParams {
  if (q < 0) return new URLSearchParams();
  const hash = uri.indexOf('#', q);
  return new URLSearchParams(hash < 0 ? uri.slice(q + 1) : uri.slice(q + 1, hash));
}

// socket.io side of the local exchange (PROTOCOL §4, §8.12): signed request events "<METHOD> <uri>" through the
// same route table as REST, replies as the §4.3 events echoing requestid, private events only to the sockets
// registered for that user, public market events to everyone, and the Insight `inv` subscription (§6.7).
// Requests of one socket are handled strictly in order (clients rely on it: /register has no reply of its own).
// Every request gets exactly one reply on the requesting socket: a registered socket's reply is the private
// event itself (the other sockets of the user get it as a notification). Every refusal carries the
// HTTP-equivalent status: order_error / account `{requestid, error, status}`, auth_error `{data, error,
// server_time, status: 401}`; unknown events get an order_error 404/405 rather than silence.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { Server as IoServer, type Socket } from 'socket.io';
import type { Config, State } from '../../coinpit/types';
import { insightTxEvent } from '../chain/insight';
import type { Exchange, ExchangeEvent } from '../exchange';
import { REPLAY_UNAVAILABLE, type Dispatcher } from './dispatch';
import { BODY_LIMIT } from './http';
import { payloadBytes, requestEvent } from './socketinput';

export interface SocketOptions {
  exchange: Exchange;
  dispatcher: Dispatcher;
  httpServer: HttpServer;
  /** config as clients see it (chain API bases of this server) */
  config(): Config;
  log?: (line: string) => void;
  /** full orderbook broadcast, default 60000 ms */
  orderbookMs?: number;
  /** server_time broadcast, default 5000 ms */
  serverTimeMs?: number;
}

export interface SocketServer {
  io: IoServer;
  close(): Promise<void>;
}

const INV = 'inv';
/**
 * The transport's packet limit sits above the 1 MB body cap (BODY_LIMIT, as REST) so that a request between
 * the two is refused by the handler with a 413 and a text; only beyond this does socket.io close the transport.
 */
export const SOCKET_TRANSPORT_LIMIT = 3 * 1024 * 1024;
const room = (userid: string): string => `user:${userid}`;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Origin {
  socket: Socket;
  /** the client's requestid, if it sent one */
  requestid?: string;
  /** the verified caller, set before the handler runs */
  userid?: string;
  replied: boolean;
}

/** payload.headers.requestid, echoed in replies (§4.2) */
function requestidOf(payload: unknown): string | undefined {
  const headers = isObject(payload) ? payload.headers : undefined;
  return isObject(headers) && typeof headers.requestid === 'string' ? headers.requestid.slice(0, 100) : undefined;
}

/** An engine event payload with the client's requestid (or none) in place of the server's own key. */
function withRequestid<T extends { requestid?: string }>(payload: T, requestid: string | undefined): T {
  const { requestid: _key, ...rest } = payload;
  return (requestid === undefined ? rest : { requestid, ...rest }) as T;
}

/** Loopback origins only (the app, the web host and local tools); requests without Origin are not browsers. */
function loopbackOrigin(origin: string | undefined): boolean {
  if (!origin) return true;
  try {
    const host = new URL(origin).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
  } catch {
    return false;
  }
}

export function createSocketServer(opts: SocketOptions): SocketServer {
  const ex = opts.exchange;
  const log = opts.log ?? (() => undefined);
  const io = new IoServer(opts.httpServer, {
    allowEIO3: true,
    serveClient: false,
    maxHttpBufferSize: SOCKET_TRANSPORT_LIMIT,
    cors: { origin: (origin, cb) => cb(null, loopbackOrigin(origin)), credentials: true },
  });
  /**
   * Socket requests in flight, by a key of ours that the exchange carries as the requestid of the events it
   * publishes for the request: its reply event goes to the requesting socket, with the client's requestid (or
   * none) put back. Keys never leave the server, so neither a missing requestid nor one reused by another
   * socket can misdirect or duplicate a reply.
   */
  const origins = new Map<string, Origin>();

  // Server-Time on every engine.io response (as on REST): the handshake and polling answers through engine.io's
  // header events, stamped when written (a long poll may wait for data); its own error answers and CORS
  // preflights bypass those events, so a request listener sets the header first for the whole path.
  const stamp = (headers: Record<string, unknown>): void => {
    headers['Server-Time'] = String(Date.now());
  };
  io.engine.on('initial_headers', stamp);
  io.engine.on('headers', stamp);
  const enginePath = `${io.path()}/`;
  const early = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url?.startsWith(enginePath) && !res.headersSent) res.setHeader('Server-Time', String(Date.now()));
  };
  opts.httpServer.prependListener('request', early);

  const state = (): State => ({
    config: opts.config(),
    instruments: ex.engine.instruments(),
    bands: ex.engine.bands(),
    orderbook: ex.engine.orderbooks(),
    readonly: ex.readonly,
    server_time: Date.now(),
  });

  io.on('connection', (socket) => {
    socket.emit('server_time', Date.now());
    socket.emit('config', opts.config());
    let queue: Promise<void> = Promise.resolve();
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (event === 'subscribe' || event === 'unsubscribe') {
        if (args[0] === INV) void (event === 'subscribe' ? socket.join(INV) : socket.leave(INV));
        return;
      }
      // an ack callback, if the client passed one, comes last; it is not part of the payload
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (reply: unknown) => void) : undefined;
      const payload = args[0];
      const requestid = requestidOf(payload);
      queue = queue
        .then(() => {
          const ev = requestEvent(event);
          if (!ev.ok) {
            const reply = { requestid, error: ev.error, status: ev.status };
            socket.emit('order_error', reply);
            ack?.(reply);
            return;
          }
          if (payloadBytes(args, BODY_LIMIT) > BODY_LIMIT) {
            return replyError(socket, ev.uri, true, requestid, 413, `Request too large: the limit is ${BODY_LIMIT} bytes`);
          }
          return request(socket, ev.method, ev.uri, payload, requestid);
        })
        .catch((err) => {
          log(`socket request ${String(event).slice(0, 100)} failed: ${err instanceof Error ? err.message : String(err)}`);
          if (socket.connected) socket.emit('order_error', { requestid, error: 'Internal error', status: 500 });
        });
    });
  });

  /** A refusal before or by the route: order routes (and unknown ones) answer on order_error, others on account. */
  function replyError(socket: Socket, uri: string, routeKnown: boolean, requestid: string | undefined, status: number, error: string): void {
    const orderFamily = !routeKnown || /^\/(order|contract\/)/.test(uri);
    socket.emit(orderFamily ? 'order_error' : 'account', { requestid, error, status });
  }

  async function request(socket: Socket, method: string, uri: string, payload: unknown, requestid: string | undefined): Promise<void> {
    if (method === 'GET' && uri === '/state') {
      const st = await ex.durableRead(state);
      // the 1.x clients ignore `state` and need the bands for their margin check: send them as a `priceband`
      // first (before `state`, so a client that awaits `state` has already seen it), as with the orderbook below
      if (Object.keys(st.bands).length > 0) socket.emit('priceband', st.bands);
      socket.emit('state', st);
      socket.emit('orderbook', st.orderbook);
      return;
    }
    const p = isObject(payload) ? payload : {};
    const headers = isObject(p.headers) ? p.headers : {};
    const authorization = headers.Authorization ?? headers.authorization;
    const req = {
      transport: 'socket' as const,
      method,
      uri,
      body: p.body,
      authorization: typeof authorization === 'string' ? authorization : undefined,
      nonce: headers.Nonce ?? headers.nonce,
      requestid,
      socketParams: p.params,
      ip: socket.handshake.address,
    };
    const authError = (error: string): void => {
      socket.emit('auth_error', { data: payload ?? null, error, server_time: Date.now(), status: 401 });
    };
    if (method === 'GET' && (uri === '/register' || uri === '/unregister')) {
      const v = opts.dispatcher.authenticate(req);
      if (!v.ok) return authError(v.error);
      if (!opts.dispatcher.replayRecorded(v.replayTicket)) return authError(REPLAY_UNAVAILABLE);
      const claimed = isObject(p.body) ? p.body.userid : undefined;
      if (claimed !== undefined && claimed !== v.caller.userid) return authError('Authentication failed. userid does not match the signature');
      if (uri === '/register') {
        await socket.join(room(v.caller.userid));
        socket.emit('orderbook', await ex.durableRead(() => ex.engine.orderbooks()));
      } else {
        await socket.leave(room(v.caller.userid));
      }
      return;
    }

    const origin: Origin = { socket, requestid, replied: false };
    const key = `socket:${randomUUID()}`;
    origins.set(key, origin);
    let out;
    try {
      out = await opts.dispatcher.handle({ ...req, requestid: key, onCaller: (c) => (origin.userid = c.userid) });
    } finally {
      origins.delete(key);
    }
    if (!out.ok) {
      if (out.status === 401) return authError(out.error);
      return replyError(socket, uri, out.route !== undefined, requestid, out.status, out.error);
    }
    if (origin.replied) return;
    const event = out.event ?? 'account';
    let body: Record<string, unknown>;
    if (out.socketPayload) body = { ...out.socketPayload, requestid };
    else if (event !== 'account') body = { requestid, result: out.body };
    else if (uri.split('?')[0] === '/account') body = { requestid, account: out.body };
    else {
      const userid = out.caller?.userid;
      const account = userid !== undefined ? await ex.durableRead(() => ex.account(userid)) : undefined;
      body = { requestid, result: out.body, ...(account !== undefined ? { account } : {}) };
    }
    socket.emit(event, body);
  }

  /** socket.io encodes a packet before looking for recipients: skip emits nobody would receive */
  const inRoom = (name: string): boolean => (io.sockets.adapter.rooms.get(name)?.size ?? 0) > 0;

  function publish(events: ExchangeEvent[]): void {
    if (io.engine.clientsCount === 0) return;
    const accounts = new Set<string>();
    for (const ev of events) {
      switch (ev.name) {
        case 'account':
          accounts.add(ev.userid);
          break;
        case 'order_add':
        case 'order_update':
        case 'order_del':
        case 'order_del_all':
        case 'order_patch':
        case 'order_error': {
          const rid = ev.payload.requestid;
          const found = rid !== undefined ? origins.get(rid) : undefined;
          // the reply goes to the requesting socket only if it is that user's (a check that costs nothing)
          const origin = found && found.userid === ev.userid ? found : undefined;
          const payload = found ? withRequestid(ev.payload, found.requestid) : ev.payload;
          if (origin) {
            origin.replied = true;
            origin.socket.emit(ev.name, payload);
            if (inRoom(room(ev.userid))) io.to(room(ev.userid)).except(origin.socket.id).emit(ev.name, payload);
          } else if (inRoom(room(ev.userid))) {
            io.to(room(ev.userid)).emit(ev.name, payload);
          }
          break;
        }
        case 'trade':
        case 'difforderbook':
        case 'priceband':
        case 'instruments':
          io.emit(ev.name, ev.payload);
          break;
        case 'readonly':
          io.emit('readonly', { readonly: ev.readonly });
          break;
        case 'tx': {
          const info = ex.chain.tx(ev.txid);
          if (info && inRoom(INV)) io.to(INV).emit('tx', insightTxEvent(info));
          break;
        }
        case 'block':
          if (inRoom(INV)) io.to(INV).emit('block', ev.hash);
          break;
      }
    }
    // an Account carries every open order: build it only for users with a registered socket; it is built now, from
    // state that may include later commands, so it goes out once those are durable too
    for (const userid of accounts) {
      if (inRoom(room(userid))) sendDurable('account', () => ex.account(userid), (account) => io.to(room(userid)).emit('account', { account }));
    }
  }

  /** Builds a payload from the state as it is now and sends it once everything applied so far is durable. */
  function sendDurable<T>(what: string, build: () => T, send: (value: T) => void): void {
    const failed = (err: unknown): void => log(`${what} not sent: ${err instanceof Error ? err.message : String(err)}`);
    let value: T | Promise<T>;
    try {
      value = ex.durableRead(build);
    } catch (err) {
      failed(err);
      return;
    }
    if (value instanceof Promise) value.then(send, failed);
    else send(value);
  }

  const unsubscribe = ex.onEvents(publish);
  const timers = [
    setInterval(() => io.emit('server_time', Date.now()), opts.serverTimeMs ?? 5000),
    setInterval(() => sendDurable('orderbook broadcast', () => ex.engine.orderbooks(), (books) => io.emit('orderbook', books)), opts.orderbookMs ?? 60_000),
  ];
  for (const t of timers) t.unref();

  return {
    io,
    async close() {
      unsubscribe();
      opts.httpServer.off('request', early);
      for (const t of timers) clearInterval(t);
      io.disconnectSockets(true);
      io.engine.close();
    },
  };
}

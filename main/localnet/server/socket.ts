// socket.io side of the local exchange (PROTOCOL §4, §8.12): signed request events "<METHOD> <uri>" through the
// same route table as REST, replies as the §4.3 events echoing requestid, private events only to the sockets
// registered for that user, public market events to everyone, and the Insight `inv` subscription (§6.7).
// Requests of one socket are handled strictly in order (clients rely on it: /register has no reply of its own).
import type { Server as HttpServer } from 'node:http';
import { Server as IoServer, type Socket } from 'socket.io';
import type { Config, State } from '../../coinpit/types';
import { insightTxEvent } from '../chain/insight';
import type { Exchange, ExchangeEvent } from '../exchange';
import type { Dispatcher } from './dispatch';

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

const REQUEST_EVENT = /^(GET|POST|PUT|PATCH|DELETE) (\/\S{0,2000})$/;
const INV = 'inv';
const room = (userid: string): string => `user:${userid}`;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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
    maxHttpBufferSize: 1024 * 1024,
    cors: { origin: (origin, cb) => cb(null, loopbackOrigin(origin)), credentials: true },
  });
  /** socket requests in flight by requestid: their engine reply event goes to the requesting socket */
  const origins = new Map<string, { socket: Socket; userid?: string; replied: boolean }>();

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
      if (typeof event !== 'string') return;
      const m = REQUEST_EVENT.exec(event);
      if (!m) return;
      queue = queue
        .then(() => request(socket, m[1]!, m[2]!, args[0]))
        .catch((err) => log(`socket request ${event.slice(0, 100)} failed: ${err instanceof Error ? err.message : String(err)}`));
    });
  });

  async function request(socket: Socket, method: string, uri: string, payload: unknown): Promise<void> {
    if (method === 'GET' && uri === '/state') {
      await ex.settled();
      const st = state();
      // the 1.x clients ignore `state` and need the bands for their margin check: send them as a `priceband`
      // first (before `state`, so a client that awaits `state` has already seen it), as with the orderbook below
      if (Object.keys(st.bands).length > 0) socket.emit('priceband', st.bands);
      socket.emit('state', st);
      socket.emit('orderbook', st.orderbook);
      return;
    }
    const p = isObject(payload) ? payload : {};
    const headers = isObject(p.headers) ? p.headers : {};
    const requestid = typeof headers.requestid === 'string' ? headers.requestid.slice(0, 100) : undefined;
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
      socket.emit('auth_error', { data: payload ?? null, error, server_time: Date.now() });
    };
    if (method === 'GET' && (uri === '/register' || uri === '/unregister')) {
      const v = opts.dispatcher.authenticate(req);
      if (!v.ok) return authError(v.error);
      const claimed = isObject(p.body) ? p.body.userid : undefined;
      if (claimed !== undefined && claimed !== v.caller.userid) return authError('Authentication failed. userid does not match the signature');
      if (uri === '/register') {
        await socket.join(room(v.caller.userid));
        await ex.settled();
        socket.emit('orderbook', ex.engine.orderbooks());
      } else {
        await socket.leave(room(v.caller.userid));
      }
      return;
    }

    const origin: { socket: Socket; userid?: string; replied: boolean } = { socket, replied: false };
    if (requestid !== undefined) origins.set(requestid, origin);
    let out;
    try {
      out = await opts.dispatcher.handle({ ...req, onCaller: (c) => (origin.userid = c.userid) });
    } finally {
      if (requestid !== undefined && origins.get(requestid) === origin) origins.delete(requestid);
    }
    if (!out.ok) {
      if (out.status === 401) return authError(out.error);
      const orderFamily = /^\/(order|contract\/)/.test(uri);
      if (orderFamily) socket.emit('order_error', { requestid, error: out.error, status: out.status });
      else socket.emit('account', { requestid, error: out.error, status: out.status });
      return;
    }
    if (origin.replied) return;
    const event = out.event ?? 'account';
    let body: Record<string, unknown>;
    if (out.socketPayload) body = { ...out.socketPayload, requestid };
    else if (event !== 'account') body = { requestid, result: out.body };
    else if (uri.split('?')[0] === '/account') body = { requestid, account: out.body };
    else body = { requestid, result: out.body, ...(out.caller ? { account: ex.account(out.caller.userid) } : {}) };
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
          // a requestid is only a hint: the reply goes to the requesting socket only if it is that user's
          const origin = found && found.userid === ev.userid ? found : undefined;
          if (origin) {
            origin.replied = true;
            origin.socket.emit(ev.name, ev.payload);
            if (inRoom(room(ev.userid))) io.to(room(ev.userid)).except(origin.socket.id).emit(ev.name, ev.payload);
          } else if (inRoom(room(ev.userid))) {
            io.to(room(ev.userid)).emit(ev.name, ev.payload);
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
    // an Account carries every open order: build it only for users with a registered socket
    for (const userid of accounts) {
      if (inRoom(room(userid))) io.to(room(userid)).emit('account', { account: ex.account(userid) });
    }
  }

  const unsubscribe = ex.onEvents(publish);
  const timers = [
    setInterval(() => io.emit('server_time', Date.now()), opts.serverTimeMs ?? 5000),
    setInterval(() => {
      try {
        io.emit('orderbook', ex.engine.orderbooks());
      } catch (err) {
        log(`orderbook broadcast failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }, opts.orderbookMs ?? 60_000),
  ];
  for (const t of timers) t.unref();

  return {
    io,
    async close() {
      unsubscribe();
      for (const t of timers) clearInterval(t);
      io.disconnectSockets(true);
      io.engine.close();
    },
  };
}

// Live socket.io feed (PROTOCOL §4, §8.12): registers for the user's private events, loads the state snapshot and
// the account, sends signed socket requests matched to their replies by requestid, recovers once from an
// `auth_error` after recalibrating the clock, and reconnects with jittered exponential backoff followed by a
// full resync (register, state, account). Signing goes through the CoinpitClient, so no secret is held here.
import { randomUUID } from 'node:crypto';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { CoinpitError, describeCause } from './errors';
import type { CoinpitClient } from './rest';
import type { Account, ServerEvents, SocketRequest, State } from './types';

/** Events that answer a signed socket request (they echo its requestid). */
export type ReplyEvent = 'order_add' | 'order_update' | 'order_del' | 'order_del_all' | 'order_patch' | 'order_error' | 'account';

/** A reply to `request()`: the event name and its payload. `account` replies may also echo a requestid. */
export type FeedReply = { [E in ReplyEvent]: { event: E; data: ServerEvents[E] & { requestid?: string } } }[ReplyEvent];

export interface Resync {
  state: State;
  account: Account;
}

/** Server events plus the feed's own lifecycle events. */
export interface FeedEvents extends ServerEvents {
  connected: { reconnect: boolean };
  disconnected: { reason: string };
  reconnecting: { attempt: number; delayMs: number };
  /** After a reconnect or the end of readonly mode: re-registered, fresh state and account (with its open orders). */
  resynced: Resync;
  /** A failed resync or a throwing listener; the feed keeps reconnecting. */
  error: CoinpitError;
}

export type FeedEventName = keyof FeedEvents;

export interface ReconnectOptions {
  /** First delay, default 1000 ms. */
  initialDelayMs?: number;
  /** Cap, default 30000 ms. */
  maxDelayMs?: number;
  /** Growth per attempt, default 2. */
  factor?: number;
  /** Fraction of the delay removed at random, 0…1, default 0.5. */
  jitter?: number;
}

export interface FeedOptions {
  /** A client with the user's key; connect() is called if needed. */
  client: CoinpitClient;
  /** socket.io host root; default the client's baseUrl origin. */
  url?: string;
  /** Per socket request (and per connect attempt), default 10000 ms (§4.2). */
  requestTimeoutMs?: number;
  reconnect?: ReconnectOptions;
  /** Extra socket.io-client options (e.g. transports). Reconnection is always handled by the feed. */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** Randomness for the backoff jitter (tests). */
  random?: () => number;
}

interface Pending {
  id: string;
  method: string;
  uri: string;
  body: unknown;
  params: Record<string, unknown>;
  retried: boolean;
  authorization?: string;
  timer?: ReturnType<typeof setTimeout>;
  resolve(reply: { event: string; data: unknown }): void;
  reject(err: CoinpitError): void;
}

type Listener = (payload: never) => void;

export class Feed {
  readonly #client: CoinpitClient;
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #backoff: Required<ReconnectOptions>;
  readonly #socketOptions: Partial<ManagerOptions & SocketOptions>;
  readonly #random: () => number;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #pending = new Map<string, Pending>();
  #stateWaiters = new Set<{ resolve(s: State): void; reject(e: CoinpitError): void; timer: ReturnType<typeof setTimeout> }>();
  #socket?: Socket;
  #started = false;
  #stopped = false;
  #attempt = 0;
  #readonly = false;
  #reconnectTimer?: ReturnType<typeof setTimeout>;

  constructor(options: FeedOptions) {
    if (!options || typeof options !== 'object' || !options.client) throw new Error('Feed needs a CoinpitClient');
    this.#client = options.client;
    this.#url = new URL(options.url ?? options.client.baseUrl).origin;
    this.#timeoutMs = positive(options.requestTimeoutMs ?? 10_000, 'requestTimeoutMs');
    const r = options.reconnect ?? {};
    this.#backoff = {
      initialDelayMs: positive(r.initialDelayMs ?? 1_000, 'reconnect.initialDelayMs'),
      maxDelayMs: positive(r.maxDelayMs ?? 30_000, 'reconnect.maxDelayMs'),
      factor: positive(r.factor ?? 2, 'reconnect.factor'),
      jitter: r.jitter ?? 0.5,
    };
    if (!(this.#backoff.jitter >= 0 && this.#backoff.jitter <= 1)) throw new Error('reconnect.jitter must be within 0…1');
    this.#socketOptions = options.socketOptions ?? {};
    this.#random = options.random ?? Math.random;
  }

  get connected(): boolean {
    return this.#socket?.connected === true;
  }

  // ------------------------------------------------------------------ events

  /** Subscribes to a server or lifecycle event; returns the unsubscribe function. */
  on<E extends FeedEventName>(event: E, cb: (payload: FeedEvents[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(cb as Listener);
    return () => this.off(event, cb);
  }

  off<E extends FeedEventName>(event: E, cb: (payload: FeedEvents[E]) => void): void {
    this.#listeners.get(event)?.delete(cb as Listener);
  }

  #emit(event: string, payload: unknown): void {
    for (const cb of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (cb as (p: unknown) => void)(payload);
      } catch (e) {
        if (event !== 'error') this.#emit('error', new CoinpitError('protocol', `A "${event}" listener threw: ${describeCause(e)}`));
      }
    }
  }

  // ------------------------------------------------------------------ lifecycle

  /** Connects, registers, loads the state snapshot and the account. Rejects (and stops) if any step fails. */
  async start(): Promise<Resync> {
    if (this.#socket || this.#stopped) throw new Error('Feed.start() may be called once');
    try {
      await this.#client.connect();
      const socket = io(this.#url, {
        transports: ['websocket'],
        ...this.#socketOptions,
        autoConnect: false,
        reconnection: false,
        forceNew: true,
      });
      this.#socket = socket;
      this.#bind(socket);
      await this.#waitConnected(socket);
      const result = await this.#sync();
      if (this.#stopped) throw new CoinpitError('network', 'Feed stopped');
      this.#started = true;
      return result;
    } catch (e) {
      this.stop();
      throw e instanceof CoinpitError ? e : new CoinpitError('network', `Feed start failed: ${this.#client.redact(describeCause(e))}`);
    }
  }

  /** Closes the socket, cancels timers and rejects whatever is still waiting. The feed cannot be restarted. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#failAll(new CoinpitError('network', 'Feed stopped'));
    const socket = this.#socket;
    if (socket) {
      socket.offAny();
      socket.removeAllListeners();
      socket.io.removeAllListeners();
      socket.disconnect();
    }
  }

  #waitConnected(socket: Socket): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: CoinpitError) => {
        clearTimeout(timer);
        socket.off('connect', onConnect);
        socket.off('connect_error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onConnect = () => done();
      const onError = (e: Error) => done(new CoinpitError('network', `Cannot connect to ${this.#url}: ${describeCause(e)}`));
      const timer = setTimeout(
        () => done(new CoinpitError('timeout', `Connecting to ${this.#url} timed out after ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      socket.on('connect', onConnect);
      socket.on('connect_error', onError);
      socket.connect();
    });
  }

  #bind(socket: Socket): void {
    socket.on('connect', () => {
      const reconnect = this.#started;
      this.#emit('connected', { reconnect });
      if (reconnect) void this.#resync();
    });
    socket.on('disconnect', (reason: string) => {
      this.#failAll(new CoinpitError('network', `Disconnected (${reason}) before the reply arrived`));
      this.#emit('disconnected', { reason });
      if (this.#started && reason !== 'io client disconnect') this.#scheduleReconnect();
    });
    socket.on('connect_error', () => {
      if (this.#started) this.#scheduleReconnect();
    });
    socket.onAny((event: string, payload: unknown) => this.#onServerEvent(event, payload));
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnectTimer) return;
    const attempt = ++this.#attempt;
    const { initialDelayMs, maxDelayMs, factor, jitter } = this.#backoff;
    const base = Math.min(maxDelayMs, initialDelayMs * factor ** (attempt - 1));
    const delayMs = Math.max(0, Math.round(base * (1 - jitter * this.#random())));
    this.#emit('reconnecting', { attempt, delayMs });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (!this.#stopped) this.#socket?.connect();
    }, delayMs);
  }

  async #resync(): Promise<void> {
    try {
      const result = await this.#sync();
      if (this.#stopped) return;
      this.#attempt = 0;
      this.#emit('resynced', result);
    } catch (e) {
      if (this.#stopped) return;
      const err = e instanceof CoinpitError ? e : new CoinpitError('protocol', `Resync failed: ${describeCause(e)}`);
      this.#emit('error', err);
      // Start over on a fresh connection rather than run on a half-synced one.
      if (this.#socket?.connected) this.#socket.disconnect();
      this.#scheduleReconnect();
    }
  }

  /** §4.1: GET /register (signed), GET /state (unsigned, payload ""), GET /account. */
  async #sync(): Promise<Resync> {
    const session = this.#client.session;
    if (!session) throw new CoinpitError('auth', 'Client is not connected');
    const registered = this.#call('GET', '/register', { userid: session.userid, publicKey: session.publicKey }, undefined);
    registered.promise.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
    try {
      const state = await this.#fetchState();
      const reply = await this.request('GET', '/account');
      if (reply.event !== 'account') throw new CoinpitError('protocol', `GET /account answered with ${reply.event}`);
      if (reply.data.error || !reply.data.account) {
        const msg = this.#client.redact(reply.data.error ?? 'no account in reply');
        throw new CoinpitError('http', `GET /account failed: ${msg}`, { serverMessage: msg });
      }
      // /register has no reply of its own. The server handles a socket's requests in order, so once /account is
      // answered a refused register has already been rejected (auth_error, then a refused retry).
      const pending = this.#pending.get(registered.id);
      if (pending) this.#succeed(pending, 'register', undefined);
      await registered.promise;
      return { state, account: reply.data.account };
    } finally {
      const pending = this.#pending.get(registered.id);
      if (pending) this.#fail(pending, new CoinpitError('network', 'GET /register abandoned'));
    }
  }

  #fetchState(): Promise<State> {
    const socket = this.#socket;
    if (!socket?.connected) return Promise.reject(new CoinpitError('network', 'Feed is not connected'));
    return new Promise<State>((resolve, reject) => {
      const waiter = {
        resolve: (s: State) => {
          clearTimeout(waiter.timer);
          this.#stateWaiters.delete(waiter);
          resolve(s);
        },
        reject: (e: CoinpitError) => {
          clearTimeout(waiter.timer);
          this.#stateWaiters.delete(waiter);
          reject(e);
        },
        timer: setTimeout(() => waiter.reject(new CoinpitError('timeout', `GET /state timed out after ${this.#timeoutMs} ms`)), this.#timeoutMs),
      };
      this.#stateWaiters.add(waiter);
      socket.emit('GET /state', '');
    });
  }

  // ------------------------------------------------------------------ requests

  /**
   * Sends a signed socket request `"<METHOD> <uri>"` (§4.2) and resolves with the reply event that echoes its
   * requestid (an `order_error` reply resolves too: check `reply.event`). Rejects after the request timeout,
   * on disconnect, or when the server refuses the signature twice.
   */
  request(method: string, uri: string, body?: unknown, params?: Record<string, unknown>): Promise<FeedReply> {
    return this.#call(method, uri, body, params).promise as Promise<FeedReply>;
  }

  #call(
    method: string,
    uri: string,
    body: unknown,
    params: Record<string, unknown> | undefined,
  ): { id: string; promise: Promise<{ event: string; data: unknown }> } {
    const id = randomUUID();
    const fail = (e: Error) => ({ id, promise: Promise.reject(e) });
    if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) return fail(new Error('Invalid method'));
    if (typeof uri !== 'string' || !uri.startsWith('/')) return fail(new Error('Invalid uri: must start with /'));
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      return fail(new Error('Invalid params: expected an object'));
    }
    if (!this.#socket?.connected || this.#stopped) return fail(new CoinpitError('network', 'Feed is not connected'));
    const promise = new Promise<{ event: string; data: unknown }>((resolve, reject) => {
      const p: Pending = { id, method: method.toUpperCase(), uri, body, params: params ?? {}, retried: false, resolve, reject };
      this.#pending.set(id, p);
      try {
        this.#send(p);
      } catch (e) {
        this.#fail(p, e instanceof CoinpitError ? e : new CoinpitError('auth', `Cannot sign ${p.method} ${uri}: ${describeCause(e)}`));
      }
    });
    return { id, promise };
  }

  #send(p: Pending): void {
    const nonce = this.#client.clock.nonce();
    const authorization = this.#client.socketAuthorization(p.method, p.uri, p.body, p.params, nonce);
    p.authorization = authorization;
    const payload: SocketRequest = {
      headers: { requestid: p.id, Authorization: authorization, Nonce: nonce },
      method: p.method,
      uri: p.uri,
      params: p.params,
      body: p.body,
      retry: p.retried,
    };
    if (p.timer) clearTimeout(p.timer);
    p.timer = setTimeout(
      () => this.#fail(p, new CoinpitError('timeout', `${p.method} ${p.uri} got no reply within ${this.#timeoutMs} ms`)),
      this.#timeoutMs,
    );
    this.#socket!.emit(`${p.method} ${p.uri}`, payload);
  }

  #fail(p: Pending, err: CoinpitError): void {
    if (this.#pending.get(p.id) !== p) return;
    clearTimeout(p.timer);
    this.#pending.delete(p.id);
    p.reject(err);
  }

  #succeed(p: Pending, event: string, data: unknown): void {
    if (this.#pending.get(p.id) !== p) return;
    clearTimeout(p.timer);
    this.#pending.delete(p.id);
    p.resolve({ event, data });
  }

  #failAll(err: CoinpitError): void {
    for (const p of [...this.#pending.values()]) this.#fail(p, err);
    for (const w of [...this.#stateWaiters]) w.reject(err);
  }

  // ------------------------------------------------------------------ incoming

  #onServerEvent(event: string, payload: unknown): void {
    if (event === 'server_time' || event === 'server-time') this.#client.clock.onServerTime(payload);
    if (event === 'auth_error') this.#onAuthError(payload);
    if (event === 'state' && payload && typeof payload === 'object') {
      this.#client.clock.onServerTime((payload as State).server_time);
      this.#readonly = (payload as State).readonly === true;
      for (const w of [...this.#stateWaiters]) w.resolve(payload as State);
    }
    if (event === 'readonly' && payload && typeof payload === 'object') {
      const readonly = (payload as { readonly?: unknown }).readonly === true;
      // §4.1: leaving maintenance mode means re-register and refetch, as after a reconnect.
      if (this.#readonly && !readonly && this.#started && !this.#stopped) void this.#resync();
      this.#readonly = readonly;
    }
    const p = this.#replyTarget(event, payload);
    if (p) this.#succeed(p, event, payload);
    this.#emit(event, payload);
  }

  #replyTarget(event: string, payload: unknown): Pending | undefined {
    if (event === 'auth_error' || !payload || typeof payload !== 'object') return undefined;
    const requestid = (payload as { requestid?: unknown }).requestid;
    if (typeof requestid === 'string') return this.#pending.get(requestid);
    if (event === 'account') {
      // The reference `account` event carries no requestid: it answers the oldest GET /account.
      for (const p of this.#pending.values()) if (p.method === 'GET' && p.uri === '/account') return p;
    }
    return undefined;
  }

  /** §4.3: calibrate from server_time, resend the request once with retry:true; a second failure rejects. */
  #onAuthError(payload: unknown): void {
    const e = (payload ?? {}) as { data?: Partial<SocketRequest>; error?: unknown; server_time?: unknown };
    this.#client.clock.onServerTime(e.server_time);
    const headers = e.data?.headers;
    let p = typeof headers?.requestid === 'string' ? this.#pending.get(headers.requestid) : undefined;
    if (!p && typeof headers?.Authorization === 'string') {
      for (const q of this.#pending.values()) if (q.authorization === headers.Authorization) p = q;
    }
    if (!p) return;
    const msg = this.#client.redact(typeof e.error === 'string' ? e.error : 'authentication failed');
    if (p.retried || e.data?.retry === true) {
      this.#fail(p, new CoinpitError('auth', `${p.method} ${p.uri} refused: ${msg}`, { status: 401, serverMessage: msg }));
      return;
    }
    p.retried = true;
    try {
      this.#send(p);
    } catch (err) {
      this.#fail(p, new CoinpitError('auth', `Cannot sign ${p.method} ${p.uri}: ${describeCause(err)}`));
    }
  }
}

function positive(n: number, what: string): number {
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive number`);
  return n;
}

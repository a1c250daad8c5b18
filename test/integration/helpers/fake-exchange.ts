// A small in-test Coinpit server (node:http + socket.io v4 on 127.0.0.1, random port) that checks every signed
// request with the project's own verifyRequest. Switches force 401s, auth_errors, slow replies and a skewed
// server clock; restart() brings it back on the same port to exercise reconnects.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as IoServer, type Socket as IoSocket } from 'socket.io';
import { ReplayMemory, verifyApiKeyAuthorization, verifyRequest, type AuthLookup, type Role, type VerifyInput } from '../../../main/coinpit/auth';
import { sharedSecretFromKeys } from '../../../main/coinpit/ecdh';
import { toHex } from '../../../main/coinpit/hash';
import { generateWif, normalizePublicKey, p2pkhAddress, parseWif } from '../../../main/coinpit/identity';
import { verifyMessage } from '../../../main/coinpit/message';
import type { Account, Order, OrderRequest, SocketRequest, State } from '../../../main/coinpit/types';

export interface Verified {
  transport: 'rest' | 'socket';
  method: string;
  uri: string;
  userid: string;
  scheme: 'HMAC' | 'SIGN';
  body: unknown;
  retry?: boolean;
}

export interface SeenRequest {
  method: string;
  uri: string;
  headers: IncomingMessage['headers'];
  rawBody: string;
  status: number;
}

export class FakeExchange {
  readonly serverWif = generateWif('testnet');
  readonly #serverPriv = parseWif(this.serverWif).privateKey;
  readonly serverPublicKey = toHex(parseWif(this.serverWif).publicKey);
  /** userid → user public key, filled by GET /auth/:publicKey and POST /auth. */
  readonly users = new Map<string, string>();
  /** `${userid}.${name}` → API key. */
  readonly apiKeys = new Map<string, { apiPublicKey: string; role: Role }>();
  #replay = new ReplayMemory();

  // ---- switches
  /** Server clock = Date.now() + skewMs (Server-Time header, nonce window, server_time). */
  skewMs = 0;
  /** The next N signed non-OPTIONS REST requests get 401 whatever their signature. */
  force401 = 0;
  /** Delay before answering any REST request. */
  delayMs = 0;
  /** The next N signed socket requests get auth_error whatever their signature. */
  forceAuthErrors = 0;
  /** Error bodies also carry the user's shared secret (a leaky server, to test redaction). */
  leakSecret = false;
  /** Echo requestid in `account` replies (the reference server does not). */
  accountEchoesRequestId = false;
  /** Silently drop socket requests of this event name. */
  ignoreSocketEvent?: string;

  // ---- records
  readonly verified: Verified[] = [];
  readonly seen: SeenRequest[] = [];
  readonly socketEvents: { event: string; payload: unknown }[] = [];
  registrations = 0;
  stateRequests = 0;

  #http?: HttpServer;
  #io?: IoServer;
  #port = 0;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  now(): number {
    return Date.now() + this.skewMs;
  }

  readonly lookup: AuthLookup = {
    hmacSecret: (userid) => {
      const pub = this.users.get(userid);
      return pub === undefined ? undefined : sharedSecretFromKeys(this.#serverPriv, pub);
    },
    apiKey: (userid, name) => this.apiKeys.get(`${userid}.${name}`),
  };

  sharedSecretOf(userid: string): string | undefined {
    return this.lookup.hmacSecret(userid);
  }

  async start(port = 0): Promise<this> {
    const http = createServer((req, res) => this.#onHttp(req, res));
    const io = new IoServer(http, { serveClient: false });
    io.on('connection', (socket) => this.#onSocket(socket));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, '127.0.0.1', () => {
        http.off('error', reject);
        resolve();
      });
    });
    this.#http = http;
    this.#io = io;
    this.#port = (http.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const io = this.#io;
    const http = this.#http;
    this.#io = undefined;
    this.#http = undefined;
    if (io) {
      io.disconnectSockets(true);
      http?.closeAllConnections();
      await io.close(); // also closes the HTTP server
    }
  }

  /** Stops and listens again on the same port, keeping users, keys and switches. */
  async restart(downMs = 0): Promise<void> {
    const port = this.#port;
    await this.stop();
    this.#replay = new ReplayMemory();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.start(port);
  }

  /** Server-side close of every socket ("io server disconnect"). */
  dropSockets(): void {
    this.#io?.disconnectSockets(true);
  }

  emitAll(event: string, payload: unknown): void {
    this.#io?.emit(event, payload);
  }

  // ------------------------------------------------------------------ REST

  #onHttp(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const answer = () => {
        const { status, body } = this.#route(req, rawBody);
        this.seen.push({ method: req.method ?? '', uri: apiUri(req.url), headers: req.headers, rawBody, status });
        res.statusCode = status;
        res.setHeader('Server-Time', String(this.now()));
        res.setHeader('Content-Type', 'application/json');
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      if (this.delayMs > 0) {
        const t = setTimeout(() => {
          this.#timers.delete(t);
          if (!res.destroyed) answer();
        }, this.delayMs);
        this.#timers.add(t);
      } else answer();
    });
  }

  #route(req: IncomingMessage, rawBody: string): { status: number; body?: unknown } {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    if (!url.startsWith('/api/v1/')) return { status: 404, body: { error: 'Not found' } };
    const uri = apiUri(url);
    let body: unknown;
    if (rawBody.trim() !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        return { status: 400, body: { error: 'Malformed JSON' } };
      }
    }

    // -- unauthenticated
    const auth = /^\/auth\/([0-9a-fA-F]+)$/.exec(uri);
    if (method === 'GET' && auth) {
      let pub: string;
      try {
        pub = normalizePublicKey(auth[1]!);
      } catch {
        return { status: 400, body: { error: 'Invalid public key' } };
      }
      const userid = p2pkhAddress(pub, 'testnet');
      this.users.set(userid, pub);
      return { status: 200, body: { userid, serverPublicKey: this.serverPublicKey } };
    }
    if (method === 'POST' && uri === '/auth') return this.#register(req, body);
    if (method === 'POST' && uri === '/auth/apikey') return this.#registerApiKey(body);
    if (method === 'GET' && uri === '/all/config') return { status: 200, body: { config: this.#state().config, instruments: {} } };

    // -- signed
    const input: VerifyInput = {
      method,
      uri,
      body,
      rawBody,
      authorization: header(req, 'authorization'),
      nonce: header(req, 'nonce'),
      receivedMs: this.now(),
    };
    const check = verifyRequest(input, this.lookup, { replay: this.#replay });
    if (!check.ok) return { status: 401, body: { error: this.#leak(check.error, undefined) } };
    if (method !== 'OPTIONS' && this.force401 > 0) {
      this.force401--;
      return { status: 401, body: { error: this.#leak(`Authentication failed. HMAC mismatch ${input.authorization}`, check.userid) } };
    }
    this.verified.push({ transport: 'rest', method, uri, userid: check.userid, scheme: check.scheme, body });
    if (method === 'OPTIONS') return { status: 204 };
    if (check.scheme === 'SIGN' && check.role === 'read' && method !== 'GET') return { status: 403, body: { error: 'Read-only API key' } };

    if (method === 'GET' && uri === '/account') return { status: 200, body: this.account(check.userid) };
    const orders = /^\/contract\/([A-Za-z0-9]+)\/order\/open$/.exec(uri);
    if (orders && method === 'GET') return { status: 200, body: [] };
    if (orders && method === 'POST') {
      if (!Array.isArray(body)) return { status: 422, body: { error: 'Expected an array of orders' } };
      return { status: 200, body: body.map((r) => this.order(check.userid, r as OrderRequest, orders[1]!)) };
    }
    const margin = /^\/account\/margin\/(\d+)$/.exec(uri);
    if (margin && method === 'DELETE') return { status: 422, body: { error: this.#leak('Insufficient margin', check.userid) } };
    return { status: 404, body: { error: `No route ${method} ${uri}` } };
  }

  #register(req: IncomingMessage, body: unknown): { status: number; body?: unknown } {
    const m = /^HMAC ([1-9A-HJ-NP-Za-km-z]+)$/.exec(header(req, 'authorization') ?? '');
    const item = Array.isArray(body) ? (body[0] as { message?: unknown; signature?: unknown }) : undefined;
    if (!m || typeof item?.message !== 'string' || typeof item.signature !== 'string') {
      return { status: 401, body: { error: 'Registration needs HMAC <userid> and a signed message' } };
    }
    const userid = m[1]!;
    if (!verifyMessage(item.message, userid, item.signature)) return { status: 401, body: { error: 'Bad registration signature' } };
    const { publicKey, ts } = JSON.parse(item.message) as { publicKey: string; ts: number };
    if (p2pkhAddress(publicKey, 'testnet') !== userid || Math.abs(ts - this.now()) > 600_000) {
      return { status: 401, body: { error: 'Registration message does not match' } };
    }
    this.users.set(userid, publicKey);
    return { status: 200, body: { userid, serverPublicKey: this.serverPublicKey } };
  }

  #registerApiKey(body: unknown): { status: number; body?: unknown } {
    const k = body as { name: string; role: Role; apiPublicKey: string; userid: string; publicKey: string; authorization: string };
    if (!k || k.name !== k.apiPublicKey?.slice(0, 16) || !verifyApiKeyAuthorization(k)) {
      return { status: 401, body: { error: 'Invalid API key authorization' } };
    }
    this.users.set(k.userid, k.publicKey);
    this.apiKeys.set(`${k.userid}.${k.name}`, { apiPublicKey: k.apiPublicKey, role: k.role });
    return { status: 200, body: { name: k.name, role: k.role, apiPublicKey: k.apiPublicKey, userid: k.userid } };
  }

  #leak(text: string, userid: string | undefined): string {
    const secret = userid && this.leakSecret ? this.sharedSecretOf(userid) : undefined;
    return secret ? `${text} (secret ${secret})` : text;
  }

  // ------------------------------------------------------------------ socket.io

  #onSocket(socket: IoSocket): void {
    socket.emit('server_time', this.now());
    socket.onAny((event: string, payload: unknown) => {
      this.socketEvents.push({ event, payload });
      if (event === this.ignoreSocketEvent) return;
      if (event === 'GET /state') {
        this.stateRequests++;
        socket.emit('state', this.#state());
        return;
      }
      const space = event.indexOf(' ');
      const method = event.slice(0, space);
      const uri = event.slice(space + 1);
      const req = payload as SocketRequest;
      const verified = this.#verifySocket(socket, method, uri, req);
      if (!verified) return;
      const requestid = req.headers?.requestid;
      if (event === 'GET /register') {
        this.registrations++;
        void socket.join(verified.userid);
      } else if (event === 'GET /account') {
        const account = this.account(verified.userid);
        socket.emit('account', this.accountEchoesRequestId ? { requestid, account } : { account });
      } else if (event === 'POST /order') {
        const list = Array.isArray(req.body) ? (req.body as OrderRequest[]) : [];
        if (list.length === 0 || list.some((o) => !(o.quantity > 0))) {
          socket.emit('order_error', { requestid, error: 'Invalid quantity' });
          return;
        }
        socket.emit('order_add', { requestid, result: list.map((o) => this.order(verified.userid, o, o.instrument ?? 'BTCUSD')) });
      } else {
        socket.emit('order_error', { requestid, error: `Unknown request ${event}` });
      }
    });
  }

  #verifySocket(socket: IoSocket, method: string, uri: string, req: SocketRequest): Verified | undefined {
    const authError = (error: string) => socket.emit('auth_error', { data: req, error, server_time: this.now() });
    if (!req || typeof req !== 'object' || !req.headers) {
      authError('Expecting HMAC or SIGN Authorization');
      return undefined;
    }
    const check = verifyRequest(
      {
        method,
        uri,
        body: req.body,
        authorization: req.headers.Authorization,
        nonce: req.headers.Nonce,
        receivedMs: this.now(),
        socket: { params: req.params },
      },
      this.lookup,
      { replay: this.#replay },
    );
    if (!check.ok) {
      authError(check.error);
      return undefined;
    }
    if (this.forceAuthErrors > 0) {
      this.forceAuthErrors--;
      authError(`Authentication failed. HMAC mismatch ${req.headers.Authorization}`);
      return undefined;
    }
    const v: Verified = { transport: 'socket', method, uri, userid: check.userid, scheme: check.scheme, body: req.body, retry: req.retry };
    this.verified.push(v);
    return v;
  }

  // ------------------------------------------------------------------ canned data

  #state(): State {
    return {
      config: { network: 'testnet' } as State['config'],
      instruments: {},
      bands: { BTCUSD: { price: 1000, min: 990, max: 1010, instrument: 'BTCUSD' } },
      orderbook: { BTCUSD: { bid: 999.9, ask: 1000.1, buy: [], sell: [] } },
      readonly: false,
      server_time: this.now(),
    };
  }

  account(userid: string): Account {
    return { userid, accountMargin: 1_000_000, margin: 900_000, displayMargin: 900_000, multisig: 5_000_000, positions: {}, orders: {} };
  }

  order(userid: string, r: OrderRequest, instrument: string): Order {
    const us = this.now() * 1000;
    return {
      uuid: randomUUID(),
      clientid: r.clientid,
      userid,
      instrument,
      side: r.side,
      quantity: r.quantity,
      filled: 0,
      cancelled: 0,
      price: r.price ?? null,
      averagePrice: 0,
      orderType: r.orderType,
      stopPrice: r.stopPrice,
      targetPrice: r.targetPrice,
      status: 'open',
      entryTime: us,
      eventTime: us,
    };
  }
}

/** Path relative to /api/v1, query included. */
function apiUri(url: string | undefined): string {
  return (url ?? '/').replace(/^\/api\/v1/, '');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

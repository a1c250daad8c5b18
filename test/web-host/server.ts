// The web host (never shipped): the same service table and dispatcher as main/ipc.ts, in plain Node, serving the
// built renderer with a window.coinpit shim that carries the contract over a WebSocket. Listens on 127.0.0.1 only;
// the WebSocket needs the random token (from the page URL's fragment) and our own Origin. Coin-moving actions go to
// a ScriptedConfirmer (approve by default) that tests switch through a token-protected control endpoint.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { events } from '../../preload/contract';
import { loadAppResource } from '../../main/app-protocol';
import { createDispatch } from '../../main/ipc-dispatch';
import { CONTENT_SECURITY_POLICY } from '../../main/security/csp';
import { ScriptedConfirmer } from '../../main/services/confirmer';
import { DirectoryFileChooser } from '../../main/services/files';
import { createServices, type Services, type ServicesOptions } from '../../main/services/index';
import { MemoryKeyStore } from '../../main/services/keystores';
import { SHIM_PATH, shimSource, WS_PATH } from './shim';

export const CONTROL_PATH = '/__coinpit/control';
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface WebHostOptions {
  /** the built renderer (out/renderer) */
  rendererDir: string;
  /** the app data dir (profiles, vault, local exchange); default a fresh temporary directory, removed on close */
  dataDir?: string;
  /** default 0 (any free port) */
  port?: number;
  /** what the scripted confirmer answers at start; default true (approve) */
  approve?: boolean;
  /** use the real OS keychain instead of an in-memory one */
  realKeychain?: boolean;
  /** extra service options (tests: a fast vault, a local exchange starter…) */
  services?: Partial<ServicesOptions>;
  log?: (line: string) => void;
}

export interface WebHost {
  /** the page to open, with the token in its fragment */
  url: string;
  origin: string;
  port: number;
  token: string;
  dataDir: string;
  services: Services;
  confirmer: ScriptedConfirmer;
  files: DirectoryFileChooser;
  /**
   * Test hook (benchmarks): sends an event to the page exactly as if the services had emitted it (same allowlist,
   * same ordered outbox). Returns false for an event outside the contract's allowlist.
   */
  emit(event: string, payload: unknown): boolean;
  close(): Promise<void>;
}

function sameToken(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string' || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

function injectShim(html: string): string {
  const tag = `<script src="${SHIM_PATH}"></script>`;
  const at = html.search(/<script\b/i);
  if (at >= 0) return `${html.slice(0, at)}${tag}\n    ${html.slice(at)}`;
  return html.replace(/<\/head>/i, `  ${tag}\n  </head>`);
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const log = options.log ?? (() => undefined);
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'coinpit-web-host-')));
  const token = randomBytes(24).toString('hex');
  const confirmer = new ScriptedConfirmer(options.approve ?? true);
  const files = new DirectoryFileChooser(path.join(dataDir, 'exports'));
  const services = await createServices({
    dataDir,
    appVersion: process.env.npm_package_version ?? '0.0.0-web',
    confirmer,
    files,
    ...(options.realKeychain ? {} : { keychain: new MemoryKeyStore() }),
    ...options.services,
  });
  const dispatch = createDispatch(services.table, () => services.secrets(), log);
  let origin = '';

  const csp = () => CONTENT_SECURITY_POLICY.replace("connect-src 'self'", `connect-src 'self' ws://${new URL(origin).host}`);

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (pathname === SHIM_PATH) {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      res.end(shimSource());
      return;
    }
    // the same resolver (and its traversal checks) as the app:// protocol
    const resource = await loadAppResource(options.rendererDir, `app://coinpit${pathname}`, req.method ?? 'GET');
    const headers: Record<string, string> = { ...resource.headers, 'Content-Security-Policy': csp() };
    let body = resource.body;
    if (resource.status === 200 && body && /^text\/html/.test(headers['Content-Type'] ?? '')) {
      // the page's own <meta> CSP must allow the WebSocket too (both policies apply)
      const html = Buffer.from(body).toString('utf8').replace(/connect-src 'self'(?=[;"])/g, `connect-src 'self' ws://${new URL(origin).host}`);
      body = Buffer.from(injectShim(html), 'utf8');
    }
    res.writeHead(resource.status, headers);
    res.end(body === null ? undefined : Buffer.from(body as Uint8Array));
  }

  async function control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (!sameToken(req.headers['x-coinpit-token'] as string | undefined, token)) return reply(401, { error: 'bad token' });
    if (req.method === 'GET') return reply(200, { approve: confirmer.answer === true, confirmations: confirmer.requests.length });
    if (req.method !== 'POST') return reply(405, { error: 'GET or POST' });
    let text = '';
    for await (const chunk of req) {
      text += chunk;
      if (text.length > 10_000) return reply(413, { error: 'too large' });
    }
    let body: { approve?: unknown };
    try {
      body = JSON.parse(text) as { approve?: unknown };
    } catch {
      return reply(400, { error: 'JSON body {approve: boolean}' });
    }
    if (typeof body.approve !== 'boolean') return reply(400, { error: 'JSON body {approve: boolean}' });
    confirmer.answer = body.approve;
    return reply(200, { approve: body.approve, confirmations: confirmer.requests.length });
  }

  const http = createServer((req, res) => {
    const pathname = (req.url ?? '/').split(/[?#]/)[0] ?? '/';
    const handle = pathname === CONTROL_PATH ? control(req, res) : serveStatic(req, res, pathname);
    handle.catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('Internal error');
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const clients = new Set<WebSocket>();

  const refuse = (socket: Duplex, status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (!sameToken(url.searchParams.get('token'), token)) return refuse(socket, 401, 'Unauthorized');
    // A browser always sends Origin; another site's page (even one that loaded our shim) has its own.
    if (req.headers.origin !== undefined && req.headers.origin !== origin) return refuse(socket, 403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', (data) => {
        let message: { id?: unknown; method?: unknown; args?: unknown };
        try {
          message = JSON.parse(String(data)) as typeof message;
        } catch {
          return;
        }
        if (!message || typeof message.id !== 'number' || !Number.isSafeInteger(message.id)) return;
        const id = message.id;
        const args = Array.isArray(message.args) ? message.args : [message.args];
        void dispatch(typeof message.method === 'string' ? message.method : '', args).then((reply) => {
          flushOutbox();
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, reply }));
        });
      });
    });
  });

  // Events go out in order, one WebSocket message per turn of the event loop: what the services emit in one turn
  // (a burst of book diffs read from one socket.io chunk) travels as a JSON array that the shim hands to the
  // listeners one event at a time, as if they had come one by one. Nothing is merged or dropped, and nothing waits
  // for a timer; it only spares the page (and Chromium's network and IPC threads) a task per event, which Electron's
  // IPC does not cost either. A reply flushes what is queued first, so events and replies keep their order.
  const allowed = new Set<string>(events);
  let outbox: string[] = [];
  let outboxBytes = 0;
  let outboxScheduled = false;
  const flushOutbox = () => {
    outboxScheduled = false;
    if (outbox.length === 0) return;
    const text = outbox.length === 1 ? (outbox[0] as string) : `[${outbox.join(',')}]`;
    outbox = [];
    outboxBytes = 0;
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  };
  const send = (event: string, payload: unknown): boolean => {
    if (!allowed.has(event)) return false;
    const text = JSON.stringify({ event, payload });
    if (outboxBytes + text.length > MAX_MESSAGE_BYTES / 2) flushOutbox();
    outbox.push(text);
    outboxBytes += text.length;
    if (!outboxScheduled) {
      outboxScheduled = true;
      setImmediate(flushOutbox);
    }
    return true;
  };
  const unsubscribe = services.on((event, payload) => void send(event, payload));

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;

  let closing: Promise<void> | null = null;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    dataDir,
    services,
    confirmer,
    files,
    emit: send,
    close() {
      closing ??= (async () => {
        unsubscribe();
        for (const ws of clients) ws.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeAllConnections();
        await closed;
        await services.close();
        if (ownDataDir) await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
      })();
      return closing;
    },
  };
}

// The local exchange's HTTP server (fastify 5): the REST API under /api/v1 (PROTOCOL §3, §8), local-mode endpoints
// under /localnet and /api/v1/localnet, and the chain APIs under /esplora and /insight-api. Bodies are kept raw
// (verifyRequest may need the exact bytes, §8.5) and parsed here; every response carries Server-Time; every error
// is {error: text}; nothing a client sends can crash the process. Requests web pages could send (a foreign Origin,
// a non-JSON body) are refused before their body is read (webguard.ts). Plain JSON calls under /api/v1 take a fast
// path in front of fastify (see below) that answers them byte for byte as the fastify route would.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Exchange } from '../exchange';
import { chainApi, ESPLORA_MOUNT, INSIGHT_MOUNT } from './chainapi';
import type { Dispatcher } from './dispatch';
import { originSet, webRefusal } from './webguard';

export const API_PREFIX = '/api/v1';
export const BODY_LIMIT = 1024 * 1024;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const JSON_TYPE = 'application/json; charset=utf-8';

export interface HttpOptions {
  exchange: Exchange;
  dispatcher: Dispatcher;
  log?: (line: string) => void;
  /** origins (`scheme://host[:port]`) whose web pages may call the HTTP API; default none (see webguard.ts) */
  allowedOrigins?: readonly string[];
}

const serverTime = (): string => String(Date.now());

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function createHttp(opts: HttpOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: false,
    routerOptions: { maxParamLength: 1000 },
    // errors fastify raises before routing (bad URL encoding, …)
    frameworkErrors: (err, _req, reply) => {
      const r = reply as unknown as FastifyReply;
      r.header('Server-Time', serverTime());
      void r.code(400).send({ error: err.message });
    },
  });
  const allowed = originSet(opts.allowedOrigins);
  // before routing and before the body is read: cross-site requests and non-JSON bodies (webguard.ts)
  app.addHook('onRequest', (req, reply, done) => {
    const refused = webRefusal(req.method, req.url, req.headers, allowed);
    if (refused === undefined) return done();
    void reply.code(refused.status).send({ error: refused.error });
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // callback style: an async hook costs a promise per response
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('Server-Time', serverTime());
    done(null, payload);
  });
  app.setErrorHandler((err: { statusCode?: number; message?: string }, _req, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status === 500) opts.log?.(`http error: ${String(err.message)}`);
    void reply.code(status).send({ error: status === 500 ? 'Internal error' : String(err.message ?? 'Bad request') });
  });
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).send({ error: 'Not found' });
  });
  app.route({ method: [...METHODS], url: '/*', handler: (req, reply) => route(opts, req, reply) });
  installFastPath(app, opts, allowed);
  return app;
}

async function route(opts: HttpOptions, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const url = req.url;
  const raw = typeof req.body === 'string' ? req.body : undefined;
  if (url === API_PREFIX || url.startsWith(`${API_PREFIX}/`) || url.startsWith(`${API_PREFIX}?`)) {
    return api(opts, req, reply, url.slice(API_PREFIX.length) || '/', raw);
  }
  if (url.startsWith('/localnet/') || url === '/localnet') return api(opts, req, reply, url, raw);
  for (const mount of [ESPLORA_MOUNT, INSIGHT_MOUNT]) {
    if (url === mount || url.startsWith(`${mount}/`) || url.startsWith(`${mount}?`)) {
      const res = await chainApi(opts.exchange, mount, req.method, url, raw);
      return reply.code(res.status).type(res.contentType).send(res.body);
    }
  }
  return reply.code(404).send({ error: 'Not found' });
}

/** What the API answers: status and JSON text (errors as {error}). Shared by the fastify route and the fast path. */
interface ApiAnswer {
  status: number;
  json: string;
}

async function answer(
  opts: HttpOptions,
  method: string,
  uri: string,
  raw: string | undefined,
  headers: IncomingHttpHeaders,
  ip: string | undefined,
): Promise<ApiAnswer> {
  let body: unknown;
  if (raw !== undefined && raw.trim() !== '') {
    try {
      body = JSON.parse(raw);
    } catch {
      return { status: 400, json: JSON.stringify({ error: 'Malformed JSON body' }) };
    }
  }
  const out = await opts.dispatcher.handle({
    transport: 'rest',
    method: method === 'HEAD' ? 'GET' : method,
    uri,
    body,
    rawBody: raw,
    bodyParsedFromRaw: body !== undefined,
    authorization: headerText(headers.authorization),
    nonce: headerText(headers.nonce as string | string[] | undefined),
    requestid: headerText(headers.requestid as string | string[] | undefined),
    ip,
  });
  if (!out.ok) return { status: out.status, json: JSON.stringify({ error: out.error }) };
  return { status: out.status, json: JSON.stringify(out.body === undefined ? {} : out.body) };
}

async function api(opts: HttpOptions, req: FastifyRequest, reply: FastifyReply, uri: string, raw: string | undefined): Promise<unknown> {
  // §2.6: a signed OPTIONS only recalibrates the client clock from Server-Time
  if (req.method === 'OPTIONS') return reply.code(200).send({});
  const a = await answer(opts, req.method, uri, raw, req.headers, req.ip);
  return reply.code(a.status).type(JSON_TYPE).send(a.json);
}

// ------------------------------------------------------------------------------------------------ fast path
//
// The signed REST calls of trading clients (order placement above all) skip fastify's per-request machinery:
// plain requests under /api/v1/ with a JSON body of a known length (or no body) are read and answered here, with
// exactly the bytes and headers the fastify route gives them. Anything else (other paths, HEAD/OPTIONS, chunked
// or oversized bodies, other content types, percent-encoded or long URLs, a closing server, anything webguard
// refuses) goes to fastify.

const FAST_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const JSON_CONTENT = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i;
const NO_ORIGINS: ReadonlySet<string> = new Set();

/**
 * How the fast path takes a request: 'none' (no body, as fastify gives bodyless methods), 'read' (read the JSON
 * body; fastify would run its parser, which gives '' for an empty one), or 'fastify' (everything else).
 */
export function fastMode(
  req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
  allowedOrigins: ReadonlySet<string> = NO_ORIGINS,
): 'none' | 'read' | 'fastify' {
  const { method, url } = req;
  if (method === undefined || url === undefined || !FAST_METHODS.has(method)) return 'fastify';
  if (!url.startsWith(`${API_PREFIX}/`) || url.length > 1000 || url.includes('%')) return 'fastify';
  const h = req.headers;
  // fastify's onRequest hook gives the refusal: one place decides what is refused
  if (webRefusal(method, url, h, allowedOrigins) !== undefined) return 'fastify';
  if (h['transfer-encoding'] !== undefined) return 'fastify';
  const ct = h['content-type'];
  const cl = h['content-length'];
  if (method === 'GET') return cl === undefined || cl === '0' ? 'none' : 'fastify';
  if (ct === undefined) return cl === undefined || cl === '0' ? 'none' : 'fastify';
  if (!JSON_CONTENT.test(ct)) return 'fastify';
  if (cl === undefined) return 'read';
  return /^\d{1,7}$/.test(cl) && Number(cl) <= BODY_LIMIT ? 'read' : 'fastify';
}

/** Installs the fast path in front of fastify's request handler (as engine.io does for /socket.io/). */
function installFastPath(app: FastifyInstance, opts: HttpOptions, allowed: ReadonlySet<string>): void {
  const server = app.server;
  const fallback = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  let closing = false;
  // from close() on, fastify answers 503 to new requests; let it
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const mode = closing ? 'fastify' : fastMode(req, allowed);
    if (mode === 'fastify') {
      for (const l of fallback) l.call(server, req, res);
      return;
    }
    if (mode === 'none') {
      fastAnswer(opts, req, res, undefined);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => fastAnswer(opts, req, res, (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8')));
    req.on('error', () => res.destroy());
  });
}

function fastAnswer(opts: HttpOptions, req: IncomingMessage, res: ServerResponse, raw: string | undefined): void {
  answer(opts, req.method!, req.url!.slice(API_PREFIX.length), raw, req.headers, req.socket.remoteAddress).then(
    (a) => send(res, a.status, a.json),
    (err) => {
      opts.log?.(`http error: ${String(err instanceof Error ? err.message : err)}`);
      send(res, 500, JSON.stringify({ error: 'Internal error' }));
    },
  );
}

function send(res: ServerResponse, status: number, json: string): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': JSON_TYPE, 'server-time': serverTime(), 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

// The local exchange's HTTP server (fastify 5): the REST API under /api/v1 (PROTOCOL §3, §8), local-mode endpoints
// under /localnet and /api/v1/localnet, and the chain APIs under /esplora and /insight-api. Bodies are kept raw
// (verifyRequest may need the exact bytes, §8.5) and parsed here; every response carries Server-Time; every error
// is {error: text}; nothing a client sends can crash the process.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Exchange } from '../exchange';
import { chainApi, ESPLORA_MOUNT, INSIGHT_MOUNT } from './chainapi';
import type { Dispatcher } from './dispatch';

export const API_PREFIX = '/api/v1';
export const BODY_LIMIT = 1024 * 1024;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export interface HttpOptions {
  exchange: Exchange;
  dispatcher: Dispatcher;
  log?: (line: string) => void;
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
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('Server-Time', serverTime());
    return payload;
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

async function api(opts: HttpOptions, req: FastifyRequest, reply: FastifyReply, uri: string, raw: string | undefined): Promise<unknown> {
  // §2.6: a signed OPTIONS only recalibrates the client clock from Server-Time
  if (req.method === 'OPTIONS') return reply.code(200).send({});
  let body: unknown;
  if (raw !== undefined && raw.trim() !== '') {
    try {
      body = JSON.parse(raw);
    } catch {
      return reply.code(400).send({ error: 'Malformed JSON body' });
    }
  }
  const out = await opts.dispatcher.handle({
    transport: 'rest',
    method: req.method === 'HEAD' ? 'GET' : req.method,
    uri,
    body,
    rawBody: raw,
    authorization: headerText(req.headers.authorization),
    nonce: headerText(req.headers.nonce as string | string[] | undefined),
    requestid: headerText(req.headers.requestid as string | string[] | undefined),
    ip: req.ip,
  });
  if (!out.ok) return reply.code(out.status).send({ error: out.error });
  return reply
    .code(out.status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(out.body === undefined ? {} : out.body));
}

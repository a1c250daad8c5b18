// The REST fast path of the local exchange (main/localnet/server/http.ts): plain signed requests under /api/v1 with
// a JSON body (or none) skip fastify, and must answer exactly as the fastify route does; every other request
// (chunked bodies, other content types, percent-encoded URLs, HEAD/OPTIONS, oversized bodies) still goes through
// fastify. Compared over raw sockets, so the test sees the very bytes on the wire.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalMessage, hmacAuthorizationForMessage } from '../../main/coinpit/auth';
import { sharedSecret } from '../../main/coinpit/ecdh';
import { fastMode } from '../../main/localnet/server/http';
import { fund, newUser, order, startTestNet, stopTestNet, type TestNet, type TestUser } from './helpers/localnet';

let tn: TestNet;
let u: TestUser;
let sym: string;
beforeAll(async () => {
  tn = await startTestNet();
  u = await newUser(tn);
  await fund(tn, u);
  sym = tn.symbols[0]!;
}, 60_000);
afterAll(() => stopTestNet(tn));

interface Wire {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One HTTP/1.1 exchange over a fresh socket; `chunked` sends the body with Transfer-Encoding: chunked. */
function exchange(method: string, path: string, headers: Record<string, string>, body?: string, chunked = false): Promise<Wire> {
  return new Promise((resolve, reject) => {
    const s = net.connect(tn.port, '127.0.0.1');
    let head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    let payload = '';
    if (body !== undefined && chunked) {
      head += 'Transfer-Encoding: chunked\r\n';
      payload = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    } else if (body !== undefined) {
      head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
      payload = body;
    }
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const lines = text.slice(0, split).split('\r\n');
      const hs: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const c = l.indexOf(':');
        hs[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
      }
      let rest = text.slice(split + 4);
      if (hs['transfer-encoding'] === 'chunked') {
        let out = '';
        for (;;) {
          const nl = rest.indexOf('\r\n');
          const n = parseInt(rest.slice(0, nl), 16);
          if (!n) break;
          out += rest.slice(nl + 2, nl + 2 + n);
          rest = rest.slice(nl + 2 + n + 2);
        }
        rest = out;
      }
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers: hs, body: rest });
    });
    s.write(head + '\r\n' + payload);
  });
}

function signed(method: string, uri: string, text: string | undefined, nonce = Date.now()): Record<string, string> {
  const secret = sharedSecret(u.wif, u.account.serverPublicKey);
  return {
    'Content-Type': 'application/json',
    Nonce: String(nonce),
    Authorization: hmacAuthorizationForMessage(u.userid, secret, canonicalMessage(method, uri, text === undefined ? undefined : JSON.parse(text), nonce)),
  };
}

/** The parts of a reply both paths must agree on (Date and Server-Time differ by the clock). */
function comparable(w: Wire): unknown {
  const { date: _d, 'server-time': st, ...headers } = w.headers;
  expect(st).toMatch(/^\d{13}$/);
  delete headers['transfer-encoding'];
  delete headers['content-length'];
  const body = w.body.replace(/"(uuid|clientid|entryTime|eventTime)":"?[^,"}]*"?/g, '"$1":_').replace(/stale by \d+ms/, 'stale by _ms');
  return { status: w.status, headers, body };
}

describe('REST fast path', () => {
  it('a signed order placement answers the same through the fast path and through fastify', async () => {
    const uri = `/contract/${sym}/order/open`;
    const place = async (chunked: boolean): Promise<Wire> => {
      const text = JSON.stringify([order(u, sym, { price: 990 })]);
      return exchange('POST', `/api/v1${uri}`, signed('POST', uri, text), text, chunked);
    };
    const fast = await place(false);
    const slow = await place(true);
    expect(fast.status).toBe(200);
    expect(JSON.parse(fast.body)[0].status).toBe('open');
    expect(fast.headers['content-length']).toBe(String(Buffer.byteLength(fast.body)));
    expect(comparable(fast)).toEqual(comparable(slow));
  });

  it('errors answer the same: bad JSON, stale nonce, wrong HMAC, unknown route, wrong method, replay', async () => {
    const uri = `/contract/${sym}/order/open`;
    const cases: { method: string; path: string; headers: Record<string, string>; body?: string }[] = [
      { method: 'POST', path: `/api/v1${uri}`, headers: { 'Content-Type': 'application/json', Authorization: `HMAC ${u.userid}:${'0'.repeat(64)}`, Nonce: '1' }, body: '{"not json' },
      { method: 'POST', path: `/api/v1${uri}`, headers: signed('POST', uri, '[]', Date.now() - 60_000), body: '[]' },
      { method: 'POST', path: `/api/v1${uri}`, headers: { ...signed('POST', uri, '[]'), Authorization: `HMAC ${u.userid}:${'ab'.repeat(32)}` }, body: '[]' },
      { method: 'GET', path: '/api/v1/no/such/route', headers: {} },
      { method: 'PATCH', path: '/api/v1/all/config', headers: { 'Content-Type': 'application/json' }, body: '{}' },
      { method: 'POST', path: `/api/v1${uri}`, headers: signed('POST', uri, '[{"x":1}]'), body: '[{"x":1}]' },
    ];
    for (const c of cases) {
      const fast = await exchange(c.method, c.path, c.headers, c.body);
      // the same request again through fastify (a chunked body, or a query string with %-encoding for GETs)
      const slowPath = c.body === undefined ? `${c.path}?x=%41` : c.path;
      const slow = await exchange(c.method, slowPath, c.headers, c.body, c.body !== undefined);
      const label = `${c.method} ${c.path} ${c.body ?? ''}`;
      expect(fast.status, label).toBeGreaterThanOrEqual(400);
      if (c.headers.Nonce && c.body === '[{"x":1}]') {
        // the second use of the same signature is a replay: fastify's answer says so, the first was a 422
        expect(fast.status, label).toBe(422);
        expect(JSON.parse(slow.body).error, label).toMatch(/Replayed request/);
        continue;
      }
      expect(comparable(fast), label).toEqual(comparable(slow));
    }
  });

  it('requests the fast path leaves to fastify still get fastify answers', async () => {
    // percent-encoding fastify cannot decode: 400 from fastify, not a 404 from the router
    expect((await exchange('GET', '/api/v1/%E0%A4%A', {})).status).toBe(400);
    // a body over the 1 MB cap: 413
    const big = await exchange('POST', '/api/v1/order', { 'Content-Type': 'application/json' }, JSON.stringify({ x: 'a'.repeat(1024 * 1024 + 10) }));
    expect(big.status).toBe(413);
    expect(big.headers['server-time']).toMatch(/^\d{13}$/);
    // OPTIONS and HEAD
    expect((await exchange('OPTIONS', '/api/v1/account', {})).body).toBe('{}');
    expect((await exchange('HEAD', '/api/v1/all/config', {})).status).toBe(200);
    // a non-JSON content type goes to fastify, whose guard refuses it before reading the body (no cross-site posts)
    const plain = await exchange('POST', '/api/v1/order', { 'Content-Type': 'text/plain' }, '[]');
    expect(plain.status).toBe(415);
    expect(JSON.parse(plain.body).error).toMatch(/Unsupported Content-Type/);
  });

  it('a signed GET with a query string works on the fast path', async () => {
    const uri = `/contract/${sym}/order/closed?after=nope`;
    const r = await exchange('GET', `/api/v1${uri}`, signed('GET', uri, undefined));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual([]);
  });
});

describe('which requests take the fast path', () => {
  const req = (method: string, url: string, headers: Record<string, string> = {}) => ({ method, url, headers });
  const json = { 'content-type': 'application/json', 'content-length': '20' };
  it('signed JSON calls under /api/v1 do', () => {
    expect(fastMode(req('POST', '/api/v1/contract/X/order/open', json))).toBe('read');
    expect(fastMode(req('PUT', '/api/v1/order', { ...json, 'content-type': 'application/json; charset=utf-8' }))).toBe('read');
    expect(fastMode(req('DELETE', '/api/v1/order', { 'content-type': 'application/json' }))).toBe('read'); // fastify parses '' here
    expect(fastMode(req('GET', '/api/v1/account', { 'content-type': 'application/json' }))).toBe('none');
    expect(fastMode(req('DELETE', '/api/v1/order/abc'))).toBe('none');
    expect(fastMode(req('GET', '/api/v1/contract/X/order/closed?after=abc'))).toBe('none');
  });
  it('everything else goes to fastify', () => {
    expect(fastMode(req('POST', '/localnet/faucet', json))).toBe('fastify');
    expect(fastMode(req('GET', '/esplora/blocks/tip/height'))).toBe('fastify');
    expect(fastMode(req('GET', '/api/v1'))).toBe('fastify');
    expect(fastMode(req('HEAD', '/api/v1/account'))).toBe('fastify');
    expect(fastMode(req('OPTIONS', '/api/v1/account'))).toBe('fastify');
    expect(fastMode(req('POST', '/api/v1/order', { ...json, 'transfer-encoding': 'chunked' }))).toBe('fastify');
    expect(fastMode(req('POST', '/api/v1/order', { ...json, 'content-type': 'text/plain' }))).toBe('fastify');
    expect(fastMode(req('POST', '/api/v1/order', { 'content-length': '2' }))).toBe('fastify');
    expect(fastMode(req('POST', '/api/v1/order', { ...json, 'content-length': String(1024 * 1024 + 1) }))).toBe('fastify');
    expect(fastMode(req('GET', '/api/v1/account', { 'content-length': '5' }))).toBe('fastify');
    expect(fastMode(req('GET', '/api/v1/%E0%A4%A'))).toBe('fastify');
    expect(fastMode(req('GET', `/api/v1/${'a'.repeat(1000)}`))).toBe('fastify');
  });
});

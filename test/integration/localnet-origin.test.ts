// Cross-site requests to the loopback exchange (main/localnet/server/webguard.ts): a web page the user visits can
// send "simple" requests (text/plain or form bodies, no preflight) to 127.0.0.1. The exchange refuses any request
// with an Origin it does not allow (403, none allowed by default) and, on the JSON API, any body that is not
// application/json (415), before reading the body or checking a signature; Node clients (the project's client,
// the 2017 reference clients, the bots) send no Origin and JSON bodies and are unaffected.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastMode } from '../../main/localnet/server/http';
import { originSet, webRefusal } from '../../main/localnet/server/webguard';
import { newUser, rawRequest, signedRequest, startTestNet, stopTestNet, type RawReply, type TestNet, type TestUser } from './helpers/localnet';

const EVIL = 'http://evil.example';
let net: TestNet;
let user: TestUser;

beforeAll(async () => {
  net = await startTestNet();
  user = await newUser(net);
});
afterAll(async () => {
  await stopTestNet(net);
});

/** What a refused request may have changed: nothing. */
function state() {
  const ex = net.exchange;
  return { readonly: ex.readonly, height: ex.chain.tipHeight(), clockAdvanced: ex.now() - Date.now() > 3_600_000, bands: JSON.stringify(ex.engine.bands()), users: ex.users.get(user.userid) !== undefined };
}

/** A request with exactly these headers (fetch adds a text/plain Content-Type to string bodies). */
function exact(path: string, method: string, body: string, headers: Record<string, string>): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request(`${net.url}${path}`, { method, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text), headers: h });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function refusedWith(r: RawReply, status: 403 | 415, what: string): void {
  expect(r.status, what).toBe(status);
  expect(r.body?.error, what).toMatch(status === 403 ? /^Cross-origin request refused: / : /Content-Type.*application\/json/);
  expect(r.headers.get('server-time'), what).toMatch(/^\d{13}$/);
  expect(r.headers.get('access-control-allow-origin'), what).toBeNull();
}

describe('cross-site requests', () => {
  it('the audit case: POST /localnet/readonly as text/plain from a foreign page is refused and changes nothing', async () => {
    const before = state();
    const r = await rawRequest(`${net.url}/localnet/readonly`, 'POST', JSON.stringify({ readonly: true }), { 'Content-Type': 'text/plain', Origin: EVIL });
    refusedWith(r, 403, 'readonly');
    expect(r.body.error).toContain(EVIL);
    // the same body as text/plain without an Origin (a browser that sends none, or a form post): 415
    const plain = await rawRequest(`${net.url}/localnet/readonly`, 'POST', JSON.stringify({ readonly: true }), { 'Content-Type': 'text/plain' });
    refusedWith(plain, 415, 'readonly text/plain');
    expect(state()).toEqual(before);
    expect(net.exchange.readonly).toBe(false);
  });

  it('every local endpoint and every public POST refuses foreign origins and non-JSON bodies before acting', async () => {
    const endpoints: [string, unknown][] = [
      ['/localnet/readonly', { readonly: true }],
      ['/localnet/clock', { advanceMs: 400 * 86_400_000 }],
      ['/localnet/faucet', { address: user.account.accountid, amount: 100_000_000 }],
      ['/localnet/mine', { blocks: 5 }],
      ['/localnet/index', { price: 1200 }],
      ['/api/v1/localnet/mine', { blocks: 5 }],
      ['/api/v1/localnet/clock', { advanceMs: 400 * 86_400_000 }],
      ['/api/v1/auth', [{ message: '{}', signature: 'x' }]],
      ['/api/v1/auth/apikey', { name: 'x' }],
    ];
    const variants: { headers: Record<string, string>; status: 403 | 415; empty?: boolean }[] = [
      { headers: { 'Content-Type': 'text/plain', Origin: EVIL }, status: 403 },
      { headers: { 'Content-Type': 'application/json', Origin: EVIL }, status: 403 },
      { headers: { 'Content-Type': 'application/json', Origin: 'null' }, status: 403 }, // sandboxed frames, file: pages
      { headers: { 'Content-Type': 'application/json', Origin: `${net.url}.evil.example` }, status: 403 },
      { headers: { 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' }, status: 403 },
      { headers: { 'Content-Type': 'text/plain' }, status: 415 },
      { headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, status: 415 },
      { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, status: 415 },
      { headers: { 'Content-Type': 'multipart/form-data; boundary=x' }, status: 415 },
      { headers: { 'Content-Type': 'application/jsonp' }, status: 415 },
      { headers: {}, status: 415 }, // a body without any Content-Type (sent with exact headers below)
      { headers: { 'Content-Type': 'text/plain' }, status: 415, empty: true }, // an empty text/plain form post
    ];
    const before = state();
    for (const [path, body] of endpoints) {
      for (const v of variants) {
        const what = `${path} ${JSON.stringify(v)}`;
        const text = v.empty ? '' : JSON.stringify(body);
        const r = Object.keys(v.headers).length === 0 ? await exact(path, 'POST', text, v.headers) : await rawRequest(`${net.url}${path}`, 'POST', text, v.headers);
        refusedWith(r, v.status, what);
      }
    }
    expect(state()).toEqual(before);
  });

  it('signed routes: a foreign Origin is refused before the signature is checked or used up', async () => {
    const nonce = Date.now();
    const evil = await signedRequest(net, user, 'GET', '/account', undefined, { nonce, headers: { Origin: EVIL } });
    refusedWith(evil, 403, 'GET /account');
    // the same signed request without the Origin is served: the refusal did not consume the signature
    const ok = await signedRequest(net, user, 'GET', '/account', undefined, { nonce });
    expect(ok.status).toBe(200);
    expect(ok.body.userid).toBe(user.userid);

    const sym = net.symbols[0]!;
    const writes: [string, string, unknown][] = [
      ['POST', `/contract/${sym}/order/open`, []],
      ['POST', '/order', []],
      ['DELETE', `/contract/${sym}/order/open`, undefined],
      ['DELETE', '/account/margin/1000', undefined],
      ['POST', '/account/margin', [{ txs: [] }]],
    ];
    for (const [method, uri, body] of writes) {
      const r = await signedRequest(net, user, method, uri, body, { headers: { Origin: EVIL } });
      refusedWith(r, 403, `${method} ${uri}`);
      // and a signed body sent as text/plain: 415 before the signature is looked at
      if (body !== undefined) refusedWith(await signedRequest(net, user, method, uri, body, { headers: { 'Content-Type': 'text/plain' } }), 415, `${method} ${uri} text/plain`);
    }
  });

  it('CORS preflights and reads from web pages are refused too', async () => {
    const pre = await rawRequest(`${net.url}/api/v1/localnet/readonly`, 'OPTIONS', undefined, { Origin: EVIL, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' });
    refusedWith(pre, 403, 'preflight');
    refusedWith(await rawRequest(`${net.url}/api/v1/all/config`, 'GET', undefined, { Origin: EVIL }), 403, 'GET config');
    // an <img>/<script> load carries no Origin, but a browser says where it came from
    refusedWith(await rawRequest(`${net.url}/api/v1/all/config`, 'GET', undefined, { 'Sec-Fetch-Site': 'cross-site' }), 403, 'no-cors GET');
    refusedWith(await rawRequest(`${net.url}/api/v1/all/config`, 'GET', undefined, { 'Sec-Fetch-Site': 'same-site' }), 403, 'same-site GET');
    // a URL typed into the address bar is fine
    expect((await rawRequest(`${net.url}/api/v1/all/config`, 'GET', undefined, { 'Sec-Fetch-Site': 'none' })).status).toBe(200);
  });

  it('the chain APIs keep their raw-hex and form bodies but refuse foreign origins', async () => {
    const hex = await rawRequest(`${net.url}/esplora/tx`, 'POST', 'zz', { 'Content-Type': 'text/plain' });
    expect(hex.status).toBe(400); // not a transaction, but read as one: not a 415
    const form = await rawRequest(`${net.url}/insight-api/tx/send`, 'POST', 'rawtx=zz', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(400);
    expect(form.body).toMatch(/Code:-22$/);
    refusedWith(await rawRequest(`${net.url}/esplora/tx`, 'POST', 'zz', { 'Content-Type': 'text/plain', Origin: EVIL }), 403, 'esplora POST');
    refusedWith(await rawRequest(`${net.url}/esplora/blocks/tip/height`, 'GET', undefined, { Origin: EVIL }), 403, 'esplora GET');
    refusedWith(await rawRequest(`${net.url}/insight-api/tx/send`, 'POST', 'rawtx=zz', { 'Content-Type': 'application/x-www-form-urlencoded', Origin: EVIL }), 403, 'insight POST');
    expect((await rawRequest(`${net.url}/esplora/blocks/tip/height`, 'GET')).status).toBe(200);
  });

  it('JSON bodies, bodyless calls and the project client are unaffected', async () => {
    const h0 = net.exchange.chain.tipHeight();
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8']) {
      const r = await rawRequest(`${net.url}/localnet/mine`, 'POST', JSON.stringify({ blocks: 1 }), { 'Content-Type': type });
      expect(r.status, type).toBe(200);
    }
    // a bodyless POST without a Content-Type (curl -X POST) still works
    expect((await rawRequest(`${net.url}/localnet/mine`, 'POST')).status).toBe(200);
    expect(net.exchange.chain.tipHeight()).toBe(h0 + 4);
    // GET and DELETE without a body are not asked for a Content-Type
    expect((await rawRequest(`${net.url}/api/v1/all/config`, 'GET', undefined, { 'Content-Type': 'text/plain' })).status).toBe(200);
    expect((await signedRequest(net, user, 'DELETE', `/contract/${net.symbols[0]!}/order/open`, undefined, { headers: { 'Content-Type': 'text/plain' } })).status).toBe(200);
    // the project's own client (fast path, signed, with its 401 recovery)
    const account = await user.client.account();
    expect(account.userid).toBe(user.userid);
  });

  it('socket.io is not behind this guard (engine.io answers first and checks origins itself)', async () => {
    const r = await rawRequest(`${net.url}/socket.io/?EIO=4&transport=polling`, 'GET', undefined, { Origin: net.url });
    expect(r.status).toBe(200);
  });
});

describe('webRefusal and the fast path', () => {
  const none = originSet(undefined);
  const json = { 'content-type': 'application/json', 'content-length': '2' };
  it('allowed origins pass (case-insensitive); everything else with an Origin is refused', () => {
    const allowed = originSet(['app://coinpit', 'HTTP://127.0.0.1:5173']);
    expect(webRefusal('POST', '/api/v1/order', { ...json, origin: 'app://coinpit' }, allowed)).toBeUndefined();
    expect(webRefusal('POST', '/api/v1/order', { ...json, origin: 'http://127.0.0.1:5173' }, allowed)).toBeUndefined();
    expect(webRefusal('POST', '/api/v1/order', { ...json, origin: 'http://127.0.0.1:5174' }, allowed)?.status).toBe(403);
    expect(webRefusal('POST', '/api/v1/order', { ...json, origin: 'app://coinpit' }, none)?.status).toBe(403);
    expect(webRefusal('POST', '/api/v1/order', { ...json, origin: '' }, none)?.status).toBe(403);
    // an allowed Origin must still send JSON
    expect(webRefusal('POST', '/api/v1/order', { 'content-type': 'text/plain', 'content-length': '2', origin: 'app://coinpit' }, allowed)?.status).toBe(415);
  });
  it('Content-Type is required where there is a body, or on POST/PUT/PATCH when one is named', () => {
    expect(webRefusal('POST', '/api/v1/order', json, none)).toBeUndefined();
    expect(webRefusal('PUT', '/api/v1/order', { 'content-type': 'text/plain' }, none)?.status).toBe(415);
    expect(webRefusal('PATCH', '/api/v1/order', { 'transfer-encoding': 'chunked' }, none)?.status).toBe(415);
    expect(webRefusal('POST', '/localnet/mine', {}, none)).toBeUndefined();
    expect(webRefusal('POST', '/localnet/mine', { 'content-length': '0' }, none)).toBeUndefined();
    expect(webRefusal('GET', '/api/v1/account', { 'content-type': 'text/plain' }, none)).toBeUndefined();
    expect(webRefusal('GET', '/api/v1/account', { 'content-type': 'text/plain', 'content-length': '3' }, none)?.status).toBe(415);
    expect(webRefusal('POST', '/esplora/tx', { 'content-type': 'text/plain', 'content-length': '3' }, none)).toBeUndefined();
    expect(webRefusal('POST', '/insight-api/tx/send', { 'content-length': '3' }, none)).toBeUndefined();
  });
  it('requests the guard refuses never take the fast path', () => {
    const req = (headers: Record<string, string>) => ({ method: 'POST', url: '/api/v1/order', headers });
    expect(fastMode(req(json))).toBe('read');
    expect(fastMode(req({ ...json, origin: EVIL }))).toBe('fastify');
    expect(fastMode(req({ ...json, 'sec-fetch-site': 'cross-site' }))).toBe('fastify');
    expect(fastMode({ method: 'GET', url: '/api/v1/account', headers: { origin: EVIL } })).toBe('fastify');
    expect(fastMode({ method: 'DELETE', url: '/api/v1/order/x', headers: { origin: EVIL } })).toBe('fastify');
  });
});

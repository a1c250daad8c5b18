// Security of the local exchange through the real HTTP stack and over socket.io: order isolation between users,
// loginless verification (replay, stale nonce, wrong HMAC, string nonce), API-key roles and revocation,
// registration.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyAuthorizationMessage, authorizeApiKey, createApiKey, type ApiKey } from '../../main/coinpit/auth';
import { sharedSecret } from '../../main/coinpit/ecdh';
import { CoinpitError } from '../../main/coinpit/errors';
import { signMessage } from '../../main/coinpit/message';
import { CoinpitClient } from '../../main/coinpit/rest';
import { generateWif, identity } from '../../main/coinpit/identity';
import type { Socket } from 'socket.io-client';
import { fundedPair, order, rawRequest, signedRequest, startTestNet, stopTestNet, type TestNet, type TestUser } from './helpers/localnet';
import { barrier, emitSigned, isClientError, recordingSocket, signedPayload } from './helpers/socket';

let net: TestNet;
let a: TestUser;
let b: TestUser;
let sym: string;

beforeAll(async () => {
  net = await startTestNet();
  [a, b] = await fundedPair(net);
  sym = net.symbols[0]!;
});
const sockets: Socket[] = [];
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await stopTestNet(net);
});

const socketOf = (u?: TestUser) => recordingSocket(net.url, sockets, u);

async function failure(p: Promise<unknown>): Promise<CoinpitError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CoinpitError);
    return e as CoinpitError;
  }
  throw new Error('expected the request to fail');
}

async function apiKeyFor(u: TestUser, role: 'trade' | 'read'): Promise<ApiKey> {
  const key = createApiKey(u.userid, role);
  const authorization = authorizeApiKey(key, u.wif);
  const full = { ...key, publicKey: u.account.publicKey, authorization };
  await u.client.registerApiKey({ name: key.name, role, apiPublicKey: key.apiPublicKey, userid: u.userid, publicKey: u.account.publicKey, authorization });
  return full;
}

describe('order isolation', () => {
  it('user A cannot read, update or cancel user B’s orders on either path family', async () => {
    const [mine] = await b.client.createOrders(sym, [order(b, sym, { price: 990 })]);
    const uuid = mine!.uuid;
    expect((await failure(a.client.getOrder(sym, uuid))).status).toBe(404);
    expect((await failure(a.client.cancelOrder(sym, uuid))).status).toBe(404);
    expect((await failure(a.client.updateOrders(sym, [{ uuid, price: 991 }]))).status).toBe(404);
    for (const [method, uri, body] of [
      ['GET', `/order/${uuid}`, undefined],
      ['DELETE', `/order/${uuid}`, undefined],
      ['DELETE', '/order', [uuid]],
      ['PUT', '/order', { orders: [{ uuid, price: 992 }] }],
      ['PUT', '/order', [{ uuid, price: 992 }]],
    ] as const) {
      const r = await signedRequest(net, a, method, uri, body);
      expect(r.status, `${method} ${uri}`).toBe(404);
      expect(r.body.error).toMatch(/No order found/);
    }
    const patched = await a.client.patchOrders(sym, [{ op: 'remove', value: [uuid] }, { op: 'replace', value: [{ uuid, price: 993 }] }]);
    expect(patched.map((p) => p.error)).toEqual([expect.stringMatching(/No order found/), expect.stringMatching(/No order found/)]);
    await a.client.cancelAll(sym);
    expect(await a.client.openOrders(sym)).toEqual([]);
    expect(await b.client.getOrder(sym, uuid)).toMatchObject({ status: 'open', price: 990 });
    expect((await b.client.openOrders(sym)).map((o) => o.uuid)).toContain(uuid);
    // an order placed in someone else's name is refused
    const r = await a.client.createOrders(sym, [order(b, sym)]).catch((e) => e);
    expect(r.status).toBe(422);
  });
});

describe('loginless verification', () => {
  it('a replayed request is refused (401) and changes nothing', async () => {
    const body = [order(a, sym, { price: 980 })];
    const nonce = Date.now();
    const first = await signedRequest(net, a, 'POST', `/contract/${sym}/order/open`, body, { nonce });
    expect(first.status).toBe(200);
    const again = await signedRequest(net, a, 'POST', `/contract/${sym}/order/open`, body, { nonce });
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('Authentication failed. Replayed request');
    expect((await a.client.openOrders(sym)).filter((o) => o.price === 980)).toHaveLength(1);
  });

  it('stale nonce, wrong HMAC, string nonce, bad nonce, no Authorization, unknown user: 401', async () => {
    const stale = await signedRequest(net, a, 'GET', '/account', undefined, { nonce: Date.now() - 60_000 });
    expect(stale.status).toBe(401);
    expect(stale.body.error).toMatch(/stale by/);
    const future = await signedRequest(net, a, 'GET', '/account', undefined, { nonce: Date.now() + 60_000 });
    expect(future.status).toBe(401);

    const good = await signedRequest(net, a, 'GET', '/account');
    expect(good.status).toBe(200);
    const nonce = Date.now();
    const secret = sharedSecret(a.wif, a.account.serverPublicKey);
    const hmac = (m: string) => createHmac('sha256', Buffer.from(secret, 'hex')).update(m).digest('hex');
    const wrong = await signedRequest(net, a, 'GET', '/account', undefined, { nonce, authorization: `HMAC ${a.userid}:${'0'.repeat(64)}` });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatch(/HMAC mismatch/);
    // signed over the right message with another user's secret
    const other = await signedRequest(net, a, 'GET', '/account', undefined, {
      nonce,
      authorization: `HMAC ${a.userid}:${createHmac('sha256', Buffer.from(sharedSecret(b.wif, b.account.serverPublicKey), 'hex')).update(JSON.stringify({ method: 'GET', uri: '/account', nonce })).digest('hex')}`,
    });
    expect(other.status).toBe(401);
    // §8.4: the nonce inside M must be a JSON number
    const stringNonce = await signedRequest(net, a, 'GET', '/account', undefined, {
      nonce,
      authorization: `HMAC ${a.userid}:${hmac(JSON.stringify({ method: 'GET', uri: '/account', nonce: String(nonce) }))}`,
    });
    expect(stringNonce.status).toBe(401);
    const numeric = await signedRequest(net, a, 'GET', '/account', undefined, {
      nonce,
      authorization: `HMAC ${a.userid}:${hmac(JSON.stringify({ method: 'GET', uri: '/account', nonce }))}`,
    });
    expect(numeric.status).toBe(200); // the same request with a numeric nonce passes
    const badNonce = await signedRequest(net, a, 'GET', '/account', undefined, { nonce: 'abc', authorization: `HMAC ${a.userid}:${hmac('x')}` });
    expect(badNonce.status).toBe(401);
    expect(badNonce.body.error).toMatch(/Invalid Nonce/);
    const none = await rawRequest(`${net.url}/api/v1/account`, 'GET');
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('Expecting HMAC or SIGN Authorization');
    const stranger = identity(generateWif('testnet')).userid;
    const unknown = await rawRequest(`${net.url}/api/v1/account`, 'GET', undefined, { Nonce: String(Date.now()), Authorization: `HMAC ${stranger}:${'a'.repeat(64)}` });
    expect(unknown.status).toBe(401);
    const basic = await rawRequest(`${net.url}/api/v1/account`, 'GET', undefined, { Nonce: String(Date.now()), Authorization: 'Basic abc' });
    expect(basic.body.error).toBe('Unsupported Authorization method');
  });

  it('accepts the raw body text even when it differs from JSON.stringify of its parse (§8.5)', async () => {
    const raw = `[ {"clientid":"0b1c9e2e-2f4e-4c55-8f0a-1a2b3c4d5e6f", "userid":"${a.userid}","instrument":"${sym}","side":"buy","quantity":1,"orderType":"LMT","price":970.0,"stopPrice":5,"targetPrice":"NONE"} ]`;
    const nonce = Date.now();
    const secret = sharedSecret(a.wif, a.account.serverPublicKey);
    const m = `{"method":"POST","uri":"/order","body":${raw},"nonce":${nonce}}`;
    const auth = `HMAC ${a.userid}:${createHmac('sha256', Buffer.from(secret, 'hex')).update(m).digest('hex')}`;
    const r = await signedRequest(net, a, 'POST', '/order', undefined, { nonce, rawBody: raw, authorization: auth });
    expect(r.status).toBe(200);
    expect(r.body[0]).toMatchObject({ price: 970, instrument: sym });
  });
});

describe('API keys (§8.7)', () => {
  it('a trade key trades but cannot move coins or manage keys (403); a read key only reads', async () => {
    const trade = await apiKeyFor(a, 'trade');
    const read = await apiKeyFor(a, 'read');
    const keys = await a.client.listApiKeys();
    expect(keys.map((k) => k.name).sort()).toEqual([trade.name, read.name].sort());
    expect(keys.find((k) => k.name === trade.name)).toMatchObject({ role: 'trade', apiPublicKey: trade.apiPublicKey, authorization: trade.authorization });

    const tradeClient = new CoinpitClient({ baseUrl: net.url, apiKey: trade });
    expect((await tradeClient.connect()).mode).toBe('sign');
    const [o] = await tradeClient.createOrders(sym, [order(a, sym, { price: 960 })]);
    expect(o).toMatchObject({ userid: a.userid, status: 'open' });
    expect((await tradeClient.account()).userid).toBe(a.userid);
    for (const call of [() => tradeClient.marginOut(100_000), () => tradeClient.marginOutAll(), () => tradeClient.withdrawTx(), () => tradeClient.recoveryTx(), () => tradeClient.withdraw('00'), () => tradeClient.listApiKeys(), () => tradeClient.revokeApiKey(read.name), () => tradeClient.marginIn(['00'])]) {
      const e = await failure(call());
      expect(e.status).toBe(403);
    }

    const readClient = new CoinpitClient({ baseUrl: net.url, apiKey: read });
    expect((await readClient.openOrders(sym)).map((x) => x.uuid)).toContain(o!.uuid);
    expect((await failure(readClient.createOrders(sym, [order(a, sym)]))).status).toBe(403);
    expect((await failure(readClient.cancelOrder(sym, o!.uuid))).status).toBe(403);
    expect((await failure(readClient.marginOut(100_000))).status).toBe(403);
  });

  it('a revoked key gets 401 and cannot be registered again; bad registrations are refused', async () => {
    const key = await apiKeyFor(b, 'trade');
    const client = new CoinpitClient({ baseUrl: net.url, apiKey: key });
    expect((await client.account()).userid).toBe(b.userid);
    await b.client.revokeApiKey(key.name);
    expect((await failure(client.account())).status).toBe(401);
    expect((await b.client.listApiKeys()).map((k) => k.name)).not.toContain(key.name);
    const reg = { name: key.name, role: key.role, apiPublicKey: key.apiPublicKey, userid: b.userid, publicKey: b.account.publicKey, authorization: key.authorization! };
    expect((await failure(b.client.registerApiKey(reg))).status).toBe(409);
    expect((await failure(b.client.revokeApiKey(key.name))).status).toBe(404);

    const fresh = createApiKey(b.userid, 'trade');
    const auth = authorizeApiKey(fresh, b.wif);
    const base = { name: fresh.name, role: fresh.role, apiPublicKey: fresh.apiPublicKey, userid: b.userid, publicKey: b.account.publicKey, authorization: auth };
    // signed by another user's key
    const forged = signMessage(apiKeyAuthorizationMessage(fresh), a.wif);
    expect((await failure(b.client.registerApiKey({ ...base, authorization: forged }))).status).toBe(401);
    // publicKey of someone else
    expect((await failure(b.client.registerApiKey({ ...base, publicKey: a.account.publicKey }))).status).toBe(422);
    // role changed after signing
    expect((await failure(b.client.registerApiKey({ ...base, role: 'read' }))).status).toBe(401);
    // wrong name
    expect((await failure(b.client.registerApiKey({ ...base, name: 'k4' }))).status).toBe(422);
    expect(await b.client.registerApiKey(base)).toMatchObject({ name: fresh.name, role: 'trade' });
  });
});

describe('registration (§8.15)', () => {
  it('POST /auth with a signed {publicKey, ts}; refuses bad signatures and stale ts', async () => {
    const wif = generateWif('testnet');
    const client = new CoinpitClient({ baseUrl: net.url, wif });
    const session = await client.register();
    expect(session.userid).toBe(identity(wif).userid);
    expect(net.exchange.users.isRegistered(session.userid)).toBe(true);
    expect((await client.account()).userid).toBe(session.userid);

    const id = identity(wif);
    const send = (message: string, signature: string, auth = `HMAC ${id.userid}`) =>
      rawRequest(`${net.url}/api/v1/auth`, 'POST', JSON.stringify([{ message, signature }]), { 'Content-Type': 'application/json', Authorization: auth });
    const stale = JSON.stringify({ publicKey: id.publicKey, ts: Date.now() - 11 * 60_000 });
    expect((await send(stale, signMessage(stale, wif))).status).toBe(401);
    const ok = JSON.stringify({ publicKey: id.publicKey, ts: Date.now() });
    expect((await send(ok, signMessage(ok, generateWif('testnet')))).status).toBe(401);
    expect((await send(ok, signMessage(ok, wif), 'HMAC')).status).toBe(401);
    expect((await send('not json', signMessage('not json', wif))).status).toBe(422);
    const r = await send(ok, signMessage(ok, wif));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ userid: id.userid, serverPublicKey: session.serverPublicKey });
  });

  it('key exchange refuses malformed and uncompressed keys', async () => {
    const bad = await rawRequest(`${net.url}/api/v1/auth/nothex`, 'GET');
    expect(bad.status).toBe(422);
    expect(typeof bad.body.error).toBe('string');
    const unc = await rawRequest(`${net.url}/api/v1/auth/04${'11'.repeat(64)}`, 'GET');
    expect(unc.status).toBe(422);
    expect(unc.body.error).toMatch(/Uncompressed/);
  });
});

describe('over the socket (§2.7, §4.2)', () => {
  it('a replayed request event is refused with auth_error 401 and changes nothing', async () => {
    const { s, seen: replies } = await socketOf();
    const payload = signedPayload(a, 'POST', '/order', [order(a, sym, { price: 975 })], { requestid: 'replay-1' });
    s.emit('POST /order', payload);
    s.emit('POST /order', payload); // the same Authorization again, within the nonce window
    await barrier(s);
    expect(replies.map((r) => r.event)).toEqual(['order_add', 'auth_error']);
    expect(replies[1]!.payload).toMatchObject({ data: payload, error: 'Authentication failed. Replayed request', status: 401, server_time: expect.any(Number) });
    expect((await a.client.openOrders(sym)).filter((o) => o.price === 975)).toHaveLength(1);
  });

  it('stale and future nonces, a string nonce, a wrong HMAC, another user’s secret, no or forged Authorization: auth_error 401', async () => {
    const { s, seen: replies } = await socketOf();
    const body = () => [order(a, sym, { price: 974 })];
    const uri = '/order';
    const withHeaders = (p: Record<string, any>, h: Record<string, unknown>) => ({ ...p, headers: { ...p.headers, ...h } });
    const n = Date.now();
    // B's HMAC over the very message, presented under A's userid
    const bSigned = signedPayload(b, 'POST', uri, body(), { requestid: 'other' });
    const cases: [string, Record<string, any>, RegExp][] = [
      ['stale', signedPayload(a, 'POST', uri, body(), { requestid: 'stale', nonce: Date.now() - 60_000 }), /stale by/],
      ['future', signedPayload(a, 'POST', uri, body(), { requestid: 'future', nonce: Date.now() + 60_000 }), /stale by/],
      // §8.4: M signed with the nonce as a JSON string (Nonce sent as a number, or as the same string)
      ['string nonce in M', signedPayload(a, 'POST', uri, body(), { requestid: 'string-m', nonce: n + 1, stringNonce: true }), /HMAC mismatch/],
      ['string nonce in M and Nonce', withHeaders(signedPayload(a, 'POST', uri, body(), { requestid: 'string-mh', nonce: n + 2, stringNonce: true }), { Nonce: String(n + 2) }), /HMAC mismatch/],
      ['wrong HMAC', signedPayload(a, 'POST', uri, body(), { requestid: 'wrong', authorization: `HMAC ${a.userid}:${'0'.repeat(64)}` }), /HMAC mismatch/],
      ['B’s secret under A’s userid', withHeaders(bSigned, { Authorization: bSigned.headers.Authorization.replace(b.userid, a.userid) }), /HMAC mismatch/],
      ['no Authorization', { headers: { requestid: 'none', Nonce: Date.now() }, method: 'POST', uri, params: {}, body: body() }, /Expecting HMAC or SIGN/],
      ['bad nonce', signedPayload(a, 'POST', uri, body(), { requestid: 'bad-nonce', nonce: 'abc', authorization: `HMAC ${a.userid}:${'1'.repeat(64)}` }), /Invalid Nonce/],
    ];
    for (const [, p] of cases) s.emit('POST /order', p);
    await barrier(s);
    expect(replies).toHaveLength(cases.length);
    for (const [i, [what, p, text]] of cases.entries()) {
      const r = replies[i]!;
      expect(r.event, what).toBe('auth_error');
      expect(r.payload, what).toMatchObject({ data: p, status: 401, error: expect.stringMatching(text) });
    }
    expect((await a.client.openOrders(sym)).filter((o) => o.price === 974)).toEqual([]);
    // control: the same request signed correctly goes through
    emitSigned(s, a, 'GET', '/account', undefined, { requestid: 'control' });
    await barrier(s);
    expect(replies.at(-1)).toMatchObject({ event: 'account', payload: { requestid: 'control', account: { userid: a.userid } } });
  });

  it('user A cannot read, update or cancel user B’s order over the socket; B’s order and B’s sockets see nothing', async () => {
    const [mine] = await b.client.createOrders(sym, [order(b, sym, { price: 990 })]);
    const uuid = mine!.uuid;
    const before = JSON.stringify(net.exchange.engine.order(b.userid, uuid));
    const { s, seen: replies } = await socketOf(a); // registered as A
    const bSide = await socketOf(b); // B's own registered socket
    const attempts: [string, string, unknown][] = [
      ['GET', `/order/${uuid}`, undefined],
      ['GET', `/contract/${sym}/order/${uuid}`, undefined],
      ['PUT', '/order', { orders: [{ uuid, price: 992 }] }],
      ['PUT', '/order', [{ uuid, price: 992 }]],
      ['PUT', `/contract/${sym}/order/open`, [{ uuid, price: 992 }]],
      ['DELETE', `/order/${uuid}`, undefined],
      ['DELETE', '/order', [uuid]],
      ['DELETE', `/contract/${sym}/order/open/${uuid}`, undefined],
    ];
    for (const [i, [method, uri, body]] of attempts.entries()) emitSigned(s, a, method, uri, body, { requestid: `iso-${i}` });
    // PATCH answers per op: each op refused
    emitSigned(s, a, 'PATCH', `/contract/${sym}/order/open`, [{ op: 'remove', value: [uuid] }, { op: 'replace', value: [{ uuid, price: 993 }] }], { requestid: 'iso-patch' });
    // an order in B's name, and a request signed by A claiming B's userid
    emitSigned(s, a, 'POST', '/order', [order(b, sym, { price: 989 })], { requestid: 'iso-name' });
    const forged = signedPayload(a, 'DELETE', `/order/${uuid}`, undefined, { requestid: 'iso-forged' });
    forged.headers.Authorization = forged.headers.Authorization.replace(a.userid, b.userid);
    s.emit(`DELETE /order/${uuid}`, forged);
    // a cancel-all by A cancels A's orders only
    emitSigned(s, a, 'DELETE', `/contract/${sym}/order/open`, undefined, { requestid: 'iso-all' });
    await barrier(s);
    await barrier(bSide.s);

    const byId = (id: string) => replies.filter((r) => r.payload?.requestid === id || r.payload?.data?.headers?.requestid === id);
    for (const [i, [method, uri]] of attempts.entries()) {
      const got = byId(`iso-${i}`);
      expect(got, `${method} ${uri}`).toHaveLength(1);
      expect(isClientError(got[0]!), `${method} ${uri}: ${JSON.stringify(got[0])}`).toBe(true);
      expect(got[0]!.payload, `${method} ${uri}`).toMatchObject({ status: 404, error: expect.stringMatching(/No order found/) });
    }
    const patch = byId('iso-patch');
    expect(patch).toHaveLength(1);
    expect(patch[0]!.event).toBe('order_patch');
    expect(patch[0]!.payload.result.map((r: { error?: string }) => r.error)).toEqual([expect.stringMatching(/No order found/), expect.stringMatching(/No order found/)]);
    expect(byId('iso-name')).toMatchObject([{ event: 'order_error', payload: { status: 422 } }]);
    expect(byId('iso-forged')).toMatchObject([{ event: 'auth_error', payload: { status: 401 } }]);
    expect(byId('iso-all').map((r) => r.event)).toEqual(['order_del_all']);
    // nothing of A's requests reached B's socket, and B's order is as it was
    expect(bSide.seen.filter((r) => JSON.stringify(r.payload).includes(uuid))).toEqual([]);
    expect(JSON.stringify(net.exchange.engine.order(b.userid, uuid))).toBe(before);
    expect(await b.client.getOrder(sym, uuid)).toMatchObject({ status: 'open', price: 990 });
  });
});

// The socket.io side of the local exchange through the project's Feed and a raw socket.io client: signed
// request events and their §4.3 replies, every server event, private events only to their user, auth_error,
// GET /state, and the Insight `inv` subscription.
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketHmacAuthorization } from '../../main/coinpit/auth';
import { sharedSecret } from '../../main/coinpit/ecdh';
import type { Feed } from '../../main/coinpit/feed';
import type { Order } from '../../main/coinpit/types';
import { faucet, fundedPair, mine, nextEvent, order, post, rawRequest, setIndex, startTestNet, stopTestNet, type TestNet, type TestUser } from './helpers/localnet';

let net: TestNet;
let a: TestUser;
let b: TestUser;
let sym: string;
const feeds: Feed[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  net = await startTestNet();
  [a, b] = await fundedPair(net);
  sym = net.symbols[0]!;
});
afterAll(async () => {
  for (const f of feeds) f.stop();
  for (const s of sockets) s.disconnect();
  await stopTestNet(net);
});

async function feedOf(u: TestUser): Promise<{ feed: Feed; seen: { event: string; payload: any }[] }> {
  const { Feed } = await import('../../main/coinpit/feed');
  const feed = new Feed({ client: u.client, requestTimeoutMs: 5000 });
  const seen: { event: string; payload: any }[] = [];
  for (const e of ['order_add', 'order_update', 'order_del', 'order_del_all', 'order_patch', 'order_error', 'account', 'orderbook', 'difforderbook', 'trade', 'priceband', 'server_time', 'readonly', 'config', 'instruments', 'state', 'auth_error'] as const) {
    feed.on(e, (payload: unknown) => seen.push({ event: e, payload }));
  }
  await feed.start();
  feeds.push(feed);
  return { feed, seen };
}

function rawSocket(): Promise<Socket> {
  const s = io(net.url, { transports: ['websocket'], forceNew: true, reconnection: false });
  sockets.push(s);
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

function once<T = any>(s: Socket, event: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${event}`)), ms);
    s.once(event, (p: T) => {
      clearTimeout(t);
      resolve(p);
    });
  });
}

describe('socket requests and replies (§4.2, §4.3)', () => {
  it('start: register, state, account; connection events config, server_time, orderbook', async () => {
    const { feed, seen } = await feedOf(a);
    expect(feed.connected).toBe(true);
    const names = new Set(seen.map((s) => s.event));
    for (const e of ['config', 'server_time', 'orderbook', 'state']) expect(names, e).toContain(e);
    const state = seen.find((s) => s.event === 'state')!.payload;
    expect(state).toMatchObject({ readonly: false, server_time: expect.any(Number), bands: { [sym]: { price: 1000 } }, orderbook: { [sym]: expect.any(Object) } });
    expect(state.config.blockchainapi.uri).toBe(`${net.url}/insight-api`);
    expect(Object.keys(state.instruments)).toContain(sym);
  });

  it('order requests over the socket get order_add / order_update / order_patch / order_del / order_del_all / order_error', async () => {
    const { feed } = await feedOf(a);
    const add = await feed.request('POST', '/order', [order(a, sym, { price: 990 })]);
    expect(add.event).toBe('order_add');
    const placed = (add.data as { result: Order[] }).result[0]!;
    expect(placed).toMatchObject({ price: 990, status: 'open', userid: a.userid });
    const dupe = await feed.request('POST', '/order', [{ ...order(a, sym, { price: 990 }), clientid: placed.clientid }]);
    expect((dupe.data as { result: Order[] }).result).toEqual([placed]); // §8.17

    const upd = await feed.request('PUT', '/order', { orders: [{ uuid: placed.uuid, price: 991 }] });
    expect(upd).toMatchObject({ event: 'order_update', data: { result: [expect.objectContaining({ uuid: placed.uuid, price: 991 })] } });
    const pat = await feed.request('PATCH', '/order', [{ op: 'replace', value: [{ uuid: placed.uuid, price: 992 }] }]);
    expect(pat).toMatchObject({ event: 'order_patch', data: { result: [{ op: 'replace', response: [expect.objectContaining({ price: 992 })] }] } });
    const del = await feed.request('DELETE', '/order', [placed.uuid]);
    expect(del).toMatchObject({ event: 'order_del', data: { result: [placed.uuid] } });
    await feed.request('POST', '/order', [order(a, sym, { price: 989 })]);
    const delAll = await feed.request('DELETE', '/order');
    expect(delAll.event).toBe('order_del_all');
    expect(Object.keys(delAll.data)).toEqual(['requestid']);
    const err = await feed.request('POST', '/order', [order(a, sym, { price: 989.05 })]);
    expect(err.event).toBe('order_error');
    expect((err.data as { error: string }).error).toMatch(/invalid/);
    const other = await feed.request('DELETE', `/order/00000000-0000-4000-8000-000000000000`);
    expect(other.event).toBe('order_error');
    // official-table paths work over the socket too
    const viaTable = await feed.request('POST', `/contract/${sym}/order/open`, [order(a, sym, { price: 988 })]);
    expect(viaTable.event).toBe('order_add');
    await feed.request('DELETE', `/contract/${sym}/order/open`);
  });

  it('account requests answer with `account`; money and market routes too', async () => {
    const { feed } = await feedOf(a);
    const acc = await feed.request('GET', '/account');
    expect(acc).toMatchObject({ event: 'account', data: { account: { userid: a.userid, accountMargin: 200_000_000 } } });
    const margin = await feed.request('GET', '/account/margin');
    expect(margin).toMatchObject({ event: 'account', data: { result: { address: a.account.serverAddress, balance: 200_000_000 }, account: { userid: a.userid } } });
    const bad = await feed.request('DELETE', '/account/margin/1');
    expect(bad.event).toBe('account');
    expect((bad.data as { error: string }).error).toMatch(/dust/);
  });

  it('a trade reaches both users privately and everyone publicly; B’s events never reach A', async () => {
    const fa = await feedOf(a);
    const fb = await feedOf(b);
    const raw = await rawSocket(); // an anonymous watcher
    const rawTrade = once(raw, 'trade');
    const rawDiff = once(raw, 'difforderbook');
    const makerFill = nextEvent(fb.feed, 'order_update', (p: any) => p.result.some((o: Order) => o.userid === b.userid && o.filled === 1));
    const bAccount = nextEvent(fb.feed, 'account', (p: any) => p.account.positions[sym]?.quantity === -1);
    const bOrder = await fb.feed.request('POST', '/order', [order(b, sym, { side: 'sell', price: 1000 })]);
    const bUuid = (bOrder.data as { result: Order[] }).result[0]!.uuid;
    const aOrder = await fa.feed.request('POST', '/order', [order(a, sym, { price: 1000 })]);
    expect((aOrder.data as { result: Order[] }).result[0]).toMatchObject({ filled: 1 });
    expect((await makerFill).result.map((o: Order) => o.uuid)).toContain(bUuid);
    expect((await bAccount).account.userid).toBe(b.userid);
    expect((await rawTrade)[0]).toMatchObject({ instrument: sym, price: 1000, quantity: 1, side: 'buy' });
    expect((await rawDiff)[sym]).toMatchObject({ sell: expect.any(Object) });
    await new Promise((r) => setTimeout(r, 200));
    const leaked = fa.seen.filter((s) => ['order_add', 'order_update', 'order_del', 'order_patch', 'account'].includes(s.event)).filter((s) => JSON.stringify(s.payload).includes(b.userid));
    expect(leaked).toEqual([]);
    // the raw socket never registered: no private events at all
    const rawPrivate: string[] = [];
    raw.onAny((e: string) => rawPrivate.push(e));
    await fb.feed.request('POST', '/order', [order(b, sym, { side: 'sell', price: 1009 })]);
    await new Promise((r) => setTimeout(r, 200));
    expect(rawPrivate.filter((e) => e.startsWith('order_') || e === 'account')).toEqual([]);
  });

  it('priceband, readonly and instruments broadcasts', async () => {
    const { feed } = await feedOf(a);
    const band = nextEvent(feed, 'priceband');
    await setIndex(net, 1001);
    expect((await band)[sym]).toMatchObject({ price: 1001, min: 991, max: 1011 });

    const ro = nextEvent(feed, 'readonly', (p: any) => p.readonly === true);
    expect((await post(`${net.url}/localnet/readonly`, { readonly: true })).status).toBe(200);
    await ro;
    const refused = await feed.request('POST', '/order', [order(a, sym, { price: 990 })]);
    expect(refused).toMatchObject({ event: 'order_error', data: { error: 'Exchange is in read-only mode' } });
    const back = nextEvent(feed, 'readonly', (p: any) => p.readonly === false);
    const resynced = nextEvent(feed, 'resynced' as any);
    await post(`${net.url}/localnet/readonly`, { readonly: false });
    await back;
    await resynced; // the client re-registers and refetches when readonly ends (§4.1)

    const inst = nextEvent(feed, 'instruments', () => true, 8000);
    const expiry = net.exchange.engine.instruments()[sym]!.expiry;
    expect((await post(`${net.url}/localnet/clock`, { advanceMs: expiry - net.exchange.now() + 1000 })).status).toBe(200);
    const listed = await inst;
    expect(Object.keys(listed)).not.toContain(sym);
    expect(Object.keys(listed)).toHaveLength(2);
  });
});

describe('raw socket protocol', () => {
  it('GET /state with payload "" replies state; a bad signature gets auth_error echoing the request', async () => {
    const s = await rawSocket();
    const state = once(s, 'state');
    s.emit('GET /state', '');
    expect(await state).toMatchObject({ readonly: false, config: expect.any(Object), server_time: expect.any(Number) });

    const nonce = Date.now();
    const payload = { headers: { requestid: 'r-1', Authorization: `HMAC ${a.userid}:${'0'.repeat(64)}`, Nonce: nonce }, method: 'GET', uri: '/account', params: {}, retry: false };
    const authError = once(s, 'auth_error');
    s.emit('GET /account', payload);
    const e = await authError;
    expect(e).toMatchObject({ data: payload, error: expect.stringMatching(/HMAC mismatch/), server_time: expect.any(Number) });

    // signed correctly (socket form of M): GET /register joins the private room, no reply of its own
    const secret = sharedSecret(a.wif, a.account.serverPublicKey);
    const body = { userid: a.userid, publicKey: a.account.publicKey };
    const n2 = Date.now();
    s.emit('GET /register', { headers: { Authorization: socketHmacAuthorization(a.userid, secret, 'GET', '/register', body, {}, n2), Nonce: n2 }, method: 'GET', uri: '/register', params: {}, body });
    const book = await once(s, 'orderbook');
    expect(book[net.symbols[1]!]).toBeDefined();
    const acc = once(s, 'account');
    await setIndex(net, 1002); // no account change for a, so trigger one: a deposit to a's multisig
    await faucet(net, a.account.accountid, 1_000_000);
    expect((await acc).account.userid).toBe(a.userid);
    // garbage never crashes the server
    for (const junk of [null, 5, 'x', [], { headers: 7 }, { headers: { Authorization: 5, Nonce: {} } }]) s.emit('POST /order', junk);
    s.emit('NOT AN EVENT', {});
    const after = once(s, 'state');
    s.emit('GET /state', '');
    expect((await after).readonly).toBe(false);
  });

  it('Insight `inv` subscribers get tx and block events', async () => {
    const s = await rawSocket();
    s.emit('subscribe', 'inv');
    await new Promise((r) => setTimeout(r, 100));
    const tx = once(s, 'tx');
    const block = once(s, 'block');
    const txid = await faucet(net, b.account.accountid, 2_000_000);
    const ev = await tx;
    expect(ev.txid).toBe(txid);
    expect(ev.vout).toEqual([{ [b.account.accountid]: 2_000_000 }]);
    expect(await block).toBe(net.exchange.chain.tipHash());
    const block2 = once(s, 'block');
    await mine(net);
    expect(await block2).toBe(net.exchange.chain.tipHash());
  });

  it('accepts Engine.IO v3 clients (allowEIO3)', async () => {
    const r = await rawRequest(`${net.url}/socket.io/?EIO=3&transport=polling&t=abc`, 'GET');
    expect(r.status).toBe(200);
    expect(String(r.body)).toMatch(/"sid"/);
  });

  it('every engine.io response carries Server-Time: EIO=4 and EIO=3 polling handshakes, posts, polls, errors, preflights', async () => {
    /** the response with its Server-Time, checked against the wall clock around the request */
    const timed = async (path: string, method = 'GET', body?: string, headers: Record<string, string> = {}) => {
      const t0 = Date.now();
      const r = await rawRequest(`${net.url}${path}`, method, body, headers);
      const t1 = Date.now();
      const st = r.headers.get('server-time');
      expect(st, `${method} ${path}`).toMatch(/^\d+$/);
      expect(Number(st)).toBeGreaterThanOrEqual(t0);
      expect(Number(st)).toBeLessThanOrEqual(t1);
      return r;
    };
    // Engine.IO v4: handshake, the socket.io CONNECT packet, then a poll that has data waiting (CONNECT ack, config)
    const hs4 = await timed('/socket.io/?EIO=4&transport=polling');
    expect(hs4.status).toBe(200);
    const sid4 = /"sid":"([^"]+)"/.exec(String(hs4.body))![1]!;
    const post4 = await timed(`/socket.io/?EIO=4&transport=polling&sid=${sid4}`, 'POST', '40', { 'Content-Type': 'text/plain;charset=UTF-8' });
    expect(post4.body).toBe('ok');
    const poll4 = await timed(`/socket.io/?EIO=4&transport=polling&sid=${sid4}`);
    expect(String(poll4.body)).toMatch(/^40/);
    // Engine.IO v3 (socket.io 1.x/2.x clients): handshake, a client ping, the poll that carries the pong
    const hs3 = await timed('/socket.io/?EIO=3&transport=polling&t=x1');
    expect(hs3.status).toBe(200);
    const sid3 = /"sid":"([^"]+)"/.exec(String(hs3.body))![1]!;
    const post3 = await timed(`/socket.io/?EIO=3&transport=polling&sid=${sid3}&t=x2`, 'POST', '1:2', { 'Content-Type': 'text/plain;charset=UTF-8' });
    expect(post3.body).toBe('ok');
    const poll3 = await timed(`/socket.io/?EIO=3&transport=polling&sid=${sid3}&t=x3`);
    expect(String(poll3.body)).toMatch(/1:3/);
    // engine.io's own error answers and a CORS preflight do not pass its header events
    const unknownSid = await timed('/socket.io/?EIO=4&transport=polling&sid=nope');
    expect(unknownSid.status).toBe(400);
    expect((await timed('/socket.io/?EIO=4&transport=carrier-pigeon')).status).toBe(400);
    const preflight = await timed('/socket.io/?EIO=4&transport=polling', 'OPTIONS', undefined, { Origin: 'http://127.0.0.1:5173', 'Access-Control-Request-Method': 'GET' });
    expect(preflight.status).toBeLessThan(300);
  });
});


import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoinpitError } from '../../main/coinpit/errors';
import { Feed, type FeedEventName, type FeedEvents, type FeedOptions } from '../../main/coinpit/feed';
import { generateWif } from '../../main/coinpit/identity';
import { CoinpitClient } from '../../main/coinpit/rest';
import type { OrderRequest, SocketRequest } from '../../main/coinpit/types';
import { FakeExchange } from './helpers/fake-exchange';

const HOUR = 3_600_000;
let exchange: FakeExchange;
let feeds: Feed[];

beforeEach(async () => {
  exchange = await new FakeExchange().start();
  feeds = [];
});
afterEach(async () => {
  for (const f of feeds) f.stop();
  await exchange.stop();
});

function makeFeed(extra: Partial<FeedOptions> = {}): { feed: Feed; client: CoinpitClient } {
  const client = new CoinpitClient({ baseUrl: exchange.url, wif: generateWif('testnet') });
  const feed = new Feed({ client, reconnect: { initialDelayMs: 30, maxDelayMs: 200 }, ...extra });
  feeds.push(feed);
  return { feed, client };
}

/** Resolves with the next payload of `event` (the test's own timeout bounds the wait). */
function next<E extends FeedEventName>(feed: Feed, event: E): Promise<FeedEvents[E]> {
  return new Promise((resolve) => {
    const off = feed.on(event, (payload) => {
      off();
      resolve(payload);
    });
  });
}

function order(userid: string, quantity = 1): OrderRequest {
  return { clientid: crypto.randomUUID(), userid, instrument: 'BTCUSD', side: 'sell', quantity, orderType: 'LMT', price: 1001, stopPrice: 4, targetPrice: 6 };
}

function sent(event: string): SocketRequest[] {
  return exchange.socketEvents.filter((e) => e.event === event).map((e) => e.payload as SocketRequest);
}

describe('Feed against a fake exchange', () => {
  it('start registers (signed), loads the state snapshot and the account', async () => {
    const { feed, client } = makeFeed();
    const connected = next(feed, 'connected');
    const { state, account } = await feed.start();
    const session = client.session!;
    expect(await connected).toEqual({ reconnect: false });
    expect(state.bands.BTCUSD).toMatchObject({ min: 990, max: 1010 });
    expect(account.userid).toBe(session.userid);
    expect(exchange.registrations).toBe(1);
    expect(exchange.stateRequests).toBe(1);
    expect(exchange.socketEvents.find((e) => e.event === 'GET /state')!.payload).toBe('');
    expect(exchange.verified.filter((v) => v.transport === 'socket').map((v) => `${v.method} ${v.uri}`)).toEqual(['GET /register', 'GET /account']);
    const reg = sent('GET /register')[0]!;
    expect(reg).toMatchObject({ method: 'GET', uri: '/register', params: {}, body: { userid: session.userid, publicKey: session.publicKey }, retry: false });
    expect(reg.headers.Authorization).toMatch(new RegExp(`^HMAC ${session.userid}:[0-9a-f]{64}$`));
    expect(typeof reg.headers.Nonce).toBe('number');
    expect(feed.connected).toBe(true);
  });

  it('request resolves with the reply that echoes its requestid; concurrent requests do not mix', async () => {
    const { feed, client } = makeFeed();
    await feed.start();
    const userid = client.session!.userid;
    const seenByListener: unknown[] = [];
    feed.on('order_add', (p) => seenByListener.push(p));
    const a = order(userid, 1);
    const b = order(userid, 7);
    const [ra, rb] = await Promise.all([feed.request('POST', '/order', [a]), feed.request('POST', '/order', [b], { instrument: 'BTCUSD' })]);
    if (ra.event !== 'order_add' || rb.event !== 'order_add') throw new Error('expected order_add replies');
    expect(ra.data.result[0]!.clientid).toBe(a.clientid);
    expect(rb.data.result[0]!.clientid).toBe(b.clientid);
    const payloads = sent('POST /order');
    expect(payloads.map((p) => p.headers.requestid)).toEqual([ra.data.requestid, rb.data.requestid]);
    expect(payloads[1]!.params).toEqual({ instrument: 'BTCUSD' });
    expect(seenByListener).toHaveLength(2);
    const bad = await feed.request('POST', '/order', [order(userid, 0)]);
    expect(bad).toMatchObject({ event: 'order_error', data: { error: 'Invalid quantity' } });
  });

  it('account replies match by requestid when the server echoes it', async () => {
    exchange.accountEchoesRequestId = true;
    const { feed, client } = makeFeed();
    await feed.start();
    const reply = await feed.request('GET', '/account');
    expect(reply).toMatchObject({ event: 'account', data: { account: { userid: client.session!.userid } } });
    expect(reply.data.requestid).toBe(sent('GET /account').at(-1)!.headers.requestid);
  });

  it('server_time events calibrate the clock', async () => {
    const { feed, client } = makeFeed();
    await feed.start();
    const tick = next(feed, 'server_time');
    exchange.emitAll('server_time', Date.now() - HOUR);
    await tick;
    expect(Math.abs(client.clock.skewMs - HOUR)).toBeLessThan(5_000);
  });

  it('auth_error from a skewed server → calibrate from server_time → one resend with retry:true succeeds', async () => {
    const { feed, client } = makeFeed();
    await feed.start();
    exchange.skewMs = -HOUR;
    const authErrors: unknown[] = [];
    feed.on('auth_error', (p) => authErrors.push(p));
    const reply = await feed.request('POST', '/order', [order(client.session!.userid)]);
    expect(reply.event).toBe('order_add');
    expect(authErrors).toHaveLength(1);
    const payloads = sent('POST /order');
    expect(payloads.map((p) => p.retry)).toEqual([false, true]);
    expect(payloads[0]!.headers.requestid).toBe(payloads[1]!.headers.requestid);
    expect(payloads[1]!.headers.Nonce! - payloads[0]!.headers.Nonce!).toBeLessThan(-HOUR + 5_000);
    expect(exchange.verified.at(-1)).toMatchObject({ transport: 'socket', method: 'POST', uri: '/order', retry: true });
  });

  it('a second auth_error rejects with CoinpitError auth/401, without the Authorization value', async () => {
    const { feed, client } = makeFeed();
    await feed.start();
    exchange.forceAuthErrors = 2;
    let err: unknown;
    await feed.request('POST', '/order', [order(client.session!.userid)]).catch((e) => (err = e));
    expect(err).toBeInstanceOf(CoinpitError);
    expect(err).toMatchObject({ code: 'auth', status: 401 });
    const macs = sent('POST /order').map((p) => p.headers.Authorization!.split(':')[1]!);
    expect(macs).toHaveLength(2);
    for (const mac of macs) {
      expect((err as CoinpitError).message).not.toContain(mac);
      expect((err as CoinpitError).serverMessage).not.toContain(mac);
    }
    expect(exchange.socketEvents.filter((e) => e.event === 'POST /order')).toHaveLength(2); // no third try
  });

  it('a request without a reply times out', async () => {
    const { feed, client } = makeFeed({ requestTimeoutMs: 300 });
    await feed.start();
    exchange.ignoreSocketEvent = 'POST /order';
    const err = await feed.request('POST', '/order', [order(client.session!.userid)]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout' });
  });

  it('reconnects after the server closes the socket: re-register, refetch, resynced', async () => {
    const { feed, client } = makeFeed();
    await feed.start();
    const lifecycle: string[] = [];
    feed.on('disconnected', () => lifecycle.push('disconnected'));
    feed.on('reconnecting', () => lifecycle.push('reconnecting'));
    feed.on('connected', (c) => lifecycle.push(c.reconnect ? 'reconnected' : 'connected'));
    const resynced = next(feed, 'resynced');
    exchange.dropSockets();
    const { account, state } = await resynced;
    expect(account.userid).toBe(client.session!.userid);
    expect(state.readonly).toBe(false);
    expect(lifecycle).toEqual(['disconnected', 'reconnecting', 'reconnected']);
    expect(exchange.registrations).toBe(2);
    expect(exchange.stateRequests).toBe(2);
    expect(sent('GET /account')).toHaveLength(2);
    const reply = await feed.request('POST', '/order', [order(client.session!.userid)]);
    expect(reply.event).toBe('order_add');
  });

  it('reconnects with backoff when the server restarts on the same port', async () => {
    const { feed, client } = makeFeed();
    await feed.start();
    const delays: number[] = [];
    feed.on('reconnecting', (r) => delays.push(r.delayMs));
    const resynced = next(feed, 'resynced');
    await exchange.restart(400);
    await resynced;
    expect(delays.length).toBeGreaterThanOrEqual(2); // first attempts hit a closed port
    for (const d of delays) expect(d).toBeLessThanOrEqual(200);
    expect(exchange.registrations).toBe(2);
    expect(exchange.verified.filter((v) => v.uri === '/register').every((v) => v.userid === client.session!.userid)).toBe(true);
    const reply = await feed.request('GET', '/account');
    expect(reply.event).toBe('account');
  });

  it('leaving readonly mode re-registers and resyncs', async () => {
    const { feed } = makeFeed();
    await feed.start();
    const readonlyOn = next(feed, 'readonly');
    exchange.emitAll('readonly', { readonly: true });
    await readonlyOn;
    expect(exchange.registrations).toBe(1);
    const resynced = next(feed, 'resynced');
    exchange.emitAll('readonly', { readonly: false });
    await resynced;
    expect(exchange.registrations).toBe(2);
    expect(sent('GET /account')).toHaveLength(2);
  });

  it('a pending request is rejected when the connection drops', async () => {
    const { feed, client } = makeFeed();
    await feed.start();
    exchange.ignoreSocketEvent = 'POST /order';
    const pending = feed.request('POST', '/order', [order(client.session!.userid)]).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    exchange.dropSockets();
    expect(await pending).toMatchObject({ code: 'network' });
  });

  it('stop() rejects pending requests and stays stopped', async () => {
    const { feed, client } = makeFeed();
    await feed.start();
    exchange.ignoreSocketEvent = 'POST /order';
    const pending = feed.request('POST', '/order', [order(client.session!.userid)]).catch((e: unknown) => e);
    feed.stop();
    expect(await pending).toMatchObject({ code: 'network' });
    expect(feed.connected).toBe(false);
    await expect(feed.request('GET', '/account')).rejects.toMatchObject({ code: 'network' });
    await expect(feed.start()).rejects.toThrow(/once/);
  });

  it('start fails with a CoinpitError when the server is down', async () => {
    const { feed } = makeFeed({ requestTimeoutMs: 2_000 });
    await exchange.stop();
    await expect(feed.start()).rejects.toBeInstanceOf(CoinpitError);
    expect(feed.connected).toBe(false);
  });
});

// How the local exchange answers socket requests (PROTOCOL §4.2, §4.3, §8.12): exactly one reply per request on
// the requesting socket, with or without a requestid and whether or not the socket is registered; unknown events
// answered with an order_error 404/405 instead of silence; GET /unregister stopping a socket's private events.
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedPair, order, startTestNet, stopTestNet, type TestNet, type TestUser } from './helpers/localnet';
import { barrier, emitSigned, once, recordingSocket, registerSocket, signedPayload, unregisterSocket, type SocketReply } from './helpers/socket';

let net: TestNet;
let a: TestUser;
let b: TestUser;
let sym: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  net = await startTestNet();
  [a, b] = await fundedPair(net);
  sym = net.symbols[0]!;
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await stopTestNet(net);
});

const socketOf = (u?: TestUser) => recordingSocket(net.url, sockets, u);

const events = (seen: SocketReply[]) => seen.map((r) => r.event);

describe('unknown events (§8.12)', () => {
  it('get an order_error with a 404/405/414 status and a text, echo the requestid, call an ack; the socket stays up', async () => {
    const { s, seen } = await socketOf(a);
    const unknown: [unknown, unknown, number, RegExp][] = [
      ['FOO /bar', { headers: { requestid: 'u-1' } }, 405, /Method FOO not allowed/],
      ['OPTIONS /account', { headers: { requestid: 'u-2' } }, 405, /Method OPTIONS not allowed/],
      ['HEAD /account', { headers: { requestid: 'u-3' } }, 405, /Method HEAD not allowed/],
      ['get /account', { headers: { requestid: 'u-4' } }, 405, /Method get not allowed/],
      ['NOT AN EVENT', { headers: { requestid: 'u-5' } }, 404, /Unknown event/],
      ['GET account', { headers: { requestid: 'u-6' } }, 404, /Unknown event/],
      ['hello', undefined, 404, /Unknown event/], // no payload, no requestid, no ack
      [42, { headers: { requestid: 'u-8' } }, 404, /Unknown event/], // socket.io allows numeric event names
      [`GET /${'a'.repeat(3000)}`, { headers: { requestid: 'u-9' } }, 414, /too long/],
      ['GET /nope', signedPayload(a, 'GET', '/nope', undefined, { requestid: 'u-10' }), 404, /Not found/], // no such route
    ];
    for (const [event, payload] of unknown) {
      if (payload === undefined) s.emit(event as string);
      else s.emit(event as string, payload);
    }
    const acked = new Promise<any>((resolve) => s.emit('BREW /coffee', { headers: { requestid: 'u-ack' } }, resolve));
    await barrier(s);
    expect(events(seen)).toEqual([...unknown.map(() => 'order_error'), 'order_error']);
    for (const [i, [event, payload, status, text]] of unknown.entries()) {
      const requestid = (payload as { headers?: { requestid?: string } } | undefined)?.headers?.requestid;
      expect(seen[i]!.payload, String(event).slice(0, 40)).toEqual({ ...(requestid ? { requestid } : {}), status, error: expect.stringMatching(text) });
    }
    expect(await acked).toEqual({ requestid: 'u-ack', status: 405, error: expect.stringMatching(/Method BREW/) });
    // a local-mode route is known but served over REST only (answered on `account`, as non-order routes are)
    s.emit('POST /localnet/mine', { headers: { requestid: 'u-local' } });
    await barrier(s);
    expect(seen.find((r) => (r.payload as { requestid?: string } | undefined)?.requestid === 'u-local')).toMatchObject({
      event: 'account',
      payload: { status: 403, error: expect.stringMatching(/over REST only/) },
    });
    // the socket still works, as a registered socket of A
    expect(s.connected).toBe(true);
    emitSigned(s, a, 'GET', '/account', undefined, { requestid: 'after' });
    await barrier(s);
    expect(seen.at(-1)).toMatchObject({ event: 'account', payload: { requestid: 'after', account: { userid: a.userid } } });
  });
});

describe('exactly one reply per request (§4.2)', () => {
  /** Sends each order request of a small round trip on `s` and returns the events `s` and A's other socket saw. */
  async function roundTrip(s: Socket, other: Socket, withRequestid: boolean): Promise<string[]> {
    const rid = (x: string) => (withRequestid ? { requestid: x } : {});
    const place = once<any>(s, 'order_add');
    emitSigned(s, a, 'POST', '/order', [order(a, sym, { price: 950 })], rid('one-add'));
    const placed = (await place).result[0];
    emitSigned(s, a, 'PUT', '/order', [{ uuid: placed.uuid, price: 951 }], rid('one-put'));
    emitSigned(s, a, 'PATCH', '/order', [{ op: 'replace', value: [{ uuid: placed.uuid, price: 952 }] }], rid('one-patch'));
    emitSigned(s, a, 'DELETE', `/order/${placed.uuid}`, undefined, rid('one-del'));
    emitSigned(s, a, 'DELETE', `/contract/${sym}/order/open`, undefined, rid('one-all'));
    emitSigned(s, a, 'POST', '/order', [order(a, sym, { price: 950.05 })], rid('one-err'));
    await barrier(s);
    await barrier(other);
    return ['order_add', 'order_update', 'order_patch', 'order_del', 'order_del_all', 'order_error'];
  }

  const orderEvents = (seen: SocketReply[]) => seen.filter((r) => r.event.startsWith('order_'));

  for (const withRequestid of [false, true]) {
    it(`a registered requester gets one copy of each reply ${withRequestid ? 'with' : 'without'} a requestid; A's other socket one notification`, async () => {
      const me = await socketOf(a);
      const other = await socketOf(a);
      const expected = await roundTrip(me.s, other.s, withRequestid);
      expect(events(orderEvents(me.seen))).toEqual(expected);
      // the refusal is the requester's alone; every other reply reaches A's other socket as a notification
      expect(events(orderEvents(other.seen))).toEqual(expected.filter((e) => e !== 'order_error'));
      for (const r of [...me.seen, ...other.seen]) {
        if (withRequestid && r.event.startsWith('order_')) expect(r.payload.requestid).toMatch(/^one-/);
        if (!withRequestid) expect(r.payload).not.toHaveProperty('requestid'); // nothing internal leaks
      }
      // the account notification is the only `account` event: the order requests have no `account` reply
      expect(me.seen.filter((r) => r.event === 'account').every((r) => r.payload.requestid === undefined && r.payload.account.userid === a.userid)).toBe(true);
    });
  }

  it('an unregistered requester gets one copy too, and nothing of the user reaches it otherwise', async () => {
    const me = await socketOf(); // not registered
    const other = await socketOf(a);
    const expected = await roundTrip(me.s, other.s, false);
    expect(events(orderEvents(me.seen))).toEqual(expected);
    expect(events(me.seen).filter((e) => e === 'account')).toEqual([]);
    expect(events(orderEvents(other.seen))).toEqual(expected.filter((e) => e !== 'order_error'));
  });

  it('the same requestid from two users’ sockets at once: each gets its own replies, once', async () => {
    const sa = await socketOf(a);
    const sb = await socketOf(b);
    for (let i = 0; i < 5; i++) {
      emitSigned(sa.s, a, 'POST', '/order', [order(a, sym, { price: 930 + i })], { requestid: 'same' });
      emitSigned(sb.s, b, 'POST', '/order', [order(b, sym, { price: 930 + i })], { requestid: 'same' });
    }
    await barrier(sa.s);
    await barrier(sb.s);
    for (const [u, x] of [[a, sa], [b, sb]] as const) {
      const adds = orderEvents(x.seen);
      expect(adds.map((r) => [r.event, r.payload.requestid, r.payload.result[0].userid, r.payload.result[0].price])).toEqual([0, 1, 2, 3, 4].map((i) => ['order_add', 'same', u.userid, 930 + i]));
    }
    await a.client.cancelAll(sym);
    await b.client.cancelAll(sym);
  });

  it('account and money requests without a requestid: one `account` reply', async () => {
    const me = await socketOf(a);
    emitSigned(me.s, a, 'GET', '/account', undefined);
    emitSigned(me.s, a, 'GET', '/account/margin', undefined);
    emitSigned(me.s, a, 'DELETE', '/account/margin/1', undefined);
    await barrier(me.s);
    expect(me.seen.map((r) => [r.event, Object.keys(r.payload).sort()])).toEqual([
      ['account', ['account']],
      ['account', ['account', 'result']],
      ['account', ['error', 'status']],
    ]);
  });
});

describe('GET /unregister (§4.2)', () => {
  it('stops the private events of that socket only; its own requests are still answered; re-register resumes', async () => {
    const s1 = await socketOf(a);
    const s2 = await socketOf(a);
    const bs = await socketOf(b);
    // a refused unregister (bad signature, another user's userid) leaves the socket registered
    const bad = signedPayload(a, 'GET', '/unregister', { userid: a.userid, publicKey: a.account.publicKey }, { authorization: `HMAC ${a.userid}:${'0'.repeat(64)}` });
    s1.s.emit('GET /unregister', bad);
    emitSigned(s1.s, a, 'GET', '/unregister', { userid: b.userid, publicKey: b.account.publicKey });
    await barrier(s1.s);
    expect(s1.seen.map((r) => [r.event, r.payload.status])).toEqual([
      ['auth_error', 401],
      ['auth_error', 401],
    ]);
    s1.seen.length = 0;

    await unregisterSocket(s1.s, a);
    expect(s1.seen).toEqual([]); // no reply of its own
    // A trades through REST: the order and account events reach s2, not s1
    const s2Add = once<any>(s2.s, 'order_add');
    const s2Account = once<any>(s2.s, 'account');
    const [placed] = await a.client.createOrders(sym, [order(a, sym, { price: 940 })]);
    expect((await s2Add).result[0].uuid).toBe(placed!.uuid);
    expect((await s2Account).account.userid).toBe(a.userid);
    await barrier(s1.s); // s1 would have got its copy before this
    expect(s1.seen).toEqual([]);

    // s1's own request is still answered (directly, once), and s2 is notified
    const s2Del = once<any>(s2.s, 'order_del');
    emitSigned(s1.s, a, 'DELETE', `/order/${placed!.uuid}`, undefined, { requestid: 'after-unregister' });
    await barrier(s1.s);
    expect(s1.seen.map((r) => [r.event, r.payload.requestid])).toEqual([['order_del', 'after-unregister']]);
    expect((await s2Del).result).toEqual([placed!.uuid]);
    expect(bs.seen.filter((r) => JSON.stringify(r.payload).includes(a.userid))).toEqual([]);

    // registering again resumes the private events
    s1.seen.length = 0;
    await registerSocket(s1.s, a);
    const back = once<any>(s1.s, 'order_add');
    await a.client.createOrders(sym, [order(a, sym, { price: 941 })]);
    expect((await back).result[0]).toMatchObject({ price: 941 });
    await a.client.cancelAll(sym);
  });
});

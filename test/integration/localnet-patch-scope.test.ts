// PATCH …/order/open acts on the instrument in its path, as POST and PUT do (main/localnet/server/routes/orders.ts):
// an `add` for another instrument, or a replace/remove/merge/split naming an order of another instrument, is
// refused whole (422, clear text) before anything changes; on the /order family the socket params' {instrument}
// scopes the same way. Orders of an `add` without an instrument take the path's.
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketHmacAuthorization } from '../../main/coinpit/auth';
import { sharedSecret } from '../../main/coinpit/ecdh';
import type { Order } from '../../main/coinpit/types';
import { fundedPair, order, signedRequest, startTestNet, stopTestNet, type TestNet, type TestUser } from './helpers/localnet';

let net: TestNet;
let a: TestUser;
let b: TestUser;
let s0: string; // nearest expiry
let s1: string; // the other one
const sockets: Socket[] = [];

beforeAll(async () => {
  net = await startTestNet();
  [a, b] = await fundedPair(net);
  [s0, s1] = net.symbols as [string, string];
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await stopTestNet(net);
});

const path = (symbol: string) => `/contract/${symbol}/order/open`;
const state = async (): Promise<string> => {
  await net.exchange.settled();
  return JSON.stringify({ a: net.exchange.engine.openOrders(a.userid), b: net.exchange.engine.openOrders(b.userid), seq: (net.exchange as any).journal.lastSeq });
};

/** Two fills of a buy in s1: A holds two STP (and TGT) exit pairs there. */
async function twoStopsInS1(): Promise<string[]> {
  for (let i = 0; i < 2; i++) {
    expect((await signedRequest(net, a, 'POST', path(s1), [order(a, s1, { side: 'buy', price: 1000 })])).status).toBe(200);
    expect((await signedRequest(net, b, 'POST', path(s1), [order(b, s1, { side: 'sell', price: 1000 })])).status).toBe(200);
  }
  const stps = net.exchange.engine.openOrders(a.userid, s1).filter((o: Order) => o.orderType === 'STP');
  expect(stps).toHaveLength(2);
  return stps.map((o) => o.uuid);
}

describe('PATCH /contract/:symbol/order/open is scoped to the path symbol', () => {
  it('add: another instrument is refused whole; a missing instrument takes the path one', async () => {
    const before = await state();
    const r = await signedRequest(net, a, 'PATCH', path(s0), [
      { op: 'add', value: [order(a, s0, { price: 990 })] },
      { op: 'add', value: [order(a, s1, { price: 990 })] },
    ]);
    expect(r.status).toBe(422);
    expect(r.body.error).toBe(`PATCH op 1 (add): instrument ${s1} does not match ${s0}`);
    expect(await state()).toBe(before); // not even op 0 ran
    expect(net.exchange.engine.openOrders(a.userid, s1)).toEqual([]);

    const { instrument: _, ...bare } = order(a, s0, { price: 991 });
    const ok = await signedRequest(net, a, 'PATCH', path(s0), [{ op: 'add', value: [bare] }]);
    expect(ok.status).toBe(200);
    expect(ok.body[0].error).toBeUndefined();
    expect(ok.body[0].response[0]).toMatchObject({ instrument: s0, price: 991 });
    // through its own path the other expiry is fine
    const own = await signedRequest(net, a, 'PATCH', path(s1), [{ op: 'add', value: [order(a, s1, { price: 990 })] }]);
    expect(own.status).toBe(200);
    expect(own.body[0].response[0]).toMatchObject({ instrument: s1, price: 990 });
  });

  it('replace / remove / merge / split of an order of another instrument are refused whole', async () => {
    const stops = await twoStopsInS1();
    const [lmt] = (await signedRequest(net, a, 'POST', path(s1), [order(a, s1, { price: 980 })])).body as Order[];
    const mine = (await signedRequest(net, a, 'POST', path(s0), [order(a, s0, { price: 980 })])).body[0] as Order;
    const cases: [string, unknown, string][] = [
      ['replace', { op: 'replace', value: [{ uuid: lmt!.uuid, price: 981 }] }, lmt!.uuid],
      ['remove', { op: 'remove', value: [lmt!.uuid] }, lmt!.uuid],
      ['merge', { op: 'merge', value: stops }, stops[0]!],
      ['split', { op: 'split', value: [stops[0]], quantity: 1 }, stops[0]!],
    ];
    for (const [name, op, uuid] of cases) {
      const before = await state();
      // an op on the path's own instrument first: it must not run either
      const r = await signedRequest(net, a, 'PATCH', path(s0), [{ op: 'replace', value: [{ uuid: mine.uuid, price: 979 }] }, op]);
      expect(r.status, name).toBe(422);
      expect(r.body.error).toBe(`PATCH op 1 (${name}): order ${uuid} is in ${s1}, not ${s0}`);
      expect(await state(), name).toBe(before);
    }
    // the same ops through the right path work
    const merged = await signedRequest(net, a, 'PATCH', path(s1), [{ op: 'merge', value: stops }, { op: 'remove', value: [lmt!.uuid] }]);
    expect(merged.status).toBe(200);
    expect(merged.body[0].error).toBeUndefined();
    expect(merged.body[0].response.removed).toEqual(expect.arrayContaining(stops));
    expect(merged.body[1].response).toEqual([lmt!.uuid]);
    // an unknown uuid is still the engine's per-op 404, not a scope refusal
    const unknown = await signedRequest(net, a, 'PATCH', path(s0), [{ op: 'remove', value: ['no-such-uuid'] }]);
    expect(unknown.status).toBe(200);
    expect(unknown.body[0].error).toMatch(/No order found/);
  });

  it('the /order family: socket params {instrument} scope PATCH the same way; without them any instrument goes', async () => {
    const s = io(net.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    const secret = sharedSecret(a.wif, a.account.serverPublicKey);
    const reply = (requestid: string, body: unknown, params: unknown): Promise<{ event: string; payload: any }> =>
      new Promise((resolve) => {
        const done = (event: string) => (payload: any) => {
          if (payload?.requestid !== requestid) return;
          resolve({ event, payload });
        };
        s.on('order_patch', done('order_patch'));
        s.on('order_error', done('order_error'));
        const nonce = Date.now();
        s.emit('PATCH /order', {
          headers: { requestid, Authorization: socketHmacAuthorization(a.userid, secret, 'PATCH', '/order', body, params, nonce), Nonce: nonce },
          method: 'PATCH',
          uri: '/order',
          params,
          body,
          retry: false,
        });
      });
    const before = await state();
    const refused = await reply('p-1', [{ op: 'add', value: [order(a, s1, { price: 970 })] }], { instrument: s0 });
    expect(refused.event).toBe('order_error');
    expect(refused.payload).toMatchObject({ status: 422, error: `PATCH op 0 (add): instrument ${s1} does not match ${s0}` });
    expect(await state()).toBe(before);
    const free = await reply('p-2', [{ op: 'add', value: [order(a, s1, { price: 970 })] }], {});
    expect(free.event).toBe('order_patch');
    expect(free.payload.result[0].response[0]).toMatchObject({ instrument: s1, price: 970 });
  });
});

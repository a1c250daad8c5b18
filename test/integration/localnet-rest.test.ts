// Every REST endpoint of PROTOCOL §3 and §8 on both path families (§8.1), with the shapes of §8.12, through the
// real HTTP stack with the project's CoinpitClient and hand-signed requests for the 2017 paths.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../main/coinpit/types';
import { fundedPair, order, rawRequest, signedRequest, startTestNet, stopTestNet, type TestNet, type TestUser } from './helpers/localnet';

let net: TestNet;
let a: TestUser;
let b: TestUser;
let sym: string;
let sym2: string;

beforeAll(async () => {
  net = await startTestNet();
  [a, b] = await fundedPair(net);
  [sym, sym2] = net.symbols as [string, string];
});
afterAll(async () => stopTestNet(net));

describe('public endpoints', () => {
  it('config, info, band, spec, key exchange', async () => {
    const cfg = await a.client.config();
    expect(cfg.config).toMatchObject({ network: 'testnet', feePerKB: 50000, recoveryFeePerKB: 25000, blockchainapi: { uri: `${net.url}/insight-api`, provider: 'insight' }, esplora: `${net.url}/esplora` });
    expect(Object.keys(cfg.instruments).sort()).toEqual([sym, sym2].sort());
    expect(cfg.instruments[sym]).toMatchObject({ symbol: sym, type: 'inverse', contractusdvalue: 100, ticksperpoint: 10, commission: 0.0005, reward: 0, status: 'active' });
    const info = await a.client.info();
    expect(info[sym]).toMatchObject({ indexPrice: 1000, vol24H: { instrument: sym } });
    expect((await a.client.bands())[sym]).toEqual({ price: 1000, min: 990, max: 1010, instrument: sym });
    expect((await a.client.spec())[sym]).toMatchObject({ symbol: sym, type: 'inverse', ticksperpoint: 10, maxLeverage: 100, bandUpperLimit: 0.01, expiry: cfg.instruments[sym]!.expiry });
    const auth = await rawRequest(`${net.url}/api/v1/auth/${a.account.publicKey}`, 'GET');
    expect(auth.body).toEqual({ userid: a.userid, serverPublicKey: a.account.serverPublicKey });
    // the JS reference client signs /all/config: a public route ignores the Authorization
    expect((await signedRequest(net, a, 'GET', '/all/config')).status).toBe(200);
  });

  it('unknown routes 404, wrong methods 405, unknown symbols 404, all with {error} and Server-Time', async () => {
    for (const [method, path, status] of [
      ['GET', '/api/v1/nope', 404],
      ['GET', '/nowhere', 404],
      ['PATCH', '/api/v1/all/config', 405],
      ['GET', `/api/v1/contract/NOPE/orderbook`, 404],
    ] as const) {
      const r = await rawRequest(`${net.url}${path}`, method);
      expect(r.status, path).toBe(status);
      expect(typeof r.body.error).toBe('string');
      expect(Number(r.headers.get('server-time'))).toBeGreaterThan(1.5e12);
    }
    const unknownSym = await signedRequest(net, a, 'GET', '/contract/NOPE/order/open');
    expect(unknownSym.status).toBe(404);
    for (const path of ['/esplora/blocks/tip/height', '/insight-api/sync', '/esplora/tx/zz']) {
      const r = await rawRequest(`${net.url}${path}`, 'GET');
      expect(Number(r.headers.get('server-time'))).toBeGreaterThan(1.5e12);
    }
    const opt = await rawRequest(`${net.url}/api/v1/account`, 'OPTIONS');
    expect(opt.status).toBe(200);
    expect(Number(opt.headers.get('server-time'))).toBeGreaterThan(1.5e12);
  });
});

describe('orders: official table paths', () => {
  it('create (idempotent by clientid), read, update (both PUT bodies), cancel one, cancel all, history', async () => {
    const req = order(a, sym, { price: 995, quantity: 2 });
    const [o1] = await a.client.createOrders(sym, [req]);
    expect(o1).toMatchObject({ clientid: req.clientid, userid: a.userid, instrument: sym, side: 'buy', quantity: 2, filled: 0, cancelled: 0, price: 995, orderType: 'LMT', stopPrice: 5, targetPrice: 'NONE', status: 'open' });
    expect(o1!.entryTime).toBeGreaterThan(1e15); // microseconds
    const again = await a.client.createOrders(sym, [req]);
    expect(again).toEqual([o1]);
    expect((await a.client.openOrders(sym)).filter((o) => o.clientid === req.clientid)).toHaveLength(1);
    expect(await a.client.getOrder(sym, o1!.uuid)).toEqual(o1);
    // the uuid under the other symbol is not found
    expect((await signedRequest(net, a, 'GET', `/contract/${sym2}/order/${o1!.uuid}`)).status).toBe(404);

    const [u1] = await a.client.updateOrders(sym, [{ uuid: o1!.uuid, price: 996 }]);
    expect(u1).toMatchObject({ uuid: o1!.uuid, price: 996 });
    const put = await signedRequest(net, a, 'PUT', `/contract/${sym}/order/open`, { orders: [{ uuid: o1!.uuid, price: 996.5 }] });
    expect(put.status).toBe(200);
    expect(put.body[0]).toMatchObject({ price: 996.5 });

    const [o2, o3] = await a.client.createOrders(sym, [order(a, sym, { price: 994 }), order(a, sym, { price: 993 })]);
    expect(await a.client.cancelOrder(sym, o2!.uuid)).toEqual([o2!.uuid]);
    expect((await a.client.getOrder(sym, o2!.uuid)).status).toBe('cancel');
    const all = (await a.client.cancelAll(sym)) as string[];
    expect(all.sort()).toEqual([o1!.uuid, o3!.uuid].sort());
    expect(await a.client.openOrders(sym)).toEqual([]);
    const cancelled = await a.client.cancelledOrders(sym);
    expect(cancelled.slice(0, 3).map((o) => o.uuid).sort()).toEqual([o1!.uuid, o2!.uuid, o3!.uuid].sort());
    expect(cancelled.indexOf(cancelled.find((o) => o.uuid === o2!.uuid)!)).toBeGreaterThan(0); // newest first
    // §8.3 cursor: strictly after (older than) the given uuid, `after` and `from` alike
    const afterFirst = await a.client.cancelledOrders(sym, cancelled[0]!.uuid);
    expect(afterFirst).toEqual(cancelled.slice(1));
    const from = await signedRequest(net, a, 'GET', `/contract/${sym}/order/cancelled?from=${cancelled[0]!.uuid}`);
    expect(from.body).toEqual(cancelled.slice(1));
    expect(await a.client.cancelledOrders(sym, randomUUID())).toEqual([]);
  });

  it('closed orders, PATCH add/remove/replace/merge/split, account reads', async () => {
    await b.client.createOrders(sym, [order(b, sym, { side: 'sell', price: 1000 }), order(b, sym, { side: 'sell', price: 1000.5 })]);
    const [buy] = await a.client.createOrders(sym, [order(a, sym, { price: 1000.5, quantity: 2 })]);
    expect(buy).toMatchObject({ filled: 2, status: 'filled' });
    expect((await a.client.closedOrders(sym))[0]!.uuid).toBe(buy!.uuid);
    const stops = (await a.client.openOrders(sym)).filter((o) => o.orderType === 'STP');
    expect(stops).toHaveLength(2);

    const res = await a.client.patchOrders(sym, [
      { op: 'add', value: [order(a, sym, { price: 980 })] },
      { op: 'merge', value: stops.map((s) => s.uuid) },
    ]);
    expect(res[0]).toMatchObject({ op: 'add', response: [expect.objectContaining({ price: 980 })] });
    expect(res[0]!.error).toBeUndefined();
    const merged = res[1] as { op: 'merge'; response: { removed: string[]; added: Order[] } };
    // both STP/TGT pairs are replaced by one pair
    expect(merged.response.removed).toEqual(expect.arrayContaining(stops.map((s) => s.uuid)));
    expect(merged.response.removed).toHaveLength(4);
    const mergedStop = merged.response.added.find((o) => o.orderType === 'STP')!;
    expect(mergedStop.quantity - mergedStop.filled - mergedStop.cancelled).toBe(2);
    const added = (res[0] as { response: Order[] }).response[0]!;
    const res2 = await a.client.patchOrders(sym, [
      { op: 'replace', value: [{ uuid: added.uuid, price: 981 }] },
      { op: 'split', value: [mergedStop.uuid], quantity: 1 },
      { op: 'remove', value: [added.uuid] },
    ]);
    expect(res2.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
    expect((res2[0] as { response: Order[] }).response[0]).toMatchObject({ price: 981 });
    expect((res2[1] as { response: Order[] }).response.filter((o) => o.orderType === 'STP')).toHaveLength(2);
    expect((res2[2] as { response: string[] }).response).toEqual([added.uuid]);

    const acc = await a.client.account();
    expect(acc).toMatchObject({ userid: a.userid, accountMargin: 200_000_000, multisig: expect.any(Number) });
    expect(acc.positions[sym]).toMatchObject({ quantity: 2, instrument: sym, userid: a.userid });
    expect(Object.keys(acc.orders[sym]!)).toHaveLength(4); // two STP/TGT pairs
    expect(await a.client.positions()).toEqual(acc.positions);
    expect(await a.client.pnl()).toEqual(acc.pnl);
    expect(acc.pnl).toMatchObject({ userid: a.userid, accountid: a.account.accountid });
    const ex = await a.client.executions();
    expect(ex.map((e) => e.price).sort()).toEqual([1000, 1000.5]);
    const older = await signedRequest(net, a, 'GET', `/account/execution?after=${ex[0]!.uuid}`);
    expect(older.body).toEqual(ex.slice(1));
    const margin = await a.client.marginInfo();
    expect(margin).toMatchObject({ address: a.account.serverAddress, balance: 200_000_000 });
    expect(margin.available).toBeLessThan(200_000_000);

    await b.client.createOrders(sym, [order(b, sym, { price: 985, quantity: 3 })]);
    const book = await a.client.orderbook(sym);
    expect(book).toEqual({ bid: 985, ask: null, buy: [{ price: 985, numberOfOrders: 1, totalQuantity: 3, instrument: sym }], sell: [] });
    expect((await a.client.trades(sym))[0]).toMatchObject({ instrument: sym, side: 'buy', quantity: 1, time: expect.any(Number) });
    expect((await a.client.candles(sym)).at(-1)).toMatchObject({ volume: 2, open: 1000, high: 1000.5, close: 1000.5 });
    // positions and stops flattened again for the next tests: cancel targets, sell back
    await a.client.cancelAll(sym);
  });
});

describe('orders: 2017 /order paths', () => {
  it('POST, GET, PUT ({orders} and array), PATCH, DELETE one, DELETE list, DELETE all, GET one', async () => {
    const req = order(a, sym2, { price: 990 });
    const created = await signedRequest(net, a, 'POST', '/order', [req, order(a, sym2, { price: 989 }), order(a, sym, { price: 988 })]);
    expect(created.status).toBe(200);
    const [x, y, z] = created.body as Order[];
    expect([x!.instrument, y!.instrument, z!.instrument]).toEqual([sym2, sym2, sym]);
    const dup = await signedRequest(net, a, 'POST', '/order', [req]);
    expect(dup.body).toEqual([x]);
    const open = await signedRequest(net, a, 'GET', '/order');
    expect((open.body as Order[]).map((o) => o.uuid)).toEqual(expect.arrayContaining([x!.uuid, y!.uuid, z!.uuid]));
    expect((await signedRequest(net, a, 'GET', `/order/${x!.uuid}`)).body).toMatchObject({ uuid: x!.uuid, price: 990 });
    expect((await signedRequest(net, a, 'PUT', '/order', [{ uuid: x!.uuid, price: 990.5 }])).body[0]).toMatchObject({ price: 990.5 });
    expect((await signedRequest(net, a, 'PUT', '/order', { orders: [{ uuid: x!.uuid, price: 990.7 }] })).body[0]).toMatchObject({ price: 990.7 });
    const p = await signedRequest(net, a, 'PATCH', '/order', [{ op: 'replace', value: [{ uuid: y!.uuid, price: 989.5 }] }]);
    expect(p.body[0]).toMatchObject({ op: 'replace', response: [expect.objectContaining({ price: 989.5 })] });
    expect((await signedRequest(net, a, 'DELETE', `/order/${x!.uuid}`)).body).toEqual([x!.uuid]);
    expect((await signedRequest(net, a, 'DELETE', '/order', [y!.uuid])).body).toEqual([y!.uuid]);
    const rest = await signedRequest(net, a, 'DELETE', '/order');
    expect(rest.status).toBe(200);
    expect(rest.body).toContain(z!.uuid);
    expect(((await signedRequest(net, a, 'GET', '/order')).body as Order[]).filter((o) => o.orderType === 'LMT')).toEqual([]);
    // validation errors are 422 with a text
    const bad = await signedRequest(net, a, 'POST', '/order', [{ ...order(a, sym), price: 990.05 }]);
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/price 990.05 is invalid/);
  });
});

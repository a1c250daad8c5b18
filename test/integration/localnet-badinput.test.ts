// A corpus of malformed requests over REST and socket.io (issue 3 "Bad input"): bad JSON, wrong types, NaN, huge
// and negative numbers, off-tick prices, unknown symbols and uuids, 2 MB bodies, invalid transactions and
// scripts. Each gets a 4xx and an error text (over the socket: exactly one reply carrying that status); the server
// stays up and no state changes.
import { script as bscript, Transaction } from 'bitcoinjs-lib';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOCKET_TRANSPORT_LIMIT } from '../../main/localnet/server/socket';
import { fund, marginInTx, newUser, order, rawRequest, signedRequest, startTestNet, stopTestNet, withdrawTx, type TestNet, type TestUser } from './helpers/localnet';
import { barrier, connectSocket, emitSigned, isClientError, record, replyRequestid, type SocketReply } from './helpers/socket';

let net: TestNet;
let u: TestUser;
let sym: string;
let myOrder: string;

beforeAll(async () => {
  net = await startTestNet();
  u = await newUser(net);
  await fund(net, u);
  sym = net.symbols[0]!;
  const [o] = await u.client.createOrders(sym, [order(u, sym, { price: 990 })]);
  myOrder = o!.uuid;
});
afterAll(async () => stopTestNet(net));

function stateOf(): string {
  const ex = net.exchange;
  return JSON.stringify({ engine: ex.engine.toJSON(), tip: ex.chain.tipHash(), mempool: ex.chain.mempoolTxids(), users: ex.users.toJSON() });
}

const BIG = 'a'.repeat(2 * 1024 * 1024);
const HUGE = 1e308;
/** not transactions, and transactions whose scripts do not verify (the last spends a made-up outpoint unsigned) */
/**
 * A real user-signed spend of the multisig with its signature broken (one DER byte flipped) or taken out (OP_0):
 * well-formed transactions whose input scripts must fail verification (§9 script checks).
 */
function brokenSignature(hex: string, how: 'flip' | 'drop'): string {
  const tx = Transaction.fromHex(hex);
  const chunks = bscript.decompile(tx.ins[0]!.script)!;
  const i = chunks.findIndex((c) => c instanceof Uint8Array && c.length >= 70 && c.length <= 73 && c[0] === 0x30);
  if (i < 0) throw new Error('no signature in the input script');
  if (how === 'drop') chunks[i] = 0; // OP_0: the placeholder of a missing signature
  else {
    const sig = Uint8Array.from(chunks[i] as Uint8Array);
    sig[10] = sig[10]! ^ 1;
    chunks[i] = sig;
  }
  tx.ins[0]!.script = bscript.compile(chunks);
  return tx.toHex();
}

const NOT_TX = ['', 'zz', '00', 'ab'.repeat(10), '01000000000000000000', '0100000001' + '00'.repeat(36) + '00ffffffff0100e1f505000000001976a914' + '00'.repeat(20) + '88ac00000000'];

function badOrders(): unknown[] {
  const base = () => order(u, sym);
  const variants: Record<string, unknown>[] = [
    { clientid: undefined },
    { clientid: 5 },
    { userid: undefined },
    { side: 'hold' },
    { side: 5 },
    { quantity: 0 },
    { quantity: -1 },
    { quantity: 1.5 },
    { quantity: '1' },
    { quantity: null },
    { quantity: HUGE },
    { quantity: 2 ** 60 },
    { orderType: 'XYZ' },
    { orderType: null },
    { orderType: 'STP' },
    { orderType: 'TGT' },
    { price: 999.05 },
    { price: -1 },
    { price: 0 },
    { price: '999' },
    { price: HUGE },
    { price: null },
    { orderType: 'MKT', price: 1000 },
    { orderType: 'SLM', price: undefined },
    { stopPrice: undefined },
    { stopPrice: -5 },
    { stopPrice: 0 },
    { stopPrice: 5.05 },
    { stopPrice: 'x' },
    { stopPrice: HUGE },
    { stopPrice: 0.5 },
    { targetPrice: -1 },
    { targetPrice: 'x' },
    { targetPrice: 3.33 },
    { targetPrice: HUGE },
    { instrument: 'NOPE' },
    { instrument: 5 },
    { quantity: 1_000_000_000 },
    { quantity: 100_000 }, // far beyond the margin
  ];
  const out: unknown[] = variants.map((v) => [{ ...base(), ...v }]);
  out.push(5, 'x', null, {}, [], [null], [5], ['x'], [[]], { orders: [base()] });
  out.push(Array.from({ length: 101 }, () => base())); // more than maxOrdersCreateUpdate
  return out;
}

describe('malformed REST requests', () => {
  it('each gets a 4xx with an error text and nothing changes', async () => {
    const before = stateOf();
    const cases: { what: string; run: () => Promise<{ status: number; body: any }> }[] = [];
    const signed = (method: string, uri: string, body?: unknown) => () => signedRequest(net, u, method, uri, body);
    const raw = (method: string, path: string, text?: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }) => () => rawRequest(`${net.url}${path}`, method, text, headers);

    for (const [i, body] of badOrders().entries()) {
      cases.push({ what: `POST order #${i}`, run: signed('POST', `/contract/${sym}/order/open`, body) });
      cases.push({ what: `POST /order #${i}`, run: signed('POST', '/order', body) });
    }
    // an instrument that does not match the path symbol
    cases.push({ what: 'instrument vs path', run: signed('POST', `/contract/${sym}/order/open`, [order(u, net.symbols[1]!)]) });
    for (const body of [5, 'x', null, {}, [], { orders: 5 }, { orders: [] }, [{ uuid: 'nope', price: 991 }], [{ uuid: myOrder, price: 'x' }], [{ uuid: myOrder, price: -1 }], [{ uuid: myOrder, price: 990.05 }], [{ uuid: myOrder, price: HUGE }], [{ uuid: myOrder }], [{ uuid: 5, price: 991 }], [{ uuid: myOrder, price: 991 }, { uuid: myOrder, price: 992 }]]) {
      cases.push({ what: `PUT ${JSON.stringify(body)}`, run: signed('PUT', `/contract/${sym}/order/open`, body) });
      cases.push({ what: `PUT /order ${JSON.stringify(body)}`, run: signed('PUT', '/order', body) });
    }
    for (const body of [5, 'x', null, {}, [], Array.from({ length: 101 }, () => ({ op: 'remove', value: [myOrder] }))]) {
      cases.push({ what: `PATCH ${JSON.stringify(body).slice(0, 40)}`, run: signed('PATCH', `/contract/${sym}/order/open`, body) });
    }
    for (const id of ['nope', '00000000-0000-4000-8000-000000000000', '%00', 'a'.repeat(300), '..']) {
      cases.push({ what: `DELETE ${id}`, run: signed('DELETE', `/contract/${sym}/order/open/${encodeURIComponent(id)}`) });
      cases.push({ what: `GET ${id}`, run: signed('GET', `/contract/${sym}/order/${encodeURIComponent(id)}`) });
      cases.push({ what: `DELETE /order/${id}`, run: signed('DELETE', `/order/${encodeURIComponent(id)}`) });
    }
    for (const body of [[5], ['nope'], [null], 'x', { a: 1 }]) cases.push({ what: `DELETE /order ${JSON.stringify(body)}`, run: signed('DELETE', '/order', body) });
    for (const s of ['NOPE', 'BTCUSD7J28', '%20', 'x'.repeat(200)]) {
      for (const p of ['order/open', 'order/closed', 'orderbook', 'trade', 'chart/5']) cases.push({ what: `symbol ${s} ${p}`, run: signed('GET', `/contract/${encodeURIComponent(s)}/${p}`) });
      cases.push({ what: `POST symbol ${s}`, run: signed('POST', `/contract/${encodeURIComponent(s)}/order/open`, [order(u, s)]) });
    }
    // money
    for (const amount of ['-1', '0', '1e5', 'NaN', '99999999999999999999', '1.5', '5000', '100000000000000']) {
      cases.push({ what: `DELETE margin ${amount}`, run: signed('DELETE', `/account/margin/${amount}`) });
    }
    for (const tx of NOT_TX) {
      cases.push({ what: `margin in ${tx.slice(0, 20)}`, run: signed('POST', '/account/margin', [{ txs: [tx] }]) });
      cases.push({ what: `withdraw ${tx.slice(0, 20)}`, run: signed('POST', '/tx', { tx }) });
      cases.push({ what: `esplora ${tx.slice(0, 20)}`, run: raw('POST', '/esplora/tx', tx, { 'Content-Type': 'text/plain' }) });
      cases.push({ what: `insight ${tx.slice(0, 20)}`, run: raw('POST', '/insight-api/tx/send', JSON.stringify({ rawtx: tx })) });
    }
    for (const body of [5, null, [], [{}], [{ txs: 'ab' }], [{ txs: [5] }], { txs: Array.from({ length: 21 }, () => '00') }]) {
      cases.push({ what: `margin body ${JSON.stringify(body).slice(0, 30)}`, run: signed('POST', '/margin', body) });
    }
    for (const body of [5, null, [], {}, { tx: 5 }, { tx: null }]) cases.push({ what: `withdraw body ${JSON.stringify(body)}`, run: signed('POST', '/account/withdraw', body) });
    cases.push({ what: 'revoke unknown key', run: signed('DELETE', '/account/apikey/nope') });
    // keys and registration
    for (const pub of ['x', '02' + '00'.repeat(32), '04' + '11'.repeat(64), 'zz'.repeat(33), '03' + 'ff'.repeat(32)]) cases.push({ what: `auth ${pub.slice(0, 10)}`, run: raw('GET', `/api/v1/auth/${pub}`) });
    for (const body of [5, null, {}, [], { name: 'x' }, { name: 'x', role: 'admin' }, { role: 'trade', apiPublicKey: 'zz' }]) {
      cases.push({ what: `apikey ${JSON.stringify(body)}`, run: raw('POST', '/api/v1/auth/apikey', JSON.stringify(body)) });
    }
    for (const body of [5, null, [], [{}], [{ message: 5, signature: 'x' }], [{ message: '{}', signature: 'x' }]]) {
      cases.push({ what: `register ${JSON.stringify(body)}`, run: raw('POST', '/api/v1/auth', JSON.stringify(body), { 'Content-Type': 'application/json', Authorization: `HMAC ${u.userid}` }) });
    }
    // local endpoints
    for (const [p, body] of [
      ['faucet', { address: 'nope', amount: 1000 }],
      ['faucet', { address: u.account.accountid, amount: -1 }],
      ['faucet', { address: u.account.accountid, amount: 1e20 }],
      ['faucet', { address: u.account.accountid, amount: 'x' }],
      ['faucet', 5],
      ['mine', { blocks: 0 }],
      ['mine', { blocks: 1e9 }],
      ['mine', { blocks: 'x' }],
      ['index', { price: -1 }],
      ['index', { price: 'x' }],
      ['index', { price: 1000, symbol: 'NOPE' }],
      ['clock', { advanceMs: -5 }],
      ['clock', {}],
      ['readonly', { readonly: 'yes' }],
    ] as const) {
      cases.push({ what: `local ${p} ${JSON.stringify(body)}`, run: raw('POST', `/localnet/${p}`, JSON.stringify(body)) });
    }
    // malformed JSON and oversized bodies
    for (const text of ['{', '[1,', 'nul', '"', '{"a":}', '\u0000', '[1]]', 'NaN', '{"a":1,}']) {
      cases.push({ what: `bad json ${JSON.stringify(text)}`, run: raw('POST', '/api/v1/order', text) });
      cases.push({ what: `bad json local ${JSON.stringify(text)}`, run: raw('POST', '/localnet/mine', text) });
    }
    for (const path of ['/api/v1/order', '/api/v1/auth/apikey', '/esplora/tx', '/localnet/faucet']) cases.push({ what: `2 MB ${path}`, run: raw('POST', path, BIG) });
    // no or broken authorization
    for (const headers of <Record<string, string>[]>[{}, { Authorization: 'HMAC' }, { Authorization: 'SIGN x' }, { Authorization: 'SIGN a.b:c', Nonce: '1' }, { Authorization: `HMAC ${u.userid}:zz`, Nonce: String(Date.now()) }, { Authorization: `HMAC ${u.userid}:${'0'.repeat(64)}`, Nonce: '-5' }]) {
      cases.push({ what: `auth headers ${JSON.stringify(headers)}`, run: raw('POST', '/api/v1/order', JSON.stringify([order(u, sym)]), { 'Content-Type': 'application/json', ...headers }) });
    }

    expect(cases.length).toBeGreaterThanOrEqual(200);
    const failures: string[] = [];
    for (const c of cases) {
      const r = await c.run();
      const text = typeof r.body === 'string' ? r.body : r.body?.error;
      if (!(r.status >= 400 && r.status < 500) || typeof text !== 'string' || text.length === 0) failures.push(`${c.what}: ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
    expect(stateOf()).toBe(before);
    expect((await u.client.account()).orders[sym]![myOrder]).toMatchObject({ price: 990, status: 'open' });
  });
});

describe('malformed socket requests', () => {
  it('each gets exactly one order_error / account / auth_error with a 4xx status and a text; nothing changes', async () => {
    const before = stateOf();
    const s: Socket = await connectSocket(net.url);
    const replies = record(s);
    let n = 0;
    const sent: { what: string; requestid: string }[] = [];
    const send = (method: string, uri: string, body: unknown, what = `${method} ${uri} ${JSON.stringify(body)?.slice(0, 40)}`) => {
      const requestid = `bad-${++n}`;
      sent.push({ what, requestid });
      emitSigned(s, u, method, uri, body, { requestid });
    };
    // orders: the corpus over the 2017 path and the official table
    for (const b of badOrders()) {
      send('POST', '/order', b);
      send('POST', `/contract/${sym}/order/open`, b);
    }
    for (const b of [5, {}, [{ uuid: 'nope', price: 1 }], [{ uuid: myOrder, price: 'x' }], [{ uuid: myOrder, price: 990.05 }], [{ uuid: myOrder }]]) {
      send('PUT', '/order', b);
      send('PUT', `/contract/${sym}/order/open`, b);
    }
    for (const b of [[5], ['nope'], 'x']) send('DELETE', '/order', b);
    for (const b of [5, null, {}]) send('PATCH', `/contract/${sym}/order/open`, b);
    // unknown symbols and uuids on /contract/... paths
    for (const sy of ['NOPE', 'BTCUSD7J28', '%20', 'x'.repeat(200)]) {
      for (const p of ['order/open', 'order/closed', 'order/cancelled', 'orderbook', 'trade', 'chart/5']) send('GET', `/contract/${sy}/${p}`, undefined);
      send('POST', `/contract/${sy}/order/open`, [order(u, sym)]);
      send('DELETE', `/contract/${sy}/order/open`, undefined);
      send('GET', `/contract/${sy}/order/${myOrder}`, undefined);
    }
    for (const id of ['nope', '00000000-0000-4000-8000-000000000000', '%00', 'a'.repeat(300), '..']) {
      send('GET', `/contract/${sym}/order/${id}`, undefined);
      send('DELETE', `/contract/${sym}/order/open/${id}`, undefined);
      send('DELETE', `/order/${id}`, undefined);
      send('GET', `/order/${id}`, undefined);
    }
    // money: bad amounts, and invalid transactions and scripts on every margin and withdraw route
    for (const amount of ['abc', '-1', '0', '1e5', 'NaN', '99999999999999999999', '1.5', '5000', '100000000000000']) send('DELETE', `/account/margin/${amount}`, undefined);
    const marginIn = await marginInTx(net, u, 10_000_000);
    const withdraw = await withdrawTx(net, u, u.userid, 10_000_000);
    const badScripts = [brokenSignature(marginIn, 'flip'), brokenSignature(marginIn, 'drop'), brokenSignature(withdraw, 'flip'), brokenSignature(withdraw, 'drop')];
    for (const tx of [...NOT_TX, ...badScripts]) {
      send('POST', '/margin', [{ txs: [tx] }]);
      send('POST', '/account/margin', [{ txs: [tx] }]);
      send('POST', '/tx', { tx });
      send('POST', '/account/withdraw', { tx });
    }
    for (const b of [5, null, [], [{}], [{ txs: 'ab' }], [{ txs: [5] }], { txs: Array.from({ length: 21 }, () => '00') }]) send('POST', '/margin', b);
    for (const b of [5, null, [], {}, { tx: 5 }, { tx: null }]) send('POST', '/account/withdraw', b);
    // socket-only refusals: local-mode endpoints, unknown routes
    send('POST', '/localnet/mine', { blocks: 1 });
    send('GET', '/nope', undefined);
    // ~2 MB payloads (over the 1 MB body cap, under the transport limit): 413, the socket stays up
    for (const [method, uri] of [['POST', '/order'], ['POST', `/contract/${sym}/order/open`], ['PUT', '/order'], ['POST', '/margin'], ['POST', '/tx'], ['GET', '/register']] as const) {
      send(method, uri, [BIG], `2 MB ${method} ${uri}`);
    }
    sent.push({ what: '2 MB params', requestid: `bad-${++n}` });
    emitSigned(s, u, 'POST', '/order', [order(u, sym)], { requestid: `bad-${n}`, params: { pad: BIG } });
    sent.push({ what: '2 MB unsigned', requestid: `bad-${++n}` });
    s.emit('POST /order', { headers: { requestid: `bad-${n}` }, body: BIG });
    sent.push({ what: '2 MB binary', requestid: `bad-${++n}` });
    s.emit('POST /order', { headers: { requestid: `bad-${n}` }, body: new Uint8Array(2 * 1024 * 1024) });
    // just under the cap: the route sees it (and refuses the body)
    send('POST', '/order', ['a'.repeat(900 * 1024)], 'under the cap');
    // unsigned and broken payloads (auth_error echoes them)
    const unsigned = [null, 5, 'x', [], {}, { headers: 5 }, { headers: { Authorization: 5 } }, { headers: { Authorization: 'HMAC x:y', Nonce: 'abc' } }];
    for (const p of unsigned) s.emit('POST /order', p);
    const expected = sent.length + unsigned.length;
    await barrier(s);
    expect(s.connected).toBe(true);

    expect(replies).toHaveLength(expected);
    const bad = replies.filter((r) => !isClientError(r)).map((r) => `${r.event} ${JSON.stringify(r.payload).slice(0, 150)}`);
    expect(bad).toEqual([]);
    const byId = new Map<string, SocketReply[]>();
    for (const r of replies) {
      const id = replyRequestid(r);
      if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), r]);
    }
    const unanswered = sent.filter((x) => byId.get(x.requestid)?.length !== 1).map((x) => `${x.what}: ${byId.get(x.requestid)?.length ?? 0} replies`);
    expect(unanswered).toEqual([]);
    for (const x of sent.filter((y) => y.what.startsWith('2 MB'))) expect(byId.get(x.requestid)![0]!.payload, x.what).toMatchObject({ status: 413, error: expect.stringMatching(/too large/) });
    expect(byId.get(sent.find((x) => x.what === 'under the cap')!.requestid)![0]!.payload.status).toBe(422);
    s.disconnect();
    expect(stateOf()).toBe(before);
    expect((await u.client.account()).orders[sym]![myOrder]).toMatchObject({ price: 990, status: 'open' });
  });

  it('a payload beyond the transport limit closes only that connection; the server and other sockets go on', async () => {
    const watcher = await connectSocket(net.url);
    const s = await connectSocket(net.url);
    const gone = new Promise<string>((resolve) => s.once('disconnect', (reason: string) => resolve(reason)));
    s.emit('POST /order', { headers: { requestid: 'huge' }, body: 'a'.repeat(SOCKET_TRANSPORT_LIMIT + 1024) });
    expect(await gone).toMatch(/close/);
    await barrier(watcher);
    expect(watcher.connected).toBe(true);
    expect((await u.client.account()).userid).toBe(u.userid);
    watcher.disconnect();
  });
});

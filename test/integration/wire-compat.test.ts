// Wire compatibility with the published 2017 reference clients, driven exactly as a 2017 user would drive them:
// `loginless@4.0.4` (key exchange, registration, signed REST, the socket.io 1.x signer) and `coinpit-client@5.0.2`
// (getAccount: key exchange → /all/config → /register → GET /state → /account → Insight balances; margin in,
// orders over the socket, account refresh). Every result is checked against the exchange itself and the project's
// own client. The old packages are CommonJS without types, so they are loaded with createRequire.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identity } from '../../main/coinpit/identity';
import { sharedSecret } from '../../main/coinpit/ecdh';
import { CoinpitClient } from '../../main/coinpit/rest';
import { faucet, fund, mine, newUser, startTestNet, stopTestNet, type TestNet, type TestUser } from './helpers/localnet';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- the 2017 packages are untyped CommonJS */
const bitcoinutil: any = require('bitcoinutil');
const loginlessFactory: any = require('loginless');
const loginlessNonce: any = require('loginless/src/nonce');
const coinpitClient: any = require('coinpit-client');
const bitcoin2: any = createRequire(require.resolve('loginless'))('bitcoinjs-lib');

/** The socket.io-client 1.x copies the old packages use (each keeps its own manager cache). */
function legacySocketIoCopies(): any[] {
  const fromLoginless = createRequire(require.resolve('loginless'));
  const fromInsight = createRequire(createRequire(require.resolve('coinpit-client')).resolve('insight-util'));
  return [fromLoginless('socket.io-client'), fromInsight('socket.io-client')];
}

const DEPOSIT = 300_000_000;
const TOP_UP = 50_000_000;
const MARGIN = 100_000_000;
/** coinpit-client txutil: 1 multisig input (250) + 2 outputs (34 each) + 10 bytes at 50000 sat/kB */
const MARGIN_TX_FEE = Math.round((50_000 * (250 + 2 * 34 + 10)) / 1000);

let net: TestNet;
let sym: string;
let key: { address: string; privateKey: string; publicKey: string };
let ll: any; // loginless instance of the user
let account: any; // coinpit-client account
let mine2: CoinpitClient; // the project's own client, same key
let other: TestUser; // a counterparty using the project's client
const timers: ReturnType<typeof setInterval>[] = [];

/** Polls `read` until `ok` holds (the old clients update their caches from socket events). */
async function until<T>(what: string, read: () => T, ok: (v: T) => boolean, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)?.slice(0, 500)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const engineOrder = (uuid: string) => net.exchange.engine.order(key.address, uuid);
const engineOpen = () => net.exchange.engine.openOrders(key.address, sym).map((o) => o.uuid);

function lmt(o: Record<string, unknown> = {}): Record<string, unknown> {
  return { clientid: randomUUID(), userid: key.address, instrument: sym, side: 'buy', quantity: 1, orderType: 'LMT', price: 995, stopPrice: 5, targetPrice: 'NONE', ...o };
}

beforeAll(async () => {
  net = await startTestNet(); // fixed index 1000, no block timer, no bot
  sym = net.symbols[0]!;
  loginlessNonce.reset();
});

/** Stops a socket.io 1.x socket for good (its manager would otherwise reconnect after the server is gone). */
function closeLegacySocket(socket: any): void {
  if (!socket) return;
  socket.io?.reconnection(false);
  socket.close();
}

afterAll(async () => {
  for (const t of timers) clearInterval(t);
  try {
    closeLegacySocket(ll?.socket);
    closeLegacySocket(account?.loginless?.socket);
    // the Insight tuner's socket is not exposed: it is the cached manager of insight-util's own socket.io-client
    for (const sio of legacySocketIoCopies()) {
      for (const m of Object.values<any>(sio.managers ?? {})) {
        m.reconnection(false);
        m.close();
      }
    }
  } finally {
    await stopTestNet(net);
  }
});

describe('loginless@4.0.4', () => {
  it('key exchange: GET /auth/:publicKey and POST /auth give the userid and the per-user server key', async () => {
    key = bitcoinutil.makeRandom('testnet');
    expect(key.privateKey[0]).toBe('c'); // compressed testnet WIF
    ll = loginlessFactory(net.url, '/api/v1');

    const exchanged = await ll.getServerKey(key.publicKey);
    expect(exchanged.userid).toBe(key.address);
    expect(exchanged.serverPublicKey).toMatch(/^0[23][0-9a-f]{64}$/);
    expect(exchanged.serverPublicKey).toBe(net.exchange.userOf(key.address).serverPublicKey);

    // §8.15 registration message, Bitcoin-message-signed by bitcoinutil inside loginless
    const registered = await ll.registerKey(key.privateKey, JSON.stringify({ publicKey: key.publicKey, ts: Date.now() }));
    expect(registered).toEqual(exchanged);
    // a registration signed over a stale timestamp is refused
    await expect(ll.registerKey(key.privateKey, JSON.stringify({ publicKey: key.publicKey, ts: Date.now() - 3_600_000 }))).rejects.toMatchObject({ statusCode: expect.any(Number) });

    // loginless's account (bitcoinjs-lib 2, node ECDH) equals the project's identity and shared secret
    ll.initPrivateKey(exchanged.serverPublicKey, key.privateKey);
    const id = identity(key.privateKey, exchanged.serverPublicKey);
    expect(ll.account).toMatchObject({ userid: id.userid, userPublicKey: id.publicKey, serverAddress: id.serverAddress, accountid: id.accountid, redeem: id.redeem });
    expect(ll.account.secret).toBe(sharedSecret(key.privateKey, exchanged.serverPublicKey));
    expect(ll.account.accountid).toBe(net.exchange.userOf(key.address).accountid);

    mine2 = new CoinpitClient({ baseUrl: net.url, wif: key.privateKey });
    expect((await mine2.connect()).serverPublicKey).toBe(exchanged.serverPublicKey);
  });

  it('signed REST: GET /account and GET /all/config (Insight base of this server)', async () => {
    const acc = await ll.rest.get('/account');
    expect(acc).toMatchObject({ userid: key.address, multisig: 0, accountMargin: 0, margin: 0, positions: {}, pnl: { pnl: 0 } });
    expect(Object.keys(acc.orders).sort()).toEqual([...net.symbols].sort());

    const cfg = await ll.rest.get('/all/config');
    expect(cfg.config.network).toBe('testnet');
    expect(cfg.config.blockchainapi.uri).toBe(`${net.url}/insight-api`);
    expect(Object.keys(cfg.instruments)).toEqual(expect.arrayContaining(net.symbols));
  });

  it('REST 401 recovery (§2.6): a stale nonce makes loginless calibrate with a signed OPTIONS and retry once', async () => {
    loginlessNonce.offset = 60_000; // client believes it is a minute ahead: every nonce is 60 s stale
    const acc = await ll.rest.get('/account');
    expect(acc.userid).toBe(key.address);
    expect(Math.abs(loginlessNonce.offset)).toBeLessThan(5_000); // recalibrated from the OPTIONS Server-Time header
  });

  it('a wrong HMAC secret is refused with 401 even after the retry', async () => {
    const forged = loginlessFactory(net.url, '/api/v1');
    forged.initPrivateKey(ll.account.serverPublicKey, key.privateKey);
    forged.account.secret = 'ab'.repeat(32);
    await expect(forged.rest.get('/account')).rejects.toMatchObject({ statusCode: 401 });
    closeLegacySocket(forged.socket);
  });
});

describe('coinpit-client@5.0.2', () => {
  it('getAccount: key exchange, config, socket register, state, account and balances through the Insight subset', async () => {
    await faucet(net, ll.account.accountid, DEPOSIT);

    // coinpit-client's account sets a 1 s request-timeout interval it never clears: keep it so afterAll can
    const realSetInterval = globalThis.setInterval;
    globalThis.setInterval = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const t = realSetInterval(fn, ms, ...args);
      if (fn.name === 'timeoutPromises') timers.push(t);
      return t;
    }) as typeof setInterval;
    try {
      account = await coinpitClient.getAccount(key.privateKey, net.url);
    } finally {
      globalThis.setInterval = realSetInterval;
    }
    expect(timers).toHaveLength(1);

    expect(account).toMatchObject({ userid: key.address, accountid: ll.account.accountid, serverAddress: ll.account.serverAddress });
    expect(account.config.blockchainapi.uri).toBe(`${net.url}/insight-api`);
    // balances come from GET /insight-api/sync and /addrs/:a/utxo (BTC amounts turned back into satoshi)
    const bal = account.getBalance();
    expect(bal.multisig).toEqual({ address: ll.account.accountid, confirmed: DEPOSIT, unconfirmed: 0, balance: DEPOSIT });
    expect(bal.margin).toEqual({ address: ll.account.serverAddress, confirmed: 0, unconfirmed: 0, balance: 0 });
    expect(bal.balance).toBe(DEPOSIT);
    expect(net.exchange.account(key.address).multisig).toBe(DEPOSIT);

    // GET /state: the 1.x client reads the bands from `priceband` (needed by its own margin check)
    const bands = await until('priceband', () => account.getIndexBands()[sym], (b: any) => b !== undefined);
    expect(bands).toMatchObject({ price: 1000, min: 990, max: 1010, instrument: sym });
  });

  it('the Insight `inv` socket refreshes the multisig balance when coins arrive', async () => {
    await faucet(net, ll.account.accountid, TOP_UP);
    const multisig = await until('multisig balance', () => account.getBalance().multisig.balance, (b: number) => b === DEPOSIT + TOP_UP);
    expect(multisig).toBe(net.exchange.chain.balance(ll.account.accountid).confirmed);
  });

  it('margin in: Insight utxos → txutil → bitcoinutil partial signature → POST /margin; the server co-signs and broadcasts', async () => {
    const reply = await account.transferToMargin(MARGIN);
    expect(reply.txids).toHaveLength(1);
    const txid: string = reply.txids[0];
    expect(net.exchange.chain.tx(txid)).toBeDefined();
    // the co-signed transaction is complete: bitcoinjs-lib 2 rebuilds it with both signatures
    const hex = await account.insightUtil.getRawTransaction(txid);
    const tx = bitcoin2.Transaction.fromHex(hex);
    expect(tx.ins).toHaveLength(1);
    expect(tx.outs.map((o: any) => o.value)).toEqual([MARGIN, DEPOSIT - MARGIN - MARGIN_TX_FEE]);

    await mine(net);
    // live through the inv socket (tx + block events), then once more on demand
    await until('margin balance', () => account.getBalance().margin.confirmed, (b: number) => b === MARGIN);
    await account.updateAccountBalance();
    const bal = account.getBalance();
    expect(bal.margin).toEqual({ address: ll.account.serverAddress, confirmed: MARGIN, unconfirmed: 0, balance: MARGIN });
    expect(bal.multisig.balance).toBe(DEPOSIT + TOP_UP - MARGIN - MARGIN_TX_FEE);
    expect(net.exchange.account(key.address).accountMargin).toBe(MARGIN);
    await account.getAll();
    expect(account.getBalance().availableMargin).toBe(MARGIN);
  });

  it('create, update and cancel an order over the socket', async () => {
    const [created] = await account.createOrders([lmt({ price: 995 })]);
    expect(created).toMatchObject({ userid: key.address, instrument: sym, side: 'buy', quantity: 1, price: 995, orderType: 'LMT', status: 'open', stopPrice: 5, targetPrice: 'NONE' });
    expect(engineOrder(created.uuid)).toMatchObject({ price: 995, status: 'open' });
    expect((await mine2.openOrders(sym)).map((o) => o.uuid)).toEqual([created.uuid]);
    expect(account.getOpenOrders()[sym][created.uuid].price).toBe(995);

    // coinpit-client sends PUT /order with {orders: [...]}
    const [updated] = await account.updateOrders([{ uuid: created.uuid, instrument: sym, price: 996.5 }]);
    expect(updated).toMatchObject({ uuid: created.uuid, price: 996.5 });
    expect(engineOrder(created.uuid)!.price).toBe(996.5);
    expect((await mine2.getOrder(sym, created.uuid)).price).toBe(996.5);
    expect(account.getOpenOrders()[sym][created.uuid].price).toBe(996.5);

    // DELETE /order with [uuid]
    expect(await account.cancelOrder(updated)).toEqual([created.uuid]);
    expect(engineOpen()).toEqual([]);
    expect(engineOrder(created.uuid)).toMatchObject({ status: 'cancel', cancelled: 1 });
    expect((await mine2.cancelledOrders(sym)).map((o) => o.uuid)).toContain(created.uuid);
    expect(account.getOpenOrders()[sym][created.uuid]).toBeUndefined();
  });

  it('server refusals come back as order_error and reject the request promise', async () => {
    await expect(account.updateOrders([{ uuid: randomUUID(), instrument: sym, price: 990 }])).rejects.toMatch(/order/i);
    // client-side validation of the old client still applies (off-tick price never reaches the server)
    await expect(account.createOrders([lmt({ price: 995.05 })])).rejects.toThrow(/multiple of 0\.1/);
    expect(engineOpen()).toEqual([]);
  });

  it('PATCH /order: add and remove ops over the socket', async () => {
    const [added] = await account.patchOrders([{ op: 'add', value: [lmt({ price: 994 })] }]);
    expect(added.op).toBe('add');
    const uuid: string = added.response[0].uuid;
    expect(engineOrder(uuid)).toMatchObject({ price: 994, status: 'open' });
    const [removed] = await account.patchOrders([{ op: 'remove', value: [uuid] }]);
    expect(removed).toMatchObject({ op: 'remove', response: [uuid] });
    expect(engineOpen()).toEqual([]);
  });

  it('socket register: private events caused by another session reach the old client', async () => {
    const [o] = await mine2.createOrders(sym, [lmt({ price: 993 }) as never]);
    await until('order_add from another session', () => account.getOpenOrders()[sym]?.[o!.uuid]?.price, (p) => p === 993);
    await mine2.cancelOrder(sym, o!.uuid);
    await until('order_del from another session', () => account.getOpenOrders()[sym]?.[o!.uuid], (x) => x === undefined);
  });

  it('signed REST orders through loginless (official table and 2017 paths)', async () => {
    const [o] = await ll.rest.post(`/contract/${sym}/order/open`, {}, [lmt({ price: 992 })]);
    expect(engineOrder(o.uuid)).toMatchObject({ price: 992 });
    const [u] = await ll.rest.put('/order', {}, [{ uuid: o.uuid, price: 992.5 }]);
    expect(u.price).toBe(992.5);
    expect(engineOrder(o.uuid)!.price).toBe(992.5);
    await ll.rest.del(`/order/${o.uuid}`);
    expect(engineOpen()).toEqual([]);
  });

  it('account refresh after a fill: position, stop/target pair, P&L and available margin match the exchange', async () => {
    other = await newUser(net);
    await fund(net, other);
    const [ask] = await other.client.createOrders(sym, [
      { clientid: randomUUID(), userid: other.userid, instrument: sym, side: 'sell', quantity: 2, orderType: 'LMT', price: 1000, stopPrice: 5, targetPrice: 'NONE' } as never,
    ]);
    expect(ask!.status).toBe('open');

    const [bid] = await account.createOrders([lmt({ price: 1000, quantity: 2, targetPrice: 10 })]);
    expect(bid).toMatchObject({ filled: 2, averagePrice: 1000 });
    await account.getAll();
    expect(account.getPositions()[sym]).toMatchObject({ quantity: 2, averagePrice: 1000 });
    const server = net.exchange.account(key.address);
    expect(account.getPnl()).toEqual(server.pnl);
    expect(account.getBalance().availableMargin).toBe(server.margin);
    const exits = Object.values<any>(account.getOpenOrders()[sym]).map((x) => x.orderType).sort();
    expect(exits).toEqual(['STP', 'TGT']);
    expect(net.exchange.engine.openOrders(key.address, sym).map((x) => x.orderType).sort()).toEqual(['STP', 'TGT']);
  });

  it('recovery: GET /withdrawtx signed by bitcoinutil (bitcoinjs-lib 2) is a complete tx the Insight subset accepts', async () => {
    const signed: string = await account.recoveryTx();
    expect(typeof signed).toBe('string');
    const tx = bitcoin2.Transaction.fromHex(signed);
    expect(bitcoin2.address.fromOutputScript(tx.outs[0].script, bitcoin2.networks.testnet)).toBe(key.address);
    const sent = await account.insightUtil.sendTransaction(signed);
    expect(sent.txid).toBe(tx.getId());
    await mine(net);
    await account.updateAccountBalance();
    expect(account.getBalance().multisig.balance).toBe(0);
    expect(net.exchange.chain.balance(key.address).confirmed).toBe(tx.outs[0].value);
  });
});

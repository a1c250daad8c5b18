import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizeApiKey, createApiKey } from '../../main/coinpit/auth';
import { Clock } from '../../main/coinpit/clock';
import { CoinpitError } from '../../main/coinpit/errors';
import { generateWif, identity } from '../../main/coinpit/identity';
import { CoinpitClient } from '../../main/coinpit/rest';
import type { OrderRequest } from '../../main/coinpit/types';
import { FakeExchange } from './helpers/fake-exchange';

const HOUR = 3_600_000;
let exchange: FakeExchange;
let wif: string;

beforeEach(async () => {
  exchange = await new FakeExchange().start();
  wif = generateWif('testnet');
});
afterEach(async () => {
  await exchange.stop();
});

function order(userid: string): OrderRequest {
  return { clientid: '8a6c7c1e-6d1e-4a57-9d54-3f5c2a0b9e11', userid, instrument: 'BTCUSD', side: 'buy', quantity: 2, orderType: 'LMT', price: 999.5, stopPrice: 5, targetPrice: 'NONE' };
}

async function caught(p: Promise<unknown>): Promise<CoinpitError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CoinpitError);
    return e as CoinpitError;
  }
  throw new Error('expected a rejection');
}

describe('CoinpitClient against a fake exchange', () => {
  it('key exchange derives the server key, addresses and a shared secret the server accepts', async () => {
    const client = new CoinpitClient({ baseUrl: exchange.url, wif });
    const session = await client.connect();
    const expected = identity(wif, exchange.serverPublicKey);
    expect(session).toMatchObject({ mode: 'hmac', userid: expected.userid, serverPublicKey: exchange.serverPublicKey, accountid: expected.accountid, serverAddress: expected.serverAddress });
    const account = await client.account();
    expect(account.userid).toBe(expected.userid);
    expect(exchange.verified).toEqual([expect.objectContaining({ transport: 'rest', method: 'GET', uri: '/account', scheme: 'HMAC', userid: expected.userid })]);
    const get = exchange.seen.find((s) => s.uri === '/account')!;
    expect(get.headers['content-type']).toBe('application/json');
    expect(get.headers.nonce).toMatch(/^\d+$/);
    expect(get.headers.authorization).toMatch(new RegExp(`^HMAC ${expected.userid}:[0-9a-f]{64}$`));
  });

  it('signed POST: the server verifies the exact bytes sent', async () => {
    const client = new CoinpitClient({ baseUrl: exchange.url, wif });
    const { userid } = await client.connect();
    const reqs = [order(userid)];
    const created = await client.createOrders('BTCUSD', reqs);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ clientid: reqs[0]!.clientid, quantity: 2, status: 'open' });
    const post = exchange.seen.find((s) => s.method === 'POST')!;
    expect(post.uri).toBe('/contract/BTCUSD/order/open');
    expect(post.rawBody).toBe(JSON.stringify(reqs));
    expect(exchange.verified.at(-1)).toMatchObject({ method: 'POST', uri: '/contract/BTCUSD/order/open', body: reqs });
  });

  it('connects lazily on the first signed call and sends public calls unsigned', async () => {
    const client = new CoinpitClient({ baseUrl: exchange.url + '/', wif });
    expect(client.connected).toBe(false);
    await client.config();
    expect(exchange.seen.at(-1)!.headers.authorization).toBeUndefined();
    await client.openOrders('BTCUSD');
    expect(client.connected).toBe(true);
    expect(exchange.seen.map((s) => `${s.method} ${s.uri.replace(/[0-9a-f]{66}/, ':pub')}`)).toEqual(['GET /all/config', 'GET /auth/:pub', 'GET /contract/BTCUSD/order/open']);
  });

  it('401 from a skewed server clock → signed OPTIONS → recalibrate → retry succeeds', async () => {
    const client = new CoinpitClient({ baseUrl: exchange.url, wif });
    await client.connect(); // calibrated at skew 0
    exchange.skewMs = HOUR; // server jumps an hour ahead; GET replies do not recalibrate
    const account = await client.account();
    expect(account.margin).toBe(900_000);
    // the stale OPTIONS is refused too, but its Server-Time header is what the client needs
    expect(exchange.seen.slice(1).map((s) => `${s.method} ${s.status}`)).toEqual(['GET 401', 'OPTIONS 401', 'GET 200']);
    expect(exchange.seen[2]!.headers.authorization).toMatch(/^HMAC /);
    expect(Math.abs(client.clock.skewMs + HOUR)).toBeLessThan(5_000);
    const [first, , retry] = exchange.seen.slice(1);
    expect(Number(retry!.headers.nonce)).toBeGreaterThan(Number(first!.headers.nonce) + HOUR - 5_000);
  });

  it('a second 401 surfaces as CoinpitError with status 401 and the server text, after exactly one retry', async () => {
    const client = new CoinpitClient({ baseUrl: exchange.url, wif });
    await client.connect();
    exchange.force401 = 2;
    const err = await caught(client.account());
    expect(err.code).toBe('auth');
    expect(err.status).toBe(401);
    expect(err.serverMessage).toMatch(/^Authentication failed\. HMAC mismatch HMAC [mn][1-9A-HJ-NP-Za-km-z]+:\[redacted\]$/);
    expect(exchange.seen.slice(1).map((s) => s.method)).toEqual(['GET', 'OPTIONS', 'GET']);
  });

  it('a slow server surfaces as CoinpitError code timeout', async () => {
    const client = new CoinpitClient({ baseUrl: exchange.url, wif, timeoutMs: 150 });
    await client.connect();
    exchange.delayMs = 2_000;
    const err = await caught(client.account());
    expect(err.code).toBe('timeout');
    expect(err.status).toBeUndefined();
  });

  it('an unreachable server surfaces as CoinpitError code network', async () => {
    const port = exchange.port;
    await exchange.stop();
    const client = new CoinpitClient({ baseUrl: `http://127.0.0.1:${port}`, wif, timeoutMs: 2_000 });
    const err = await caught(client.connect());
    expect(err.code).toBe('network');
  });

  it('HTTP errors carry status and the server {error} text', async () => {
    const client = new CoinpitClient({ baseUrl: exchange.url, wif });
    const err = await caught(client.marginOut(1_000));
    expect(err).toMatchObject({ code: 'http', status: 422, serverMessage: 'Insufficient margin' });
    expect(exchange.seen.at(-1)).toMatchObject({ method: 'DELETE', uri: '/account/margin/1000' });
  });

  it('errors never contain the shared secret, the WIF or the Authorization value', async () => {
    const clock = new Clock();
    const client = new CoinpitClient({ baseUrl: exchange.url, wif, clock });
    const { userid } = await client.connect();
    const secret = exchange.sharedSecretOf(userid)!;
    exchange.leakSecret = true;
    exchange.force401 = 2;
    const err = await caught(client.account());
    const sentMacs = exchange.seen.filter((s) => s.method === 'GET' && s.uri === '/account').map((s) => String(s.headers.authorization).split(':')[1]!);
    expect(sentMacs).toHaveLength(2);
    const margin = await caught(client.marginOut(5));
    for (const e of [err, margin]) {
      const texts = [e.message, e.serverMessage ?? '', JSON.stringify(e), inspect(e, { depth: 5 }), String(e.stack)];
      for (const t of texts) {
        expect(t).not.toContain(secret);
        expect(t).not.toContain(wif);
        for (const mac of sentMacs) expect(t).not.toContain(mac);
      }
    }
    expect(err.serverMessage).toContain('[redacted]');
    expect(margin.serverMessage).toContain('Insufficient margin');
    // the client object itself exposes none of them either
    for (const t of [JSON.stringify(client), inspect(client, { showHidden: true, depth: 10 }), Object.keys(client).join(',')]) {
      expect(t).not.toContain(secret);
      expect(t).not.toContain(wif);
    }
  });

  it('POST /auth registration (bare HMAC, signed {publicKey, ts}) yields a working session', async () => {
    const client = new CoinpitClient({ baseUrl: exchange.url, wif });
    const session = await client.register();
    const reg = exchange.seen.find((s) => s.method === 'POST' && s.uri === '/auth')!;
    expect(reg.headers.authorization).toBe(`HMAC ${session.userid}`);
    expect(reg.headers.nonce).toBeUndefined();
    expect(reg.status).toBe(200);
    await client.account();
    expect(exchange.verified.at(-1)).toMatchObject({ uri: '/account', userid: session.userid });
  });

  it('API-key SIGN mode: key registered via POST /auth/apikey, requests verified as SIGN', async () => {
    const owner = new CoinpitClient({ baseUrl: exchange.url, wif });
    const ownerSession = await owner.connect();
    const key = createApiKey(ownerSession.userid, 'trade');
    const authorization = authorizeApiKey(key, wif);
    await owner.registerApiKey({ name: key.name, role: key.role, apiPublicKey: key.apiPublicKey, userid: key.userid, publicKey: ownerSession.publicKey!, authorization });
    const reg = exchange.seen.find((s) => s.uri === '/auth/apikey')!;
    expect(reg.headers.authorization).toBeUndefined();

    const trader = new CoinpitClient({ baseUrl: exchange.url, apiKey: { ...key, publicKey: ownerSession.publicKey, authorization } });
    const session = await trader.connect();
    expect(session).toMatchObject({ mode: 'sign', apiKeyName: key.name, userid: ownerSession.userid, accountid: ownerSession.accountid });
    await trader.createOrders('BTCUSD', [order(session.userid)]);
    const sent = exchange.seen.at(-1)!;
    expect(sent.headers.authorization).toMatch(new RegExp(`^SIGN ${session.userid}\\.${key.name}:[A-Za-z0-9+/]{86}==$`));
    expect(exchange.verified.at(-1)).toMatchObject({ method: 'POST', scheme: 'SIGN', userid: session.userid });
    expect(inspect(trader, { showHidden: true, depth: 10 })).not.toContain(key.secretKey);
  });

  it('an unregistered API key is refused with 401', async () => {
    const { userid, publicKey } = identity(wif);
    const key = createApiKey(userid, 'read');
    const trader = new CoinpitClient({ baseUrl: exchange.url, apiKey: { ...key, publicKey } });
    const err = await caught(trader.account());
    expect(err).toMatchObject({ code: 'auth', status: 401 });
    expect(err.message).not.toContain(key.secretKey);
  });

  it('bad input is a clear Error and nothing is sent', async () => {
    expect(() => new CoinpitClient({ baseUrl: 'ftp://x', wif })).toThrow(/http/);
    expect(() => new CoinpitClient({ baseUrl: exchange.url })).toThrow(/wif or an apiKey/);
    expect(() => new CoinpitClient({ baseUrl: exchange.url, wif: 'not-a-wif' })).toThrow(/Invalid WIF/);
    const client = new CoinpitClient({ baseUrl: exchange.url, wif });
    await expect(client.createOrders('BTC/USD', [])).rejects.toThrow(/symbol/);
    await expect(client.createOrders('BTCUSD', [])).rejects.toThrow(/non-empty/);
    await expect(client.marginOut(-1)).rejects.toThrow(/positive integer/);
    await expect(client.withdraw('zz')).rejects.toThrow(/hex/);
    expect(exchange.seen).toHaveLength(0);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainClientError, EsploraClient, feeRateFor } from '../../../main/wallet/esplora';
import { FakeEsplora, type FakeReply } from './fake-esplora';
import { account, fundingTx, STRANGER } from './tx-fixtures';

const ok = (body: string | object): FakeReply => ({ status: 200, body: typeof body === 'string' ? body : JSON.stringify(body) });
const TXID_A = 'aa'.repeat(32);
const TXID_B = 'bb'.repeat(32);

let fake: FakeEsplora;
let client: EsploraClient;

beforeEach(async () => {
  fake = await new FakeEsplora().start();
  client = new EsploraClient(fake.url, { timeoutMs: 300, retries: 2, backoffMs: 1 });
});
afterEach(async () => {
  await fake.close();
});

async function failure(p: Promise<unknown>): Promise<ChainClientError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ChainClientError);
    return err as ChainClientError;
  }
  throw new Error('expected a ChainClientError');
}

describe('EsploraClient reads', () => {
  beforeEach(() => {
    fake.handler = (method, path) => {
      if (path === '/blocks/tip/height') return ok('105');
      if (path === `/address/${account.accountid}/utxo`) {
        return ok([
          { txid: TXID_A, vout: 1, value: 150000, status: { confirmed: true, block_height: 100, block_hash: 'x', block_time: 1 } },
          { txid: TXID_B, vout: 0, value: 2500, status: { confirmed: false } },
          { txid: TXID_A.toUpperCase(), vout: 3, value: 70000, status: { confirmed: true, block_height: 105 } },
        ]);
      }
      if (path === `/address/${STRANGER}/utxo`) return ok([]);
      return { status: 404, body: `no route ${method} ${path}` };
    };
  });

  it('maps UTXOs to the txbuild shape with confirmations from the tip', async () => {
    const utxos = await client.addressUtxos(account.accountid);
    expect(utxos).toEqual([
      { txid: TXID_A, vout: 1, value: 150000, confirmed: true, status: { confirmed: true }, height: 100, confirmations: 6 },
      { txid: TXID_B, vout: 0, value: 2500, confirmed: false, status: { confirmed: false }, height: null, confirmations: 0 },
      { txid: TXID_A, vout: 3, value: 70000, confirmed: true, status: { confirmed: true }, height: 105, confirmations: 1 },
    ]);
  });

  it('balance: confirmed and unconfirmed sums, in satoshi', async () => {
    expect(await client.addressBalance(account.accountid)).toEqual({ confirmed: 220000, unconfirmed: 2500 });
    expect(await client.addressBalance(STRANGER)).toEqual({ confirmed: 0, unconfirmed: 0 });
    // an empty UTXO list needs no tip height
    expect(fake.count('/blocks/tip/height')).toBe(1);
  });

  it('tip height', async () => {
    expect(await client.tipHeight()).toBe(105);
  });

  it('tx hex is checked against the txid asked for', async () => {
    const real = fundingTx([{ address: STRANGER, value: 5000 }]);
    const other = fundingTx([{ address: STRANGER, value: 6000 }]);
    fake.handler = (_m, path) => (path === `/tx/${real.txid}/hex` ? ok(real.hex) : path === `/tx/${TXID_A}/hex` ? ok(other.hex) : { status: 404, body: 'Transaction not found' });
    expect(await client.txHex(real.txid)).toBe(real.hex);
    const swapped = await failure(client.txHex(TXID_A));
    expect(swapped.kind).toBe('protocol');
    expect(swapped.message).toMatch(/does not hash to the txid/);
    const missing = await failure(client.txHex(TXID_B));
    expect(missing).toMatchObject({ kind: 'http', status: 404, serverText: 'Transaction not found', attempts: 1 });
  });

  it('tx status, confirmed and not', async () => {
    fake.handler = (_m, path) =>
      path === `/tx/${TXID_A}/status` ? ok({ confirmed: true, block_height: 7, block_hash: 'h', block_time: 99 }) : ok({ confirmed: false });
    expect(await client.txStatus(TXID_A)).toEqual({ confirmed: true, blockHeight: 7, blockHash: 'h', blockTime: 99 });
    expect(await client.txStatus(TXID_B)).toEqual({ confirmed: false, blockHeight: null, blockHash: null, blockTime: null });
  });

  it('fee estimates and the rate for a target', async () => {
    fake.handler = () => ok({ '1': 20.5, '3': 12, '6': 8, '144': 1 });
    const est = await client.feeEstimates();
    expect(est).toEqual({ '1': 20.5, '3': 12, '6': 8, '144': 1 });
    expect(feeRateFor(est, 6)).toBe(8);
    expect(feeRateFor(est, 2)).toBe(12);
    expect(feeRateFor(est, 1000)).toBe(1);
    expect(() => feeRateFor({}, 6)).toThrow(/no fee estimates/);
  });
});

describe('EsploraClient broadcast', () => {
  const tx = fundingTx([{ address: STRANGER, value: 7000 }]);

  it('posts the raw hex and returns the txid', async () => {
    fake.handler = (method, path, body) => (method === 'POST' && path === '/tx' ? ok(tx.txid) : ok(body));
    expect(await client.broadcast(tx.hex)).toBe(tx.txid);
    expect(fake.requests).toEqual([{ method: 'POST', path: '/tx', body: tx.hex }]);
  });

  it('a refusal carries the status and the server text, and is not retried', async () => {
    const text = 'sendrawtransaction RPC error: {"code":-25,"message":"bad-txns-inputs-missingorspent"}';
    fake.handler = () => ({ status: 400, body: text });
    const err = await failure(client.broadcast(tx.hex));
    expect(err).toMatchObject({ kind: 'http', status: 400, serverText: text, attempts: 1 });
    expect(err.message).toContain('bad-txns-inputs-missingorspent');
    expect(fake.requests).toHaveLength(1);
  });

  it('a reply naming another txid is an error', async () => {
    fake.handler = () => ok(TXID_A);
    expect((await failure(client.broadcast(tx.hex))).message).toMatch(/answered txid/);
  });

  it('a broadcast whose first reply was lost is accepted when the chain has the transaction', async () => {
    fake.script.push({ status: 502, body: 'Bad Gateway' });
    fake.handler = (method, path) => {
      if (method === 'POST') return { status: 400, body: 'sendrawtransaction RPC error: {"code":-27,"message":"Transaction already in block chain"}' };
      if (path === `/tx/${tx.txid}/status`) return ok({ confirmed: false });
      return { status: 404, body: 'Not Found' };
    };
    expect(await client.broadcast(tx.hex)).toBe(tx.txid);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /tx', 'POST /tx', `GET /tx/${tx.txid}/status`]);
  });

  it('refuses non-hex input before any request', async () => {
    expect((await failure(client.broadcast('zz'))).kind).toBe('input');
    expect((await failure(client.broadcast(''))).kind).toBe('input');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('EsploraClient failures, retries and timeouts', () => {
  it('5xx is retried with backoff, then succeeds', async () => {
    fake.script.push({ status: 503, body: 'busy' }, { status: 500, body: 'oops' });
    fake.handler = () => ok('42');
    expect(await client.tipHeight()).toBe(42);
    expect(fake.requests).toHaveLength(3);
  });

  it('persistent 5xx gives up after retries + 1 attempts with the last status and text', async () => {
    fake.handler = () => ({ status: 503, body: 'maintenance' });
    const err = await failure(client.tipHeight());
    expect(err).toMatchObject({ kind: 'http', status: 503, serverText: 'maintenance', attempts: 3 });
    expect(err.message).toMatch(/after 3 attempts/);
    expect(fake.requests).toHaveLength(3);
  });

  it('4xx is not retried', async () => {
    fake.handler = () => ({ status: 400, body: 'Invalid Bitcoin address' });
    const err = await failure(client.addressUtxos(account.accountid));
    expect(err).toMatchObject({ kind: 'http', status: 400, serverText: 'Invalid Bitcoin address', attempts: 1 });
    expect(fake.requests).toHaveLength(1);
  });

  it('a 429 is a 4xx too: not retried', async () => {
    fake.handler = () => ({ status: 429, body: 'slow down' });
    expect((await failure(client.tipHeight())).status).toBe(429);
    expect(fake.requests).toHaveLength(1);
  });

  it('a hanging server times out (AbortController) and each attempt is retried', async () => {
    fake.handler = () => 'hang';
    const err = await failure(client.tipHeight());
    expect(err.kind).toBe('timeout');
    expect(err.status).toBeNull();
    expect(err.message).toMatch(/timed out after 300 ms/);
    expect(err.attempts).toBe(3);
    expect(fake.requests).toHaveLength(3);
  });

  it('a timeout followed by an answer succeeds', async () => {
    fake.script.push('hang');
    fake.handler = () => ok('9');
    expect(await client.tipHeight()).toBe(9);
  });

  it('a dropped connection is a network error and is retried', async () => {
    fake.script.push('drop', 'drop');
    fake.handler = () => ok('11');
    expect(await client.tipHeight()).toBe(11);
    expect(fake.requests).toHaveLength(3);
  });

  it('connection refused: network error after the retries', async () => {
    const port = new URL(fake.url).port;
    await fake.close();
    const c = new EsploraClient(`http://127.0.0.1:${port}/esplora`, { retries: 1, backoffMs: 1, timeoutMs: 2000 });
    const err = await failure(c.tipHeight());
    expect(err.kind).toBe('network');
    expect(err.attempts).toBe(2);
    fake = await new FakeEsplora().start(); // for afterEach
  });

  it('bad JSON is a protocol error with the server text, not retried', async () => {
    fake.handler = () => ({ status: 200, body: '<html>gateway</html>' });
    const err = await failure(client.addressUtxos(account.accountid));
    expect(err).toMatchObject({ kind: 'protocol', status: 200, serverText: '<html>gateway</html>' });
    expect(fake.requests).toHaveLength(1);
  });

  it('well-formed JSON of the wrong shape is a protocol error', async () => {
    fake.handler = () => ok([{ txid: 'nothex', vout: 0, value: 1 }]);
    expect((await failure(client.addressUtxos(account.accountid))).message).toMatch(/UTXO #0/);
    fake.handler = () => ok([{ txid: TXID_A, vout: 0, value: -5, status: { confirmed: false } }]);
    expect((await failure(client.addressUtxos(account.accountid))).kind).toBe('protocol');
    fake.handler = () => ok('tall');
    expect((await failure(client.tipHeight())).message).toMatch(/not a number/);
    fake.handler = () => ok({ confirmed: 'yes' });
    expect((await failure(client.txStatus(TXID_A))).kind).toBe('protocol');
    fake.handler = () => ok({ '6': 'fast' });
    expect((await failure(client.feeEstimates())).kind).toBe('protocol');
  });

  it('a fetch that works without a server (injected) is used', async () => {
    const seen: string[] = [];
    const f = (async (url: string | URL | Request) => {
      seen.push(String(url));
      return new Response('77', { status: 200 });
    }) as typeof fetch;
    const c = new EsploraClient('https://blockstream.info/testnet/api/', { fetch: f });
    expect(await c.tipHeight()).toBe(77);
    expect(seen).toEqual(['https://blockstream.info/testnet/api/blocks/tip/height']);
  });

  it('bad inputs are refused before any request', async () => {
    expect(() => new EsploraClient('ftp://x')).toThrow(/http/);
    expect(() => new EsploraClient('not a url')).toThrow(/not a valid URL/);
    expect(() => new EsploraClient('http://x/?q=1')).toThrow(/query/);
    expect(() => new EsploraClient(fake.url, { retries: -1 })).toThrow(/retries/);
    expect(() => new EsploraClient(fake.url, { timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect((await failure(client.addressUtxos('bad/../../x'))).kind).toBe('input');
    expect((await failure(client.txHex('1234'))).kind).toBe('input');
    expect((await failure(client.txStatus(''))).kind).toBe('input');
    expect(fake.requests).toHaveLength(0);
  });
});

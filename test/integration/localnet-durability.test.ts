// Durability and limits of the local exchange: restart on the same data dir (clean and after SIGKILL) restores
// orders, positions and balances exactly; the data dir lock; readonly (manual and after a broken invariant);
// 429 rate limit, 413 body cap, 400 malformed JSON, local-mode endpoints refused outside local mode.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CoinpitClient } from '../../main/coinpit/rest';
import { startLocalnet } from '../../main/localnet/index';
import { fund, newUser, order, post, rawRequest, setIndex, signedRequest, startTestNet, stopTestNet, type TestNet, type TestUser } from './helpers/localnet';

const nets: TestNet[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const n of nets.splice(0)) await n.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(opts: Parameters<typeof startTestNet>[0] = {}): Promise<TestNet> {
  const net = await startTestNet(opts);
  nets.push(net);
  if (!dirs.includes(net.dataDir)) dirs.push(net.dataDir);
  return net;
}

/** Everything a user can observe about their account, for exact comparison across restarts. */
async function observe(net: TestNet, users: TestUser[], sym: string) {
  const out: Record<string, unknown> = {};
  for (const u of users) {
    const client = new CoinpitClient({ baseUrl: net.url, wif: u.wif }); // the port changes across restarts
    out[u.userid] = {
      account: await client.account(),
      open: await client.openOrders(sym),
      closed: await client.closedOrders(sym),
      cancelled: await client.cancelledOrders(sym),
      executions: await client.executions(),
      margin: await client.marginInfo(),
      recovery: await client.recoveryTx(),
    };
  }
  out.chain = { tip: net.exchange.chain.tipHash(), mempool: net.exchange.chain.mempoolTxids() };
  out.book = net.exchange.engine.orderbooks();
  out.trades = net.exchange.engine.trades(sym);
  return out;
}

async function trade(net: TestNet): Promise<{ users: TestUser[]; sym: string }> {
  const sym = net.symbols[0]!;
  const [a, b] = [await newUser(net), await newUser(net)];
  await fund(net, a);
  await fund(net, b);
  await b.client.createOrders(sym, [order(b, sym, { side: 'sell', price: 1000, quantity: 3, targetPrice: 8 })]);
  await a.client.createOrders(sym, [order(a, sym, { price: 1000.5, quantity: 2 }), order(a, sym, { price: 995 })]);
  const [c] = await b.client.createOrders(sym, [order(b, sym, { price: 990 })]);
  await b.client.cancelOrder(sym, c!.uuid);
  await setIndex(net, 1001);
  // an unconfirmed margin-out stays in the mempool across the restart
  await a.client.marginOut(10_000_000);
  return { users: [a, b], sym };
}

describe('restart', () => {
  it('a clean restart on the same data dir restores everything exactly', async () => {
    const net = await open({ snapshotEvery: 7 });
    const { users, sym } = await trade(net);
    const before = await observe(net, users, sym);
    await net.close();
    nets.splice(nets.indexOf(net), 1);
    const again = await open({ dataDir: net.dataDir });
    expect(await observe(again, users, sym)).toEqual(before);
    expect(again.exchange.engine.checkInvariants()).toEqual([]);
    // and it keeps working: new commands after the restart
    const [a, b] = users.map((u) => new CoinpitClient({ baseUrl: again.url, wif: u.wif }));
    await b!.createOrders(sym, [order(users[1]!, sym, { side: 'sell', price: 995 })]);
    expect((await a!.account()).positions[sym]!.quantity).toBe(3);
  });

  it('replaying the journal without a final snapshot (a copy taken while running) gives the same state', async () => {
    const net = await open({ snapshotEvery: 5 });
    const { users, sym } = await trade(net);
    await net.exchange.settled();
    const copy = mkdtempSync(join(tmpdir(), 'localnet-copy-'));
    dirs.push(copy);
    cpSync(net.dataDir, copy, { recursive: true, filter: (src) => !src.endsWith('LOCK') });
    const before = await observe(net, users, sym);
    await net.close();
    nets.splice(nets.indexOf(net), 1);
    const again = await open({ dataDir: copy });
    expect(await observe(again, users, sym)).toEqual(before);
  });

  it('a second instance on a held data dir is refused', async () => {
    const net = await open();
    await expect(startLocalnet({ dataDir: net.dataDir, port: 0 })).rejects.toMatchObject({ name: 'JournalLockedError' });
  });

  it('SIGKILL in the middle of a stream of orders loses nothing that was acknowledged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'localnet-kill-'));
    dirs.push(dir);
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./helpers/localnet-child.ts', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /listening (\S+)/.exec(text);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    const fake = { url } as TestNet;
    const [a, b] = [await newUser(fake), await newUser(fake)];
    for (const u of [a, b]) {
      await post(`${url}/localnet/faucet`, { address: u.account.accountid, amount: 300_000_000 });
    }
    const { marginInTx } = await import('./helpers/localnet');
    const symbols = Object.keys((await a.client.config()).instruments);
    const sym = symbols.sort()[0]!;
    const shim = Object.assign(fake, { exchange: { config: () => ({ feePerKB: 50000, bitcoinDust: 10000 }) } }) as unknown as TestNet;
    for (const u of [a, b]) await u.client.marginIn([await marginInTx(shim, u, 200_000_000)]);

    // what each acknowledgement said: the order, and how much of it had filled by then
    const acked: { uuid: string; filled: number }[] = [];
    let stop = false;
    const streams = [a, b].map(async (u, k) => {
      for (let i = 0; !stop; i++) {
        const side = (i + k) % 2 ? 'buy' : 'sell';
        try {
          // every third buy crosses the other user's asks at 1000: fills, positions and exits to recover
          const price = side === 'sell' ? 1000 : i % 3 === 0 ? 1000 : 999.5;
          const [o] = await u.client.createOrders(sym, [order(u, sym, { side, price })]);
          acked.push({ uuid: o!.uuid, filled: o!.filled });
        } catch {
          return; // the server died mid-request: not acknowledged
        }
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    const exited = new Promise((r) => child.once('exit', r)); // before the kill: 'exit' may fire before a later listener
    child.kill('SIGKILL');
    stop = true;
    await Promise.all(streams);
    await exited;
    expect(acked.length).toBeGreaterThan(5);

    const again = await open({ dataDir: dir, seed: 11 });
    const seen = new Map<string, number>();
    for (const u of [a, b]) {
      const c = new CoinpitClient({ baseUrl: again.url, wif: u.wif });
      const all = [...(await c.openOrders(sym)), ...(await c.closedOrders(sym)), ...(await c.cancelledOrders(sym))];
      for (const o of all) seen.set(o.uuid, o.filled);
      const acc = await c.account();
      expect(acc.accountMargin).toBe(200_000_000);
    }
    // every acknowledged order is there, with at least the fills it had when acknowledged (later orders may add)
    for (const { uuid, filled } of acked) {
      expect(seen.has(uuid), uuid).toBe(true);
      expect(seen.get(uuid)!, uuid).toBeGreaterThanOrEqual(filled);
    }
    expect(acked.some((a) => a.filled > 0), 'the stream crossed: some acknowledgements carried fills').toBe(true);
    expect(again.exchange.engine.checkInvariants()).toEqual([]);
  }, 120_000); // a child process, funding and a restart: generous on a loaded 2-core machine (not a timing check)
});

describe('readonly', () => {
  it('writes get 503 while reads work; the mode survives a restart', async () => {
    const net = await open();
    const u = await newUser(net);
    await fund(net, u);
    const sym = net.symbols[0]!;
    expect((await post(`${net.url}/api/v1/localnet/readonly`, { readonly: true, reason: 'maintenance' })).body).toEqual({ readonly: true });
    const w = await signedRequest(net, u, 'POST', `/contract/${sym}/order/open`, [order(u, sym)]);
    expect(w.status).toBe(503);
    expect(w.body.error).toBe('Exchange is in read-only mode');
    expect((await post(`${net.url}/localnet/faucet`, { address: u.account.accountid, amount: 1000 })).status).toBe(503);
    expect((await signedRequest(net, u, 'GET', '/account')).status).toBe(200);
    await net.close();
    nets.splice(nets.indexOf(net), 1);
    const again = await open({ dataDir: net.dataDir });
    expect(again.exchange.readonly).toBe(true);
    await post(`${again.url}/localnet/readonly`, { readonly: false });
    const u2 = { ...u, client: new CoinpitClient({ baseUrl: again.url, wif: u.wif }) };
    expect((await u2.client.createOrders(sym, [order(u, sym)]))[0]!.status).toBe('open');
  });

  it('a broken invariant after a command switches to readonly and says why', async () => {
    const lines: string[] = [];
    const net = await open({ log: (l) => lines.push(l) });
    const u = await newUser(net);
    await fund(net, u);
    const sym = net.symbols[0]!;
    const engine = net.exchange.engine;
    engine.checkInvariants = () => ['forced failure for the test'];
    const [o] = await u.client.createOrders(sym, [order(u, sym)]);
    expect(o!.status).toBe('open'); // the command itself was applied and journaled
    expect(net.exchange.readonly).toBe(true);
    expect(net.exchange.readonlyReason).toMatch(/forced failure/);
    expect(lines.join('\n')).toMatch(/invariants broken after place: forced failure/);
    expect((await signedRequest(net, u, 'POST', `/contract/${sym}/order/open`, [order(u, sym)])).status).toBe(503);
  });
});

describe('limits and malformed input', () => {
  it('429 beyond the per-user rate limit', async () => {
    const net = await open({ rateLimit: { perSecond: 1, burst: 3 } });
    const u = await newUser(net);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await signedRequest(net, u, 'GET', '/account')).status);
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses).toContain(429);
    const r = await signedRequest(net, u, 'GET', '/account');
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ error: 'Too many requests' });
  });

  it('413 for a 2 MB body, 400 for malformed JSON, both with {error} and Server-Time; the server stays up', async () => {
    const net = await open();
    const u = await newUser(net);
    const big = await rawRequest(`${net.url}/api/v1/order`, 'POST', JSON.stringify({ x: 'a'.repeat(2 * 1024 * 1024) }), { 'Content-Type': 'application/json' });
    expect(big.status).toBe(413);
    expect(typeof big.body.error).toBe('string');
    expect(big.headers.get('server-time')).toMatch(/^\d+$/);
    const bad = await signedRequest(net, u, 'POST', '/order', undefined, { rawBody: '{"not json', authorization: `HMAC ${u.userid}:${'0'.repeat(64)}` });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'Malformed JSON body' });
    expect((await rawRequest(`${net.url}/api/v1/%E0%A4%A`, 'GET')).status).toBe(400);
    expect((await signedRequest(net, u, 'GET', '/account')).status).toBe(200);
  });

  it('local-mode endpoints are refused (403) when the server is not in local mode', async () => {
    const net = await open({ local: false });
    for (const p of ['/localnet/faucet', '/localnet/mine', '/localnet/index', '/localnet/clock', '/api/v1/localnet/readonly']) {
      const r = await post(`${net.url}${p}`, {});
      expect(r.status, p).toBe(403);
      expect(r.body.error).toMatch(/local mode/);
    }
  });
});

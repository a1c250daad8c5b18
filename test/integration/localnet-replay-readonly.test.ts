// A journal entry that fails to replay at start-up (main/localnet/exchange.ts open/replay) was acknowledged but
// cannot be rebuilt: the exchange must not silently carry on without it. It starts read-only (writes 503, reads
// still served) with the reason in the log, keeps the journal as it is, and stays read-only across restarts until
// an operator explicitly makes it writable again (POST /localnet/readonly), a decision later starts respect.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../main/localnet/journal';
import { faucet, newUser, order, post, rawRequest, signedRequest, startTestNet, stopTestNet, type TestNet } from './helpers/localnet';

const dirs: string[] = [];
let net: TestNet | undefined;
afterEach(async () => {
  await stopTestNet(net, true);
  net = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<{ net: TestNet; lines: string[] }> {
  const lines: string[] = [];
  net = await startTestNet({ dataDir, log: (l) => lines.push(l) });
  return { net, lines };
}

async function stop(): Promise<void> {
  await stopTestNet(net, true);
  net = undefined;
}

/** Appends entries to the closed exchange's journal, as if they had been acknowledged before a crash. */
async function appendToJournal(dataDir: string, entries: object[]): Promise<void> {
  const j = await Journal.open(join(dataDir, 'journal'));
  for (const e of entries) await j.append(e);
  await j.close();
}

const journalText = (dataDir: string): string =>
  readdirSync(join(dataDir, 'journal'))
    .filter((n) => n.startsWith('journal-'))
    .map((n) => readFileSync(join(dataDir, 'journal', n), 'utf8'))
    .join('');

describe('a journal entry that cannot replay', () => {
  it('switches the exchange to read-only with the reason logged; writes 503, reads served; an operator can resume', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'localnet-replay-'));
    dirs.push(dataDir);
    let { net: n, lines } = await start(dataDir);
    const u = await newUser(n);
    await faucet(n, u.account.accountid, 100_000_000);
    const sym = n.symbols[0]!;
    await stop();

    // an entry that cannot apply (cancel of an order that does not exist), then one that can (a faucet payment)
    const dest = u.account.accountid;
    await appendToJournal(dataDir, [
      { t: 'cancel', now: Date.now(), userid: u.userid, uuids: ['lost-order'] },
      { t: 'faucet', now: Date.now(), address: dest, amount: 7_000 },
    ]);

    ({ net: n, lines } = await start(dataDir));
    expect(n.exchange.readonly).toBe(true);
    expect(n.exchange.readonlyReason).toMatch(/^journal replay failed: entry \d+ \(cancel\) failed: No order found/);
    expect(lines.join('\n')).toMatch(/exchange is read-only: journal replay failed: entry \d+ \(cancel\) failed: No order found/);
    // the entries after it still replayed (reads show them)
    expect(n.exchange.chain.balance(dest).confirmed).toBe(100_007_000);
    // writes are refused, reads are served
    const w = await post(`${n.url}/localnet/faucet`, { address: dest, amount: 1000 });
    expect(w.status).toBe(503);
    const placed = await signedRequest(n, u, 'POST', `/contract/${sym}/order/open`, [order(u, sym)]);
    expect(placed.status).toBe(503);
    expect((await rawRequest(`${n.url}/api/v1/contract/${sym}/orderbook`, 'GET')).status).toBe(200);
    const acc = await signedRequest(n, u, 'GET', '/account');
    expect(acc.status).toBe(200);
    expect(acc.body.multisig).toBe(100_007_000);
    const state = await new Promise<any>((resolve) => {
      void import('socket.io-client').then(({ io }) => {
        const s = io(n.url, { transports: ['websocket'], forceNew: true, reconnection: false });
        s.once('state', (p) => {
          s.disconnect();
          resolve(p);
        });
        s.once('connect', () => s.emit('GET /state', ''));
      });
    });
    expect(state.readonly).toBe(true);
    await stop();
    // no snapshot pruned the failing entry away
    expect(journalText(dataDir)).toContain('lost-order');

    // a restart is still read-only, and says why again
    ({ net: n, lines } = await start(dataDir));
    expect(n.exchange.readonly).toBe(true);
    expect(lines.join('\n')).toMatch(/exchange is read-only: journal replay failed: entry \d+ \(cancel\)/);

    // the operator accepts the loss: writable now and after later restarts
    expect((await post(`${n.url}/localnet/readonly`, { readonly: false })).status).toBe(200);
    expect(n.exchange.readonly).toBe(false);
    expect((await post(`${n.url}/localnet/faucet`, { address: dest, amount: 1000 })).status).toBe(200);
    await stop();
    ({ net: n, lines } = await start(dataDir));
    expect(n.exchange.readonly).toBe(false);
    expect(n.exchange.chain.balance(dest).confirmed).toBe(100_008_000);
    expect((await post(`${n.url}/localnet/faucet`, { address: dest, amount: 1000 })).status).toBe(200);
  });

  it('a journal whose entries all replay starts writable', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'localnet-replay-'));
    dirs.push(dataDir);
    let { net: n } = await start(dataDir);
    const u = await newUser(n);
    await stop();
    await appendToJournal(dataDir, [{ t: 'faucet', now: Date.now(), address: u.account.accountid, amount: 5_000 }]);
    ({ net: n } = await start(dataDir));
    expect(n.exchange.readonly).toBe(false);
    expect(n.exchange.chain.balance(u.account.accountid).confirmed).toBe(5_000);
  });
});

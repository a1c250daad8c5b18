// When the replay log's records reach the file (main/localnet/server/replaylog.ts, "Durability"): a request's
// record is written before anything of it can outlive the process. A read's record is on file when its reply
// arrives; a command's record is on file before the journal batch carrying the command is written (records of
// commands go out with their batch, one write for many); if the records cannot be written then, the batch is
// refused and the exchange goes read-only rather than keep a command whose replay it could not refuse later.
import { hash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalMessage, hmacAuthorizationForMessage } from '../../main/coinpit/auth';
import { sharedSecret } from '../../main/coinpit/ecdh';
import type { Exchange } from '../../main/localnet/exchange';
import { fund, newUser, order, signedRequest, startTestNet, stopTestNet, type TestNet, type TestUser } from './helpers/localnet';

const nets: TestNet[] = [];
afterEach(async () => {
  for (const n of nets.splice(0)) {
    await stopTestNet(n);
    rmSync(n.dataDir, { recursive: true, force: true });
  }
});

async function open(): Promise<TestNet> {
  const net = await startTestNet({ bot: false });
  nets.push(net);
  return net;
}

/** The hashes the replay log holds now (each record is [expiresAtMs, userid, hash]). */
function recordedHashes(net: TestNet): string[] {
  const dir = join(net.dataDir, 'replay');
  return readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n'))
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as [number, string, string])[2]);
}

const hashOf = (authorization: string): string => hash('sha256', authorization, 'hex').slice(0, 32);

function authorizationFor(user: TestUser, method: string, uri: string, body: unknown, nonce: number): string {
  const secret = sharedSecret(user.wif, user.account.serverPublicKey);
  return hmacAuthorizationForMessage(user.userid, secret, canonicalMessage(method, uri, body, nonce));
}

/** Calls `onWrite(data)` as each journal batch is about to be written. */
function watchJournalWrites(ex: Exchange, onWrite: (data: string) => void): () => void {
  const journal = (ex as unknown as { journal: { appendToFile(data: string): void } }).journal;
  const real = journal.appendToFile;
  journal.appendToFile = function (this: unknown, data: string) {
    onWrite(data);
    real.call(this, data);
  };
  return () => (journal.appendToFile = real);
}

describe('replay records reach the file before their requests can outlive the process', () => {
  it("a read's record is on file when its reply arrives", async () => {
    const net = await open();
    const a = await newUser(net);
    const nonce = Date.now();
    const authorization = authorizationFor(a, 'GET', '/account', undefined, nonce);
    expect(recordedHashes(net)).not.toContain(hashOf(authorization));
    const res = await signedRequest(net, a, 'GET', '/account', undefined, { nonce, authorization });
    expect(res.status).toBe(200);
    expect(recordedHashes(net)).toContain(hashOf(authorization));
  });

  it("a command's record is on file before the journal batch that carries the command is written", async () => {
    const net = await open();
    const a = await newUser(net);
    await fund(net, a);
    const symbol = net.symbols[0]!;
    const uri = `/contract/${symbol}/order/open`;
    const orders = Array.from({ length: 6 }, () => [order(a, symbol, { price: 990 })]);
    const nonce = Date.now();
    const auths = orders.map((o, i) => authorizationFor(a, 'POST', uri, o, nonce + i));
    const atWrite = new Map<string, string[]>(); // clientid → hashes on file when its batch was written
    const restore = watchJournalWrites(net.exchange, (data) => {
      for (const o of orders) if (data.includes(o[0]!.clientid!)) atWrite.set(o[0]!.clientid!, recordedHashes(net));
    });
    try {
      const replies = await Promise.all(orders.map((o, i) => signedRequest(net, a, 'POST', uri, o, { nonce: nonce + i, authorization: auths[i] })));
      expect(replies.map((r) => r.status)).toEqual(orders.map(() => 200));
    } finally {
      restore();
    }
    orders.forEach((o, i) => expect(atWrite.get(o[0]!.clientid!), `order ${i}`).toContain(hashOf(auths[i]!)));
  });

  it('a batch whose records cannot be written first is refused, and the exchange goes read-only', async () => {
    const net = await open();
    const a = await newUser(net);
    await fund(net, a);
    const symbol = net.symbols[0]!;
    net.exchange.beforeJournalWrite(() => {
      throw new Error('the replay log cannot be written');
    });
    const before = net.exchange.engine.openOrders(a.userid).length;
    const res = await signedRequest(net, a, 'POST', `/contract/${symbol}/order/open`, [order(a, symbol, { price: 990 })]);
    expect(res.status).toBe(503);
    expect(String(res.body.error)).toMatch(/Journal failure/);
    expect(net.exchange.readonly).toBe(true);
    // the refused order is not in the journal: the state a restart rebuilds does not have it
    await stopTestNet(net, true);
    nets.splice(nets.indexOf(net), 1);
    const reopened = await startTestNet({ dataDir: net.dataDir, bot: false });
    nets.push(reopened);
    expect(reopened.exchange.engine.openOrders(a.userid)).toHaveLength(before);
  });
});

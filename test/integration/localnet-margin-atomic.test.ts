// POST /account/margin is all or nothing (main/localnet/exchange.ts marginIn): every transaction of the batch is
// checked, co-signed and test-accepted by the chain (inputs unspent, none spent twice within the batch, scripts
// valid) before the first is broadcast, so a refused batch (422) leaves mempool, balances and journal unchanged.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildMarginIn } from '../../main/wallet/txbuild';
import { parseRedeem, signerFromWif, signTransaction } from '../../main/wallet/multisig';
import { faucet, mine, newUser, signedRequest, startTestNet, stopTestNet, unspents, type TestNet, type TestUser } from './helpers/localnet';

let net: TestNet;
let u: TestUser;

beforeEach(async () => {
  net = await startTestNet();
  u = await newUser(net);
  // two separate confirmed deposits: two multisig UTXOs
  await faucet(net, u.account.accountid, 300_000_000);
  await faucet(net, u.account.accountid, 200_000_000);
});
afterEach(async () => stopTestNet(net));

/** A user-signed margin-in spending exactly the given multisig UTXO (by txid). */
async function marginInFrom(txid: string, amount: number): Promise<string> {
  const cfg = net.exchange.config();
  const utxo = (await unspents(net, u.account.accountid)).filter((x) => x.txid === txid);
  expect(utxo).toHaveLength(1);
  const built = buildMarginIn(u.account, utxo, { amount, feePerKB: cfg.feePerKB, dust: cfg.bitcoinDust });
  return signTransaction(built.tx, parseRedeem(u.account.redeem), signerFromWif(u.wif)).tx.toHex();
}

/** Everything a refused margin-in must leave alone. */
async function observable(): Promise<unknown> {
  await net.exchange.settled();
  const ex = net.exchange;
  const bal = (a: string) => ex.chain.balance(a);
  const acc = ex.account(u.userid);
  return {
    mempool: ex.chain.mempoolTxids(),
    journalSeq: (ex as unknown as { journal: { lastSeq: number } }).journal.lastSeq,
    margin: bal(u.account.serverAddress),
    multisig: bal(u.account.accountid),
    accountMargin: acc.accountMargin,
    available: acc.margin,
  };
}

const marginIn = (txs: unknown[], path = '/account/margin') => signedRequest(net, u, 'POST', path, [{ txs }]);

describe('POST /account/margin is all or nothing', () => {
  it('a valid transaction followed by garbage: 422 and nothing broadcast (the audit case)', async () => {
    const [first] = (await unspents(net, u.account.accountid)).map((x) => x.txid);
    const valid = await marginInFrom(first!, 100_000_000);
    const before = await observable();
    const r = await marginIn([valid, 'zz']);
    expect(r.status).toBe(422);
    expect(r.body.error).toMatch(/^Transaction 1: Transaction must be non-empty hex/);
    expect(await observable()).toEqual(before);
    // the same valid transaction alone then goes through
    const ok = await marginIn([valid]);
    expect(ok.status).toBe(200);
    expect(ok.body.txids).toHaveLength(1);
    expect(net.exchange.chain.mempoolTxids()).toEqual(ok.body.txids);
  });

  it('two transactions spending the same UTXO: refused by the batch test-accept, nothing broadcast', async () => {
    const [first] = (await unspents(net, u.account.accountid)).map((x) => x.txid);
    const a = await marginInFrom(first!, 100_000_000);
    const b = await marginInFrom(first!, 50_000_000); // each valid alone, together a double spend
    const before = await observable();
    for (const path of ['/account/margin', '/margin']) {
      const r = await marginIn([a, b], path);
      expect(r.status).toBe(422);
      expect(r.body.error).toMatch(/^Transaction refused: transaction 1: input 0: double spend/);
      expect(await observable()).toEqual(before);
    }
    // the same transaction twice is refused the same way
    const twice = await marginIn([a, a]);
    expect(twice.status).toBe(422);
    expect(await observable()).toEqual(before);
  });

  it('a transaction whose input is already spent, after a valid one: 422, the valid one not broadcast', async () => {
    const [first, second] = (await unspents(net, u.account.accountid)).map((x) => x.txid);
    const spendFirst = await marginInFrom(first!, 10_000_000);
    const again = await marginInFrom(first!, 20_000_000); // built while first's UTXO was still there
    expect((await marginIn([spendFirst])).status).toBe(200);
    await mine(net);
    const valid = await marginInFrom(second!, 100_000_000);
    const before = await observable();
    const r = await marginIn([valid, again]);
    expect(r.status).toBe(422);
    expect(r.body.error).toMatch(/^Transaction 1: Input 0 \(.*\) is already spent/);
    expect(await observable()).toEqual(before);
  });

  it('a valid batch of two is broadcast whole', async () => {
    const [first, second] = (await unspents(net, u.account.accountid)).map((x) => x.txid);
    const a = await marginInFrom(first!, 100_000_000);
    const b = await marginInFrom(second!, 50_000_000);
    const r = await marginIn([a, b]);
    expect(r.status).toBe(200);
    expect(r.body.txids).toHaveLength(2);
    expect(net.exchange.chain.mempoolTxids()).toEqual(r.body.txids);
    expect(net.exchange.chain.balance(u.account.serverAddress).unconfirmed).toBe(150_000_000);
    expect(net.exchange.account(u.userid).accountMargin).toBe(150_000_000);
  });
});

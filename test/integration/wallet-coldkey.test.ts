// Cold-key trading against the real local exchange (PROTOCOL §2.8, §8.7): a `trade` key authorized on the key
// machine (no network) is imported, registered and used online with SIGN authentication; it places an order.
// The same key is refused on every margin, withdraw and recovery endpoint by the exchange (403), and by the
// wallet before any request (assertCanMoveCoins).
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoinpitError } from '../../main/coinpit/errors';
import { roundToTick } from '../../main/coinpit/instruments';
import type { CoinpitClient } from '../../main/coinpit/rest';
import { MoneyOperationRefused } from '../../main/wallet/apikey-file';
import { setUpColdKeyTrading, writeColdKeyFile, type ColdKeyInfo } from '../../main/wallet/coldkey';
import { WalletFlows } from '../../main/wallet/flows';
import type { KeyStore } from '../../main/wallet/keychain';
import { signerFromWif } from '../../main/wallet/multisig';
import { RecoveryKeeper } from '../../main/wallet/recovery';
import { VaultStore } from '../../main/wallet/vault';
import { buildMarginIn } from '../../main/wallet/txbuild';
import { newUser, recordingFetch, startWalletNet, type User, type WalletNet } from './helpers/localnet-wallet';

let w: WalletNet;
let owner: User; // the key machine's coin key (also used, HMAC, to fund the account)
let info: ColdKeyInfo;
let cold: CoinpitClient;
let store: KeyStore;

beforeAll(async () => {
  w = await startWalletNet();
  owner = await newUser(w);
  // fund the account and move margin in with the coin key, so the trade key has margin to trade with
  await w.faucet(owner.account.accountid, 50_000_000);
  const flows = new WalletFlows({ account: owner.account, client: owner.client, chain: w.chain, signer: signerFromWif(owner.wif), confirmer: { confirm: async () => true } });
  await flows.marginIn(20_000_000);
  await w.mine();

  // key machine: no network, only the WIF and the (public) server key
  const keyFile = path.join(w.dataDir, 'trade-key.json');
  const made = await writeColdKeyFile(owner.wif, keyFile, { serverPublicKey: owner.account.serverPublicKey });

  // online machine: the file is all it gets
  store = new VaultStore(path.join(w.dataDir, 'vault.json'), 'online machine passphrase');
  const setup = await setUpColdKeyTrading(await fs.readFile(keyFile, 'utf8'), store, 'trader#apikey', {
    baseUrl: w.net.url,
    fetch: recordingFetch(w.requests),
    userid: owner.account.userid,
    serverPublicKey: owner.account.serverPublicKey,
  });
  info = setup.info;
  expect(info).toEqual(made);
  cold = setup.client;
});
afterAll(async () => {
  await w?.close();
});

async function status(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CoinpitError);
    return (err as CoinpitError).status;
  }
  return 200;
}

describe('cold-key trading', () => {
  it('the registered key is listed for the account and stored in the vault', async () => {
    expect(cold.session).toMatchObject({ mode: 'sign', role: 'trade', apiKeyName: info.name, accountid: owner.account.accountid });
    const keys = await owner.client.listApiKeys();
    expect(keys.map((k) => [k.name, k.role, k.apiPublicKey])).toEqual([[info.name, 'trade', info.apiPublicKey]]);
    expect(await store.list()).toEqual(['trader#apikey']);
  });

  it('trades with SIGN authentication: places an order and sees it', async () => {
    const { instruments } = await cold.config();
    const bands = await cold.bands();
    const inst = Object.values(instruments).find((i) => i.status === 'active' && !i.disabled && i.expiry > Date.now() && bands[i.symbol])!;
    expect(inst).toBeDefined();
    const band = bands[inst.symbol]!;
    const price = roundToTick(band.price - 2, inst, 'floor');
    const stopPrice = roundToTick(Math.max(inst.minLimitStop, inst.minMarketStop, 5), inst, 'ceil');
    const [order] = await cold.createOrders(inst.symbol, [
      { clientid: randomUUID(), userid: owner.account.userid, instrument: inst.symbol, side: 'buy', quantity: 1, orderType: 'LMT', price, stopPrice, targetPrice: 10 },
    ]);
    expect(order).toMatchObject({ userid: owner.account.userid, side: 'buy', quantity: 1, price, status: 'open' });
    const open = await cold.openOrders(inst.symbol);
    expect(open.map((o) => o.uuid)).toContain(order!.uuid);
    expect((await cold.account()).userid).toBe(owner.account.userid);
  });

  it('the exchange refuses the key on every margin, withdraw and recovery endpoint (403)', async () => {
    // a real, correctly user-signed margin-in transaction: only the key's role stops it
    const utxos = await w.chain.addressUtxos(owner.account.accountid);
    const built = buildMarginIn(owner.account, utxos, { amount: 1_000_000, feePerKB: 50000, dust: 10000, minimumFee: 50000 });
    const before = await w.chain.addressBalance(owner.account.accountid);
    expect(await status(cold.marginIn([built.hex]))).toBe(403);
    expect(await status(cold.marginOut(1_000_000))).toBe(403);
    expect(await status(cold.marginOutAll())).toBe(403);
    expect(await status(cold.withdraw(built.hex))).toBe(403);
    expect(await status(cold.withdrawTx())).toBe(403);
    expect(await status(cold.recoveryTx())).toBe(403);
    expect(await status(cold.listApiKeys())).toBe(403);
    expect(await w.chain.addressBalance(owner.account.accountid)).toEqual(before);
  });

  it('the wallet refuses money operations in API-key mode before any request', async () => {
    const start = w.requests.length;
    const noKey = () => {
      throw new Error('no coin key on this machine');
    };
    const flows = new WalletFlows({ account: owner.account, client: cold, chain: w.chain, signer: noKey, mode: 'api-key', confirmer: { confirm: async () => true } });
    const attempts = [() => flows.marginIn(1_000_000), () => flows.marginOut(1_000_000), () => flows.marginOutAll(), () => flows.withdraw(owner.account.userid, 'max')];
    for (const attempt of attempts) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MoneyOperationRefused);
      expect((err as Error).message).toMatch(/API key that cannot move coins/);
    }
    const keeper = new RecoveryKeeper({ account: owner.account, client: cold, chain: w.chain, signer: noKey, dataDir: path.join(w.dataDir, 'app'), mode: 'api-key' });
    await expect(keeper.refresh()).rejects.toBeInstanceOf(MoneyOperationRefused);
    await expect(keeper.refreshIfStale()).rejects.toBeInstanceOf(MoneyOperationRefused);
    expect(w.requests.slice(start)).toEqual([]);
  });
});

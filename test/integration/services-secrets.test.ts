// A full session through the service table and the IPC dispatcher, against the real local exchange on 127.0.0.1:
// create keys, connect, faucet, margin in, trade (two users, so orders fill), API keys, recovery, offline signing,
// withdraw and margin out. Every reply and every event is recorded exactly as it would cross IPC and scanned for
// the WIFs, the ECDH shared secrets, every API secret key (and its seed half) and the vault passphrase: none may
// appear anywhere. Along the way it checks that a declined confirmation signs and moves nothing.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedSecret } from '../../main/coinpit/ecdh';
import { createDispatch } from '../../main/ipc-dispatch';
import { startLocalnet, type Localnet } from '../../main/localnet/index';
import { ScriptedConfirmer } from '../../main/services/confirmer';
import { DirectoryFileChooser } from '../../main/services/files';
import { createServices, type Services } from '../../main/services/index';
import { MemoryKeyStore } from '../../main/services/keystores';
import type { MethodName, RequestOf, ValueOf } from '../../preload/contract';

interface User {
  name: string;
  services: Services;
  confirmer: ScriptedConfirmer;
  files: DirectoryFileChooser;
  keychain: MemoryKeyStore;
  call<M extends MethodName>(method: M, ...req: RequestOf<M> extends undefined ? [] : [RequestOf<M>]): Promise<ValueOf<M>>;
  attempt<M extends MethodName>(method: M, ...req: RequestOf<M> extends undefined ? [] : [RequestOf<M>]): Promise<{ ok: boolean; code?: string }>;
}

/** Everything that crossed the boundary, as JSON text. */
const transcript: string[] = [];
const eventNames = new Set<string>();
let local: Localnet;
const PASSPHRASE = 'a vault passphrase that must stay in main';

async function makeUser(name: string, vault: boolean): Promise<User> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `coinpit-secrets-${name}-`));
  const confirmer = new ScriptedConfirmer(true);
  const files = new DirectoryFileChooser(path.join(dataDir, 'exports'));
  const keychain = new MemoryKeyStore();
  const services = await createServices({
    dataDir,
    appVersion: 'test',
    confirmer,
    files,
    keychain,
    ...(vault ? { keychainProbe: async () => ({ ok: false as const, code: 'no-dbus' as const, reason: 'No keychain in this test.' }) } : {}),
    startLocal: async () => ({ url: local.url, close: async () => undefined }),
  });
  services.on((event, payload) => {
    eventNames.add(event);
    transcript.push(JSON.stringify({ event, payload }));
  });
  const dispatch = createDispatch(services.table, () => services.secrets());
  const raw = async (method: MethodName, req: unknown[]) => {
    const reply = await dispatch(method, req);
    transcript.push(JSON.stringify(reply));
    return reply;
  };
  return {
    name,
    services,
    confirmer,
    files,
    keychain,
    async call(method, ...req) {
      const reply = await raw(method, req);
      if (!reply.ok) throw new Error(`${name}.${method} failed: ${reply.error.code} ${reply.error.message}`);
      return reply.value as never;
    },
    async attempt(method, ...req) {
      const reply = await raw(method, req);
      return reply.ok ? { ok: true } : { ok: false, code: reply.error.code };
    },
  };
}

let alice: User;
let bob: User;
const secrets: string[] = [];

beforeAll(async () => {
  local = await startLocalnet({ dataDir: await mkdtemp(path.join(tmpdir(), 'coinpit-secrets-localnet-')), port: 0, blockIntervalMs: 0, indexPrice: 1000, seed: 7 });
  alice = await makeUser('alice', false);
  bob = await makeUser('bob', true);
}, 60_000);

afterAll(async () => {
  await alice?.services.close();
  await bob?.services.close();
  await local?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('a full session through the service table', () => {
  it('runs keys → connect → faucet → margin in → trade → API keys → recovery → offline → withdraw → margin out', async () => {
    // ---- keys: alice in the (memory) keychain, bob in a passphrase vault
    const aState = await alice.call('profilesList');
    const aId = aState.activeId!;
    expect(aState.profiles[0]).toMatchObject({ name: 'Local', keystore: 'keychain', hasKey: false });
    await alice.call('profilesGenerateKey', { id: aId });

    const bState = await bob.call('profilesList');
    const bId = bState.activeId!;
    expect(bState.profiles[0]).toMatchObject({ keystore: 'vault' });
    expect(await bob.attempt('profilesGenerateKey', { id: bId })).toEqual({ ok: false, code: 'LOCKED' });
    expect((await bob.call('keystoreStatus')).keychain).toMatchObject({ available: false, reason: 'No keychain in this test.' });
    await bob.call('profilesGenerateKey', { id: bId, passphrase: PASSPHRASE });
    expect(await bob.call('keystoreStatus')).toMatchObject({ vaultExists: true, vaultUnlocked: true });

    const aliceWif = (JSON.parse((await alice.keychain.get(aId))!) as { wif: string }).wif;
    secrets.push(aliceWif, PASSPHRASE);

    // ---- connect both
    // two calls at once (a double click, two views asking): the second joins the first, neither fails
    const [aConn, aConnAgain] = await Promise.all([alice.call('connectionConnect'), alice.call('connectionConnect')]);
    expect(aConn).toMatchObject({ state: 'connected', profileId: aId });
    expect(aConnAgain).toMatchObject({ state: 'connected', profileId: aId });
    const bConn = await bob.call('connectionConnect');
    expect(bConn.state).toBe('connected');
    expect((await alice.call('profilesList')).profiles[0]).toMatchObject({ hasKey: true });

    // the shared secrets, recomputed here from the WIFs and the server keys the exchange derives
    const bobWif = await bobWifFromVault(bob, bId);
    secrets.push(bobWif);
    for (const [wif, user] of [
      [aliceWif, alice],
      [bobWif, bob],
    ] as const) {
      const serverKey = await serverPublicKeyOf(user);
      secrets.push(sharedSecret(wif, serverKey));
    }

    // ---- market data
    const instruments = await alice.call('marketInstruments');
    const symbol = Object.values(instruments).find((i) => i.status === 'active' && !i.disabled)!.symbol;
    const instrument = instruments[symbol]!;
    const bands = await alice.call('marketBands');
    const band = bands[symbol]!;
    expect(band.min).toBeLessThan(band.max);
    await alice.call('marketBook', { symbol });
    await alice.call('marketTrades', { symbol });
    await alice.call('marketCandles', { symbol });
    await alice.call('marketInfo');
    await alice.call('marketConfig');

    // ---- faucet and deposit address
    const deposit = await alice.call('walletDepositAddress', { amount: 150_000_000, label: 'test deposit' });
    expect(deposit.bip21).toBe(`bitcoin:${deposit.address}?amount=1.5&label=test%20deposit`);
    await alice.call('walletFaucet', { amount: 200_000_000 });
    await bob.call('walletFaucet', { amount: 200_000_000 });
    expect((await alice.call('walletBalances')).multisig.confirmed).toBe(200_000_000);

    // ---- a declined confirmation signs and moves nothing
    alice.confirmer.answer = false;
    const asked = alice.confirmer.requests.length;
    expect(await alice.attempt('walletMarginIn', { amount: 100_000_000 })).toEqual({ ok: false, code: 'DECLINED' });
    expect(alice.confirmer.requests.length).toBe(asked + 1);
    expect(alice.confirmer.requests.at(-1)).toMatchObject({ action: 'margin-in', amount: 100_000_000, review: { ok: true, kind: 'margin-in' } });
    const untouched = await alice.call('walletBalances');
    expect(untouched.multisig).toMatchObject({ confirmed: 200_000_000, unconfirmed: 0 });
    expect(untouched.margin.balance).toBe(0);
    alice.confirmer.answer = true;

    // ---- margin in (reviewed, confirmed, signed, co-signed by the exchange)
    const aIn = await alice.call('walletMarginIn', { amount: 100_000_000 });
    expect(aIn.review).toMatchObject({ ok: true, kind: 'margin-in', amount: 100_000_000 });
    expect(aIn.txid).toMatch(/^[0-9a-f]{64}$/);
    await bob.call('walletMarginIn', { amount: 100_000_000 });
    await local.exchange.mine(1);
    expect((await alice.call('accountMargin')).balance).toBe(100_000_000);

    // ---- trade: bob sells, alice buys at the same price, so both fill
    const tick = 1 / instrument.ticksperpoint;
    const price = Math.round(band.price / tick) * tick;
    const sold = await bob.call('ordersCreate', { orders: [{ instrument: symbol, side: 'sell', quantity: 2, orderType: 'LMT', price, stopPrice: 20, targetPrice: 'NONE' }] });
    expect(sold[0]).toMatchObject({ side: 'sell', status: 'open' });
    await alice.call('ordersOpen', { symbol });
    const bought = await alice.call('ordersCreate', { orders: [{ instrument: symbol, side: 'buy', quantity: 2, orderType: 'LMT', price, stopPrice: 20, targetPrice: 30 }] });
    expect(bought).toHaveLength(1);
    await until('a fill event', async () => transcript.some((t) => t.includes('"event":"fill"')));
    const positions = await until('alice position', async () => {
      const p = await alice.call('accountPositions');
      return p[symbol]?.quantity === 2 ? p : null;
    });
    expect(positions[symbol]).toMatchObject({ quantity: 2 });
    await alice.call('accountGet');
    await alice.call('accountPnl');
    await alice.call('ordersExecutions');
    await alice.call('ordersClosed', { symbol });
    await alice.call('ordersCancelled', { symbol });
    // move alice's target, then cancel it (the stop stays), then a patch that adds and removes an order
    const open = await alice.call('ordersOpen', { symbol });
    const target = open.find((o) => o.orderType === 'TGT');
    expect(target).toBeDefined();
    await alice.call('ordersUpdate', { symbol, updates: [{ uuid: target!.uuid, price: price + 40 }] });
    const resting = await bob.call('ordersCreate', { orders: [{ instrument: symbol, side: 'sell', quantity: 1, orderType: 'LMT', price: price + 10, stopPrice: 20 }] });
    await bob.call('ordersCancel', { symbol, uuid: resting[0]!.uuid });
    await bob.call('ordersPatch', { symbol, ops: [{ op: 'add', value: [{ instrument: symbol, side: 'sell', quantity: 1, orderType: 'LMT', price: price + 10, stopPrice: 20 }] }] });
    await bob.call('ordersCancelAll', { symbol });

    // ---- API keys: create (secret stays in main), export to a file main writes, register, list, revoke
    const key = await alice.call('apiKeysCreate', { role: 'trade' });
    expect(key).toMatchObject({ role: 'trade', registered: false, local: true });
    expect(Object.keys(key).sort()).toEqual(['apiPublicKey', 'local', 'name', 'registered', 'role', 'userid']);
    const apiSecret = (JSON.parse((await alice.keychain.get(`${aId}~apikey~${key.name}`))!) as { secretKey: string }).secretKey;
    secrets.push(apiSecret, apiSecret.slice(0, 64));
    const exported = await alice.call('apiKeysExport', { name: key.name });
    expect(await readFile(exported.path, 'utf8')).toContain(apiSecret); // the file has it; the reply only names the path
    await alice.call('apiKeysRegister', { name: key.name });
    expect((await alice.call('apiKeysList')).find((k) => k.name === key.name)).toMatchObject({ registered: true });
    await alice.call('apiKeysRevoke', { name: key.name });

    // a cold-key trader: a new profile of bob's imports alice's key file and trades with it, but cannot move coins
    const second = await alice.call('apiKeysCreate', { role: 'trade' });
    const secondSecret = (JSON.parse((await alice.keychain.get(`${aId}~apikey~${second.name}`))!) as { secretKey: string }).secretKey;
    secrets.push(secondSecret, secondSecret.slice(0, 64));
    await alice.call('apiKeysRegister', { name: second.name });
    const keyFile = await readFile((await alice.call('apiKeysExport', { name: second.name })).path, 'utf8');
    const cold = await bob.call('profilesCreate', { name: 'Cold', network: { kind: 'local' }, keystore: 'vault' });
    await bob.call('profilesSelect', { id: cold.id });
    const imported = await bob.call('apiKeysImport', { source: 'text', text: keyFile, fileName: 'key.json' });
    expect(imported).toMatchObject({ name: second.name, local: true });
    await bob.call('connectionConnect');
    await bob.call('ordersOpen', { symbol });
    expect(await bob.attempt('walletMarginIn', { amount: 1_000_000 })).toEqual({ ok: false, code: 'UNSUPPORTED' });
    await bob.call('profilesBackupExport', { id: cold.id });
    await bob.call('profilesSelect', { id: bId });
    await bob.call('connectionConnect');

    // ---- recovery: fetched, reviewed, confirmed, signed and kept ready; exported to a file
    const recovery = await alice.call('walletRecoveryRefresh');
    expect(recovery).toMatchObject({ state: 'ready', review: { ok: true, kind: 'recovery' } });
    const aliceUserid = (await alice.call('profilesList')).profiles.find((p) => p.id === aId)!.userid!;
    expect(alice.confirmer.requests.at(-1)).toMatchObject({ action: 'recovery-sign', destination: aliceUserid, review: { kind: 'recovery' } });
    expect(await alice.call('walletRecoveryStatus')).toMatchObject({ state: 'ready' });
    const recoveryFile = await alice.call('walletRecoveryExport');
    const recoveryHex = (await readFile(recoveryFile.path, 'utf8')).trim();
    expect(recoveryHex).toMatch(/^[0-9a-f]+$/);
    // broadcasting it is confirmed first; declined, nothing is sent and it stays ready
    alice.confirmer.answer = false;
    expect(await alice.attempt('walletRecoveryBroadcast')).toEqual({ ok: false, code: 'DECLINED' });
    expect(alice.confirmer.requests.at(-1)).toMatchObject({ action: 'recovery-broadcast', destination: aliceUserid, amount: recovery.review!.amount });
    alice.confirmer.answer = true;
    expect(await alice.call('walletRecoveryStatus')).toMatchObject({ state: 'ready', txid: recovery.txid });

    // ---- offline signing of a server transaction (bob's withdrawtx-shaped file) with a declined, then approved, confirmation
    const serverTx = await until('bob recovery tx', () => bobRecoveryFile(bob));
    const file = await bob.call('offlineImportFile', { source: 'text', text: serverTx, fileName: 'recovery.json' });
    expect(file).toMatchObject({ format: 'hex', signed: false });
    await bob.call('offlineReview', { id: file.id });
    bob.confirmer.answer = false;
    expect(await bob.attempt('offlineSign', { id: file.id })).toMatchObject({ ok: false });
    expect(await bob.attempt('offlineExport', { id: file.id })).toEqual({ ok: false, code: 'NOT_FOUND' });
    bob.confirmer.answer = true;
    const signedFile = await bob.call('offlineSign', { id: file.id });
    expect(signedFile.txid).toMatch(/^[0-9a-f]{64}$/);
    await bob.call('offlineExport', { id: file.id });

    // ---- withdraw to bob's own address and margin out
    const bobUserid = (await bob.call('profilesList')).profiles.find((p) => p.id === bId)!.userid!;
    const withdrawn = await alice.call('walletWithdraw', { address: bobUserid, amount: 10_000_000 });
    expect(withdrawn.review).toMatchObject({ ok: true, kind: 'withdraw', amount: 10_000_000 });
    await local.exchange.mine(1);
    expect((await alice.call('walletRecoveryStatus')).state).toBe('stale');
    expect(await alice.call('walletMarginOut', { amount: 1_000_000 })).toMatchObject({ amount: 1_000_000 });
    expect(alice.confirmer.requests.at(-1)).toMatchObject({ action: 'margin-out', amount: 1_000_000, destination: aConn.accountid, review: null });
    await alice.call('walletBalances');
    await alice.call('connectionStatus');
    await alice.call('settingsSet', { theme: 'dark', units: 'sat' });
    await alice.call('profilesBackupExport', { id: aId });
    await alice.call('networkPresets');
    await alice.call('connectionDisconnect');

    // every kind of event was seen
    for (const e of ['book', 'trades', 'bands', 'instruments', 'account', 'orderResult', 'connection', 'recovery', 'fill']) {
      expect([...eventNames], e).toContain(e);
    }
  }, 120_000);

  it('no reply or event carried a WIF, a shared secret, an API secret key or the vault passphrase', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(9);
    expect(transcript.length).toBeGreaterThan(100);
    const all = transcript.join('\n');
    for (const s of secrets) {
      expect(s.length).toBeGreaterThanOrEqual(32);
      expect(all.includes(s), `secret ${s.slice(0, 4)}… leaked`).toBe(false);
      expect(all.toLowerCase().includes(s.toLowerCase()), `secret ${s.slice(0, 4)}… leaked (case)`).toBe(false);
    }
  });
});

async function bobWifFromVault(user: User, id: string): Promise<string> {
  // the test reads the vault the way main does, to know what to look for
  const { VaultStore } = await import('../../main/wallet/vault');
  const dir = (user.files.dir as string).replace(/[\\/]exports$/, '');
  const vault = new VaultStore(path.join(dir, 'vault.json'), PASSPHRASE);
  return (JSON.parse((await vault.get(id))!) as { wif: string }).wif;
}

async function serverPublicKeyOf(user: User): Promise<string> {
  const p = (await user.call('profilesList')).profiles[0]!;
  const res = await fetch(`${local.url}/api/v1/auth/${p.publicKey}`);
  return ((await res.json()) as { serverPublicKey: string }).serverPublicKey;
}

/** Bob's server-signed recovery transaction as the `{tx, fee, inputs}` file an online machine would save. */
async function bobRecoveryFile(user: User): Promise<string | null> {
  const { CoinpitClient } = await import('../../main/coinpit/rest');
  const id = (await user.call('profilesList')).activeId!;
  const wif = await bobWifFromVault(user, id);
  const client = new CoinpitClient({ baseUrl: local.url, wif });
  await client.connect();
  const wt = await client.recoveryTx().catch(() => null);
  return wt ? JSON.stringify(wt) : null;
}

// The service table without a network: profiles, key stores (no silent downgrade), settings, the corrupt-file
// report, file exports through the chooser, and the errors for calls that need a connection.
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bs58check from 'bs58check';
import { describe, expect, it } from 'vitest';
import { encodeWif, generateWif, parseWif } from '../../../main/coinpit/identity';
import { createDispatch } from '../../../main/ipc-dispatch';
import { ScriptedConfirmer } from '../../../main/services/confirmer';
import { DirectoryFileChooser } from '../../../main/services/files';
import { createServices } from '../../../main/services/index';
import { MemoryKeyStore } from '../../../main/services/keystores';
import type { MethodName } from '../../../preload/contract';

const NO_KEYCHAIN = async () => ({ ok: false as const, code: 'no-dbus' as const, reason: 'There is no D-Bus session.' });

async function setup(opts: { keychain?: boolean; dataDir?: string } = {}) {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'coinpit-table-')));
  const files = new DirectoryFileChooser(path.join(dataDir, 'exports'));
  const keychain = new MemoryKeyStore();
  const services = await createServices({
    dataDir,
    appVersion: '1.2.3',
    confirmer: new ScriptedConfirmer(true),
    files,
    keychain,
    ...(opts.keychain === false ? { keychainProbe: NO_KEYCHAIN } : {}),
    startLocal: async () => {
      throw new Error('no exchange in unit tests');
    },
  });
  const dispatch = createDispatch(services.table, () => services.secrets());
  const call = async (method: MethodName, req?: unknown) => dispatch(method, req === undefined ? [] : [req]);
  const value = async <T = any>(method: MethodName, req?: unknown): Promise<T> => {
    const r = await call(method, req);
    if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
    return r.value as T;
  };
  return { dataDir, files, keychain, services, call, value };
}

describe('first run', () => {
  it('creates one "Local" profile on the Local network, in the keychain when it works', async () => {
    const t = await setup();
    const state = await t.value('profilesList');
    expect(state.profiles).toHaveLength(1);
    expect(state.profiles[0]).toMatchObject({ name: 'Local', network: { kind: 'local' }, keystore: 'keychain', hasKey: false });
    expect(state.activeId).toBe(state.profiles[0].id);
    expect(await t.value('appVersion')).toBe('1.2.3');
    await t.services.close();
  });

  it('uses the vault for the default profile when the keychain is unavailable, and reports why', async () => {
    const t = await setup({ keychain: false });
    const state = await t.value('profilesList');
    expect(state.profiles[0].keystore).toBe('vault');
    expect(await t.value('keystoreStatus')).toEqual({
      keychain: { available: false, code: 'no-dbus', reason: 'There is no D-Bus session.' },
      vaultExists: false,
      vaultUnlocked: false,
    });
  });
});

describe('key stores: no silent downgrade', () => {
  it('refuses a keychain profile when the keychain is unavailable, saying why, and creates nothing', async () => {
    const t = await setup({ keychain: false });
    const r = await t.call('profilesCreate', { name: 'K', network: { kind: 'local' }, keystore: 'keychain' });
    expect(r).toMatchObject({ ok: false, error: { code: 'KEYCHAIN_UNAVAILABLE' } });
    if (!r.ok) expect(r.error.message).toMatch(/There is no D-Bus session\..*passphrase-encrypted vault/);
    expect((await t.value('profilesList')).profiles).toHaveLength(1);
  });

  it('a vault profile needs the passphrase; a wrong one is BAD_PASSPHRASE; the key lands encrypted in vault.json', async () => {
    const t = await setup({ keychain: false });
    const id = (await t.value('profilesList')).activeId;
    expect(await t.call('profilesGenerateKey', { id })).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    const created = await t.value('profilesGenerateKey', { id, passphrase: 'first passphrase' });
    expect(created).toMatchObject({ hasKey: true, keystore: 'vault' });
    expect(created.userid).toMatch(/^[mn]/);
    const vaultText = await readFile(path.join(t.dataDir, 'vault.json'), 'utf8');
    expect(vaultText).not.toContain(created.publicKey);
    await t.services.close();

    const again = await setup({ keychain: false, dataDir: t.dataDir });
    expect(await again.value('keystoreStatus')).toMatchObject({ vaultExists: true, vaultUnlocked: false });
    expect(await again.call('keystoreUnlock', { passphrase: 'wrong passphrase' })).toMatchObject({ ok: false, error: { code: 'BAD_PASSPHRASE' } });
    expect(await again.value('keystoreUnlock', { passphrase: 'first passphrase' })).toMatchObject({ vaultUnlocked: true });
  });
});

describe('profiles', () => {
  it('imports a WIF (never echoing it), refuses the wrong network, uncompressed keys and a second key', async () => {
    const t = await setup();
    const id = (await t.value('profilesList')).activeId;
    const mainnet = generateWif('bitcoin');
    const r1 = await t.call('profilesImportWif', { id, wif: mainnet });
    expect(r1).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(JSON.stringify(r1)).not.toContain(mainnet);
    const uncompressed = encodeWifUncompressed(generateWif('testnet'));
    const r2 = await t.call('profilesImportWif', { id, wif: uncompressed });
    expect(r2).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(JSON.stringify(r2)).not.toContain(uncompressed);

    const wif = generateWif('testnet');
    const p = await t.value('profilesImportWif', { id, wif });
    expect(p).toMatchObject({ hasKey: true, credential: 'coin-key' });
    expect(JSON.stringify(p)).not.toContain(wif);
    expect(JSON.parse((await t.keychain.get(id))!)).toEqual({ wif });
    expect(await t.call('profilesImportWif', { id, wif })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await readFile(path.join(t.dataDir, 'profiles.json'), 'utf8')).not.toContain(wif);
  });

  it('creates, selects and deletes profiles; the last one cannot be deleted; names are unique', async () => {
    const t = await setup();
    const first = (await t.value('profilesList')).activeId;
    const second = await t.value('profilesCreate', { name: 'Testnet', network: { kind: 'preset', preset: 'testnet' }, keystore: 'keychain' });
    expect(await t.call('profilesCreate', { name: 'testnet', network: { kind: 'local' }, keystore: 'keychain' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect((await t.value('profilesSelect', { id: second.id })).activeId).toBe(second.id);
    await t.value('profilesGenerateKey', { id: second.id });
    const after = await t.value('profilesDelete', { id: second.id });
    expect(after.profiles.map((p: { id: string }) => p.id)).toEqual([first]);
    expect(after.activeId).toBe(first);
    expect(await t.keychain.get(second.id)).toBeUndefined();
    expect(await t.call('profilesDelete', { id: first })).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED' } });
    expect(await t.call('profilesSelect', { id: 'p_nope' })).toMatchObject({ ok: false, error: { code: 'NO_PROFILE' } });
  });

  it('a custom network is kept with its URLs; a mainnet preset refuses a testnet key', async () => {
    const t = await setup();
    const id = (await t.value('profilesList')).activeId;
    await t.value('profilesGenerateKey', { id });
    expect(await t.call('profilesSetNetwork', { id, network: { kind: 'preset', preset: 'mainnet' } })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const custom = { kind: 'custom', coinpitUrl: 'https://exchange.example', esploraUrl: 'https://esplora.example/api' };
    expect((await t.value('profilesSetNetwork', { id, network: custom })).network).toEqual(custom);
    expect(await t.value('connectionStatus')).toMatchObject({ state: 'disconnected', network: { label: 'exchange.example', coinpitUrl: 'https://exchange.example' } });
  });

  it('writes the key backup to the chosen file; the reply carries only the path; a cancelled dialog is CANCELLED', async () => {
    const t = await setup();
    const id = (await t.value('profilesList')).activeId;
    await t.value('profilesGenerateKey', { id });
    const wif = (JSON.parse((await t.keychain.get(id))!) as { wif: string }).wif;
    const reply = await t.call('profilesBackupExport', { id });
    expect(JSON.stringify(reply)).not.toContain(wif);
    if (!reply.ok) throw new Error('export failed');
    const saved = JSON.parse(await readFile((reply.value as { path: string }).path, 'utf8'));
    expect(saved.privateKey).toBe(wif);
    t.files.cancelSave = true;
    expect(await t.call('profilesBackupExport', { id })).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
  });
});

describe('corrupt files', () => {
  it('a corrupt profiles.json is kept aside, reported once through profilesList, and a default profile starts', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'coinpit-table-'));
    await writeFile(path.join(dataDir, 'profiles.json'), '{"version":1,"profiles":[{"id":');
    const t = await setup({ dataDir });
    const state = await t.value('profilesList');
    expect(state.problems).toHaveLength(1);
    expect(state.problems[0]).toMatch(/profiles\.json is not valid JSON; it was kept as profiles\.json\.corrupt-/);
    expect(state.profiles.map((p: { name: string }) => p.name)).toEqual(['Local']);
    expect((await t.value('profilesList')).problems).toEqual([]);
    const files = await readdir(dataDir);
    const aside = files.find((f) => f.startsWith('profiles.json.corrupt-'))!;
    expect(await readFile(path.join(dataDir, aside), 'utf8')).toBe('{"version":1,"profiles":[{"id":');
  });
});

describe('settings', () => {
  it('defaults to system/btc, applies patches and persists them', async () => {
    const t = await setup();
    expect(await t.value('settingsGet')).toEqual({ theme: 'system', units: 'btc' });
    expect(await t.value('settingsSet', { units: 'sat' })).toEqual({ theme: 'system', units: 'sat' });
    expect(await t.value('settingsSet', { theme: 'light' })).toEqual({ theme: 'light', units: 'sat' });
    const again = await setup({ dataDir: t.dataDir });
    expect(await again.value('settingsGet')).toEqual({ theme: 'light', units: 'sat' });
  });
});

describe('calls that need a connection or a key', () => {
  it('answer LOCKED without a key and NOT_CONNECTED before connecting, as typed errors', async () => {
    const t = await setup();
    expect(await t.call('connectionConnect')).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    for (const [m, req] of [
      ['marketInstruments', undefined],
      ['marketBook', { symbol: 'BTCUSD7J28' }],
      ['ordersCreate', { orders: [{ instrument: 'X', side: 'buy', quantity: 1, orderType: 'MKT', stopPrice: 10 }] }],
      ['walletMarginIn', { amount: 1000 }],
      ['walletRecoveryRefresh', undefined],
      ['walletFaucet', { amount: 1000 }],
      ['apiKeysRegister', { name: '0123456789abcdef' }],
    ] as const) {
      expect(await t.call(m, req), m).toMatchObject({ ok: false, error: { code: 'NOT_CONNECTED' } });
    }
    expect(await t.value('walletRecoveryStatus')).toMatchObject({ state: 'none' });
    expect(await t.value('connectionStatus')).toMatchObject({ state: 'disconnected', network: { label: 'Local' } });
    expect((await t.value('networkPresets')).map((n: { label: string }) => n.label)).toEqual(['Local', 'Testnet', 'Mainnet']);
  });

  it('the local exchange failing to start is a typed error, not a crash', async () => {
    const t = await setup();
    const id = (await t.value('profilesList')).activeId;
    await t.value('profilesGenerateKey', { id });
    expect(await t.call('connectionConnect')).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });

  it('offline signing refuses garbage files with a clear message', async () => {
    const t = await setup();
    const id = (await t.value('profilesList')).activeId;
    await t.value('profilesGenerateKey', { id });
    const r = await t.call('offlineImportFile', { source: 'text', text: 'this is not a transaction' });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await t.call('offlineSign', { id: 'f999' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});

/** The same private key as an uncompressed WIF (which the app refuses): the payload without the compression flag. */
function encodeWifUncompressed(wif: string): string {
  const { privateKey } = parseWif(wif);
  const raw = bs58check.decode(encodeWif(privateKey, 'testnet'));
  return bs58check.encode(raw.slice(0, 33));
}

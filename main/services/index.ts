// The service table: one function per contract method, called by main/ipc.ts (Electron) and by the web host
// (test/web-host) after the payload passed its schema. It owns the profiles and settings store, the key stores,
// the local exchange (started on first use, in-process, data under the app's data dir) and the session of the
// active profile. Plain Node: no Electron here; dialogs come in through the Confirmer and FileChooser interfaces.
import * as path from 'node:path';
import { methods as methodsList } from '../../preload/contract';
import type {
  ApiKeyInfo,
  ConnectionStatus,
  EventName,
  EventPayloads,
  FileSource,
  ImportedSigningFile,
  MethodName,
  NetworkChoice,
  NetworkInfo,
  ProfilesState,
  ProfileSummary,
  RequestOf,
  ValueOf,
} from '../../preload/contract';
import type { ApiKey } from '../coinpit/auth';
import { generateWif, identity, networkOf, type Identity, type NetworkName } from '../coinpit/identity';
import { serializePrivateKeyFile } from '../coinpit/keyfile';
import type { FeedOptions } from '../coinpit/feed';
import { createAuthorizedApiKey, exportApiKeyFile, importApiKeyFile } from '../wallet/apikey-file';
import { importColdKey, loadColdKey, registerColdKey } from '../wallet/coldkey';
import { requireConfirmation, type Confirmer } from '../wallet/confirm';
import type { KeychainProbe, KeyStore } from '../wallet/keychain';
import { signerFromWif } from '../wallet/multisig';
import type { Review } from '../wallet/review';
import type { Timers } from './book-coalescer';
import { isPlainError, ServiceError } from './errors';
import { readUserFile, writeUserFile, type FileChooser } from './files';
import { Keystores } from './keystores';
import { parseImportedFile, reviewImported, serverKeyFromFile, signImported, type ImportedFile, type SignedImport } from './offline-files';
import { newProfileId, ProfileStore, summary, type ProfileRecord } from './profile-store';
import { disconnectedStatus as idleStatus, NO_RECOVERY, ProfileSession, type Credential, type EventSink } from './session';
import { MAX_FILE_TEXT } from '../ipc-schemas';

/** One implementation per contract method; the argument has already been validated. */
export type ServiceTable = { [M in MethodName]: (req: RequestOf<M>) => Promise<ValueOf<M>> };

export type EventListener = <E extends EventName>(event: E, payload: EventPayloads[E]) => void;

/** The local exchange as the services need it (main/localnet/index.ts startLocalnet's result). */
export interface LocalExchange {
  url: string;
  close(): Promise<void>;
}

export interface ServicesOptions {
  dataDir: string;
  appVersion: string;
  confirmer: Confirmer;
  files: FileChooser;
  /** the OS keychain store; default keytar (tests and the web host pass a MemoryKeyStore) */
  keychain?: KeyStore;
  keychainProbe?: () => Promise<KeychainProbe>;
  /** scrypt cost of a new vault (tests use the minimum) */
  vaultN?: number;
  /** starts the local exchange; default startLocalnet(localExchangeOptions(<dataDir>/localnet)) */
  startLocal?: (dataDir: string) => Promise<LocalExchange>;
  fetch?: typeof fetch;
  feed?: Partial<Omit<FeedOptions, 'client'>>;
  timers?: Timers;
  /** largest fee accepted when signing offline without the exchange's config, satoshi */
  offlineMaximumFee?: number;
}

export interface Services {
  readonly table: ServiceTable;
  /** Adds an event listener; returns the function that removes it. */
  on(listener: EventListener): () => void;
  /** Every secret the services currently hold (for redacting error messages). Never sent anywhere. */
  secrets(): string[];
  /** The local exchange's URL once it runs. */
  localUrl(): string | null;
  /** Starts the local exchange now (it otherwise starts on the first connection to Local); returns its URL. */
  ensureLocal(): Promise<string>;
  close(): Promise<void>;
}

export const PRESETS: Record<'testnet' | 'mainnet', { coinpitUrl: string; esploraUrl: string; network: NetworkName; label: string }> = {
  testnet: { coinpitUrl: 'https://live.coinpit.me', esploraUrl: 'https://blockstream.info/testnet/api', network: 'testnet', label: 'Testnet' },
  mainnet: { coinpitUrl: 'https://live.coinpit.io', esploraUrl: 'https://blockstream.info/api', network: 'bitcoin', label: 'Mainnet' },
};

const DEFAULT_OFFLINE_MAXIMUM_FEE = 1_000_000;

type StoredSecret = { wif: string } | { apiKey: ApiKey };

const apiKeySecretId = (profileId: string, name: string) => `${profileId}~apikey~${name}`;

/** A new profile without a key yet. */
function newProfileRecord(name: string, network: NetworkChoice, keystore: ProfileRecord['keystore']): ProfileRecord {
  return {
    id: newProfileId(),
    name,
    network,
    keystore,
    credential: 'coin-key',
    hasKey: false,
    userid: null,
    publicKey: null,
    apiKeyName: null,
    createdAt: Date.now(),
    apiKeys: [],
    serverPublicKey: null,
  };
}

/** An API key whose secret this profile holds, as the renderer sees it (never the secret). */
function localKeyInfo(key: ApiKey): ApiKeyInfo {
  return { name: key.name, role: key.role, apiPublicKey: key.apiPublicKey, userid: key.userid, registered: false, local: true };
}

/** The network a key must be for on this choice, or null when any (a custom server). */
function requiredNetwork(choice: NetworkChoice): NetworkName | null {
  if (choice.kind === 'local') return 'testnet';
  if (choice.kind === 'preset') return PRESETS[choice.preset].network;
  return null;
}

/**
 * How the app starts its default "Local" network: any free loopback port, and the market-making bot on, so a
 * newcomer sees a live book, trades and candles (the bot is an ordinary user of the same API).
 */
export function localExchangeOptions(dataDir: string): { dataDir: string; port: number; bot: boolean } {
  return { dataDir, port: 0, bot: true };
}

export async function createServices(options: ServicesOptions): Promise<Services> {
  const store = new ProfileStore(options.dataDir);
  await store.load();
  const keystores = new Keystores({ dataDir: options.dataDir, keychain: options.keychain, probe: options.keychainProbe, vaultN: options.vaultN });
  const listeners = new Set<EventListener>();
  const emit: EventSink = (event, payload) => {
    for (const l of [...listeners]) {
      try {
        l(event, payload);
      } catch {
        /* one broken listener must not stop the others */
      }
    }
  };
  const held = new Set<string>(); // secrets seen in this process, for redaction only
  const hold = (...s: (string | undefined)[]) => s.forEach((x) => x && held.add(x));

  let local: LocalExchange | null = null;
  let localStarting: Promise<LocalExchange> | null = null;
  let session: ProfileSession | null = null;
  let connecting: { profileId: string; promise: Promise<ConnectionStatus> } | null = null;
  const imports = new Map<string, { imported: ImportedFile; fileName: string | null; review: Review; signed: SignedImport | null; profileId: string }>();
  let importCounter = 0;

  // ---- first run: a default profile on the Local network, its keystore the keychain when it works
  if (store.list().length === 0) {
    const probe = await keystores.keychainProbe();
    await store.add(newProfileRecord('Local', { kind: 'local' }, probe.ok ? 'keychain' : 'vault'), true);
  }

  // ---- helpers

  const profile = (id: string): ProfileRecord => {
    const p = store.get(id);
    if (!p) throw new ServiceError('NO_PROFILE', 'There is no such profile.');
    return p;
  };
  const active = (): ProfileRecord => {
    const id = store.activeId;
    if (id === null) throw new ServiceError('NO_PROFILE', 'No profile is selected.');
    return profile(id);
  };
  const state = (): ProfilesState => {
    const problems = [...store.problems];
    store.problems = [];
    return { profiles: store.list().map(summary), activeId: store.activeId, problems };
  };
  const need = (): ProfileSession => {
    if (!session || !session.connected) throw new ServiceError('NOT_CONNECTED', 'Not connected: connect first.');
    return session;
  };

  async function startLocal(): Promise<LocalExchange> {
    if (local) return local;
    localStarting ??= (async () => {
      const dir = path.join(options.dataDir, 'localnet');
      const start =
        options.startLocal ??
        (async (dataDir: string) => {
          const { startLocalnet } = await import('../localnet/index');
          return startLocalnet(localExchangeOptions(dataDir));
        });
      try {
        local = await start(dir);
        return local;
      } finally {
        localStarting = null;
      }
    })();
    return localStarting;
  }

  function networkInfo(choice: NetworkChoice, keyNetwork: NetworkName | null): NetworkInfo {
    if (choice.kind === 'local') {
      const url = local?.url ?? '';
      return { choice, label: 'Local', coinpitUrl: url, esploraUrl: url ? `${url}/esplora` : '', bitcoinNetwork: 'testnet' };
    }
    if (choice.kind === 'preset') {
      const p = PRESETS[choice.preset];
      return { choice, label: p.label, coinpitUrl: p.coinpitUrl, esploraUrl: p.esploraUrl, bitcoinNetwork: p.network };
    }
    return { choice, label: new URL(choice.coinpitUrl).host, coinpitUrl: choice.coinpitUrl, esploraUrl: choice.esploraUrl, bitcoinNetwork: keyNetwork ?? 'testnet' };
  }

  async function readSecret(p: ProfileRecord): Promise<StoredSecret> {
    if (!p.hasKey) throw new ServiceError('LOCKED', 'This profile has no key yet: generate or import one.');
    const ks = await keystores.store(p.keystore);
    const raw = await ks.get(p.id);
    if (raw === undefined) throw new ServiceError('NOT_FOUND', `The key of profile "${p.name}" is missing from the ${p.keystore === 'vault' ? 'vault' : 'keychain'}.`);
    let parsed: StoredSecret;
    try {
      parsed = JSON.parse(raw) as StoredSecret;
    } catch {
      throw new ServiceError('INTERNAL', `The stored key of profile "${p.name}" is unreadable.`);
    }
    if ('wif' in parsed) hold(parsed.wif);
    if ('apiKey' in parsed) hold(parsed.apiKey.secretKey);
    return parsed;
  }

  async function writeSecret(p: ProfileRecord, secret: StoredSecret, passphrase?: string): Promise<void> {
    const ks = await keystores.store(p.keystore, passphrase);
    await ks.set(p.id, JSON.stringify(secret));
  }

  function closeSession(): void {
    session?.close();
    session = null;
  }

  async function connectProfile(p: ReturnType<typeof active>): Promise<ConnectionStatus> {
    closeSession();
    const secret = await readSecret(p);
    if (p.network.kind === 'local') {
      emit('connection', { ...disconnectedStatus(), state: 'starting' });
      await startLocal();
    }
    const credential: Credential = 'wif' in secret ? { kind: 'coin-key', wif: secret.wif } : { kind: 'api-key', apiKey: secret.apiKey };
    const s = new ProfileSession({
      profileId: p.id,
      credential,
      network: networkInfo(p.network, keyNetworkOf(p)),
      emit,
      confirmer: options.confirmer,
      local: p.network.kind === 'local',
      recoveryDir: path.join(options.dataDir, 'recovery'),
      fetch: options.fetch,
      feed: options.feed,
      timers: options.timers,
      onServerKey: (key) => {
        if (p.credential === 'coin-key' && p.serverPublicKey !== key) void store.update(p.id, (x) => ({ ...x, serverPublicKey: key })).catch(() => undefined);
      },
    });
    session = s;
    try {
      return await s.connect();
    } catch (e) {
      if (session === s) session = null;
      s.close();
      throw e;
    }
  }

  async function withFile(source: FileSource, title: string): Promise<{ text: string; fileName: string | null }> {
    if (source.source === 'text') return { text: source.text, fileName: source.fileName ?? null };
    const chosen = await options.files.chooseFile({ title });
    if (!chosen) throw new ServiceError('CANCELLED', 'No file was chosen.');
    try {
      return { text: await readUserFile(chosen, MAX_FILE_TEXT), fileName: path.basename(chosen) };
    } catch (e) {
      throw new ServiceError('INVALID_INPUT', `The file cannot be read: ${e instanceof Error ? e.message : 'error'}`);
    }
  }

  async function choosePath(title: string, suggestedName: string): Promise<string> {
    const chosen = await options.files.choosePath({ title, suggestedName });
    if (!chosen) throw new ServiceError('CANCELLED', 'The file was not saved.');
    return chosen;
  }

  async function saveFile(title: string, suggestedName: string, text: string): Promise<{ path: string }> {
    const chosen = await choosePath(title, suggestedName);
    await writeUserFile(chosen, text);
    return { path: chosen };
  }

  function keyNetworkOf(p: ProfileRecord): NetworkName | null {
    if (!p.userid) return null;
    try {
      return networkOf(p.userid);
    } catch {
      return null; // a hand-edited profiles.json: treat the key's network as unknown rather than fail every call
    }
  }

  async function offlineContext(p: ProfileRecord, imported: ImportedFile) {
    if (p.credential !== 'coin-key' || !p.publicKey) throw new ServiceError('UNSUPPORTED', 'Signing needs a profile with its coin key.');
    const serverPublicKey = p.serverPublicKey ?? serverKeyFromFile(imported, p.publicKey);
    if (!serverPublicKey) {
      throw new ServiceError('UNSUPPORTED', "This file does not show the account's server key, and the profile has never connected: connect once, or use a file that carries the redeem script.");
    }
    const connected = session && session.connected && session.profileId === p.id ? session : null;
    return {
      publicKey: p.publicKey,
      serverPublicKey,
      network: keyNetworkOf(p) ?? 'testnet',
      maximumFee: connected ? connected.config().maximumFee : (options.offlineMaximumFee ?? DEFAULT_OFFLINE_MAXIMUM_FEE),
    };
  }

  function importedView(id: string): ImportedSigningFile {
    const entry = imports.get(id);
    if (!entry) throw new ServiceError('NOT_FOUND', 'No such imported file.');
    return { id, format: entry.imported.format, fileName: entry.fileName, review: entry.signed?.review ?? entry.review, signed: entry.signed !== null };
  }

  function apiKeyInfo(p: ProfileRecord, name: string): ApiKeyInfo {
    const k = p.apiKeys.find((x) => x.name === name);
    if (!k) throw new ServiceError('NOT_FOUND', `There is no API key ${name} in this profile.`);
    return { ...k };
  }

  async function loadApiKey(p: ProfileRecord, name: string): Promise<ApiKey> {
    if (p.credential === 'api-key' && p.apiKeyName === name) {
      const s = await readSecret(p);
      if ('apiKey' in s) return s.apiKey;
    }
    const ks = await keystores.store(p.keystore);
    const id = apiKeySecretId(p.id, name);
    let key: ApiKey;
    try {
      key = await loadColdKey(ks, id); // checked again: a keychain entry is not trusted blindly
    } catch (e) {
      if (!isPlainError(e)) throw e;
      if ((await ks.get(id)) === undefined) throw new ServiceError('NOT_FOUND', `The secret of API key ${name} is not held by this profile.`);
      throw new ServiceError('INTERNAL', `The stored secret of API key ${name} is unusable: ${e.message}`);
    }
    hold(key.secretKey);
    return key;
  }

  const disconnectedStatus = (): ConnectionStatus => {
    const id = store.activeId;
    const p = id ? store.get(id) : undefined;
    return idleStatus(id, p ? networkInfo(p.network, keyNetworkOf(p)) : null);
  };

  // ---- the table

  const table: ServiceTable = {
    appVersion: async () => options.appVersion,

    profilesList: async () => state(),

    profilesCreate: async (req) => {
      hold(req.passphrase);
      if (store.list().some((p) => p.name.toLowerCase() === req.name.toLowerCase())) {
        throw new ServiceError('CONFLICT', `A profile named "${req.name}" already exists.`);
      }
      await keystores.store(req.keystore, req.passphrase); // the choice must work now: no silent downgrade later
      const record = newProfileRecord(req.name, req.network, req.keystore);
      await store.add(record);
      return summary(record);
    },

    profilesImportWif: async (req) => {
      hold(req.wif, req.passphrase);
      const p = profile(req.id);
      if (p.hasKey) throw new ServiceError('CONFLICT', 'This profile already has a key. Create a new profile to import another.');
      let id: Identity;
      try {
        id = identity(req.wif);
      } catch (e) {
        throw new ServiceError('INVALID_INPUT', e instanceof Error ? `The key cannot be used: ${e.message}` : 'The key cannot be used.');
      }
      const want = requiredNetwork(p.network);
      if (want && id.network !== want) {
        throw new ServiceError('INVALID_INPUT', `This is a ${id.network === 'bitcoin' ? 'mainnet' : 'testnet'} key; the profile's network needs a ${want === 'bitcoin' ? 'mainnet' : 'testnet'} key.`);
      }
      await writeSecret(p, { wif: req.wif.trim() }, req.passphrase);
      const next = await store.update(p.id, (x) => ({ ...x, hasKey: true, credential: 'coin-key', publicKey: id.publicKey, userid: id.userid }));
      return summary(next);
    },

    profilesGenerateKey: async (req) => {
      hold(req.passphrase);
      const p = profile(req.id);
      if (p.hasKey) throw new ServiceError('CONFLICT', 'This profile already has a key.');
      const network = requiredNetwork(p.network) ?? 'testnet';
      const wif = generateWif(network);
      hold(wif);
      const { publicKey, userid } = identity(wif);
      await writeSecret(p, { wif }, req.passphrase);
      const next = await store.update(p.id, (x) => ({ ...x, hasKey: true, credential: 'coin-key', publicKey, userid }));
      return summary(next);
    },

    profilesSelect: async (req) => {
      profile(req.id);
      if (store.activeId !== req.id) {
        closeSession();
        await store.setActive(req.id);
        emit('connection', disconnectedStatus());
      }
      return state();
    },

    profilesDelete: async (req) => {
      const p = profile(req.id);
      if (store.list().length <= 1) throw new ServiceError('UNSUPPORTED', 'The last profile cannot be deleted.');
      if (p.hasKey || p.apiKeys.some((k) => k.local)) {
        const ks = await keystores.store(p.keystore);
        await ks.delete(p.id);
        for (const k of p.apiKeys) if (k.local) await ks.delete(apiKeySecretId(p.id, k.name));
      }
      if (session?.profileId === p.id) closeSession();
      for (const [id, entry] of imports) if (entry.profileId === p.id) imports.delete(id);
      await store.remove(p.id);
      return state();
    },

    profilesSetNetwork: async (req) => {
      const p = profile(req.id);
      const want = requiredNetwork(req.network);
      const have = keyNetworkOf(p);
      if (want && have && want !== have) {
        throw new ServiceError('INVALID_INPUT', `This profile's key is a ${have === 'bitcoin' ? 'mainnet' : 'testnet'} key and cannot be used on that network.`);
      }
      if (session?.profileId === p.id) closeSession();
      const next = await store.update(p.id, (x) => ({ ...x, network: req.network, serverPublicKey: null }));
      return summary(next);
    },

    profilesBackupExport: async (req) => {
      const p = profile(req.id);
      const secret = await readSecret(p);
      const text = 'wif' in secret ? `${serializePrivateKeyFile(secret.wif)}\n` : exportApiKeyFile(secret.apiKey);
      const safeName = p.name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40) || 'profile';
      return saveFile('Save the key backup', `coinpit-desk-${safeName}-key.json`, text);
    },

    keystoreStatus: async () => keystores.status(),

    keystoreUnlock: async (req) => {
      hold(req.passphrase);
      await keystores.unlock(req.passphrase);
      return keystores.status();
    },

    networkPresets: async () => [
      networkInfo({ kind: 'local' }, 'testnet'),
      networkInfo({ kind: 'preset', preset: 'testnet' }, 'testnet'),
      networkInfo({ kind: 'preset', preset: 'mainnet' }, 'bitcoin'),
    ],

    connectionConnect: async () => {
      const p = active();
      if (session && session.profileId === p.id && session.connected) return session.status();
      // A second call while the first is still connecting joins it instead of tearing it down.
      if (connecting && connecting.profileId === p.id) return connecting.promise;
      const promise = connectProfile(p);
      connecting = { profileId: p.id, promise };
      try {
        return await promise;
      } finally {
        if (connecting?.promise === promise) connecting = null;
      }
    },

    connectionDisconnect: async () => {
      closeSession();
      const status = disconnectedStatus();
      emit('connection', status);
      return status;
    },

    connectionStatus: async () => (session ? session.status() : disconnectedStatus()),

    marketInstruments: async () => need().instruments(),
    marketBook: async (req) => need().book(req.symbol),
    marketTrades: async (req) => need().trades(req.symbol),
    marketCandles: async (req) => need().candles(req.symbol),
    marketBands: async () => need().bands(),
    marketInfo: async () => need().marketInfo(),
    marketConfig: async () => need().config(),

    ordersCreate: async (req) => need().createOrders(req),
    ordersUpdate: async (req) => need().updateOrders(req.symbol, req.updates),
    ordersCancel: async (req) => need().cancelOrder(req.symbol, req.uuid),
    ordersCancelAll: async (req) => need().cancelAll(req.symbol),
    ordersPatch: async (req) => need().patchOrders(req.symbol, req.ops),
    ordersOpen: async (req) => need().openOrders(req.symbol),
    ordersClosed: async (req) => need().closedOrders(req.symbol, req.after),
    ordersCancelled: async (req) => need().cancelledOrders(req.symbol, req.after),
    ordersExecutions: async () => need().executions(),

    accountGet: async () => need().account(),
    accountPositions: async () => need().positions(),
    accountPnl: async () => need().pnl(),
    accountMargin: async () => need().marginInfo(),

    walletBalances: async () => need().balances(),
    walletDepositAddress: async (req) => need().depositAddress(req),
    walletMarginIn: async (req) => need().marginIn(req.amount),
    walletMarginOut: async (req) => need().marginOut(req),
    walletWithdraw: async (req) => need().withdraw(req),
    walletRecoveryStatus: async () => (session ? session.recoveryStatus() : { ...NO_RECOVERY }),
    walletRecoveryRefresh: async () => need().recoveryRefresh(),
    walletRecoveryExport: async () => need().recoveryExport(() => choosePath('Save the signed recovery transaction', 'coinpit-desk-recovery-tx.txt')),
    walletRecoveryBroadcast: async () => need().recoveryBroadcast(),
    walletFaucet: async (req) => need().faucet(req),

    offlineImportFile: async (req) => {
      const p = active();
      const { text, fileName } = await withFile(req, 'Open a transaction to sign');
      let imported: ImportedFile;
      try {
        imported = parseImportedFile(text);
      } catch (e) {
        throw new ServiceError('INVALID_INPUT', e instanceof Error ? e.message : 'The file cannot be read.');
      }
      const ctx = await offlineContext(p, imported);
      let r;
      try {
        r = reviewImported(imported, ctx);
      } catch (e) {
        throw new ServiceError('INVALID_INPUT', e instanceof Error ? e.message : 'The file cannot be reviewed.');
      }
      const id = `f${++importCounter}`;
      imports.set(id, { imported, fileName, review: r, signed: null, profileId: p.id });
      return importedView(id);
    },

    offlineReview: async (req) => {
      const entry = imports.get(req.id);
      if (!entry) throw new ServiceError('NOT_FOUND', 'No such imported file.');
      if (!entry.signed) entry.review = reviewImported(entry.imported, await offlineContext(profile(entry.profileId), entry.imported));
      return importedView(req.id);
    },

    offlineSign: async (req) => {
      const entry = imports.get(req.id);
      if (!entry) throw new ServiceError('NOT_FOUND', 'No such imported file.');
      const p = profile(entry.profileId);
      const ctx = await offlineContext(p, entry.imported);
      const r = reviewImported(entry.imported, ctx);
      entry.review = r;
      if (!r.ok) throw new ServiceError('REVIEW_REFUSED', `Refused to sign: ${r.refusals.map((x) => x.message).join('; ')}`);
      await requireConfirmation(options.confirmer, { kind: 'sign-file', fileName: entry.fileName, review: r });
      const secret = await readSecret(p);
      if (!('wif' in secret)) throw new ServiceError('UNSUPPORTED', 'Signing needs the coin key.');
      const signed = signImported(entry.imported, signerFromWif(secret.wif), ctx);
      entry.signed = signed;
      return { id: req.id, complete: signed.complete, txid: signed.txid, review: signed.review };
    },

    offlineExport: async (req) => {
      const entry = imports.get(req.id);
      if (!entry) throw new ServiceError('NOT_FOUND', 'No such imported file.');
      if (!entry.signed) throw new ServiceError('NOT_FOUND', 'The file has not been signed yet.');
      const base = (entry.fileName ?? 'transaction').replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40);
      return saveFile('Save the signed transaction', `${base}-signed.${entry.signed.extension}`, entry.signed.text);
    },

    apiKeysList: async () => {
      const p = active();
      let list = p.apiKeys.map((k) => ({ ...k }));
      const s = session && session.connected && session.profileId === p.id ? session : null;
      if (s && p.credential === 'coin-key') {
        const remote = await s.client.listApiKeys();
        const names = new Set(remote.map((r) => r.name));
        list = list.map((k) => ({ ...k, registered: names.has(k.name) }));
        for (const r of remote) {
          if (!list.some((k) => k.name === r.name)) {
            list.push({ name: r.name, role: r.role, apiPublicKey: r.apiPublicKey, userid: r.userid, registered: true, local: false });
          }
        }
        await store.update(p.id, (x) => ({ ...x, apiKeys: list }));
      }
      return list;
    },

    apiKeysCreate: async (req) => {
      const p = active();
      if (p.credential !== 'coin-key') throw new ServiceError('UNSUPPORTED', 'Only a profile with its coin key can authorize API keys.');
      const secret = await readSecret(p);
      if (!('wif' in secret)) throw new ServiceError('UNSUPPORTED', 'Only a profile with its coin key can authorize API keys.');
      const key = createAuthorizedApiKey(secret.wif, { role: req.role, ...(p.serverPublicKey ? { serverPublicKey: p.serverPublicKey } : {}) });
      hold(key.secretKey);
      await importColdKey(key, await keystores.store(p.keystore), apiKeySecretId(p.id, key.name));
      const info = localKeyInfo(key);
      await store.update(p.id, (x) => ({ ...x, apiKeys: [...x.apiKeys.filter((k) => k.name !== key.name), info] }));
      return info;
    },

    apiKeysExport: async (req) => {
      const p = active();
      apiKeyInfo(p, req.name);
      const key = await loadApiKey(p, req.name);
      return saveFile('Save the API key file', `coinpit-desk-apikey-${req.name}.json`, exportApiKeyFile(key));
    },

    apiKeysImport: async (req) => {
      const p = active();
      if (p.hasKey) throw new ServiceError('CONFLICT', 'This profile already has a key. Create a new profile for the API key.');
      const { text } = await withFile(req, 'Open an API key file');
      let key: ApiKey;
      try {
        key = importApiKeyFile(text);
      } catch (e) {
        throw new ServiceError('INVALID_INPUT', e instanceof Error ? e.message : 'The API key file cannot be used.');
      }
      hold(key.secretKey);
      const want = requiredNetwork(p.network);
      if (want && want !== networkOf(key.userid)) throw new ServiceError('INVALID_INPUT', "The API key is for another network than this profile's.");
      await writeSecret(p, { apiKey: key });
      const info = localKeyInfo(key);
      await store.update(p.id, (x) => ({
        ...x,
        hasKey: true,
        credential: 'api-key',
        userid: key.userid,
        publicKey: key.publicKey ?? null,
        apiKeyName: key.name,
        apiKeys: [info],
      }));
      return info;
    },

    apiKeysRegister: async (req) => {
      const p = active();
      const s = need();
      apiKeyInfo(p, req.name);
      const key = await loadApiKey(p, req.name);
      await registerColdKey(key, s.client);
      const next = await store.update(p.id, (x) => ({ ...x, apiKeys: x.apiKeys.map((k) => (k.name === req.name ? { ...k, registered: true } : k)) }));
      return apiKeyInfo(next, req.name);
    },

    apiKeysRevoke: async (req) => {
      const p = active();
      const s = need();
      if (p.credential !== 'coin-key') throw new ServiceError('UNSUPPORTED', 'Revoking an API key needs the coin key.');
      await s.client.revokeApiKey(req.name);
      const known = p.apiKeys.find((k) => k.name === req.name);
      const next = await store.update(p.id, (x) => ({
        ...x,
        apiKeys: known ? x.apiKeys.map((k) => (k.name === req.name ? { ...k, registered: false } : k)) : x.apiKeys,
      }));
      return known ? apiKeyInfo(next, req.name) : { name: req.name, role: 'trade', apiPublicKey: '', userid: p.userid ?? '', registered: false, local: false };
    },

    settingsGet: async () => store.settings(),
    settingsSet: async (req) => store.setSettings(req),
  };

  return {
    table,
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    secrets: () => [...held, ...keystores.secrets()],
    localUrl: () => local?.url ?? null,
    ensureLocal: async () => (await startLocal()).url,
    async close() {
      closeSession();
      keystores.lock();
      const l = local ?? (localStarting ? await localStarting.catch(() => null) : null);
      local = null;
      await l?.close();
    },
  };
}

export type { ProfileSummary };

/** A table whose calls wait for the services to be ready (they start while the window opens). */
export function deferredTable(ready: Promise<Pick<Services, 'table'>>): ServiceTable {
  const table = {} as Record<MethodName, (req: unknown) => Promise<unknown>>;
  for (const name of Object.keys(methodsList) as MethodName[]) {
    table[name] = async (req: unknown) => ((await ready).table[name] as (r: unknown) => Promise<unknown>)(req);
  }
  return table as unknown as ServiceTable;
}

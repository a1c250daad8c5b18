// Cold-key trading (PROTOCOL §2.8, §8.7). The coin key never comes online:
//   key machine:    createColdKeyFile / writeColdKeyFile — a new Ed25519 key of role `trade`, authorized by the coin
//                   key (a Bitcoin signed message), exported as a key file.
//   online machine: importColdKey (every field checked, the authorization verified, stored in the keychain or
//                   vault), registerColdKey (`POST /auth/apikey`, which needs no coin key), coldKeyClient (a
//                   CoinpitClient in SIGN mode). That client trades; it cannot move coins — the wallet refuses money
//                   operations in this mode (assertCanMoveCoins) and the exchange answers 403.
import path from 'node:path';
import type { ApiKey, Role } from '../coinpit/auth';
import { serializeApiKeyFile } from '../coinpit/keyfile';
import { CoinpitClient, type Ack, type CoinpitClientOptions } from '../coinpit/rest';
import { writeNewFileAtomic } from './atomic-file';
import { apiKeyRegistration, createAuthorizedApiKey, exportApiKeyFile, importApiKeyFile, type ImportApiKeyFileOptions } from './apikey-file';
import type { KeyStore } from './keychain';

/** What may be shown about an API key: everything but the secret. */
export interface ColdKeyInfo {
  name: string;
  role: Role;
  apiPublicKey: string;
  userid: string;
  publicKey?: string;
  serverAddress?: string;
  accountid?: string;
}

export function coldKeyInfo(key: ApiKey): ColdKeyInfo {
  const info: ColdKeyInfo = { name: key.name, role: key.role, apiPublicKey: key.apiPublicKey, userid: key.userid };
  if (key.publicKey !== undefined) info.publicKey = key.publicKey;
  if (key.serverAddress !== undefined) info.serverAddress = key.serverAddress;
  if (key.accountid !== undefined) info.accountid = key.accountid;
  return info;
}

// ------------------------------------------------------------------ key machine (offline)

export interface CreateColdKeyOptions {
  /** fills serverAddress/accountid into the file when known */
  serverPublicKey?: string;
}

/** A new `trade` key authorized by the WIF's coin key, and its key file text (which holds the API secret). */
export function createColdKeyFile(wif: string, opts: CreateColdKeyOptions = {}): { info: ColdKeyInfo; text: string } {
  const key = createAuthorizedApiKey(wif, { role: 'trade', serverPublicKey: opts.serverPublicKey });
  return { info: coldKeyInfo(key), text: exportApiKeyFile(key) };
}

/** createColdKeyFile, written to `file` (owner-only permissions; an existing file is not overwritten). */
export async function writeColdKeyFile(wif: string, file: string, opts: CreateColdKeyOptions = {}): Promise<ColdKeyInfo> {
  const { info, text } = createColdKeyFile(wif, opts);
  const target = path.resolve(file);
  try {
    await writeNewFileAtomic(target, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${target} already exists; choose another file name`);
    throw err;
  }
  return info;
}

// ------------------------------------------------------------------ online machine

/** Keychain/vault entry id for a profile's API key. */
export function coldKeyStoreId(profileId: string): string {
  if (typeof profileId !== 'string' || profileId.length === 0) throw new Error('Profile id must be a non-empty string');
  return `${profileId}#apikey`;
}

/** Checks a key file (JSON text or object) and stores it in the keychain or vault under `storeId`. */
export async function importColdKey(input: unknown, store: KeyStore, storeId: string, opts: ImportApiKeyFileOptions = {}): Promise<ColdKeyInfo> {
  const key = importApiKeyFile(input, opts);
  await store.set(storeId, serializeApiKeyFile(key));
  return coldKeyInfo(key);
}

/** Reads the stored key back (checked again: a keychain entry is not trusted blindly). */
export async function loadColdKey(store: KeyStore, storeId: string, opts: ImportApiKeyFileOptions = {}): Promise<ApiKey> {
  const text = await store.get(storeId);
  if (text === undefined) throw new Error('No API key is stored for this profile');
  return importApiKeyFile(text, opts);
}

export type ColdClientOptions = Omit<CoinpitClientOptions, 'wif' | 'apiKey'>;

/** A CoinpitClient that signs with the API key (SIGN mode) and holds no coin key. */
export function coldKeyClient(key: ApiKey, opts: ColdClientOptions): CoinpitClient {
  if (!opts || typeof opts !== 'object') throw new Error('coldKeyClient needs options with a baseUrl');
  const { baseUrl, timeoutMs, clock, fetch } = opts;
  return new CoinpitClient({ baseUrl, timeoutMs, clock, fetch, apiKey: key });
}

/** `POST /auth/apikey` (§8.7): unauthenticated, the body carries the coin key's authorization. */
export async function registerColdKey(key: ApiKey, client: CoinpitClient | ColdClientOptions): Promise<Ack> {
  const body = apiKeyRegistration(key); // refuses a key without a valid authorization before any request
  const c = client instanceof CoinpitClient ? client : coldKeyClient(key, client);
  return c.registerApiKey(body);
}

export interface ColdKeySetup {
  info: ColdKeyInfo;
  client: CoinpitClient;
  registration: Ack;
}

/** Online machine in one step: import into the store, register, and return a connected SIGN-mode client. */
export async function setUpColdKeyTrading(
  input: unknown,
  store: KeyStore,
  storeId: string,
  opts: ColdClientOptions & ImportApiKeyFileOptions,
): Promise<ColdKeySetup> {
  const info = await importColdKey(input, store, storeId, { userid: opts.userid, serverPublicKey: opts.serverPublicKey });
  const key = await loadColdKey(store, storeId);
  const client = coldKeyClient(key, opts);
  const registration = await registerColdKey(key, client);
  await client.connect();
  return { info, client, registration };
}

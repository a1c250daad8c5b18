// Cold-key trading (PROTOCOL §2.8, §8.7): on the key machine, create an Ed25519 API key of role `trade` and
// authorize it with the coin key; export it as a key file. On the online machine, import the file (every field
// checked, the authorization verified) and register it with POST /auth/apikey, which needs no coin key.
// A `trade` key can never move coins: money operations in API-key mode are refused here with a clear message.
import { authorizeApiKey, createApiKey, verifyApiKeyAuthorization, type ApiKey, type Role } from '../coinpit/auth';
import { identity, multisigRedeem, p2pkhAddress, p2shAddress, networkOf } from '../coinpit/identity';
import { parseApiKeyFile, serializeApiKeyFile } from '../coinpit/keyfile';
import type { ApiKeyRegistration } from '../coinpit/types';

export interface CreateApiKeyFileOptions {
  /** default 'trade' */
  role?: Role;
  /** the per-user server key, when known, fills in serverAddress and accountid */
  serverPublicKey?: string;
}

/** A new Ed25519 API key for the WIF's userid, authorized by the coin key (offline; no network). */
export function createAuthorizedApiKey(wif: string, opts: CreateApiKeyFileOptions = {}): ApiKey {
  const id = identity(wif, opts.serverPublicKey);
  const key = createApiKey(id.userid, opts.role ?? 'trade');
  key.authorization = authorizeApiKey(key, wif);
  key.publicKey = id.publicKey;
  if (id.serverAddress && id.accountid) {
    key.serverAddress = id.serverAddress;
    key.accountid = id.accountid;
  }
  return key;
}

/** Key file text; refuses to write a key without a valid authorization. Contains the API secret key. */
export function exportApiKeyFile(key: ApiKey): string {
  checkAuthorized(key, 'API key');
  return `${serializeApiKeyFile(key)}\n`;
}

export interface ImportApiKeyFileOptions {
  /** expected owner (the profile's userid) */
  userid?: string;
  /** when known, serverAddress/accountid in the file must be this server key's */
  serverPublicKey?: string;
}

function checkAuthorized(key: ApiKey, what: string): asserts key is ApiKey & { authorization: string; publicKey: string } {
  if (!key.publicKey) throw new Error(`${what}: "publicKey" (the coin key's public key) is missing`);
  if (!key.authorization) throw new Error(`${what}: "authorization" is missing; the key was not authorized by the coin key`);
  const ok = verifyApiKeyAuthorization({
    name: key.name,
    role: key.role,
    apiPublicKey: key.apiPublicKey,
    userid: key.userid,
    authorization: key.authorization,
    publicKey: key.publicKey,
  });
  if (!ok) throw new Error(`${what}: "authorization" is not a valid signature of this key by the coin key of ${key.userid}`);
}

/** Parses and fully checks a key file (JSON text or object). Errors name the field, never a secret. */
export function importApiKeyFile(input: unknown, opts: ImportApiKeyFileOptions = {}): ApiKey {
  const what = 'API key file';
  const key = parseApiKeyFile(input);
  checkAuthorized(key, what);
  if (opts.userid !== undefined && key.userid !== opts.userid) throw new Error(`${what}: the key belongs to ${key.userid}, not ${opts.userid}`);
  if (opts.serverPublicKey !== undefined) {
    const network = networkOf(key.userid);
    const redeem = multisigRedeem(key.publicKey, opts.serverPublicKey);
    if (key.serverAddress !== undefined && key.serverAddress !== p2pkhAddress(opts.serverPublicKey, network)) {
      throw new Error(`${what}: "serverAddress" does not belong to this account's server key`);
    }
    if (key.accountid !== undefined && key.accountid !== p2shAddress(redeem, network)) {
      throw new Error(`${what}: "accountid" is not this account's multisig`);
    }
  }
  return key;
}

/** Body of POST /auth/apikey (§8.7): no secret in it. */
export function apiKeyRegistration(key: ApiKey): ApiKeyRegistration {
  checkAuthorized(key, 'API key');
  return { name: key.name, role: key.role, apiPublicKey: key.apiPublicKey, userid: key.userid, publicKey: key.publicKey, authorization: key.authorization };
}

export type CredentialMode = 'coin-key' | 'api-key';
export type MoneyOperation = 'margin-in' | 'margin-out' | 'withdraw' | 'recovery' | 'sign';

export class MoneyOperationRefused extends Error {
  readonly operation: MoneyOperation;
  constructor(operation: MoneyOperation) {
    super(`Refused: ${operation} moves coins, and this profile trades with an API key that cannot move coins. Use the coin key (on the machine that holds it) for money operations.`);
    this.name = 'MoneyOperationRefused';
    this.operation = operation;
  }
}

/** Guard for every money operation: in API-key mode there is no coin key, and the wallet says so plainly. */
export function assertCanMoveCoins(mode: CredentialMode, operation: MoneyOperation): void {
  if (mode !== 'coin-key') throw new MoneyOperationRefused(operation);
}

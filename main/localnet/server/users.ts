// The local exchange's user directory: per-user server keys (derived, so never stored), shared secrets,
// account addresses and registered API keys. Only API keys and registrations are state that must be journaled.
import { sharedSecretFromKeys } from '../../coinpit/ecdh';
import { multisigRedeem, normalizePublicKey, p2pkhAddress, p2shAddress } from '../../coinpit/identity';
import type { Role } from '../../coinpit/auth';
import { deriveServerKey } from './keys';

export const LOCAL_NETWORK = 'testnet' as const;

export interface UserRecord {
  userid: string;
  publicKey: string;
  serverPublicKey: string;
  serverPrivateKey: Uint8Array;
  serverAddress: string;
  redeem: string;
  accountid: string;
  /** HMAC key: the ECDH shared secret, hex. Never serialized, never logged. */
  secret: string;
}

export interface StoredApiKey {
  name: string;
  role: Role;
  apiPublicKey: string;
  userid: string;
  /** the coin key's signature over the key (§8.7), listed back by GET /account/apikey */
  authorization?: string;
  createdAt: number;
  revokedAt?: number;
}

export interface UsersSnapshot {
  publicKeys: string[];
  registered: string[];
  apiKeys: StoredApiKey[];
}

export class Users {
  private readonly byUserid = new Map<string, UserRecord>();
  private readonly byServerAddress = new Map<string, UserRecord>();
  private readonly byAccountid = new Map<string, UserRecord>();
  private readonly registered = new Set<string>();
  private readonly apiKeys = new Map<string, StoredApiKey>(); // `${userid}.${name}`

  constructor(private readonly seed: Uint8Array) {}

  /** Creates (or returns) the record for a user public key; throws on a malformed key. */
  ensure(publicKeyHex: string): UserRecord {
    const publicKey = normalizePublicKey(publicKeyHex, 'user public key');
    const userid = p2pkhAddress(publicKey, LOCAL_NETWORK);
    const known = this.byUserid.get(userid);
    if (known) return known;
    const server = deriveServerKey(this.seed, publicKey);
    const redeem = multisigRedeem(publicKey, server.publicKey);
    const record: UserRecord = {
      userid,
      publicKey,
      serverPublicKey: server.publicKey,
      serverPrivateKey: server.privateKey,
      serverAddress: p2pkhAddress(server.publicKey, LOCAL_NETWORK),
      redeem,
      accountid: p2shAddress(redeem, LOCAL_NETWORK),
      secret: sharedSecretFromKeys(server.privateKey, publicKey),
    };
    this.byUserid.set(userid, record);
    this.byServerAddress.set(record.serverAddress, record);
    this.byAccountid.set(record.accountid, record);
    return record;
  }

  get(userid: string): UserRecord | undefined {
    return this.byUserid.get(userid);
  }

  byMarginAddress(address: string): UserRecord | undefined {
    return this.byServerAddress.get(address);
  }

  byMultisig(address: string): UserRecord | undefined {
    return this.byAccountid.get(address);
  }

  all(): UserRecord[] {
    return [...this.byUserid.values()];
  }

  markRegistered(userid: string): void {
    this.registered.add(userid);
  }

  isRegistered(userid: string): boolean {
    return this.registered.has(userid);
  }

  addApiKey(key: StoredApiKey): void {
    this.apiKeys.set(`${key.userid}.${key.name}`, key);
  }

  /** A key by name, revoked or not. */
  anyApiKey(userid: string, name: string): StoredApiKey | undefined {
    return this.apiKeys.get(`${userid}.${name}`);
  }

  /** An active (not revoked) API key. */
  apiKey(userid: string, name: string): StoredApiKey | undefined {
    const key = this.apiKeys.get(`${userid}.${name}`);
    return key && key.revokedAt === undefined ? key : undefined;
  }

  listApiKeys(userid: string): StoredApiKey[] {
    return [...this.apiKeys.values()].filter((k) => k.userid === userid);
  }

  revokeApiKey(userid: string, name: string, now: number): boolean {
    const key = this.apiKey(userid, name);
    if (!key) return false;
    key.revokedAt = now;
    return true;
  }

  toJSON(): UsersSnapshot {
    return {
      publicKeys: [...this.byUserid.values()].map((u) => u.publicKey),
      registered: [...this.registered],
      apiKeys: [...this.apiKeys.values()].map((k) => ({ ...k })),
    };
  }

  static fromJSON(seed: Uint8Array, snapshot: UsersSnapshot): Users {
    const users = new Users(seed);
    for (const pub of snapshot.publicKeys) users.ensure(pub);
    for (const id of snapshot.registered) users.registered.add(id);
    for (const key of snapshot.apiKeys) users.addApiKey({ ...key });
    return users;
  }
}

// Which KeyStore holds a profile's secret: the OS keychain (keytar), or the passphrase vault file in the data dir.
// The keychain is probed once (and again after a failure); when it is unusable the reason is reported and the
// vault is offered — there is no silent fallback. The vault passphrase is kept only in this object for the session.
import * as path from 'node:path';
import type { KeystoreKind, KeystoreStatus } from '../../preload/contract';
import { KeytarStore, keychainAvailable, type KeychainProbe, type KeyStore } from '../wallet/keychain';
import { VaultStore, VaultWrongPassphrase } from '../wallet/vault';
import { ServiceError } from './errors';

export interface KeystoresOptions {
  dataDir: string;
  /** the keychain store (default: keytar); tests and the web host inject a memory one */
  keychain?: KeyStore;
  /** checks that the keychain works (default: keychainAvailable()) */
  probe?: () => Promise<KeychainProbe>;
  /** scrypt cost for a new vault (default 2^15) */
  vaultN?: number;
}

/** An in-memory KeyStore, for tests and the web host (never used by the app). */
export class MemoryKeyStore implements KeyStore {
  readonly kind = 'keychain' as const;
  readonly #entries = new Map<string, string>();
  async set(id: string, secret: string): Promise<void> {
    this.#entries.set(id, secret);
  }
  async get(id: string): Promise<string | undefined> {
    return this.#entries.get(id);
  }
  async delete(id: string): Promise<boolean> {
    return this.#entries.delete(id);
  }
  async list(): Promise<string[]> {
    return [...this.#entries.keys()].sort();
  }
}

export class Keystores {
  readonly vaultFile: string;
  readonly #keychain: KeyStore;
  readonly #probe: () => Promise<KeychainProbe>;
  readonly #vaultN: number | undefined;
  #probeResult: Promise<KeychainProbe> | null = null;
  #vault: VaultStore | null = null;
  #passphrase: string | undefined;

  constructor(options: KeystoresOptions) {
    this.vaultFile = path.join(options.dataDir, 'vault.json');
    this.#keychain = options.keychain ?? new KeytarStore();
    this.#probe = options.probe ?? (options.keychain ? async () => ({ ok: true }) : () => keychainAvailable());
    this.#vaultN = options.vaultN;
  }

  /** Secrets this object holds, for redaction. */
  secrets(): string[] {
    return this.#passphrase ? [this.#passphrase] : [];
  }

  async keychainProbe(): Promise<KeychainProbe> {
    this.#probeResult ??= this.#probe().catch((e: unknown) => ({ ok: false as const, code: 'error' as const, reason: e instanceof Error ? e.message : 'unknown error' }));
    const r = await this.#probeResult;
    if (!r.ok) this.#probeResult = null; // the user may fix it (unlock the keyring) and try again
    return r;
  }

  async status(): Promise<KeystoreStatus> {
    const probe = await this.keychainProbe();
    const vaultExists = await new VaultStore(this.vaultFile, 'probe-only-passphrase').exists();
    return {
      keychain: probe.ok ? { available: true } : { available: false, code: probe.code, reason: probe.reason },
      vaultExists,
      vaultUnlocked: this.#vault !== null,
    };
  }

  /** Checks the passphrase against the vault file (any passphrase creates a new vault on first write). */
  async unlock(passphrase: string): Promise<void> {
    const vault = new VaultStore(this.vaultFile, passphrase, this.#vaultN ? { N: this.#vaultN } : {});
    try {
      await vault.unlock();
    } catch (e) {
      if (e instanceof VaultWrongPassphrase) throw new ServiceError('BAD_PASSPHRASE', 'The vault passphrase is wrong.');
      throw e;
    }
    this.#vault = vault;
    this.#passphrase = passphrase;
  }

  lock(): void {
    this.#vault = null;
    this.#passphrase = undefined;
  }

  /** The store for `kind`; unlocks the vault with `passphrase` when given. */
  async store(kind: KeystoreKind, passphrase?: string): Promise<KeyStore> {
    if (kind === 'keychain') {
      const probe = await this.keychainProbe();
      if (!probe.ok) {
        throw new ServiceError(
          'KEYCHAIN_UNAVAILABLE',
          `The system keychain cannot be used: ${probe.reason} You can keep the key in a passphrase-encrypted vault file instead.`,
        );
      }
      return this.#keychain;
    }
    if (passphrase !== undefined && (this.#vault === null || passphrase !== this.#passphrase)) await this.unlock(passphrase);
    if (this.#vault === null) throw new ServiceError('LOCKED', 'The vault is locked: enter its passphrase first.');
    return this.#vault;
  }
}

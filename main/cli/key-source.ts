// Where the CLI keeps the coin key: the OS keychain (`--keychain PROFILE`, entry = PROFILE) or a passphrase vault
// file (`--vault FILE`, entry = `--profile NAME`, default "default"). Entries are stored as the app stores a
// profile's key (`{"wif": …}`, main/services), so the app's keychain entries and vault work here too; a bare WIF is
// read as well.
import { KeychainError, KeychainUnavailable, KeytarStore, type KeyStore } from '../wallet/keychain';
import { VaultError, VaultStore } from '../wallet/vault';
import { parseWif } from '../coinpit/identity';
import { CliError, UsageError, messageOf } from './errors';
import { vaultPassphrase, type Terminal } from './terminal';

export const DEFAULT_VAULT_PROFILE = 'default';

export interface KeySourceFlags {
  keychain?: string;
  vault?: string;
  profile?: string;
}

export interface KeySourceOptions {
  env?: NodeJS.ProcessEnv;
  terminal?: Terminal;
  /** the command will store a key (a new vault asks for its passphrase twice) */
  forWrite?: boolean;
  /** tests inject a keychain */
  keychain?: KeyStore;
}

export interface KeySource {
  store: KeyStore;
  /** entry name inside the store */
  id: string;
  /** the id was chosen by the user (not the vault default) */
  explicitId: boolean;
  /** "keychain profile X" / "vault FILE (profile Y)" for messages */
  label: string;
}

/** Exactly one of --keychain / --vault; returns undefined when neither is given and `required` is false. */
export function keySourceKind(flags: KeySourceFlags, required: boolean): 'keychain' | 'vault' | undefined {
  if (flags.keychain !== undefined && flags.vault !== undefined) throw new UsageError('Give either --keychain or --vault, not both');
  if (flags.profile !== undefined && flags.vault === undefined) throw new UsageError('--profile goes with --vault (with --keychain the profile is its argument)');
  if (flags.keychain !== undefined) return 'keychain';
  if (flags.vault !== undefined) return 'vault';
  if (required) throw new UsageError('Say where the key is: --keychain PROFILE or --vault FILE');
  return undefined;
}

export async function openKeySource(flags: KeySourceFlags, opts: KeySourceOptions = {}): Promise<KeySource> {
  const kind = keySourceKind(flags, true);
  if (kind === 'keychain') {
    const id = flags.keychain!;
    return { store: opts.keychain ?? new KeytarStore(), id, explicitId: true, label: `keychain profile "${id}"` };
  }
  const file = flags.vault!;
  let store: VaultStore;
  try {
    const probe = new VaultStore(file, 'probe-only'); // resolves the path; no passphrase is used by exists()
    const isNew = !(await probe.exists());
    if (isNew && !opts.forWrite) throw new CliError(`No vault file at ${probe.file}`);
    const passphrase = await vaultPassphrase({ env: opts.env, terminal: opts.terminal, confirm: isNew, file: probe.file });
    store = new VaultStore(file, passphrase);
    await store.unlock(); // wrong passphrase or a damaged file fails here, before anything else happens
  } catch (err) {
    throw storeFailure(err);
  }
  const id = flags.profile ?? DEFAULT_VAULT_PROFILE;
  return { store, id, explicitId: flags.profile !== undefined, label: `vault ${store.file} (profile "${id}")` };
}

/** Keychain and vault failures as CLI errors (their messages never carry a secret). */
export function storeFailure(err: unknown): Error {
  if (err instanceof CliError) return err;
  if (err instanceof KeychainUnavailable || err instanceof KeychainError || err instanceof VaultError) return new CliError(err.message);
  if (err instanceof TypeError || err instanceof RangeError) return new CliError(err.message);
  return new CliError(`Key store error: ${messageOf(err)}`);
}

/**
 * The WIF stored for this source. A vault opened without --profile falls back to its only entry, so a vault made
 * with another profile name still works when there is no doubt which key is meant.
 */
export async function loadWif(source: KeySource): Promise<string> {
  let wif: string | undefined;
  try {
    wif = await source.store.get(source.id);
    if (wif === undefined && !source.explicitId && source.store.kind === 'vault') {
      const ids = await source.store.list();
      if (ids.length === 1) wif = await source.store.get(ids[0]!);
      else if (ids.length > 1) throw new CliError(`The vault holds ${ids.length} keys (${ids.join(', ')}); choose one with --profile`);
    }
  } catch (err) {
    throw storeFailure(err);
  }
  if (wif === undefined) throw new CliError(`No key stored in ${source.label}; import one with "coinpit-desk key import"`);
  return wifFromEntry(wif, source.label);
}

/** The stored entry text as it is written: the app's profile-secret shape. */
export function entryForWif(wif: string): string {
  return JSON.stringify({ wif });
}

/** The WIF in a stored entry: `{"wif": …}` (the app's and this CLI's shape) or a bare WIF. */
export function wifFromEntry(entry: string, label: string): string {
  let wif = entry.trim();
  if (wif.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(wif);
    } catch {
      throw new CliError(`The entry in ${label} is not readable`);
    }
    const o = parsed as { wif?: unknown; apiKey?: unknown };
    if (o && typeof o === 'object' && typeof o.wif === 'string') wif = o.wif;
    else if (o && typeof o === 'object' && o.apiKey !== undefined) throw new CliError(`${label} holds an API key, which can trade but cannot sign transactions`);
    else throw new CliError(`The entry in ${label} holds no key`);
  }
  try {
    parseWif(wif);
  } catch (err) {
    throw new CliError(`The key stored in ${label} is not usable: ${messageOf(err)}`);
  }
  return wif;
}

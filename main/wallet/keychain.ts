// Secret storage for profile keys: the KeyStore interface and its OS-keychain backend (keytar).
// The passphrase-vault backend lives in ./vault. When the OS keychain cannot be used we throw
// KeychainUnavailable naming the fix; there is never a plaintext fallback and never a silent downgrade.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

export interface KeyStore {
  readonly kind: 'keychain' | 'vault';
  /** Store (or replace) the secret for a profile id. */
  set(id: string, secret: string): Promise<void>;
  /** The secret for a profile id, or undefined when there is none. */
  get(id: string): Promise<string | undefined>;
  /** Remove a profile's secret; true when something was removed. */
  delete(id: string): Promise<boolean>;
  /** Profile ids that have a secret, sorted. */
  list(): Promise<string[]>;
}

/** The keytar functions we use (keytar 7.9's API), so tests can inject a fake. */
export interface KeytarModule {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

export const KEYCHAIN_SERVICE = 'Coinpit Desk';

export type KeychainUnavailableCode =
  | 'no-dbus' // no session bus and no X11 to autolaunch one
  | 'dbus-launch-failed' // DISPLAY set but dbus-launch failed
  | 'bus-unreachable' // DBUS_SESSION_BUS_ADDRESS points nowhere
  | 'no-secret-service' // bus is up but nothing provides org.freedesktop.secrets
  | 'no-login-collection' // keyring running without a default ("login") collection
  | 'locked' // keyring is locked
  | 'module-missing'; // keytar's native module could not be loaded

const VAULT_HINT = 'or choose "passphrase vault file" to keep the key in an encrypted file instead';

// The messages keytar/libsecret produce when no usable secret service exists (shared/ENVIRONMENT.md),
// each with what the user can do about it.
const TABLE: ReadonlyArray<{ code: KeychainUnavailableCode; test: RegExp; situation: string; fix: string }> = [
  {
    code: 'no-dbus',
    test: /Cannot autolaunch D-Bus without X11/i,
    situation: 'there is no D-Bus session (and no X11 display to start one)',
    fix: 'log in to a desktop session that runs a keyring (GNOME Keyring or KWallet)',
  },
  {
    code: 'dbus-launch-failed',
    test: /Error spawning command line\s*["'\u201c]?dbus-launch/i, // GLib quotes with \u201c \u201d
    situation: 'starting a D-Bus session with dbus-launch failed',
    fix: 'install dbus (e.g. `apt install dbus-x11`) and log in to a desktop session that runs a keyring',
  },
  {
    code: 'bus-unreachable',
    test: /Could not connect: /i,
    situation: 'the D-Bus session bus (DBUS_SESSION_BUS_ADDRESS) cannot be reached',
    fix: 'start the app from a desktop session whose D-Bus and keyring are running',
  },
  {
    code: 'no-secret-service',
    test: /org\.freedesktop\.secrets was not provided by any \.service files/i,
    situation: 'no secret service (keyring) is installed',
    fix: 'install a keyring such as GNOME Keyring (e.g. `apt install gnome-keyring`) and log in again',
  },
  {
    code: 'no-login-collection',
    test: /Object does not exist at path\s*["'\u201c]?\/org\/freedesktop\/secrets\/collection\//i,
    situation: 'the keyring has no default ("login") collection',
    fix: 'create and unlock the default keyring (log in again, or open "Passwords and Keys")',
  },
  {
    code: 'locked',
    test: /\blocked (collection|object|item)\b|collection is locked|keyring is locked/i,
    situation: 'the keyring is locked',
    fix: 'unlock the keyring (log in again, or open "Passwords and Keys" and unlock it)',
  },
];

const MODULE_MISSING = {
  situation: 'the keychain module (keytar) could not be loaded',
  fix: 'reinstall Coinpit Desk (its native keychain module is missing or was built for another version)',
};

/** Pure classifier for keytar error texts: which "no usable keychain" situation it is, if any. */
export function classifyKeychainError(message: string): KeychainUnavailableCode | undefined {
  if (typeof message !== 'string') return undefined;
  return TABLE.find((row) => row.test.test(message))?.code;
}

/** True when a keytar error text means "no usable secret service" (see classifyKeychainError). */
export function isKeychainUnavailableError(message: string): boolean {
  return classifyKeychainError(message) !== undefined;
}

/** The system keychain cannot be used on this machine. The message says why and what to do. */
export class KeychainUnavailable extends Error {
  override readonly name = 'KeychainUnavailable';
  readonly code: KeychainUnavailableCode;
  /** keytar's own text (secrets removed), for logs and bug reports. */
  readonly detail: string;

  constructor(code: KeychainUnavailableCode, detail: string) {
    const row = code === 'module-missing' ? MODULE_MISSING : TABLE.find((r) => r.code === code) ?? MODULE_MISSING;
    super(`System keychain unavailable: ${row.situation}. To fix: ${row.fix}, ${VAULT_HINT}.`, {
      cause: new Error(detail),
    });
    this.code = code;
    this.detail = detail;
  }
}

/** A keychain failure that is not in the "unavailable" table (the message carries keytar's text, secrets removed). */
export class KeychainError extends Error {
  override readonly name = 'KeychainError';
  readonly detail: string;
  constructor(operation: string, detail: string) {
    super(`Keychain ${operation} failed: ${detail}`, { cause: new Error(detail) });
    this.detail = detail;
  }
}

/** Profile ids are keytar account names (and vault entry names): short printable text. Every KeyStore checks them. */
export function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 256) {
    throw new TypeError('Profile id must be a non-empty string of at most 256 characters');
  }
  if (/[\u0000-\u001f\u007f]/.test(id)) throw new TypeError('Profile id must not contain control characters');
  return id;
}

/** A secret to store: non-empty text. Every KeyStore checks it. */
export function checkSecret(secret: unknown): string {
  // Never echo the secret (or its length) back.
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('Secret must be a non-empty string');
  return secret;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : String(e);
}

/** Removes every occurrence of the given secrets from a text (they must never reach an error or a log). */
function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out;
}

function toKeychainFailure(operation: string, e: unknown, secrets: ReadonlyArray<string | undefined>): Error {
  const detail = redact(errorText(e), secrets);
  const code = classifyKeychainError(detail);
  return code ? new KeychainUnavailable(code, detail) : new KeychainError(operation, detail);
}

// keytar is CommonJS with a native addon; require() it lazily so that a missing or mismatched binary becomes
// KeychainUnavailable('module-missing') at first use instead of crashing the process at import time.
function requireKeytar(): KeytarModule {
  const req = createRequire(import.meta.url);
  const mod = req('keytar') as KeytarModule & { default?: KeytarModule };
  return typeof mod.setPassword === 'function' ? mod : (mod.default as KeytarModule);
}

export interface KeytarStoreOptions {
  /** keytar service name; defaults to "Coinpit Desk". */
  service?: string;
  /** An already-loaded keytar (tests inject a fake). */
  keytar?: KeytarModule;
  /** How to load keytar when `keytar` is not given; defaults to require('keytar'). */
  loadKeytar?: () => KeytarModule | Promise<KeytarModule>;
}

/** KeyStore in the OS keychain: service "Coinpit Desk", account = profile id. */
export class KeytarStore implements KeyStore {
  readonly kind = 'keychain' as const;
  readonly service: string;
  #keytar: KeytarModule | undefined;
  readonly #load: () => KeytarModule | Promise<KeytarModule>;

  constructor(options: KeytarStoreOptions = {}) {
    this.service = options.service ?? KEYCHAIN_SERVICE;
    if (typeof this.service !== 'string' || this.service.length === 0) {
      throw new TypeError('Keychain service name must be a non-empty string');
    }
    this.#keytar = options.keytar;
    this.#load = options.loadKeytar ?? requireKeytar;
  }

  async #module(): Promise<KeytarModule> {
    if (this.#keytar) return this.#keytar;
    let mod: KeytarModule;
    try {
      mod = await this.#load();
    } catch (e) {
      throw new KeychainUnavailable('module-missing', errorText(e));
    }
    if (!mod || typeof mod.setPassword !== 'function' || typeof mod.findCredentials !== 'function') {
      throw new KeychainUnavailable('module-missing', 'keytar module does not export the expected functions');
    }
    this.#keytar = mod;
    return mod;
  }

  async set(id: string, secret: string): Promise<void> {
    checkId(id);
    checkSecret(secret);
    const k = await this.#module();
    try {
      await k.setPassword(this.service, id, secret);
    } catch (e) {
      throw toKeychainFailure('set', e, [secret]);
    }
  }

  async get(id: string): Promise<string | undefined> {
    checkId(id);
    const k = await this.#module();
    try {
      const v = await k.getPassword(this.service, id);
      return v ?? undefined;
    } catch (e) {
      throw toKeychainFailure('get', e, []);
    }
  }

  async delete(id: string): Promise<boolean> {
    checkId(id);
    const k = await this.#module();
    try {
      return (await k.deletePassword(this.service, id)) === true;
    } catch (e) {
      throw toKeychainFailure('delete', e, []);
    }
  }

  async list(): Promise<string[]> {
    const k = await this.#module();
    let creds: Array<{ account: string; password: string }>;
    try {
      creds = await k.findCredentials(this.service);
    } catch (e) {
      throw toKeychainFailure('list', e, []);
    }
    // findCredentials also returns the passwords; keep only the account names.
    return [...new Set(creds.map((c) => c.account))].sort();
  }
}

export type KeychainProbe =
  | { ok: true }
  | { ok: false; reason: string; code: KeychainUnavailableCode | 'error' };

/**
 * Can the OS keychain store a secret right now? Writes, reads back and deletes a random throw-away item,
 * because reading alone succeeds on a locked keyring or one with no login collection.
 */
export async function keychainAvailable(options: KeytarStoreOptions = {}): Promise<KeychainProbe> {
  const store = new KeytarStore(options);
  const id = `coinpit-desk-probe-${randomBytes(8).toString('hex')}`;
  const value = randomBytes(16).toString('hex');
  try {
    await store.set(id, value);
    try {
      const back = await store.get(id);
      if (back !== value) return { ok: false, code: 'error', reason: 'The keychain did not return the value just stored in it.' };
    } finally {
      await store.delete(id).catch(() => false);
    }
    return { ok: true };
  } catch (e) {
    if (e instanceof KeychainUnavailable) return { ok: false, code: e.code, reason: e.message };
    return { ok: false, code: 'error', reason: errorText(e) };
  }
}

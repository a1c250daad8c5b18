// Passphrase-encrypted vault file: the KeyStore for machines without a usable OS keychain.
//
// Format (JSON, version 1):
//   { format: "coinpit-desk-vault", version: 1,
//     kdf:    { name: "scrypt", N, r, p, salt },          salt base64, N >= 2^15
//     cipher: { name: "aes-256-gcm", iv, tag },           iv 12 bytes, tag 16 bytes, base64
//     check:  base64 HMAC-SHA256(checkKey, format+version+kdf), tells a wrong passphrase from a damaged file
//     data:   base64 AES-256-GCM ciphertext of {"entries": {id: secret}},
//     digest: hex SHA-256 over header, check, tag, data } unkeyed: catches accidental damage (so a flipped salt
//                                                         byte reads as "corrupt", not "wrong passphrase")
// scrypt yields 64 bytes: 32 for AES, 32 for the check HMAC. The header (format, version, kdf, cipher name, iv)
// is the GCM AAD, so none of it can be changed without the file failing to open.
//
// One blob for the whole map, not one ciphertext per entry: profile ids stay hidden, entries cannot be
// dropped, swapped or rolled back one by one, and there is exactly one fresh IV per write. Re-encrypting the
// whole map on each write is free at this size (a handful of keys).
//
// Writes: read-modify-write under a lock file (O_EXCL create, stale-lock recovery), then temp file in the same
// directory + fsync + rename + fsync(dir), so readers see either the old or the new file, never a mix, and
// concurrent writers (instances or processes) never lose each other's entries. Reads take no lock.
import { promises as fs, constants as fsConstants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { hostname } from 'node:os';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
} from 'node:crypto';
import { writeFileAtomic } from './atomic-file';
import { checkId, checkSecret, type KeyStore } from './keychain';

export const VAULT_FORMAT = 'coinpit-desk-vault';
export const VAULT_VERSION = 1;
export const VAULT_MIN_N = 2 ** 15;
const MAX_N = 2 ** 20;
const MAX_SCRYPT_MEM = 1024 * 1024 * 1024; // refuse files whose kdf would need more than 1 GiB
const DEFAULT_R = 8;
const DEFAULT_P = 1;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Base class of the vault's own errors. Messages name the file, never a passphrase or a secret. */
export class VaultError extends Error {
  override readonly name: string = 'VaultError';
  readonly file: string;
  constructor(message: string, file: string) {
    super(message);
    this.file = file;
  }
}

export class VaultWrongPassphrase extends VaultError {
  override readonly name = 'VaultWrongPassphrase';
  readonly code = 'vault-wrong-passphrase';
  constructor(file: string) {
    super(`Wrong passphrase for the vault file ${file}.`, file);
  }
}

export class VaultCorrupt extends VaultError {
  override readonly name = 'VaultCorrupt';
  readonly code = 'vault-corrupt';
  readonly reason: string;
  constructor(file: string, reason: string) {
    super(
      `The vault file ${file} is damaged or not a Coinpit Desk vault (${reason}). ` +
        'Restore it from a backup; the keys in it cannot be read.',
      file,
    );
    this.reason = reason;
  }
}

export class VaultLockTimeout extends VaultError {
  override readonly name = 'VaultLockTimeout';
  readonly code = 'vault-locked';
  constructor(file: string, lockFile: string, holder: string) {
    super(
      `The vault file ${file} is being changed by another process${holder} and did not become free in time. ` +
        `Try again; if no other Coinpit Desk is running, delete ${lockFile}.`,
      file,
    );
  }
}

interface KdfParams {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
}

interface VaultFile {
  format: typeof VAULT_FORMAT;
  version: typeof VAULT_VERSION;
  kdf: KdfParams;
  cipher: { name: 'aes-256-gcm'; iv: string; tag: string };
  check: string;
  data: string;
  digest: string;
}

type Entries = Record<string, string>;

interface Keys {
  enc: Buffer;
  check: Buffer;
}

export interface VaultStoreOptions {
  /** scrypt cost for newly written files (power of two, at least 2^15). Default 2^15. */
  N?: number;
  /** Give up waiting for the lock after this many ms. Default 20 000. */
  lockTimeoutMs?: number;
  /** A lock older than this is taken to be left over from a crash, even if its process seems alive. Default 30 000. */
  staleLockMs?: number;
}

function scrypt(passphrase: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Node's default maxmem (32 MiB) is exactly 128*N*r at N=2^15, r=8, which it refuses: allow twice that.
    scryptCb(passphrase, salt, 64, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 1 && (n & (n - 1)) === 0;
}

/** Strict base64 decode (Buffer.from silently skips bad characters). */
function b64(value: unknown, bytes: number | undefined, field: string, file: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new VaultCorrupt(file, `field ${field} is not base64`);
  }
  const buf = Buffer.from(value, 'base64');
  if (bytes !== undefined && buf.length !== bytes) throw new VaultCorrupt(file, `field ${field} has the wrong length`);
  return buf;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// The authenticated header: everything that decides how the data is decrypted.
function headerText(f: Pick<VaultFile, 'format' | 'version' | 'kdf' | 'cipher'>): string {
  return JSON.stringify([f.format, f.version, f.kdf.name, f.kdf.N, f.kdf.r, f.kdf.p, f.kdf.salt, f.cipher.name, f.cipher.iv]);
}

function digestOf(f: Omit<VaultFile, 'digest'>): string {
  return createHash('sha256')
    .update(headerText(f))
    .update('\n')
    .update(f.check)
    .update('\n')
    .update(f.cipher.tag)
    .update('\n')
    .update(f.data)
    .digest('hex');
}

// Covers only what decides the key, so a wrong passphrase is told apart from an altered iv, tag or data
// (those fail GCM with the right key and are reported as corruption).
function kdfText(f: Pick<VaultFile, 'format' | 'version' | 'kdf'>): string {
  return JSON.stringify([f.format, f.version, f.kdf.name, f.kdf.N, f.kdf.r, f.kdf.p, f.kdf.salt]);
}

function checkValue(keys: Keys, f: Pick<VaultFile, 'format' | 'version' | 'kdf'>): Buffer {
  return createHmac('sha256', keys.check).update('coinpit-desk-vault check\n').update(kdfText(f)).digest();
}

/** Parses and validates the file's structure (no passphrase needed). */
function parseVaultFile(text: string, file: string): VaultFile {
  if (text.trim().length === 0) throw new VaultCorrupt(file, 'the file is empty');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new VaultCorrupt(file, 'not valid JSON; the file may be truncated');
  }
  if (!isObject(raw)) throw new VaultCorrupt(file, 'not a JSON object');
  if (raw.format !== VAULT_FORMAT) throw new VaultCorrupt(file, 'unknown format marker');
  if (raw.version !== VAULT_VERSION) {
    throw new VaultCorrupt(file, `unsupported version ${JSON.stringify(raw.version)}; this app reads version ${VAULT_VERSION}`);
  }
  const kdf = raw.kdf;
  if (!isObject(kdf) || kdf.name !== 'scrypt') throw new VaultCorrupt(file, 'kdf must be scrypt');
  const { N, r, p } = kdf;
  if (typeof N !== 'number' || !isPowerOfTwo(N) || N < VAULT_MIN_N || N > MAX_N) {
    throw new VaultCorrupt(file, `scrypt N must be a power of two from 2^15 to 2^20`);
  }
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 1 || r > 32) throw new VaultCorrupt(file, 'bad scrypt r');
  if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 1 || p > 16) throw new VaultCorrupt(file, 'bad scrypt p');
  if (128 * N * r > MAX_SCRYPT_MEM) throw new VaultCorrupt(file, 'scrypt parameters need too much memory');
  const salt = b64(kdf.salt, undefined, 'kdf.salt', file);
  if (salt.length < 16 || salt.length > 64) throw new VaultCorrupt(file, 'field kdf.salt has the wrong length');
  const cipher = raw.cipher;
  if (!isObject(cipher) || cipher.name !== 'aes-256-gcm') throw new VaultCorrupt(file, 'cipher must be aes-256-gcm');
  b64(cipher.iv, IV_BYTES, 'cipher.iv', file);
  b64(cipher.tag, TAG_BYTES, 'cipher.tag', file);
  b64(raw.check, 32, 'check', file);
  b64(raw.data, undefined, 'data', file);
  if (typeof raw.digest !== 'string' || !/^[0-9a-f]{64}$/.test(raw.digest)) throw new VaultCorrupt(file, 'bad digest field');
  const f: VaultFile = {
    format: VAULT_FORMAT,
    version: VAULT_VERSION,
    kdf: { name: 'scrypt', N, r, p, salt: kdf.salt as string },
    cipher: { name: 'aes-256-gcm', iv: cipher.iv as string, tag: cipher.tag as string },
    check: raw.check as string,
    data: raw.data as string,
    digest: raw.digest,
  };
  if (digestOf(f) !== f.digest) throw new VaultCorrupt(file, 'checksum mismatch; the file was damaged or edited');
  return f;
}

function parseEntries(plain: Buffer, file: string): Entries {
  let raw: unknown;
  try {
    raw = JSON.parse(plain.toString('utf8'));
  } catch {
    throw new VaultCorrupt(file, 'decrypted content is not valid JSON');
  }
  if (!isObject(raw) || !isObject(raw.entries)) throw new VaultCorrupt(file, 'decrypted content has no entries');
  const out: Entries = Object.create(null) as Entries;
  for (const [id, secret] of Object.entries(raw.entries)) {
    if (typeof secret !== 'string') throw new VaultCorrupt(file, 'an entry is not a string');
    out[id] = secret;
  }
  return out;
}

function checkPassphrase(p: unknown): string {
  if (typeof p !== 'string' || p.length === 0) throw new TypeError('Vault passphrase must be a non-empty string');
  return p;
}

function errCode(e: unknown): string | undefined {
  return isObject(e) && typeof e.code === 'string' ? e.code : undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errCode(e) === 'EPERM'; // exists, owned by someone else
  }
}

interface LockInfo {
  pid: number;
  host: string;
  token: string;
}

/** KeyStore in a passphrase-encrypted file (see the format at the top of this file). */
export class VaultStore implements KeyStore {
  readonly kind = 'vault' as const;
  readonly file: string;
  readonly #passphrase: string;
  readonly #N: number;
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;
  // Derived keys by kdf header, so scrypt runs once per salt rather than once per operation.
  readonly #keys = new Map<string, Promise<Keys>>();

  constructor(file: string, passphrase: string, options: VaultStoreOptions = {}) {
    if (typeof file !== 'string' || file.length === 0) throw new TypeError('Vault file path must be a non-empty string');
    this.file = path.resolve(file);
    this.#passphrase = checkPassphrase(passphrase);
    const N = options.N ?? VAULT_MIN_N;
    if (!isPowerOfTwo(N) || N < VAULT_MIN_N || N > MAX_N) throw new RangeError('Vault scrypt N must be a power of two from 2^15 to 2^20');
    this.#N = N;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 20_000;
    this.#staleLockMs = options.staleLockMs ?? 30_000;
  }

  get lockFile(): string {
    return `${this.file}.lock`;
  }

  /** Whether the vault file exists yet (it is created by the first set()). */
  async exists(): Promise<boolean> {
    try {
      await fs.access(this.file, fsConstants.F_OK);
      return true;
    } catch {
      return false;
    }
  }

  /** Opens the file to check the passphrase; resolves to the number of entries (0 when there is no file yet). */
  async unlock(): Promise<number> {
    return Object.keys(await this.#readEntries()).length;
  }

  async get(id: string): Promise<string | undefined> {
    checkId(id);
    const entries = await this.#readEntries();
    return Object.prototype.hasOwnProperty.call(entries, id) ? entries[id] : undefined;
  }

  async list(): Promise<string[]> {
    return Object.keys(await this.#readEntries()).sort();
  }

  async set(id: string, secret: string): Promise<void> {
    checkId(id);
    checkSecret(secret);
    await this.#update((entries) => {
      entries[id] = secret;
      return true;
    });
  }

  async delete(id: string): Promise<boolean> {
    checkId(id);
    let removed = false;
    await this.#update((entries) => {
      if (!Object.prototype.hasOwnProperty.call(entries, id)) return false;
      delete entries[id];
      removed = true;
      return true;
    });
    return removed;
  }

  /** Re-encrypts the vault under a new passphrase (fresh salt). Returns the store for the new passphrase. */
  async changePassphrase(newPassphrase: string): Promise<VaultStore> {
    const next = new VaultStore(this.file, checkPassphrase(newPassphrase), {
      N: this.#N,
      lockTimeoutMs: this.#lockTimeoutMs,
      staleLockMs: this.#staleLockMs,
    });
    await this.#withLock(async () => {
      const current = await this.#readFile();
      const entries = current ? await this.#decrypt(current) : (Object.create(null) as Entries);
      await next.#write(await next.#encrypt(entries, undefined));
    });
    return next;
  }

  // ---- reading

  async #readFile(): Promise<VaultFile | undefined> {
    let text: string;
    try {
      const st = await fs.stat(this.file);
      if (!st.isFile()) throw new VaultCorrupt(this.file, 'not a regular file');
      if (st.size > MAX_FILE_BYTES) throw new VaultCorrupt(this.file, 'file is too large');
      text = await fs.readFile(this.file, 'utf8');
    } catch (e) {
      if (errCode(e) === 'ENOENT') return undefined;
      throw e;
    }
    return parseVaultFile(text, this.file);
  }

  async #readEntries(): Promise<Entries> {
    const f = await this.#readFile();
    return f ? this.#decrypt(f) : (Object.create(null) as Entries);
  }

  #deriveKeys(kdf: KdfParams): Promise<Keys> {
    const cacheKey = JSON.stringify([kdf.N, kdf.r, kdf.p, kdf.salt]);
    let keys = this.#keys.get(cacheKey);
    if (!keys) {
      keys = scrypt(this.#passphrase, Buffer.from(kdf.salt, 'base64'), kdf.N, kdf.r, kdf.p).then((k) => ({
        enc: k.subarray(0, 32),
        check: k.subarray(32, 64),
      }));
      keys.catch(() => this.#keys.delete(cacheKey));
      this.#keys.set(cacheKey, keys);
    }
    return keys;
  }

  async #decrypt(f: VaultFile): Promise<Entries> {
    const keys = await this.#deriveKeys(f.kdf);
    const header = headerText(f);
    if (!timingSafeEqual(checkValue(keys, f), Buffer.from(f.check, 'base64'))) {
      throw new VaultWrongPassphrase(this.file);
    }
    let plain: Buffer;
    try {
      const d = createDecipheriv('aes-256-gcm', keys.enc, Buffer.from(f.cipher.iv, 'base64'), { authTagLength: TAG_BYTES });
      d.setAAD(Buffer.from(header, 'utf8'));
      d.setAuthTag(Buffer.from(f.cipher.tag, 'base64'));
      plain = Buffer.concat([d.update(Buffer.from(f.data, 'base64')), d.final()]);
    } catch {
      // The passphrase is right (check value matched) and the checksum matched, so the ciphertext was altered.
      throw new VaultCorrupt(this.file, 'authentication failed; the encrypted data was altered');
    }
    try {
      return parseEntries(plain, this.file);
    } finally {
      plain.fill(0);
    }
  }

  // ---- writing

  async #encrypt(entries: Entries, kdfFrom: KdfParams | undefined): Promise<VaultFile> {
    // Keep the existing salt (and its cached key) while the passphrase is unchanged; new files get a new salt.
    const kdf: KdfParams = kdfFrom ?? {
      name: 'scrypt',
      N: this.#N,
      r: DEFAULT_R,
      p: DEFAULT_P,
      salt: randomBytes(SALT_BYTES).toString('base64'),
    };
    const keys = await this.#deriveKeys(kdf);
    const iv = randomBytes(IV_BYTES);
    const partial = {
      format: VAULT_FORMAT,
      version: VAULT_VERSION,
      kdf,
      cipher: { name: 'aes-256-gcm' as const, iv: iv.toString('base64'), tag: '' },
    } satisfies Omit<VaultFile, 'check' | 'data' | 'digest'>;
    const header = headerText(partial);
    const c = createCipheriv('aes-256-gcm', keys.enc, iv, { authTagLength: TAG_BYTES });
    c.setAAD(Buffer.from(header, 'utf8'));
    const plain = Buffer.from(JSON.stringify({ entries }), 'utf8');
    const ct = Buffer.concat([c.update(plain), c.final()]);
    plain.fill(0);
    const body: Omit<VaultFile, 'digest'> = {
      ...partial,
      cipher: { ...partial.cipher, tag: c.getAuthTag().toString('base64') },
      check: checkValue(keys, partial).toString('base64'),
      data: ct.toString('base64'),
    };
    return { ...body, digest: digestOf(body) };
  }

  async #update(change: (entries: Entries) => boolean): Promise<void> {
    // Derive the key before taking the lock (scrypt is the slow part), so the lock is held only briefly.
    const before = await this.#readFile().catch(() => undefined);
    if (before) await this.#deriveKeys(before.kdf);
    await this.#withLock(async () => {
      const current = await this.#readFile();
      const entries = current ? await this.#decrypt(current) : (Object.create(null) as Entries);
      if (!change(entries)) return;
      await this.#write(await this.#encrypt(entries, current?.kdf));
    });
  }

  /** temp file in the same directory + fsync + rename + fsync(dir): the file is always the old or the new one. */
  async #write(f: VaultFile): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(f, null, 2) + '\n', { dirMode: 0o700 });
  }

  // ---- locking

  async #withLock<T>(fn: () => Promise<T>): Promise<T> {
    const info: LockInfo = { pid: process.pid, host: hostname(), token: randomBytes(12).toString('hex') };
    await this.#acquire(info);
    try {
      return await fn();
    } finally {
      await this.#release(info);
    }
  }

  async #acquire(info: LockInfo): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const deadline = Date.now() + this.#lockTimeoutMs;
    let wait = 5;
    for (;;) {
      try {
        const fh = await fs.open(this.lockFile, 'wx', 0o600);
        try {
          await fh.writeFile(JSON.stringify(info), 'utf8');
        } finally {
          await fh.close();
        }
        return;
      } catch (e) {
        if (errCode(e) !== 'EEXIST') throw e;
      }
      const holder = await this.#readLock();
      if (holder.stale) {
        await this.#breakStaleLock(holder.text);
        continue;
      }
      if (Date.now() >= deadline) {
        const who = holder.info ? ` (pid ${holder.info.pid} on ${holder.info.host})` : '';
        throw new VaultLockTimeout(this.file, this.lockFile, who);
      }
      await sleep(wait + Math.floor(Math.random() * wait));
      wait = Math.min(wait * 2, 100);
    }
  }

  async #readLock(): Promise<{ text: string | undefined; info: LockInfo | undefined; stale: boolean }> {
    let text: string;
    let ageMs: number;
    try {
      const st = await fs.stat(this.lockFile);
      ageMs = Date.now() - st.mtimeMs;
      text = await fs.readFile(this.lockFile, 'utf8');
    } catch (e) {
      if (errCode(e) === 'ENOENT') return { text: undefined, info: undefined, stale: false }; // just released
      throw e;
    }
    let info: LockInfo | undefined;
    try {
      const raw: unknown = JSON.parse(text);
      if (isObject(raw) && typeof raw.pid === 'number' && typeof raw.host === 'string' && typeof raw.token === 'string') {
        info = { pid: raw.pid, host: raw.host, token: raw.token };
      }
    } catch {
      info = undefined; // being written right now, or left empty by a crash: judged by age below
    }
    const deadHolder = info !== undefined && info.host === hostname() && !processAlive(info.pid);
    return { text, info, stale: deadHolder || ageMs > this.#staleLockMs };
  }

  // Two waiters may both see the same stale lock; if both simply unlinked it, the slower one could remove the
  // fresh lock the faster one just created. So breaking is itself serialized by an O_EXCL ".break" file, and
  // the lock is removed only if it still holds the exact content that was judged stale.
  async #breakStaleLock(staleText: string | undefined): Promise<void> {
    if (staleText === undefined) return;
    const breaker = `${this.lockFile}.break`;
    let fh: FileHandle;
    try {
      fh = await fs.open(breaker, 'wx', 0o600);
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw e;
      // Someone else is breaking it; a breaker that crashed mid-way leaves this file: clear it after a while.
      const st = await fs.stat(breaker).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 5_000) await fs.unlink(breaker).catch(() => undefined);
      await sleep(5);
      return;
    }
    try {
      await fh.close();
      const now = await fs.readFile(this.lockFile, 'utf8').catch(() => undefined);
      if (now === staleText) await fs.unlink(this.lockFile).catch(() => undefined);
    } finally {
      await fs.unlink(breaker).catch(() => undefined);
    }
  }

  async #release(info: LockInfo): Promise<void> {
    // Remove the lock only if it is still ours (it could have been broken as stale after a long pause).
    const text = await fs.readFile(this.lockFile, 'utf8').catch(() => undefined);
    if (text === JSON.stringify(info)) await fs.unlink(this.lockFile).catch(() => undefined);
  }
}

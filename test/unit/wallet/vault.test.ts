import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  VAULT_MIN_N,
  VaultCorrupt,
  VaultLockTimeout,
  VaultStore,
  VaultWrongPassphrase,
} from '../../../main/wallet/vault';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const VAULT_MODULE = path.join(ROOT, 'main/wallet/vault.ts');
const PASS = 'correct horse battery staple';
const WIF = 'L1uyy5qTuGrVXrmrsvHWHgVzW9kKdrp27wBC7Vs6nZDTF2BRUVwy';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(tmpdir(), 'coinpit-vault-'));
  file = path.join(dir, 'keys.vault');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

let sampleText: string | undefined;
/** Writes a vault with two entries (made once, then copied: the content does not depend on the path). */
async function sampleVault(): Promise<string> {
  if (sampleText === undefined) {
    const v = new VaultStore(file, PASS);
    await v.set('profile-a', WIF);
    await v.set('profile-b', 'api-secret-b');
    sampleText = await fs.readFile(file, 'utf8');
  } else {
    await fs.writeFile(file, sampleText, { mode: 0o600 });
  }
  return sampleText;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Recomputes the unkeyed checksum, to simulate deliberate edits rather than accidental damage.
function redigest(f: Json): Json {
  const header = JSON.stringify([f.format, f.version, f.kdf.name, f.kdf.N, f.kdf.r, f.kdf.p, f.kdf.salt, f.cipher.name, f.cipher.iv]);
  f.digest = createHash('sha256').update(header).update('\n').update(f.check).update('\n').update(f.cipher.tag).update('\n').update(f.data).digest('hex');
  return f;
}

function flipBase64(s: string, at = 0): string {
  const c = s[at] === 'A' ? 'B' : 'A';
  return s.slice(0, at) + c + s.slice(at + 1);
}

async function expectCorrupt(text: string, reason: RegExp): Promise<VaultCorrupt> {
  await fs.writeFile(file, text);
  const err = await rejection(new VaultStore(file, PASS).get('profile-a'));
  expect(err).toBeInstanceOf(VaultCorrupt);
  expect((err as VaultCorrupt).reason).toMatch(reason);
  expect(err.message).toContain(file);
  expect(err.message).not.toContain(PASS);
  expect(err.message).not.toContain(WIF);
  return err as VaultCorrupt;
}

describe('VaultStore round trip', () => {
  it('set/get/list/delete, persisted across instances', async () => {
    const v = new VaultStore(file, PASS);
    expect(v.kind).toBe('vault');
    expect(await v.exists()).toBe(false);
    expect(await v.list()).toEqual([]);
    expect(await v.get('profile-a')).toBeUndefined();
    expect(await v.delete('profile-a')).toBe(false);
    expect(await v.exists()).toBe(false); // reading or deleting nothing creates no file

    await v.set('profile-b', 'api-secret-b');
    await v.set('profile-a', WIF);
    await v.set('__proto__', 'odd id still works');
    expect(await v.exists()).toBe(true);

    const again = new VaultStore(file, PASS);
    expect(await again.get('profile-a')).toBe(WIF);
    expect(await again.get('constructor')).toBeUndefined();
    expect(await again.list()).toEqual(['__proto__', 'profile-a', 'profile-b']);
    expect(await again.unlock()).toBe(3);

    await again.set('profile-a', 'replaced');
    expect(await v.get('profile-a')).toBe('replaced');
    expect(await again.delete('profile-b')).toBe(true);
    expect(await again.delete('profile-b')).toBe(false);
    expect(await v.list()).toEqual(['__proto__', 'profile-a']);
  });

  it('writes the versioned format, encrypted, owner-only, with no temp files left', async () => {
    const v = new VaultStore(file, PASS);
    await v.set('profile-a', WIF);
    await v.set('profile-b', 'api-secret-b');
    const text = await fs.readFile(file, 'utf8');
    const f = JSON.parse(text) as Json;
    expect(f.format).toBe('coinpit-desk-vault');
    expect(f.version).toBe(1);
    expect(f.kdf).toMatchObject({ name: 'scrypt', N: VAULT_MIN_N, r: 8, p: 1 });
    expect(Buffer.from(f.kdf.salt, 'base64')).toHaveLength(16);
    expect(f.cipher.name).toBe('aes-256-gcm');
    expect(Buffer.from(f.cipher.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(f.cipher.tag, 'base64')).toHaveLength(16);
    expect(f.digest).toMatch(/^[0-9a-f]{64}$/);
    // Neither secrets nor profile ids are readable in the file.
    for (const s of [WIF, 'api-secret-b', 'profile-a', 'profile-b', PASS]) expect(text).not.toContain(s);
    if (process.platform !== 'win32') expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(dir)).toEqual(['keys.vault']);
  });

  it('uses a fresh IV on every write and keeps the salt', async () => {
    const a = JSON.parse(await sampleVault()) as Json;
    await new VaultStore(file, PASS).set('profile-c', 'c');
    const b = JSON.parse(await fs.readFile(file, 'utf8')) as Json;
    expect(b.cipher.iv).not.toBe(a.cipher.iv);
    expect(b.kdf.salt).toBe(a.kdf.salt);
  });

  it('changePassphrase re-encrypts with a new salt; the old passphrase stops working', async () => {
    const before = JSON.parse(await sampleVault()) as Json;
    const next = await new VaultStore(file, PASS).changePassphrase('a new passphrase');
    const after = JSON.parse(await fs.readFile(file, 'utf8')) as Json;
    expect(after.kdf.salt).not.toBe(before.kdf.salt);
    expect(await next.get('profile-a')).toBe(WIF);
    expect(await new VaultStore(file, 'a new passphrase').list()).toEqual(['profile-a', 'profile-b']);
    await expect(new VaultStore(file, PASS).list()).rejects.toBeInstanceOf(VaultWrongPassphrase);
  });

  it('rejects bad arguments clearly', async () => {
    expect(() => new VaultStore(file, '')).toThrow(/passphrase must be a non-empty string/);
    expect(() => new VaultStore('', PASS)).toThrow(/path/);
    expect(() => new VaultStore(file, PASS, { N: 2 ** 14 })).toThrow(/2\^15/);
    expect(() => new VaultStore(file, PASS, { N: 40000 })).toThrow(/power of two/);
    const v = new VaultStore(file, PASS);
    await expect(v.set('', 'x')).rejects.toThrow(/Profile id/);
    await expect(v.set('p', '')).rejects.toThrow(/Secret must be a non-empty string/);
    await expect(v.get('a\u0000b')).rejects.toThrow(/control characters/);
    expect(await v.exists()).toBe(false);
  });
});

describe('VaultStore wrong passphrase', () => {
  it('get/list/unlock/set/delete fail with VaultWrongPassphrase and leave the file untouched', async () => {
    const text = await sampleVault();
    const wrong = new VaultStore(file, 'not the passphrase');
    for (const op of [
      () => wrong.get('profile-a'),
      () => wrong.list(),
      () => wrong.unlock(),
      () => wrong.set('profile-x', 'x'),
      () => wrong.delete('profile-a'),
      () => wrong.changePassphrase('whatever'),
    ]) {
      const err = await rejection(op());
      expect(err).toBeInstanceOf(VaultWrongPassphrase);
      expect(err.message).toBe(`Wrong passphrase for the vault file ${file}.`);
      expect(err.message).not.toContain('not the passphrase');
    }
    expect(await fs.readFile(file, 'utf8')).toBe(text);
    expect(await fs.readdir(dir)).toEqual(['keys.vault']); // lock released, no temp files
  });
});

describe('VaultStore corrupted files', () => {
  it.each([
    ['empty file', '', /empty/],
    ['whitespace', '  \n', /empty/],
    ['not JSON', 'hello', /not valid JSON/],
    ['a JSON array', '[]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
  ])('%s', async (_name, text, reason) => {
    await expectCorrupt(text, reason);
  });

  it('every truncation of the file is detected', async () => {
    const text = await sampleVault();
    // Dropping only the final newline leaves the same JSON; any shorter prefix is damage.
    for (let cut = 0; cut <= text.length - 2; cut++) {
      await fs.writeFile(file, text.slice(0, cut));
      const err = await rejection(new VaultStore(file, PASS).list());
      expect(err, `cut at ${cut}`).toBeInstanceOf(VaultCorrupt);
    }
  });

  it('a truncated ciphertext with a recomputed checksum fails authentication', async () => {
    const f = JSON.parse(await sampleVault()) as Json;
    f.data = f.data.slice(0, -4);
    await expectCorrupt(JSON.stringify(redigest(f)), /authentication failed/);
  });

  it('version mismatch', async () => {
    const f = JSON.parse(await sampleVault()) as Json;
    for (const version of [2, 0, '1', null]) {
      f.version = version;
      const err = await expectCorrupt(JSON.stringify(f), /unsupported version/);
      expect(err.message).toMatch(/this app reads version 1/);
    }
    delete f.version;
    await expectCorrupt(JSON.stringify(f), /unsupported version/);
  });

  const fieldCases: Array<[string, (f: Json) => void, RegExp]> = [
    ['wrong format marker', (f) => (f.format = 'something-else'), /format/],
    ['kdf missing', (f) => delete f.kdf, /kdf must be scrypt/],
    ['kdf not scrypt', (f) => (f.kdf.name = 'pbkdf2'), /kdf must be scrypt/],
    ['N below 2^15', (f) => (f.kdf.N = 2 ** 14), /N must be/],
    ['N not a power of two', (f) => (f.kdf.N = 40000), /N must be/],
    ['N huge', (f) => (f.kdf.N = 2 ** 30), /N must be/],
    ['r zero', (f) => (f.kdf.r = 0), /scrypt r/],
    ['p as string', (f) => (f.kdf.p = '1'), /scrypt p/],
    ['salt not base64', (f) => (f.kdf.salt = 'not base64!!'), /kdf\.salt is not base64/],
    ['salt too short', (f) => (f.kdf.salt = 'AAAA'), /kdf\.salt has the wrong length/],
    ['cipher not GCM', (f) => (f.cipher.name = 'aes-256-cbc'), /aes-256-gcm/],
    ['iv wrong length', (f) => (f.cipher.iv = 'AAAAAAAA'), /cipher\.iv has the wrong length/],
    ['tag missing', (f) => delete f.cipher.tag, /cipher\.tag is not base64/],
    ['check missing', (f) => delete f.check, /check is not base64/],
    ['data a number', (f) => (f.data = 5), /data is not base64/],
    ['digest missing', (f) => delete f.digest, /digest/],
  ];
  it.each(fieldCases)('bad field: %s', async (_name, edit, reason) => {
    const f = JSON.parse(await sampleVault()) as Json;
    edit(f);
    await expectCorrupt(JSON.stringify(f), reason);
  });

  it.each(['data', 'tag', 'iv', 'salt', 'check'])('a damaged %s (checksum not updated) is corruption, not a wrong passphrase', async (field) => {
    const f = JSON.parse(await sampleVault()) as Json;
    if (field === 'data') f.data = flipBase64(f.data, 3);
    if (field === 'tag') f.cipher.tag = flipBase64(f.cipher.tag);
    if (field === 'iv') f.cipher.iv = flipBase64(f.cipher.iv);
    if (field === 'salt') f.kdf.salt = flipBase64(f.kdf.salt);
    if (field === 'check') f.check = flipBase64(f.check);
    await expectCorrupt(JSON.stringify(f), /checksum mismatch/);
  });

  it.each(['data', 'tag', 'iv'])('an edited %s with a recomputed checksum fails GCM authentication', async (field) => {
    const f = JSON.parse(await sampleVault()) as Json;
    if (field === 'data') f.data = flipBase64(f.data, 3);
    if (field === 'tag') f.cipher.tag = flipBase64(f.cipher.tag);
    if (field === 'iv') f.cipher.iv = flipBase64(f.cipher.iv); // the iv is part of the AAD too
    await expectCorrupt(JSON.stringify(redigest(f)), /authentication failed/);
  });

  it('corruption is reported by writers too, and they do not overwrite the file', async () => {
    await sampleVault();
    await fs.writeFile(file, '{"format":"coinpit-desk-vault","version":1,');
    const err = await rejection(new VaultStore(file, PASS).set('profile-c', 'c'));
    expect(err).toBeInstanceOf(VaultCorrupt);
    expect(await fs.readFile(file, 'utf8')).toBe('{"format":"coinpit-desk-vault","version":1,');
  });

  it('a directory in place of the file is reported clearly', async () => {
    await fs.mkdir(file);
    await expect(new VaultStore(file, PASS).list()).rejects.toBeInstanceOf(VaultCorrupt);
  });
});

/** Runs `n` child processes, each setting `count` entries `${prefix}${child}-${i}` in the vault. */
function childWriters(n: number, count: number, prefix: string): Promise<void[]> {
  const code = `
    const { VaultStore } = await import(process.env.VAULT_MODULE);
    const v = new VaultStore(process.env.VAULT_FILE, process.env.VAULT_PASS);
    for (let i = 0; i < Number(process.env.COUNT); i++) await v.set(process.env.PREFIX + i, 'secret-' + process.env.PREFIX + i);
  `;
  return Promise.all(
    Array.from({ length: n }, (_, child) =>
      new Promise<void>((resolve, reject) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', code],
          {
            cwd: ROOT,
            env: {
              ...process.env,
              VAULT_MODULE,
              VAULT_FILE: file,
              VAULT_PASS: PASS,
              COUNT: String(count),
              PREFIX: `${prefix}${child}-`,
            },
            timeout: 80_000,
          },
          (err, _stdout, stderr) => (err ? reject(new Error(`writer ${child} failed: ${err.message}\n${stderr}`)) : resolve()),
        );
      }),
    ),
  );
}

// Each fresh instance runs scrypt once; on a loaded 2-core CI machine that adds up, hence the longer timeout.
describe('VaultStore concurrent writers', { timeout: 90_000 }, () => {
  it('many parallel instances in one process: no lost entries, readers never see a broken file', async () => {
    const writers = 8;
    const each = 4;
    let readerDone = false;
    let reads = 0;
    const reader = (async () => {
      const r = new VaultStore(file, PASS);
      while (!readerDone) {
        await r.list(); // throws (failing the test) if it ever sees a half-written file
        reads++;
        await new Promise((res) => setImmediate(res));
      }
    })();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const v = new VaultStore(file, PASS);
        for (let i = 0; i < each; i++) await v.set(`w${w}-${i}`, `secret-${w}-${i}`);
      }),
    );
    readerDone = true;
    await reader;
    expect(reads).toBeGreaterThan(0);

    const v = new VaultStore(file, PASS);
    const ids = await v.list();
    expect(ids).toHaveLength(writers * each);
    for (let w = 0; w < writers; w++) {
      for (let i = 0; i < each; i++) expect(await v.get(`w${w}-${i}`)).toBe(`secret-${w}-${i}`);
    }
    expect(await fs.readdir(dir)).toEqual(['keys.vault']);
  });

  it('several child processes and in-process writers at once: the file decrypts and holds every entry', async () => {
    await new VaultStore(file, PASS).set('seed', 'seed-secret'); // the children share this salt
    const procs = 4;
    const each = 5;
    const local = Promise.all(
      Array.from({ length: 3 }, async (_, w) => {
        const v = new VaultStore(file, PASS);
        for (let i = 0; i < each; i++) await v.set(`local${w}-${i}`, `secret-local${w}-${i}`);
      }),
    );
    await Promise.all([childWriters(procs, each, 'proc'), local]);

    const v = new VaultStore(file, PASS);
    const expected = ['seed'];
    for (let c = 0; c < procs; c++) for (let i = 0; i < each; i++) expected.push(`proc${c}-${i}`);
    for (let w = 0; w < 3; w++) for (let i = 0; i < each; i++) expected.push(`local${w}-${i}`);
    expect(await v.list()).toEqual(expected.sort());
    for (const id of expected) expect(await v.get(id)).toBe(id === 'seed' ? 'seed-secret' : `secret-${id}`);
    expect(await fs.readdir(dir)).toEqual(['keys.vault']);
  });

  it('concurrent set and delete of different ids keep both effects', async () => {
    const v0 = new VaultStore(file, PASS);
    for (let i = 0; i < 6; i++) await v0.set(`old-${i}`, `o${i}`);
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => new VaultStore(file, PASS).delete(`old-${i}`)),
      ...Array.from({ length: 6 }, (_, i) => new VaultStore(file, PASS).set(`new-${i}`, `n${i}`)),
    ]);
    expect(await v0.list()).toEqual(['new-0', 'new-1', 'new-2', 'new-3', 'new-4', 'new-5']);
  });
});

describe('VaultStore lock file', () => {
  function deadPid(): number {
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    return Number(r.stdout.toString());
  }

  it('recovers a lock left by a dead process on this host', async () => {
    await sampleVault();
    await fs.writeFile(`${file}.lock`, JSON.stringify({ pid: deadPid(), host: hostname(), token: 'x' }));
    const v = new VaultStore(file, PASS, { lockTimeoutMs: 5_000, staleLockMs: 10 * 60_000 });
    await v.set('profile-c', 'c');
    expect(await v.list()).toEqual(['profile-a', 'profile-b', 'profile-c']);
    expect(await fs.readdir(dir)).toEqual(['keys.vault']);
  });

  it('recovers an old lock from another host, and an old empty lock file', async () => {
    const v = new VaultStore(file, PASS, { lockTimeoutMs: 5_000, staleLockMs: 1_000 });
    const old = new Date(Date.now() - 60_000);
    await fs.writeFile(`${file}.lock`, JSON.stringify({ pid: 1, host: 'some-other-host', token: 'y' }));
    await fs.utimes(`${file}.lock`, old, old);
    await v.set('a', '1');
    await fs.writeFile(`${file}.lock`, '');
    await fs.utimes(`${file}.lock`, old, old);
    await v.set('b', '2');
    expect(await v.list()).toEqual(['a', 'b']);
  });

  it('waits for, and then times out on, a lock held by a live process', async () => {
    await sampleVault();
    const before = await fs.readFile(file, 'utf8');
    const held = JSON.stringify({ pid: process.pid, host: hostname(), token: 'held' });
    await fs.writeFile(`${file}.lock`, held);
    const err = await rejection(new VaultStore(file, PASS, { lockTimeoutMs: 300, staleLockMs: 10 * 60_000 }).set('p', 'x'));
    expect(err).toBeInstanceOf(VaultLockTimeout);
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.message).toContain(`${file}.lock`);
    // The holder's lock is left alone and the file unchanged; reads need no lock.
    expect(await fs.readFile(`${file}.lock`, 'utf8')).toBe(held);
    expect(await fs.readFile(file, 'utf8')).toBe(before);
    expect(await new VaultStore(file, PASS).get('profile-a')).toBe(WIF);
  });

  it('a writer that was waiting proceeds once the lock is released', async () => {
    await fs.writeFile(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), token: 'held' }));
    const pending = new VaultStore(file, PASS, { lockTimeoutMs: 20_000 }).set('later', 'l');
    await new Promise((r) => setTimeout(r, 100));
    expect(await new VaultStore(file, PASS).exists()).toBe(false);
    await fs.unlink(`${file}.lock`);
    await pending;
    expect(await new VaultStore(file, PASS).get('later')).toBe('l');
  });
});

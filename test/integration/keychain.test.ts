// The real OS keychain through keytar. On Linux CI run the whole file inside a private keyring:
//   bash test/run-with-keyring.sh npx vitest run test/integration/keychain.test.ts
// (it exports COINPIT_KEYRING=1). With CI=true and no COINPIT_KEYRING the round-trip test FAILS, never skips.
// Outside CI without COINPIT_KEYRING it starts test/run-with-keyring.sh itself for the round trip, so a
// developer's own keyring is never touched.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEYCHAIN_SERVICE, KeytarStore, keychainAvailable } from '../../main/wallet/keychain';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(ROOT, 'test/integration/helpers/keytar-child.mjs');
const KEYCHAIN_MODULE = path.join(ROOT, 'main/wallet/keychain.ts');
const UNDER_KEYRING = process.env.COINPIT_KEYRING === '1';
const IN_CI = process.env.CI === 'true';
const CHILD_TIMEOUT_MS = 20_000; // below vitest's 30 s test timeout, so a hang is reported with its output

interface OpResult {
  ok: boolean;
  value?: unknown;
  name?: string;
  isKeychainUnavailable?: boolean;
  code?: string;
  message?: string;
  detail?: string;
}
interface ChildResult {
  set: OpResult;
  get: OpResult;
  list: OpResult;
  delete: OpResult;
  getAfterDelete: OpResult;
  probe: { ok: boolean; code?: string; reason?: string };
}

function randomProfile(): { id: string; secret: string } {
  return { id: `itest-${randomBytes(6).toString('hex')}`, secret: `secret-${randomBytes(16).toString('hex')}` };
}

/**
 * Runs the keytar child (optionally wrapped by a command such as dbus-run-session) with `env` changes, in its
 * own process group so that a hang kills the child and anything it started (bus, keyring daemon).
 */
function runChild(
  wrapper: string[],
  envChanges: Record<string, string | undefined>,
  profile: { id: string; secret: string },
): Promise<ChildResult> {
  const home = mkdtempSync(path.join(tmpdir(), 'coinpit-kc-child-'));
  const runtime = path.join(home, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  const env: Record<string, string | undefined> = {
    ...process.env,
    // A keyring daemon started for the child must not find (and wait on) the parent's daemon through
    // XDG_RUNTIME_DIR/keyring or GNOME_KEYRING_CONTROL.
    HOME: home,
    XDG_RUNTIME_DIR: runtime,
    XDG_DATA_HOME: undefined,
    GNOME_KEYRING_CONTROL: undefined,
    KEYCHAIN_MODULE,
    PROFILE_ID: profile.id,
    SECRET: profile.secret,
    ...envChanges,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const argv = [...wrapper, process.execPath, '--import', 'tsx', CHILD];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env: env as NodeJS.ProcessEnv, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, CHILD_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // 'exit', not 'close': a daemon the child started may keep the pipes open.
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      setTimeout(() => {
        rmSync(home, { recursive: true, force: true });
        const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
        if (timedOut || code !== 0 || !line) {
          const why = timedOut ? `timed out after ${CHILD_TIMEOUT_MS} ms` : `exit ${code ?? signal}`;
          reject(new Error(`keytar child failed (${why})\nstdout:\n${stdout}\nstderr:\n${stderr}`));
          return;
        }
        resolve(JSON.parse(line.slice('RESULT '.length)) as ChildResult);
      }, 50);
    });
  });
}

function expectUnavailable(r: OpResult, code: string, secret: string): void {
  expect(r.ok).toBe(false);
  expect(r.name).toBe('KeychainUnavailable');
  expect(r.isKeychainUnavailable).toBe(true);
  expect(r.code).toBe(code);
  expect(r.message).toMatch(/^System keychain unavailable: .*To fix: .*passphrase vault file/);
  expect(r.message).not.toContain(secret);
  expect(r.detail ?? '').not.toContain(secret);
}

describe('keychain against a real secret service', () => {
  it('set/get/list/delete with a random profile id', async () => {
    const { id, secret } = randomProfile();

    if (!UNDER_KEYRING) {
      if (IN_CI) {
        throw new Error(
          'No secret service for the keychain test (COINPIT_KEYRING is not set). In CI run it inside a private ' +
            'gnome-keyring: bash test/run-with-keyring.sh npx vitest run test/integration/keychain.test.ts',
        );
      }
      // Local run: start a private keyring just for this child rather than touching the developer's own.
      const r = await runChild(['sh', path.join(ROOT, 'test/run-with-keyring.sh')], {}, { id, secret });
      expect(r.set).toEqual({ ok: true });
      expect(r.get).toEqual({ ok: true, value: secret });
      expect(r.list.ok).toBe(true);
      expect(r.list.value).toContain(id);
      expect(r.delete).toEqual({ ok: true, value: true });
      expect(r.getAfterDelete).toEqual({ ok: true });
      expect(r.probe).toEqual({ ok: true });
      return;
    }

    // Running inside test/run-with-keyring.sh: a throw-away gnome-keyring on a private bus.
    expect(process.env.DBUS_SESSION_BUS_ADDRESS).toBeTruthy();
    expect(await keychainAvailable()).toEqual({ ok: true });

    const store = new KeytarStore();
    expect(store.kind).toBe('keychain');
    expect(await store.get(id)).toBeUndefined();
    await store.set(id, 'first value');
    await store.set(id, secret); // replaces
    expect(await store.get(id)).toBe(secret);
    expect(await store.list()).toContain(id);

    // The item really is in the keyring, under service "Coinpit Desk" and account = profile id.
    const lookup = spawnSync('secret-tool', ['lookup', 'service', KEYCHAIN_SERVICE, 'account', id], { encoding: 'utf8' });
    expect(lookup.error).toBeUndefined();
    expect(lookup.stdout.replace(/\n$/, '')).toBe(secret);

    const other = randomProfile();
    await store.set(other.id, other.secret);
    const ids = await store.list();
    expect(ids).toEqual(expect.arrayContaining([id, other.id]));
    expect(ids).toEqual([...ids].sort());

    expect(await store.delete(id)).toBe(true);
    expect(await store.delete(id)).toBe(false);
    expect(await store.get(id)).toBeUndefined();
    expect(await store.list()).not.toContain(id);
    expect(await store.get(other.id)).toBe(other.secret);
    expect(await store.delete(other.id)).toBe(true);
    // keychainAvailable's probe items are cleaned up.
    expect((await store.list()).filter((a) => a.startsWith('coinpit-desk-probe-'))).toEqual([]);
  });
});

describe('keychain with no usable secret service (Linux)', () => {
  // These situations are produced for real in a child process; macOS/Windows keychains do not use D-Bus.
  const linuxOnly = () => {
    if (process.platform !== 'linux') {
      throw new Error('This test simulates a missing D-Bus/secret service and only applies on Linux.');
    }
  };

  it('bus address points nowhere -> KeychainUnavailable(bus-unreachable), never a plaintext fallback', async () => {
    linuxOnly();
    const p = randomProfile();
    const r = await runChild([], { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent', DISPLAY: undefined, WAYLAND_DISPLAY: undefined }, p);
    for (const op of [r.set, r.get, r.list, r.delete]) {
      expectUnavailable(op, 'bus-unreachable', p.secret);
      expect(op.detail).toMatch(/Could not connect/);
    }
    expect(r.probe.ok).toBe(false);
    expect(r.probe.code).toBe('bus-unreachable');
    expect(r.probe.reason).toMatch(/To fix: .*passphrase vault file/);
  });

  it('no D-Bus session and no DISPLAY -> KeychainUnavailable(no-dbus)', async () => {
    linuxOnly();
    const p = randomProfile();
    const r = await runChild([], { DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined, WAYLAND_DISPLAY: undefined }, p);
    for (const op of [r.set, r.get, r.list, r.delete]) expectUnavailable(op, 'no-dbus', p.secret);
    expect(r.probe).toMatchObject({ ok: false, code: 'no-dbus' });
  });

  it('a bus whose auto-started keyring has no login collection -> set is KeychainUnavailable(no-login-collection)', async () => {
    linuxOnly();
    const p = randomProfile();
    // A fresh session bus with nothing unlocked: gnome-keyring is activated on demand without a login collection.
    const r = await runChild(['dbus-run-session', '--'], { DISPLAY: undefined, WAYLAND_DISPLAY: undefined }, p);
    expectUnavailable(r.set, 'no-login-collection', p.secret);
    expect(r.probe).toMatchObject({ ok: false, code: 'no-login-collection' });
    // Nothing was stored anywhere: reads find nothing.
    expect(r.get).toEqual({ ok: true });
    expect(r.list).toEqual({ ok: true, value: [] });
  });
});

import { describe, expect, it } from 'vitest';
import {
  classifyKeychainError,
  isKeychainUnavailableError,
  keychainAvailable,
  KeychainError,
  KeychainUnavailable,
  KeytarStore,
  type KeychainUnavailableCode,
  type KeytarModule,
} from '../../../main/wallet/keychain';

// Every row of the table in shared/ENVIRONMENT.md, as keytar actually prints it.
const TABLE: Array<{ situation: string; message: string; code: KeychainUnavailableCode }> = [
  { situation: 'no D-Bus, no DISPLAY', message: 'Cannot autolaunch D-Bus without X11 $DISPLAY', code: 'no-dbus' },
  {
    situation: 'DISPLAY set, no bus',
    message:
      'Error spawning command line \u201cdbus-launch --autolaunch=0123456789abcdef --binary-syntax --close-stderr\u201d: Child process exited with code 1',
    code: 'dbus-launch-failed',
  },
  {
    situation: 'DISPLAY set, no bus (ASCII quotes)',
    message: 'Error spawning command line "dbus-launch --autolaunch=0123 --binary-syntax --close-stderr": Child process exited with code 1',
    code: 'dbus-launch-failed',
  },
  { situation: 'bus address points nowhere', message: 'Could not connect: No such file or directory', code: 'bus-unreachable' },
  { situation: 'bus address refused', message: 'Could not connect: Connection refused', code: 'bus-unreachable' },
  {
    situation: 'bus, no secrets provider',
    message: 'The name org.freedesktop.secrets was not provided by any .service files',
    code: 'no-secret-service',
  },
  {
    situation: 'keyring without a login collection',
    message: 'Object does not exist at path \u201c/org/freedesktop/secrets/collection/login\u201d',
    code: 'no-login-collection',
  },
  {
    situation: 'keyring without a login collection (ASCII quotes)',
    message: 'Object does not exist at path "/org/freedesktop/secrets/collection/login"',
    code: 'no-login-collection',
  },
  { situation: 'locked keyring', message: 'Cannot create an item in a locked collection', code: 'locked' },
];

const NOT_UNAVAILABLE = [
  'Password is required.',
  'Account is required.',
  'The operation was cancelled',
  'Unexpected error',
  '',
  'Could not find the item', // not a connection failure
];

describe('classifyKeychainError / isKeychainUnavailableError', () => {
  it.each(TABLE)('$situation -> $code', ({ message, code }) => {
    expect(classifyKeychainError(message)).toBe(code);
    expect(isKeychainUnavailableError(message)).toBe(true);
  });

  it.each(NOT_UNAVAILABLE)('%j is not "unavailable"', (message) => {
    expect(classifyKeychainError(message)).toBeUndefined();
    expect(isKeychainUnavailableError(message)).toBe(false);
  });

  it('ignores non-strings', () => {
    expect(isKeychainUnavailableError(undefined as unknown as string)).toBe(false);
    expect(isKeychainUnavailableError(42 as unknown as string)).toBe(false);
  });
});

const SECRET = 'L1uyy5qTuGrVXrmrsvHWHgVzW9kKdrp27wBC7Vs6nZDTF2BRUVwy';

/** A fake keytar that stores in a Map, or fails every call with `failWith`. */
function fakeKeytar(failWith?: string): KeytarModule & { calls: string[] } {
  const data = new Map<string, string>();
  const calls: string[] = [];
  const fail = () => {
    if (failWith !== undefined) throw new Error(failWith);
  };
  return {
    calls,
    async getPassword(service, account) {
      calls.push(`get ${service} ${account}`);
      fail();
      return data.get(`${service}\u0000${account}`) ?? null;
    },
    async setPassword(service, account, password) {
      calls.push(`set ${service} ${account}`);
      fail();
      data.set(`${service}\u0000${account}`, password);
    },
    async deletePassword(service, account) {
      calls.push(`delete ${service} ${account}`);
      fail();
      return data.delete(`${service}\u0000${account}`);
    },
    async findCredentials(service) {
      calls.push(`find ${service}`);
      fail();
      return [...data.entries()]
        .filter(([k]) => k.startsWith(`${service}\u0000`))
        .map(([k, password]) => ({ account: k.slice(service.length + 1), password }));
    },
  };
}

const OPS: Array<[string, (s: KeytarStore) => Promise<unknown>]> = [
  ['set', (s) => s.set('profile-1', SECRET)],
  ['get', (s) => s.get('profile-1')],
  ['delete', (s) => s.delete('profile-1')],
  ['list', (s) => s.list()],
];

describe('KeytarStore with an injected keytar', () => {
  it('set/get/list/delete under service "Coinpit Desk" with the profile id as account', async () => {
    const k = fakeKeytar();
    const store = new KeytarStore({ keytar: k });
    expect(store.kind).toBe('keychain');
    expect(await store.get('p1')).toBeUndefined();
    await store.set('p2', 'two');
    await store.set('p1', 'one');
    expect(await store.get('p1')).toBe('one');
    expect(await store.list()).toEqual(['p1', 'p2']);
    expect(await store.delete('p1')).toBe(true);
    expect(await store.delete('p1')).toBe(false);
    expect(await store.list()).toEqual(['p2']);
    expect(k.calls).toContain('set Coinpit Desk p1');
  });

  for (const row of TABLE) {
    it.each(OPS)(`%s: "${row.situation}" becomes KeychainUnavailable naming the fix`, async (_op, run) => {
      const store = new KeytarStore({ keytar: fakeKeytar(row.message) });
      const err = await run(store).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KeychainUnavailable);
      const ku = err as KeychainUnavailable;
      expect(ku.code).toBe(row.code);
      expect(ku.message).toMatch(/^System keychain unavailable: /);
      expect(ku.message).toMatch(/To fix: /);
      expect(ku.message).toMatch(/passphrase vault file/);
      expect(ku.detail).toBe(row.message);
      expect((ku.cause as Error).message).toBe(row.message);
      expect(ku.message).not.toContain(SECRET);
    });
  }

  it('names the concrete fix for each situation', async () => {
    const fixes: Record<string, RegExp> = {
      'no-secret-service': /install a keyring/i,
      locked: /unlock the keyring/i,
      'no-login-collection': /unlock the default keyring/i,
      'no-dbus': /desktop session/i,
    };
    for (const row of TABLE) {
      const expected = fixes[row.code];
      if (!expected) continue;
      expect(new KeychainUnavailable(row.code, row.message).message).toMatch(expected);
    }
  });

  it('never puts the secret into the error, even if keytar echoes it', async () => {
    const store = new KeytarStore({ keytar: fakeKeytar(`Cannot create an item in a locked collection (${SECRET})`) });
    const err = (await store.set('p', SECRET).catch((e: unknown) => e)) as KeychainUnavailable;
    expect(err).toBeInstanceOf(KeychainUnavailable);
    expect(err.detail).not.toContain(SECRET);
    expect(err.message).not.toContain(SECRET);
    expect(String((err.cause as Error).message)).not.toContain(SECRET);
    expect(JSON.stringify({ ...err, m: err.message, s: err.stack })).not.toContain(SECRET);

    const other = (await new KeytarStore({ keytar: fakeKeytar(`weird failure ${SECRET}`) })
      .set('p', SECRET)
      .catch((e: unknown) => e)) as KeychainError;
    expect(other).toBeInstanceOf(KeychainError);
    expect(other).not.toBeInstanceOf(KeychainUnavailable);
    expect(other.message).toMatch(/^Keychain set failed: weird failure \[redacted\]$/);
  });

  it('an unknown keytar error stays a KeychainError, not KeychainUnavailable', async () => {
    const err = await new KeytarStore({ keytar: fakeKeytar('The operation was cancelled') })
      .get('p')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeychainError);
    expect(err).not.toBeInstanceOf(KeychainUnavailable);
  });

  it('a keytar module that cannot be loaded becomes KeychainUnavailable(module-missing), lazily', async () => {
    let loads = 0;
    const store = new KeytarStore({
      loadKeytar: () => {
        loads++;
        throw new Error("Cannot find module '../build/Release/keytar.node'");
      },
    });
    expect(loads).toBe(0); // constructing does not load keytar
    for (const [, run] of OPS) {
      const err = (await run(store).catch((e: unknown) => e)) as KeychainUnavailable;
      expect(err).toBeInstanceOf(KeychainUnavailable);
      expect(err.code).toBe('module-missing');
      expect(err.message).toMatch(/reinstall Coinpit Desk/i);
      expect(err.message).toMatch(/passphrase vault file/);
      expect(err.detail).toMatch(/keytar\.node/);
    }
    expect(loads).toBe(OPS.length);
  });

  it('a module without the keytar functions is module-missing too', async () => {
    const store = new KeytarStore({ loadKeytar: () => ({}) as KeytarModule });
    await expect(store.list()).rejects.toMatchObject({ name: 'KeychainUnavailable', code: 'module-missing' });
  });

  it('rejects bad ids and empty secrets without calling keytar or echoing the input', async () => {
    const k = fakeKeytar();
    const store = new KeytarStore({ keytar: k });
    await expect(store.set('', 'x')).rejects.toThrow(/Profile id/);
    await expect(store.get('a\nb')).rejects.toThrow(/control characters/);
    await expect(store.set('p', '')).rejects.toThrow(/Secret must be a non-empty string/);
    await expect(store.set('x'.repeat(257), 'x')).rejects.toThrow(/at most 256/);
    expect(k.calls).toEqual([]);
  });
});

describe('keychainAvailable', () => {
  it('ok when a write/read/delete round trip works, and leaves nothing behind', async () => {
    const k = fakeKeytar();
    expect(await keychainAvailable({ keytar: k })).toEqual({ ok: true });
    expect(await k.findCredentials('Coinpit Desk')).toEqual([]);
    expect(k.calls.some((c) => c.startsWith('set Coinpit Desk coinpit-desk-probe-'))).toBe(true);
  });

  it.each(TABLE)('not ok, with the fix, for "$situation"', async ({ message, code }) => {
    const r = await keychainAvailable({ keytar: fakeKeytar(message) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe(code);
    expect(r.reason).toMatch(/System keychain unavailable: .*To fix: .*passphrase vault file/);
  });

  it('reports a keychain that loses what was stored', async () => {
    const k = fakeKeytar();
    k.getPassword = async () => null;
    const r = await keychainAvailable({ keytar: k });
    expect(r).toMatchObject({ ok: false, code: 'error' });
  });

  it('reports a missing native module', async () => {
    const r = await keychainAvailable({
      loadKeytar: () => {
        throw new Error('Module did not self-register');
      },
    });
    expect(r).toMatchObject({ ok: false, code: 'module-missing' });
  });
});

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  coldKeyClient,
  coldKeyStoreId,
  createColdKeyFile,
  importColdKey,
  loadColdKey,
  registerColdKey,
  setUpColdKeyTrading,
  writeColdKeyFile,
} from '../../../main/wallet/coldkey';
import type { KeyStore } from '../../../main/wallet/keychain';
import { account, SERVER_PUB, USER_WIF } from './tx-fixtures';
import ids from '../../fixtures/vectors/identity_multisig.json';

class MemoryStore implements KeyStore {
  readonly kind = 'vault' as const;
  readonly entries = new Map<string, string>();
  async set(id: string, secret: string): Promise<void> {
    this.entries.set(id, secret);
  }
  async get(id: string): Promise<string | undefined> {
    return this.entries.get(id);
  }
  async delete(id: string): Promise<boolean> {
    return this.entries.delete(id);
  }
  async list(): Promise<string[]> {
    return [...this.entries.keys()].sort();
  }
}

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch that plays just enough exchange: key exchange and key registration. */
function fakeFetch(seen: Seen[]): typeof fetch {
  return (async (url: string | URL | Request, init?: RequestInit) => {
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>));
    seen.push({ method: init?.method ?? 'GET', url: String(url), headers, body: init?.body as string | undefined });
    const u = new URL(String(url));
    if (u.pathname === `/api/v1/auth/${account.publicKey}`) {
      return new Response(JSON.stringify({ userid: account.userid, serverPublicKey: SERVER_PUB }), { status: 200 });
    }
    if (u.pathname === '/api/v1/auth/apikey') return new Response(JSON.stringify({ ok: true }), { status: 200 });
    return new Response(JSON.stringify({ error: 'no' }), { status: 404 });
  }) as typeof fetch;
}

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'coldkey-test-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('cold key: key machine', () => {
  it('creates a trade key file authorized by the coin key; the info carries no secret', () => {
    const { info, text } = createColdKeyFile(USER_WIF, { serverPublicKey: SERVER_PUB });
    expect(info).toMatchObject({ role: 'trade', userid: account.userid, publicKey: account.publicKey, serverAddress: account.serverAddress, accountid: account.accountid });
    expect(info.name).toBe(info.apiPublicKey.slice(0, 16));
    expect(JSON.stringify(info)).not.toMatch(/secret/i);
    const file = JSON.parse(text) as Record<string, string>;
    expect(file.secretKey).toMatch(/^[0-9a-f]{128}$/);
    expect(file.authorization).toBeTruthy();
  });

  it('writes the file owner-only and never overwrites one', async () => {
    const file = path.join(dir, 'trade-key.json');
    const info = await writeColdKeyFile(USER_WIF, file);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const first = await fs.readFile(file, 'utf8');
    expect(JSON.parse(first).name).toBe(info.name);
    await expect(writeColdKeyFile(USER_WIF, file)).rejects.toThrow(/already exists/);
    expect(await fs.readFile(file, 'utf8')).toBe(first);
    expect(await fs.readdir(dir)).toEqual(['trade-key.json']);
  });

  it('a bad WIF is a clear error that does not echo it', () => {
    expect(() => createColdKeyFile('notakey')).toThrow();
    try {
      createColdKeyFile('notakey');
    } catch (e) {
      expect((e as Error).message).not.toContain('notakey');
    }
  });
});

describe('cold key: online machine', () => {
  it('import → store → load round trip; the stored entry is checked again', async () => {
    const store = new MemoryStore();
    const { text } = createColdKeyFile(USER_WIF, { serverPublicKey: SERVER_PUB });
    const id = coldKeyStoreId('profile-1');
    expect(id).toBe('profile-1#apikey');
    const info = await importColdKey(text, store, id, { userid: account.userid, serverPublicKey: SERVER_PUB });
    const key = await loadColdKey(store, id);
    expect(key.name).toBe(info.name);
    expect(key.secretKey).toBe(JSON.parse(text).secretKey);

    const stored = JSON.parse(store.entries.get(id)!);
    store.entries.set(id, JSON.stringify({ ...stored, role: 'read' })); // authorization no longer matches
    await expect(loadColdKey(store, id)).rejects.toThrow(/not a valid signature/);
    await expect(loadColdKey(store, 'missing')).rejects.toThrow(/No API key is stored/);
  });

  it('a key of another user, a forged authorization or a garbled file is refused and not stored', async () => {
    const store = new MemoryStore();
    const { text } = createColdKeyFile(USER_WIF);
    await expect(importColdKey(text, store, 'p', { userid: ids.loginless_Account.peer2.address })).rejects.toThrow(/belongs to/);
    const other = JSON.parse(createColdKeyFile(USER_WIF).text);
    const forged = { ...JSON.parse(text), authorization: other.authorization };
    await expect(importColdKey(JSON.stringify(forged), store, 'p')).rejects.toThrow(/not a valid signature/);
    await expect(importColdKey('{"name":', store, 'p')).rejects.toThrow(/not valid JSON/);
    expect(store.entries.size).toBe(0);
  });

  it('registers with POST /auth/apikey: no Authorization header, no secret in the body', async () => {
    const seen: Seen[] = [];
    const { text } = createColdKeyFile(USER_WIF);
    const store = new MemoryStore();
    await importColdKey(text, store, 'p');
    const key = await loadColdKey(store, 'p');
    expect(await registerColdKey(key, { baseUrl: 'http://127.0.0.1:9', fetch: fakeFetch(seen) })).toEqual({ ok: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe('http://127.0.0.1:9/api/v1/auth/apikey');
    expect(seen[0]!.headers.Authorization).toBeUndefined();
    const body = JSON.parse(seen[0]!.body!);
    expect(Object.keys(body).sort()).toEqual(['apiPublicKey', 'authorization', 'name', 'publicKey', 'role', 'userid']);
    expect(seen[0]!.body).not.toContain(key.secretKey.slice(0, 64));
  });

  it('refuses to register a key without an authorization, before any request', async () => {
    const seen: Seen[] = [];
    const key = await loadColdKey(await (async () => {
      const s = new MemoryStore();
      await importColdKey(createColdKeyFile(USER_WIF).text, s, 'p');
      return s;
    })(), 'p');
    delete key.authorization;
    await expect(registerColdKey(key, { baseUrl: 'http://127.0.0.1:9', fetch: fakeFetch(seen) })).rejects.toThrow(/authorization/);
    expect(seen).toHaveLength(0);
  });

  it('one-step setup gives a connected SIGN-mode client without the coin key', async () => {
    const seen: Seen[] = [];
    const { text } = createColdKeyFile(USER_WIF, { serverPublicKey: SERVER_PUB });
    const store = new MemoryStore();
    const setup = await setUpColdKeyTrading(text, store, 'p', { baseUrl: 'http://127.0.0.1:9', fetch: fakeFetch(seen), userid: account.userid });
    expect(setup.registration).toEqual({ ok: true });
    expect(setup.client.session).toMatchObject({ mode: 'sign', role: 'trade', apiKeyName: setup.info.name, userid: account.userid, accountid: account.accountid });
    expect(seen.map((s) => `${s.method} ${new URL(s.url).pathname}`)).toEqual(['POST /api/v1/auth/apikey', `GET /api/v1/auth/${account.publicKey}`]);
    expect(() => coldKeyClient(JSON.parse(text), undefined as never)).toThrow(/baseUrl/);
  });
});

import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { JsonStore, writeFileAtomic } from '../../../main/services/json-store';
import { DEFAULT_SETTINGS, ProfileStore, type ProfileRecord } from '../../../main/services/profile-store';

const tmp = () => mkdtemp(path.join(tmpdir(), 'coinpit-store-'));

const record = (id: string, name = 'Main'): ProfileRecord => ({
  id,
  name,
  network: { kind: 'local' },
  keystore: 'vault',
  credential: 'coin-key',
  hasKey: false,
  userid: null,
  publicKey: null,
  apiKeyName: null,
  createdAt: 1_700_000_000_000,
  apiKeys: [],
  serverPublicKey: null,
});

describe('writeFileAtomic', () => {
  it('replaces the file as a whole and leaves no temporary files behind', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'a.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two');
    expect(await readFile(file, 'utf8')).toBe('two');
    expect(await readdir(dir)).toEqual(['a.json']);
  });

  it('concurrent saves through a JsonStore all land whole; the last one wins', async () => {
    const dir = await tmp();
    const store = new JsonStore(path.join(dir, 's.json'), v.object({ n: v.number(), pad: v.string() }));
    await Promise.all(Array.from({ length: 20 }, (_, n) => store.save({ n, pad: 'x'.repeat(10_000 + n) })));
    const back = await store.load();
    expect(back).toEqual({ status: 'ok', value: { n: 19, pad: 'x'.repeat(10_019) } });
    expect(await readdir(dir)).toEqual(['s.json']);
  });

  it('refuses to write a value that does not fit the schema, keeping the old file', async () => {
    const dir = await tmp();
    const store = new JsonStore(path.join(dir, 's.json'), v.object({ n: v.number() }));
    await store.save({ n: 1 });
    await expect(store.save({ n: 'two' } as unknown as { n: number })).rejects.toThrow();
    expect(JSON.parse(await readFile(store.file, 'utf8'))).toEqual({ n: 1 });
  });
});

describe('ProfileStore', () => {
  it('starts fresh without files, and round-trips profiles, the active id and settings', async () => {
    const dir = await tmp();
    const a = new ProfileStore(dir);
    await a.load();
    expect(a.fresh).toBe(true);
    expect(a.list()).toEqual([]);
    expect(a.settings()).toEqual(DEFAULT_SETTINGS);
    await a.add(record('p_1'));
    await a.add(record('p_2', 'Second'));
    await a.setActive('p_2');
    await a.setSettings({ theme: 'dark' });
    await a.update('p_1', (p) => ({ ...p, name: 'Renamed' }));

    const b = new ProfileStore(dir);
    await b.load();
    expect(b.fresh).toBe(false);
    expect(b.problems).toEqual([]);
    expect(b.list().map((p) => p.name)).toEqual(['Renamed', 'Second']);
    expect(b.activeId).toBe('p_2');
    expect(b.settings()).toEqual({ theme: 'dark', units: 'btc' });
    await b.remove('p_2');
    expect(b.activeId).toBe('p_1');
  });

  it.each([
    ['not JSON', '{"version":1,"activeId":null,"profiles":[', /not valid JSON/],
    ['the wrong shape', '{"version":1,"activeId":null,"profiles":[{"id":"p_1"}]}', /does not match the expected format at "profiles\.0\.name"/],
    ['a future version', '{"version":2,"activeId":null,"profiles":[]}', /does not match the expected format at "version"/],
  ])('keeps a corrupt profiles.json aside (%s), reports it, and never overwrites it', async (_what, text, reason) => {
    const dir = await tmp();
    await writeFile(path.join(dir, 'profiles.json'), text);
    const s = new ProfileStore(dir);
    await s.load();
    expect(s.fresh).toBe(true);
    expect(s.problems).toHaveLength(1);
    expect(s.problems[0]).toMatch(reason);
    expect(s.problems[0]).toMatch(/kept as profiles\.json\.corrupt-/);
    const files = await readdir(dir);
    const aside = files.find((f) => f.startsWith('profiles.json.corrupt-'));
    expect(aside).toBeDefined();
    expect(await readFile(path.join(dir, aside!), 'utf8')).toBe(text);
    expect(files).not.toContain('profiles.json');
    await s.add(record('p_9'));
    expect(await readFile(path.join(dir, aside!), 'utf8')).toBe(text); // still there, untouched
  });

  it('keeps a corrupt settings.json aside and falls back to the defaults', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, 'settings.json'), '{"version":1,"theme":"purple","units":"btc"}');
    const s = new ProfileStore(dir);
    await s.load();
    expect(s.settings()).toEqual(DEFAULT_SETTINGS);
    expect(s.problems.join()).toMatch(/settings\.json does not match the expected format at "theme"/);
    expect((await readdir(dir)).some((f) => f.startsWith('settings.json.corrupt-'))).toBe(true);
  });

  it('two corrupt files in the same millisecond get distinct names', async () => {
    const { moveAside } = await import('../../../main/services/json-store');
    const dir = await tmp();
    const file = path.join(dir, 'x.json');
    const now = new Date('2024-01-02T03:04:05.006Z');
    await writeFile(file, 'a');
    const first = await moveAside(file, now);
    await writeFile(file, 'b');
    const second = await moveAside(file, now);
    expect(first).not.toBe(second);
    expect(path.basename(first)).toBe('x.json.corrupt-2024-01-02T03-04-05-006Z');
  });
});

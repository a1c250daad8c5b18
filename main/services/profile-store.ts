// Profiles and settings in the app's data dir: profiles.json and settings.json, written atomically and checked on
// load. A corrupt file is moved aside and reported (ProfileStore.problems), and the store starts from defaults;
// the original is never overwritten. No secret is ever stored here: keys live in the keychain or the vault.
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import type { ApiKeyInfo, NetworkChoice, ProfileSummary, Settings } from '../../preload/contract';
import { JsonStore } from './json-store';

const networkChoice = v.variant('kind', [
  v.object({ kind: v.literal('local') }),
  v.object({ kind: v.literal('preset'), preset: v.picklist(['testnet', 'mainnet']) }),
  v.object({ kind: v.literal('custom'), coinpitUrl: v.pipe(v.string(), v.url()), esploraUrl: v.pipe(v.string(), v.url()) }),
]);

const apiKeyInfo = v.object({
  name: v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/)),
  role: v.picklist(['trade', 'read']),
  apiPublicKey: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  userid: v.string(),
  registered: v.boolean(),
  local: v.boolean(),
});

const profileRecord = v.object({
  id: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/)),
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  network: networkChoice,
  keystore: v.picklist(['keychain', 'vault']),
  credential: v.picklist(['coin-key', 'api-key']),
  hasKey: v.boolean(),
  userid: v.nullable(v.string()),
  publicKey: v.nullable(v.pipe(v.string(), v.regex(/^0[23][0-9a-f]{64}$/))),
  apiKeyName: v.nullable(v.string()),
  createdAt: v.pipe(v.number(), v.safeInteger()),
  apiKeys: v.array(apiKeyInfo),
  /** learned at the first connection; lets the profile sign offline later (public, not a secret) */
  serverPublicKey: v.optional(v.nullable(v.pipe(v.string(), v.regex(/^0[23][0-9a-f]{64}$/))), null),
});

export const profilesFileSchema = v.object({
  version: v.literal(1),
  activeId: v.nullable(v.string()),
  profiles: v.array(profileRecord),
});

export const settingsFileSchema = v.object({
  version: v.literal(1),
  theme: v.picklist(['system', 'dark', 'light']),
  units: v.picklist(['btc', 'sat']),
});

export type ProfileRecord = v.InferOutput<typeof profileRecord>;
type ProfilesFile = v.InferOutput<typeof profilesFileSchema>;

export const DEFAULT_SETTINGS: Settings = Object.freeze({ theme: 'system', units: 'btc' });

export function newProfileId(): string {
  return `p_${randomBytes(8).toString('hex')}`;
}

export function summary(p: ProfileRecord): ProfileSummary {
  return {
    id: p.id,
    name: p.name,
    network: structuredClone(p.network) as NetworkChoice,
    keystore: p.keystore,
    credential: p.credential,
    hasKey: p.hasKey,
    userid: p.userid,
    publicKey: p.publicKey,
    apiKeyName: p.apiKeyName,
    createdAt: p.createdAt,
  };
}

export class ProfileStore {
  readonly #profiles: JsonStore<typeof profilesFileSchema>;
  readonly #settings: JsonStore<typeof settingsFileSchema>;
  #data: ProfilesFile = { version: 1, activeId: null, profiles: [] };
  #settingsData: Settings = { ...DEFAULT_SETTINGS };
  /** reasons files were moved aside at load; the renderer shows them once */
  problems: string[] = [];
  /** profiles.json did not exist (first run) or was moved aside */
  fresh = false;

  constructor(dataDir: string) {
    this.#profiles = new JsonStore(path.join(dataDir, 'profiles.json'), profilesFileSchema);
    this.#settings = new JsonStore(path.join(dataDir, 'settings.json'), settingsFileSchema);
  }

  get profilesFile(): string {
    return this.#profiles.file;
  }

  get settingsFile(): string {
    return this.#settings.file;
  }

  async load(): Promise<void> {
    const p = await this.#profiles.load();
    if (p.status === 'ok') {
      const ids = new Set<string>();
      // duplicate ids would make every later lookup ambiguous: keep the first
      this.#data = { ...p.value, profiles: p.value.profiles.filter((x) => !ids.has(x.id) && ids.add(x.id)) };
      if (this.#data.activeId !== null && !ids.has(this.#data.activeId)) this.#data.activeId = this.#data.profiles[0]?.id ?? null;
    } else {
      this.fresh = true;
      if (p.status === 'corrupt') this.problems.push(p.reason);
    }
    const s = await this.#settings.load();
    if (s.status === 'ok') this.#settingsData = { theme: s.value.theme, units: s.value.units };
    else if (s.status === 'corrupt') this.problems.push(s.reason);
  }

  list(): ProfileRecord[] {
    return this.#data.profiles.map((p) => structuredClone(p));
  }

  get(id: string): ProfileRecord | undefined {
    const p = this.#data.profiles.find((x) => x.id === id);
    return p ? structuredClone(p) : undefined;
  }

  get activeId(): string | null {
    return this.#data.activeId;
  }

  async add(profile: ProfileRecord, makeActive = false): Promise<void> {
    const profiles = [...this.#data.profiles, structuredClone(profile)];
    await this.#save({ ...this.#data, profiles, activeId: makeActive || this.#data.activeId === null ? profile.id : this.#data.activeId });
  }

  async update(id: string, change: (p: ProfileRecord) => ProfileRecord): Promise<ProfileRecord> {
    const current = this.#data.profiles.find((x) => x.id === id);
    if (!current) throw new Error(`No profile ${id}`);
    const next = change(structuredClone(current));
    await this.#save({ ...this.#data, profiles: this.#data.profiles.map((x) => (x.id === id ? next : x)) });
    return structuredClone(next);
  }

  async remove(id: string): Promise<void> {
    const profiles = this.#data.profiles.filter((x) => x.id !== id);
    const activeId = this.#data.activeId === id ? (profiles[0]?.id ?? null) : this.#data.activeId;
    await this.#save({ ...this.#data, profiles, activeId });
  }

  async setActive(id: string | null): Promise<void> {
    await this.#save({ ...this.#data, activeId: id });
  }

  settings(): Settings {
    return { ...this.#settingsData };
  }

  async setSettings(patch: Partial<Settings>): Promise<Settings> {
    const next: Settings = { ...this.#settingsData, ...definedOnly(patch) };
    await this.#settings.save({ version: 1, ...next });
    this.#settingsData = next;
    return { ...next };
  }

  async #save(next: ProfilesFile): Promise<void> {
    await this.#profiles.save(next); // validates before writing
    this.#data = next;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, val]) => val !== undefined)) as Partial<T>;
}

export type { ApiKeyInfo };

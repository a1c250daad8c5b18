// Profiles, key storage, the connection and settings: what decides which screen the app shows.

import type {
  ConnectionStatus,
  KeystoreStatus,
  NetworkInfo,
  ProfileSummary,
  ProfilesState,
  Settings,
  SettingsPatch,
} from '../../../preload/contract';
import { api, call } from '../lib/bridge';

export const DISCONNECTED: ConnectionStatus = {
  state: 'disconnected',
  profileId: null,
  network: null,
  readonly: false,
  skewMs: 0,
  serverTime: null,
  accountid: null,
  serverAddress: null,
  lastError: null,
};

/** Skew above this is worth telling the user about (the exchange accepts ±10 s; nonces are corrected anyway). */
export const SKEW_NOTICE_MS = 2_000;
export const SKEW_DANGER_MS = 8_000;

type ConnectionListener = (next: ConnectionStatus, previous: ConnectionStatus) => void;

export class Session {
  loaded = $state(false);
  loadError = $state<string | null>(null);
  profiles = $state.raw<ProfileSummary[]>([]);
  activeId = $state<string | null>(null);
  problems = $state.raw<string[]>([]);
  keystore = $state.raw<KeystoreStatus | null>(null);
  presets = $state.raw<NetworkInfo[]>([]);
  connection = $state.raw<ConnectionStatus>(DISCONNECTED);
  settings = $state.raw<Settings>({ theme: 'system', units: 'btc' });
  version = $state<string | null>(null);

  #listeners: ConnectionListener[] = [];

  get active(): ProfileSummary | null {
    return this.profiles.find((p) => p.id === this.activeId) ?? null;
  }

  get needsOnboarding(): boolean {
    const a = this.active;
    return a === null || !a.hasKey;
  }

  get isLocal(): boolean {
    return this.active?.network.kind === 'local';
  }

  /** A vault-kept key that must be unlocked before the app can connect. */
  get needsUnlock(): boolean {
    const a = this.active;
    return a !== null && a.hasKey && a.keystore === 'vault' && this.keystore !== null && !this.keystore.vaultUnlocked;
  }

  get canMoveCoins(): boolean {
    return this.active?.credential === 'coin-key';
  }

  get skewNotice(): 'none' | 'notice' | 'danger' {
    const s = Math.abs(this.connection.skewMs);
    if (this.connection.serverTime === null) return 'none';
    return s >= SKEW_DANGER_MS ? 'danger' : s >= SKEW_NOTICE_MS ? 'notice' : 'none';
  }

  onConnection(listener: ConnectionListener): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  async load(): Promise<void> {
    this.loadError = null;
    try {
      const bridge = api();
      const [profiles, keystore, settings, presets, connection] = await Promise.all([
        call(() => bridge.profilesList()),
        call(() => bridge.keystoreStatus()),
        call(() => bridge.settingsGet()),
        call(() => bridge.networkPresets()),
        call(() => bridge.connectionStatus()),
      ]);
      this.applyProfiles(profiles);
      this.keystore = keystore;
      this.settings = settings;
      this.presets = presets;
      this.setConnection(connection);
      this.loaded = true;
      call(() => bridge.appVersion()).then(
        (v) => (this.version = v),
        () => undefined,
      );
    } catch (err) {
      this.loadError = err instanceof Error ? err.message : 'The app could not start.';
    }
  }

  applyProfiles(state: ProfilesState): void {
    this.profiles = state.profiles;
    this.activeId = state.activeId;
    if (state.problems.length > 0) this.problems = state.problems;
  }

  /** Replaces one profile summary (after a key was added or the network changed). */
  applyProfile(profile: ProfileSummary): void {
    const others = this.profiles.filter((p) => p.id !== profile.id);
    this.profiles = [...others, profile].sort((a, b) => a.createdAt - b.createdAt);
  }

  async refreshProfiles(): Promise<void> {
    this.applyProfiles(await call(() => api().profilesList()));
  }

  async refreshKeystore(): Promise<KeystoreStatus> {
    const status = await call(() => api().keystoreStatus());
    this.keystore = status;
    return status;
  }

  setConnection(next: ConnectionStatus): void {
    const previous = this.connection;
    this.connection = next;
    for (const l of this.#listeners) l(next, previous);
  }

  #connecting: Promise<ConnectionStatus> | null = null;

  /** Connects the active profile; concurrent callers share one attempt. */
  connect(): Promise<ConnectionStatus> {
    this.#connecting ??= (async () => {
      try {
        const status = await call(() => api().connectionConnect());
        this.setConnection(status);
        return status;
      } finally {
        this.#connecting = null;
      }
    })();
    return this.#connecting;
  }

  async disconnect(): Promise<void> {
    this.setConnection(await call(() => api().connectionDisconnect()));
  }

  async saveSettings(patch: SettingsPatch): Promise<void> {
    const previous = this.settings;
    this.settings = { ...previous, ...patch };
    try {
      this.settings = await call(() => api().settingsSet(patch));
    } catch (err) {
      this.settings = previous;
      throw err;
    }
  }
}

export const session = new Session();

// Whether the user saved a key backup or postponed it. Only this flag is kept in the renderer's storage (never any
// key material); a postponed backup brings back a reminder on every start until it is done.

const PREFIX = 'coinpit.backup.';

export type BackupState = 'done' | 'postponed' | 'unknown';

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

class Backups {
  /** bumped on every change so readers re-run */
  #version = $state(0);

  state(profileId: string | null): BackupState {
    void this.#version;
    if (!profileId) return 'unknown';
    const v = storage()?.getItem(PREFIX + profileId);
    return v === 'done' ? 'done' : v === 'postponed' ? 'postponed' : 'unknown';
  }

  needsReminder(profileId: string | null): boolean {
    return this.state(profileId) === 'postponed';
  }

  mark(profileId: string, state: 'done' | 'postponed'): void {
    storage()?.setItem(PREFIX + profileId, state);
    this.#version++;
  }
}

export const backups = new Backups();

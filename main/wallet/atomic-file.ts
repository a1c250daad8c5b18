// Writing a file so that a reader sees the old content or the new, never a mix: the text goes to a temporary file
// in the same directory (created exclusively, owner-only by default), is fsynced, and then takes the target's
// name — by rename (replacing it) or by link (never replacing an existing file). The directory is fsynced after,
// so the new name itself survives a crash. Used for the vault, the recovery file, key files and the app's JSON.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface AtomicWriteOptions {
  /** permissions of the file, default 0o600 (these files can hold keys) */
  mode?: number;
  /** permissions of a directory that has to be created; default: the process umask decides */
  dirMode?: number;
}

/** `.<name>.<pid>.<random>.tmp` beside the target, holding `text`, synced; removed again if writing fails. */
async function writeTemp(file: string, text: string, mode: number): Promise<string> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return tmp;
}

/** Makes a rename or link durable; not every platform lets a directory be opened (Windows), which is fine. */
async function syncDir(dir: string): Promise<void> {
  try {
    const d = await fs.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* best effort */
  }
}

/** Writes `text` to `file`, replacing it atomically if it exists. */
export async function writeFileAtomic(file: string, text: string, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, opts.dirMode === undefined ? { recursive: true } : { recursive: true, mode: opts.dirMode });
  const tmp = await writeTemp(file, text, opts.mode ?? 0o600);
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/**
 * Writes `text` to `file`, which must not exist yet: link() fails with EEXIST when it does, so an existing file
 * (a key file, say) is never silently replaced. The directory must exist.
 */
export async function writeNewFileAtomic(file: string, text: string, opts: Pick<AtomicWriteOptions, 'mode'> = {}): Promise<void> {
  const tmp = await writeTemp(file, text, opts.mode ?? 0o600);
  try {
    await fs.link(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
  await syncDir(path.dirname(file));
}

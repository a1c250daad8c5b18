// A JSON file in the app's data dir, written atomically (temp file in the same directory, fsync, rename, fsync of
// the directory) and schema-checked on load. A file that does not parse or fails its schema is never silently
// replaced: it is renamed to `<name>.corrupt-<time>` and the load reports that, so the user can be told.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as v from 'valibot';

export type LoadResult<T> =
  /** the file exists and is valid */
  | { status: 'ok'; value: T }
  /** there is no file yet */
  | { status: 'missing' }
  /** the file was unreadable or invalid and has been moved aside to `movedTo` */
  | { status: 'corrupt'; movedTo: string; reason: string };

/** Writes `text` to `file` so that a reader sees either the old or the new content, never a mix. */
export async function writeFileAtomic(file: string, text: string, mode = 0o600): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  // Make the rename itself durable; not every platform lets a directory be opened (Windows), which is fine.
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

/** `<file>.corrupt-<ISO time without colons>`, unique even when two land in the same millisecond. */
export async function moveAside(file: string, now: Date = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  let target = `${file}.corrupt-${stamp}`;
  for (let n = 1; ; n++) {
    try {
      await fs.access(target);
      target = `${file}.corrupt-${stamp}-${n}`;
    } catch {
      break;
    }
  }
  await fs.rename(file, target);
  return target;
}

export class JsonStore<S extends v.GenericSchema> {
  readonly file: string;
  readonly #schema: S;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string, schema: S) {
    this.file = path.resolve(file);
    this.#schema = schema;
  }

  /** Reads and validates the file; moves an invalid one aside (never deletes or overwrites it). */
  async load(): Promise<LoadResult<v.InferOutput<S>>> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
      throw err;
    }
    let reason: string;
    try {
      const parsed = v.safeParse(this.#schema, JSON.parse(text));
      if (parsed.success) return { status: 'ok', value: parsed.output };
      const issue = parsed.issues[0];
      const where = issue.path?.map((p) => String(p.key)).join('.') ?? '';
      reason = `does not match the expected format${where ? ` at "${where}"` : ''} (expected ${issue.expected ?? issue.type})`;
    } catch {
      reason = 'is not valid JSON';
    }
    const movedTo = await moveAside(this.file);
    return { status: 'corrupt', movedTo, reason: `${path.basename(this.file)} ${reason}; it was kept as ${path.basename(movedTo)}` };
  }

  /** Validates and writes atomically; writes are serialized so the last call wins. */
  save(value: v.InferOutput<S>): Promise<void> {
    const run = async () => {
      const checked = v.parse(this.#schema, value);
      await writeFileAtomic(this.file, `${JSON.stringify(checked, null, 2)}\n`);
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

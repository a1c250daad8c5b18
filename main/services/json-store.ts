// A JSON file in the app's data dir, written atomically (temp file in the same directory, fsync, rename, fsync of
// the directory) and schema-checked on load. A file that does not parse or fails its schema is never silently
// replaced: it is renamed to `<name>.corrupt-<time>` and the load reports that, so the user can be told.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as v from 'valibot';
import { writeFileAtomic } from '../wallet/atomic-file';

export type LoadResult<T> =
  /** the file exists and is valid */
  | { status: 'ok'; value: T }
  /** there is no file yet */
  | { status: 'missing' }
  /** the file was unreadable or invalid and has been moved aside to `movedTo` */
  | { status: 'corrupt'; movedTo: string; reason: string };

// The atomic write itself is the wallet's (vault, recovery file and key files use the same one).
export { writeFileAtomic } from '../wallet/atomic-file';

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

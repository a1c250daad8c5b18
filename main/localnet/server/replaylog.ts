// Replay protection that survives restarts (PROTOCOL §8.6). Every accepted (userid, Authorization) pair is kept in
// memory (ReplayMemory) and appended to a small log in the data dir before the request runs; start-up reloads the
// pairs whose nonce window is still open, so a request accepted before a restart (clean stop or SIGKILL) is refused
// after it, while fresh requests are served at once (tests and the app sign requests right after a restart).
//
// Why a log rather than "refuse nonces older than the start-up for one window": a nonce may run up to the whole
// tolerance ahead of the server clock, so that rule would have to refuse every nonce below start + tolerance,
// i.e. every honest request for the first 10 s after each start; the log refuses exactly the replays.
//
// Durability: a record reaches the file (write(2) to an O_APPEND file, so it survives the process being killed)
// before its request can have an effect that outlives the process: the journal writes the queued records just
// before each batch of commands (Journal.beforeWrite), and the dispatcher makes sure a request's own record is
// written before answering it (writtenThrough). Records queued together go out in one write, so a stream of
// commands costs one write per journal batch, not one per request. Records are not fsync'ed, because a machine
// crash is followed by a reboot longer than the window the record protects (nonce + tolerance). A record that
// cannot be read back (a torn or garbled line) makes start-up refuse every nonce whose window could overlap that
// file's last write, instead of forgetting it. Layout of the directory:
//   replay-<period>.log   JSON lines [expiresAtMs, userid, hash]; period = floor(receivedMs / periodMs); files two
//                         periods old hold only expired pairs and are deleted (periodMs ≥ 2 × tolerance).
// The hash is the first 128 bits of SHA-256(Authorization): the log needs to recognise a header, not keep it.
import { hash as digestOf } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ReplayMemory } from '../../coinpit/auth';

/** accepted | replayed (seen in its window) | full (memory bound) | restarted (window overlaps a damaged log) | unavailable (log write failed) */
export type ReplayVerdict = 'accepted' | 'replayed' | 'full' | 'restarted' | 'unavailable';

export interface ReplayLogOptions {
  /** the nonce window either side of the server clock (ms), default 10000 */
  toleranceMs?: number;
  /** memory bounds, as ReplayMemory */
  maxEntries?: number;
  maxPerUser?: number;
  /** clock for start-up (load, damage barrier); tests only */
  now?: () => number;
  log?: (line: string) => void;
}

export const DEFAULT_TOLERANCE_MS = 10_000;
const FILE_RE = /^replay-(\d{1,16})\.log$/;
const fileName = (period: number): string => `replay-${period}.log`;
const hashOf = (authorization: string): string => digestOf('sha256', authorization, 'hex').slice(0, 32); // one-shot: no Hash object per request
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class ReplayLog {
  readonly toleranceMs: number;
  /** length of one log file's period (ms) */
  readonly periodMs: number;
  private readonly memory: ReplayMemory;
  private readonly log: (line: string) => void;
  /** pairs whose window ends before this are refused ('restarted'): set when a damaged log was found */
  private barrier = Number.NEGATIVE_INFINITY;
  private fd: number | undefined;
  private period = Number.NaN;
  /** records accepted but not yet written, as JSON lines */
  private queued = '';
  /** records queued since start-up; those up to `writtenCount` are in the file */
  private queuedCount = 0;
  private writtenCount = 0;
  /** when the newest queued record was received: a flush writes into that time's file */
  private queuedAtMs = 0;
  private failing = false;
  private closed = false;

  private constructor(
    /** undefined: memory only (no durability) */
    readonly dir: string | undefined,
    opts: ReplayLogOptions,
  ) {
    this.toleranceMs = opts.toleranceMs ?? DEFAULT_TOLERANCE_MS;
    this.periodMs = Math.max(60_000, 2 * this.toleranceMs);
    this.memory = new ReplayMemory({ maxEntries: opts.maxEntries, maxPerUser: opts.maxPerUser });
    this.log = opts.log ?? (() => undefined);
  }

  /** A replay memory that lives only as long as the process (a Dispatcher built without a data dir). */
  static inMemory(opts: ReplayLogOptions = {}): ReplayLog {
    return new ReplayLog(undefined, opts);
  }

  /**
   * Opens (creating it if needed) the log in `dir` and reloads the pairs still in their window. Throws when the
   * directory cannot be created or read (the exchange must not start without its replay memory).
   */
  static open(dir: string, opts: ReplayLogOptions = {}): ReplayLog {
    const rl = new ReplayLog(dir, opts);
    try {
      rl.load((opts.now ?? Date.now)());
    } catch (err) {
      throw new Error(`replay log ${dir}: ${errorText(err)}`);
    }
    return rl;
  }

  /** pairs held in memory */
  get size(): number {
    return this.memory.size;
  }

  /**
   * Records a verified pair whose window ends at `expiresAtMs` (nonce + tolerance). Anything but 'accepted' means
   * the request must be refused. The record is queued: it is written by the next flush(), which the request must
   * not outrun (see `ticket`). While the log is failing, the record is written at once, and a failed write
   * refuses the request.
   */
  accept(userid: string, authorization: string, expiresAtMs: number, nowMs: number): ReplayVerdict {
    if (expiresAtMs <= this.barrier) return 'restarted';
    const hash = hashOf(authorization);
    // remembered in memory even if the write fails: the same header stays refused in this process either way
    const outcome = this.memory.accept(userid, hash, expiresAtMs, nowMs);
    if (outcome !== 'accepted' || this.dir === undefined) return outcome;
    const before = this.queued.length;
    this.queued += `${JSON.stringify([expiresAtMs, userid, hash])}\n`;
    this.queuedCount++;
    this.queuedAtMs = nowMs;
    if (!this.failing && !this.closed) return 'accepted';
    if (this.flush()) return 'accepted';
    // this request is refused, so its record need not reach the file; earlier ones stay queued for a retry
    this.queued = this.queued.slice(0, before);
    this.queuedCount--;
    return 'unavailable';
  }

  /** The number of records accepted so far: pass it to writtenThrough() before answering the request. */
  get ticket(): number {
    return this.queuedCount;
  }

  /** True once every record up to `ticket` is in the file, writing the queued ones now if needed. */
  writtenThrough(ticket: number): boolean {
    return this.writtenCount >= ticket || this.flush();
  }

  /** Writes every queued record in one write. False when that failed; they stay queued for the next flush. */
  flush(): boolean {
    if (this.queued === '') return true;
    if (!this.append(this.queued, this.queuedAtMs)) return false;
    this.queued = '';
    this.writtenCount = this.queuedCount;
    return true;
  }

  /** 'restarted' refuses pairs whose window ends at or before this (−Infinity: none); nonces above this − tolerance pass. */
  get refusedUntil(): number {
    return this.barrier;
  }

  /** Writes what is queued and closes the file; later accepts of new pairs answer 'unavailable'. Idempotent. */
  close(): void {
    if (!this.closed) this.flush();
    this.closed = true;
    this.closeFile();
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      /* already gone */
    }
    this.fd = undefined;
  }

  private append(text: string, nowMs: number): boolean {
    if (this.closed) return false;
    try {
      const period = Math.floor(nowMs / this.periodMs);
      if (this.fd === undefined || period !== this.period) this.rotate(period);
      // one write of a few short lines to an O_APPEND file: never interleaved, complete unless the machine dies
      const n = writeSync(this.fd!, text);
      const bytes = Buffer.byteLength(text);
      if (n !== bytes) throw new Error(`short write (${n} of ${bytes} bytes)`);
      if (this.failing) this.log('replay log: writing again');
      this.failing = false;
      return true;
    } catch (err) {
      if (!this.failing) this.log(`replay log: write failed, signed requests are refused until it works: ${errorText(err)}`);
      this.failing = true;
      this.closeFile(); // reopened (and retried) on the next request
      return false;
    }
  }

  /** Starts the file of `period` and deletes those whose pairs have all expired. */
  private rotate(period: number): void {
    const dir = this.dir!;
    this.closeFile();
    this.fd = openSync(join(dir, fileName(period)), 'a');
    this.period = period;
    this.prune(period);
  }

  /** Files of periods before period − 1 hold pairs received at least one period ago: all expired. */
  private prune(period: number): void {
    for (const name of readdirSync(this.dir!)) {
      const m = FILE_RE.exec(name);
      if (!m || Number(m[1]) >= period - 1) continue;
      try {
        unlinkSync(join(this.dir!, name));
      } catch (err) {
        this.log(`replay log: could not delete ${name}: ${errorText(err)}`);
      }
    }
  }

  private load(nowMs: number): void {
    const dir = this.dir!;
    mkdirSync(dir, { recursive: true });
    this.prune(Math.floor(nowMs / this.periodMs));
    let loaded = 0;
    for (const name of readdirSync(dir).sort()) {
      if (!FILE_RE.test(name)) continue;
      const file = join(dir, name);
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n');
      const tail = lines.pop(); // '' after the final newline; anything else is a torn last line
      let damaged = tail !== '';
      for (const line of lines) {
        const rec = parseRecord(line);
        if (rec === undefined) {
          damaged = true;
          continue;
        }
        if (rec.expiresAt < nowMs) continue;
        if (this.memory.accept(rec.userid, rec.hash, rec.expiresAt, nowMs) === 'full') damaged = true;
        else loaded++;
      }
      if (damaged) {
        // every pair in this file was received by its last write, so its window ends by mtime + 2 × tolerance
        // (a future mtime, from a clock set back, counts as now: the refusal lasts at most one double window)
        const until = Math.min(statSync(file).mtimeMs, nowMs) + 2 * this.toleranceMs;
        if (until > this.barrier) this.barrier = until;
        this.log(`replay log: ${name} is damaged; requests whose nonce window overlaps its last write are refused`);
      }
    }
    if (loaded > 0) this.log(`replay log: ${loaded} recent signatures remembered across the restart`);
  }
}

function parseRecord(line: string): { expiresAt: number; userid: string; hash: string } | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    if (!Array.isArray(v) || v.length !== 3) return undefined;
    const [expiresAt, userid, hash] = v as unknown[];
    if (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt)) return undefined;
    if (typeof userid !== 'string' || userid.length === 0 || userid.length > 200) return undefined;
    if (typeof hash !== 'string' || !/^[0-9a-f]{32}$/.test(hash)) return undefined;
    return { expiresAt, userid, hash };
  } catch {
    return undefined;
  }
}

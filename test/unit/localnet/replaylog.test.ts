// ReplayLog (main/localnet/server/replaylog.ts): accepted signatures survive a reopen of the same directory,
// expire with their window, old files are deleted, a damaged file refuses the windows it may have covered, and a
// log that cannot be written refuses instead of forgetting.
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplayLog } from '../../../main/localnet/server/replaylog';

const T0 = 1_790_000_000_000;
const TOL = 10_000;
const USER = 'mqWhbGsKWstL5i6k6eYFpsP6JzN29vys36';
const AUTH = `HMAC ${USER}:${'ab'.repeat(32)}`;
const OTHER = `HMAC ${USER}:${'cd'.repeat(32)}`;

const dirs: string[] = [];
const logs: ReplayLog[] = [];
afterEach(() => {
  for (const l of logs.splice(0)) l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'replaylog-'));
  dirs.push(d);
  return d;
}

function open(dir: string, now: number, lines?: string[]): ReplayLog {
  const l = ReplayLog.open(dir, { now: () => now, toleranceMs: TOL, log: (line) => lines?.push(line) });
  logs.push(l);
  return l;
}

const files = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.log')).sort();

describe('ReplayLog', () => {
  it('a pair accepted before a reopen is still refused after it, until its window ends', () => {
    const dir = tmp();
    const a = open(dir, T0);
    expect(a.accept(USER, AUTH, T0 + TOL, T0)).toBe('accepted');
    expect(a.accept(USER, AUTH, T0 + TOL, T0 + 1)).toBe('replayed');
    a.close();

    const lines: string[] = [];
    const b = open(dir, T0 + 500, lines);
    expect(b.size).toBe(1);
    expect(lines.join('\n')).toMatch(/1 recent signatures remembered/);
    expect(b.accept(USER, AUTH, T0 + TOL, T0 + 600)).toBe('replayed');
    expect(b.accept(USER, OTHER, T0 + TOL, T0 + 600)).toBe('accepted');
    b.close();

    // after the window the pair is not loaded again (verifyRequest refuses its nonce as stale anyway)
    const c = open(dir, T0 + TOL + 1);
    expect(c.size).toBe(0);
    expect(c.accept(USER, AUTH, T0 + 2 * TOL, T0 + TOL + 1)).toBe('accepted');
  });

  it('the log holds a hash of the Authorization header, not the header', () => {
    const dir = tmp();
    const a = open(dir, T0);
    a.accept(USER, AUTH, T0 + TOL, T0);
    a.close();
    const text = files(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    expect(text).not.toContain('abab');
    expect(JSON.parse(text.trim())).toEqual([T0 + TOL, USER, expect.stringMatching(/^[0-9a-f]{32}$/)]);
  });

  it('files whose pairs have all expired are deleted; the previous period is kept', () => {
    const dir = tmp();
    const a = open(dir, T0);
    const p = a.periodMs;
    expect(p).toBeGreaterThanOrEqual(2 * TOL);
    a.accept(USER, AUTH, T0 + TOL, T0);
    expect(a.flush()).toBe(true);
    a.accept(USER, OTHER, T0 + p + TOL, T0 + p);
    expect(a.flush()).toBe(true);
    expect(files(dir)).toHaveLength(2);
    a.accept(USER, `${OTHER}x`, T0 + 2 * p + TOL, T0 + 2 * p);
    expect(a.flush()).toBe(true);
    expect(files(dir)).toHaveLength(2); // the first period's file is gone
    a.close();
    const b = open(dir, T0 + 4 * p);
    expect(files(dir)).toEqual([]);
    expect(b.size).toBe(0);
  });

  it('a damaged file refuses every window its last write may have covered (torn line, garbage)', () => {
    for (const damage of ['[1790000', 'garbage\n', '[1,"u","not-a-hash"]\n']) {
      const dir = tmp();
      const a = open(dir, T0);
      expect(a.accept(USER, AUTH, T0 + TOL, T0)).toBe('accepted');
      a.close();
      const [file] = files(dir);
      appendFileSync(join(dir, file!), damage);
      const written = T0 + 1000; // the file's last write
      utimesSync(join(dir, file!), new Date(written), new Date(written));
      const lines: string[] = [];
      const b = open(dir, T0 + 2000, lines);
      expect(lines.join('\n'), damage).toMatch(/damaged/);
      expect(b.refusedUntil).toBe(written + 2 * TOL);
      // the valid record is still remembered
      expect(b.accept(USER, AUTH, T0 + TOL, T0 + 2000)).toBe('restarted');
      // any pair whose window ends by then may be the lost record: refused; a later window is accepted
      expect(b.accept(USER, OTHER, written + 2 * TOL, T0 + 2000)).toBe('restarted');
      expect(b.accept(USER, OTHER, written + 2 * TOL + 1, T0 + 2000)).toBe('accepted');
      b.close();
    }
  });

  it('a damaged file written "in the future" (clock set back) refuses for at most two windows from now', () => {
    const dir = tmp();
    const a = open(dir, T0);
    a.accept(USER, AUTH, T0 + TOL, T0);
    a.close();
    const [file] = files(dir);
    appendFileSync(join(dir, file!), 'x');
    utimesSync(join(dir, file!), new Date(T0 + 86_400_000), new Date(T0 + 86_400_000));
    const b = open(dir, T0 + 100);
    expect(b.refusedUntil).toBe(T0 + 100 + 2 * TOL);
  });

  it('an intact log sets no refusal', () => {
    const dir = tmp();
    const a = open(dir, T0);
    a.accept(USER, AUTH, T0 + TOL, T0);
    a.close();
    const b = open(dir, T0 + 100);
    expect(b.refusedUntil).toBe(Number.NEGATIVE_INFINITY);
    expect(b.accept(USER, OTHER, T0 + 100 + TOL, T0 + 100)).toBe('accepted');
  });

  it('a log that cannot be written refuses the request instead of forgetting it', () => {
    const dir = tmp();
    const a = open(dir, T0);
    a.close();
    expect(a.accept(USER, AUTH, T0 + TOL, T0)).toBe('unavailable');
    // still remembered in this process
    expect(a.accept(USER, AUTH, T0 + TOL, T0)).toBe('replayed');
  });

  it('records wait in a queue until a flush writes them all at once; writtenThrough(ticket) flushes only if needed', () => {
    const dir = tmp();
    const a = open(dir, T0);
    const text = (): string => files(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    expect(a.ticket).toBe(0);
    expect(a.accept(USER, AUTH, T0 + TOL, T0)).toBe('accepted');
    const first = a.ticket;
    expect(a.accept(USER, OTHER, T0 + TOL, T0 + 1)).toBe('accepted');
    expect(a.ticket).toBe(first + 1);
    expect(text()).toBe('');
    expect(a.writtenThrough(first)).toBe(true);
    expect(text().split('\n')).toHaveLength(3); // both records and the final newline
    // nothing is queued: a written ticket needs no write, so it holds even once the file is closed
    a.close();
    expect(a.writtenThrough(first + 1)).toBe(true);
  });

  it('a failed flush keeps its records queued, refuses new requests meanwhile, and writes the kept ones once it can', () => {
    const root = tmp();
    const dir = join(root, 'replay');
    const a = open(dir, T0);
    const p = a.periodMs;
    expect(a.accept(USER, AUTH, T0 + TOL, T0)).toBe('accepted'); // ran: its record must reach the file
    // the next period's file cannot be created: the directory has become a plain file
    rmSync(dir, { recursive: true });
    writeFileSync(dir, '');
    expect(a.accept(USER, OTHER, T0 + p + TOL, T0 + p)).toBe('accepted');
    expect(a.flush()).toBe(false);
    expect(a.writtenThrough(a.ticket)).toBe(false);
    expect(a.accept(USER, `${OTHER}x`, T0 + p + TOL, T0 + p + 1)).toBe('unavailable'); // refused: never ran
    rmSync(dir);
    mkdirSync(dir);
    expect(a.accept(USER, `${OTHER}y`, T0 + p + TOL, T0 + p + 2)).toBe('accepted'); // written at once, with the kept ones
    a.close();
    const records = files(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n'));
    expect(records.map((r) => (JSON.parse(r) as number[])[0])).toEqual([T0 + TOL, T0 + p + TOL, T0 + p + TOL]);
    const b = open(dir, T0 + p + 3);
    expect(b.accept(USER, OTHER, T0 + p + TOL, T0 + p + 3)).toBe('replayed');
    expect(b.accept(USER, `${OTHER}y`, T0 + p + TOL, T0 + p + 3)).toBe('replayed');
    expect(b.accept(USER, `${OTHER}x`, T0 + p + TOL, T0 + p + 3)).toBe('accepted'); // refused before, so not kept
  });

  it('a directory that cannot be created or read is a start-up error', () => {
    const dir = tmp();
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, '');
    expect(() => ReplayLog.open(file)).toThrow(/^replay log .*not-a-dir/);
  });

  it('the in-memory variant refuses replays and writes nothing', () => {
    const m = ReplayLog.inMemory({ toleranceMs: TOL });
    expect(m.dir).toBeUndefined();
    expect(m.accept(USER, AUTH, T0 + TOL, T0)).toBe('accepted');
    expect(m.accept(USER, AUTH, T0 + TOL, T0)).toBe('replayed');
  });
});

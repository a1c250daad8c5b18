import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, JournalCorruptError, JournalLockedError } from '../../../main/localnet/journal';

const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'journal-test-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const CHILD = path.resolve('test/unit/localnet/journal-child.ts');

function runChild(mode: 'hold' | 'try', dir: string): { child: ChildProcess; firstLine: Promise<string>; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before answering: ${err}`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, firstLine, exited };
}

function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    c.on('exit', () => resolve(c.pid!));
  });
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('journal-')).sort();
}

describe('Journal', () => {
  it('round-trips entries across close and reopen, continuing the sequence', async () => {
    const dir = tempDir();
    const j = await Journal.open(dir);
    const entries = [{ type: 'order', qty: 1 }, { type: 'cancel', uuid: 'a-b' }, { nested: { deep: [1, 2, { x: 'é\n"' }] } }, []];
    const seqs = [];
    for (const e of entries) seqs.push(await j.append(e));
    expect(seqs).toEqual([1, 2, 3, 4]);
    await j.close();
    expect(existsSync(path.join(dir, 'LOCK'))).toBe(false);

    const j2 = await Journal.open(dir);
    expect(await j2.load()).toEqual({ entries, lastSeq: 4 });
    expect(await j2.append({ type: 'more' })).toBe(5);
    await j2.close();
    const j3 = await Journal.open(dir);
    const loaded = await j3.load();
    expect(loaded.entries).toEqual([...entries, { type: 'more' }]);
    expect(loaded.lastSeq).toBe(5);
    expect(loaded.snapshot).toBeUndefined();
    await j3.close();
  });

  it('refuses entries that are not JSON objects, and use after close', async () => {
    const j = await Journal.open(tempDir());
    await expect(j.append(null as unknown as object)).rejects.toThrow(TypeError);
    await expect(j.append('text' as unknown as object)).rejects.toThrow(/must be an object/);
    await expect(j.append({ n: 1n })).rejects.toThrow(/not JSON-serializable/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(j.append(cyclic)).rejects.toThrow(/not JSON-serializable/);
    expect(await j.append({ ok: true })).toBe(1); // refusals consumed no sequence numbers
    await j.close();
    await j.close(); // idempotent
    await expect(j.append({ late: true })).rejects.toThrow(/closed/);
    await expect(j.snapshot({})).rejects.toThrow(/closed/);
    await expect(j.load()).rejects.toThrow(/closed/);
  });

  it('ignores and reports a torn final line, truncating it before new appends', async () => {
    const dir = tempDir();
    const j = await Journal.open(dir);
    for (let i = 1; i <= 3; i++) await j.append({ i });
    await j.close();
    const [seg] = segmentFiles(dir);
    const file = path.join(dir, seg!);
    const goodSize = readFileSync(file).length;
    appendFileSync(file, '{"seq":4,"entry":{"i":'); // crash mid-write

    const j2 = await Journal.open(dir);
    const loaded = await j2.load();
    expect(loaded.entries).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
    expect(loaded.torn).toEqual({ segment: seg, offset: goodSize, bytes: 22 });
    expect(readFileSync(file).length).toBe(goodSize);
    expect(await j2.append({ i: 4 })).toBe(4);
    expect((await j2.load()).entries).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }]);
    await j2.close();

    // a complete record missing only its newline was never acknowledged either
    appendFileSync(file, '{"seq":5,"entry":{"i":5}}');
    const j3 = await Journal.open(dir);
    const l3 = await j3.load();
    expect(l3.entries).toHaveLength(4);
    expect(l3.torn?.bytes).toBe(25);
    await j3.close();
  });

  it('refuses damage before the tail instead of skipping it', async () => {
    const dir = tempDir();
    const j = await Journal.open(dir);
    for (let i = 1; i <= 3; i++) await j.append({ i });
    await j.close();
    const file = path.join(dir, segmentFiles(dir)[0]!);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = '{"seq":2,"entr';
    writeFileSync(file, lines.join('\n'));
    await expect(Journal.open(dir)).rejects.toThrow(JournalCorruptError);
    expect(existsSync(path.join(dir, 'LOCK'))).toBe(false); // a failed open releases the lock

    lines[1] = '{"seq":7,"entry":{"i":2}}';
    writeFileSync(file, lines.join('\n'));
    const j2 = await Journal.open(dir);
    await expect(j2.load()).rejects.toThrow(/expected seq 2, found 7/);
    await j2.close();
  });

  it('writes snapshots atomically, starts a new segment and loads only later entries', async () => {
    const dir = tempDir();
    const j = await Journal.open(dir);
    for (let i = 1; i <= 5; i++) await j.append({ i });
    expect(await j.snapshot({ total: 15 })).toBe(5);
    expect(readdirSync(dir).filter((n) => n.startsWith('snapshot-'))).toEqual(['snapshot-000000000005.json']);
    expect(segmentFiles(dir)).toEqual(['journal-000000000006.log']); // the covered segment was pruned
    for (let i = 6; i <= 8; i++) await j.append({ i });
    expect(await j.load()).toEqual({ snapshot: { seq: 5, state: { total: 15 } }, entries: [{ i: 6 }, { i: 7 }, { i: 8 }], lastSeq: 8 });
    await j.close();

    // a crash during a later snapshot leaves only a temp file, which is ignored and cleaned up
    writeFileSync(path.join(dir, 'snapshot-000000000008.json.tmp'), '{"seq":8,"sta');
    const j2 = await Journal.open(dir);
    expect(readdirSync(dir).some((n) => n.endsWith('.tmp'))).toBe(false);
    const loaded = await j2.load();
    expect(loaded.snapshot).toEqual({ seq: 5, state: { total: 15 } });
    expect(loaded.entries).toEqual([{ i: 6 }, { i: 7 }, { i: 8 }]);
    await j2.snapshot({ total: 36 });
    expect(readdirSync(dir).filter((n) => n.startsWith('snapshot-'))).toEqual(['snapshot-000000000008.json']);
    expect(await j2.load()).toEqual({ snapshot: { seq: 8, state: { total: 36 } }, entries: [], lastSeq: 8 });
    expect(await j2.append({ i: 9 })).toBe(9);
    await j2.close();
    const j3 = await Journal.open(dir);
    expect(await j3.load()).toEqual({ snapshot: { seq: 8, state: { total: 36 } }, entries: [{ i: 9 }], lastSeq: 9 });
    await j3.close();
  });

  it('keeps entries after an explicit snapshot seq and refuses going backwards', async () => {
    const dir = tempDir();
    const j = await Journal.open(dir);
    for (let i = 1; i <= 6; i++) await j.append({ i });
    await j.snapshot({ upTo: 4 }, 4);
    await j.append({ i: 7 });
    expect(await j.load()).toEqual({ snapshot: { seq: 4, state: { upTo: 4 } }, entries: [{ i: 5 }, { i: 6 }, { i: 7 }], lastSeq: 7 });
    await expect(j.snapshot({}, 3)).rejects.toThrow(RangeError);
    await expect(j.snapshot({}, 99)).rejects.toThrow(RangeError);
    await expect(j.snapshot(null as unknown as object)).rejects.toThrow(TypeError);
    await j.close();
    const j2 = await Journal.open(dir);
    expect((await j2.load()).entries).toEqual([{ i: 5 }, { i: 6 }, { i: 7 }]);
    await j2.close();
  });

  it('orders 1000 concurrent appends and commits them in few write+fsync batches', async () => {
    const j = await Journal.open(tempDir());
    const done: number[] = [];
    const all = Array.from({ length: 1000 }, (_, i) => j.append({ i }).then((seq) => (done.push(seq), seq)));
    expect(j.lastSeq).toBe(1000);
    const seqs = await Promise.all(all);
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(done).toEqual(seqs); // acknowledged in order
    const { entries, batches } = j.stats;
    expect(entries).toBe(1000);
    expect(batches).toBeLessThan(10);

    // appends arriving while a batch is being written join the next batch, still in order
    const wave1 = Array.from({ length: 300 }, (_, i) => j.append({ i: 1000 + i }));
    await new Promise((r) => setImmediate(r));
    const wave2 = Array.from({ length: 300 }, (_, i) => j.append({ i: 1300 + i }));
    const s = await Promise.all([...wave1, ...wave2]);
    expect(s).toEqual(Array.from({ length: 600 }, (_, i) => 1001 + i));
    expect(j.stats.batches - batches).toBeLessThan(20);
    const loaded = await j.load();
    expect(loaded.entries).toEqual(Array.from({ length: 1600 }, (_, i) => ({ i })));
    await j.close();
  });

  it('stops acknowledging after a failed write', async () => {
    const dir = tempDir();
    const j = await Journal.open(dir);
    await j.append({ ok: 1 });
    // the segment's descriptor swapped for a read-only one: the next write(2) fails (EBADF)
    const internals = j as unknown as { fd: { fd: number } };
    const realFd = internals.fd;
    const readOnly = openSync(path.join(dir, readdirSync(dir).find((n) => n.startsWith('journal-'))!), 'r');
    internals.fd = Object.create(realFd, { fd: { value: readOnly } }) as never;
    await expect(j.append({ ok: 2 })).rejects.toThrow(/EBADF/);
    await expect(j.append({ ok: 3 })).rejects.toThrow(/failed earlier: EBADF/);
    await expect(j.snapshot({})).rejects.toThrow(/failed earlier/);
    internals.fd = realFd as never;
    closeSync(readOnly);
    await j.close();
  });

  it('refuses a second open in the same process until the first closes', async () => {
    const dir = tempDir();
    const j = await Journal.open(dir);
    const err = await Journal.open(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JournalLockedError);
    expect((err as JournalLockedError).message).toMatch(/locked by this process/);
    expect((err as JournalLockedError).pid).toBe(process.pid);
    expect(JSON.parse(readFileSync(path.join(dir, 'LOCK'), 'utf8')).pid).toBe(process.pid);
    await j.close();
    const again = await Journal.open(dir);
    await again.close();
  });

  it('refuses while a child process holds the lock, then takes over once it is killed', async () => {
    const dir = tempDir();
    const holder = runChild('hold', dir);
    expect(await holder.firstLine).toBe('held');
    const err = await Journal.open(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JournalLockedError);
    expect((err as Error).message).toMatch(new RegExp(`another running process \\(pid ${holder.child.pid}\\)`));

    holder.child.kill('SIGKILL'); // crash: the LOCK file stays behind with a dead pid
    await holder.exited;
    expect(existsSync(path.join(dir, 'LOCK'))).toBe(true);
    const j = await Journal.open(dir);
    expect((await j.load()).entries).toEqual([{ from: 'child', pid: holder.child.pid }]);
    await j.close();
  }, 60_000);

  it('a child process is refused while this process holds the lock', async () => {
    const dir = tempDir();
    const j = await Journal.open(dir);
    const attempt = runChild('try', dir);
    const answer = JSON.parse(await attempt.firstLine);
    expect(answer).toMatchObject({ ok: false, name: 'JournalLockedError' });
    expect(answer.message).toMatch(new RegExp(`pid ${process.pid}`));
    await j.close();
    const second = runChild('try', dir);
    expect(JSON.parse(await second.firstLine)).toEqual({ ok: true });
  }, 60_000);

  it('takes over stale locks: dead pid, garbage content, own pid from an earlier incarnation', async () => {
    const dir = tempDir();
    const lock = path.join(dir, 'LOCK');
    const host = (await import('node:os')).hostname();
    writeFileSync(lock, JSON.stringify({ pid: await deadPid(), token: 'old', host }));
    const j = await Journal.open(dir);
    expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(process.pid);
    await j.close();

    writeFileSync(lock, 'garbage');
    await (await Journal.open(dir)).close();

    writeFileSync(lock, JSON.stringify({ pid: process.pid, token: 'previous-container-run', host }));
    await (await Journal.open(dir)).close();
    expect(existsSync(lock)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('LOCK'))).toEqual([]);
  });
});

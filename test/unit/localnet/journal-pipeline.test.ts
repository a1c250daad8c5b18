// Group commit of the journal (main/localnet/journal.ts): one batch in flight by default; with maxInFlight 2 the
// next batch's write and sync overlap the current sync, yet every append is acknowledged only after its own
// fdatasync and strictly in order, a failure refuses everything after it, and snapshots never interleave with
// batches.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../../main/localnet/journal';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'journal-pipe-'));
  dirs.push(d);
  return d;
}

interface Gate {
  open(): void;
  fail(err: Error): void;
  promise: Promise<void>;
}

function gate(): Gate {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { open, fail, promise };
}

/** Every datasync of the journal waits for its own gate; batch writes are recorded. */
function instrument(j: Journal): { syncs: Gate[]; writes: string[]; restore(): void } {
  const internals = j as unknown as { fd: FileHandle; appendToFile(data: string): void };
  const real = internals.fd;
  const syncs: Gate[] = [];
  const writes: string[] = [];
  const appendToFile = internals.appendToFile;
  internals.appendToFile = function (this: Journal, data: string) {
    writes.push(data);
    appendToFile.call(this, data);
  };
  internals.fd = Object.assign(Object.create(real) as FileHandle, {
    datasync: async () => {
      const g = gate();
      syncs.push(g);
      await g.promise;
      return real.datasync();
    },
  });
  return {
    syncs,
    writes,
    restore: () => {
      internals.fd = real;
      internals.appendToFile = appendToFile;
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Waits (up to 10 s) for a condition that real file I/O makes true. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

describe('journal group commit', () => {
  it('by default one batch is in flight: the next is written once the previous one is acknowledged', async () => {
    const j = await Journal.open(tempDir());
    const io = instrument(j);
    const a = j.append({ n: 1 });
    await until(() => io.syncs.length === 1);
    const b = j.append({ n: 2 });
    const c = j.append({ n: 3 });
    await tick();
    await tick();
    expect(io.writes).toHaveLength(1); // 2 and 3 wait, together
    io.syncs[0]!.open();
    expect(await a).toBe(1);
    await until(() => io.syncs.length === 2);
    expect(io.writes.map((w) => w.split('\n').filter(Boolean).map((l) => JSON.parse(l).seq))).toEqual([[1], [2, 3]]);
    io.syncs[1]!.open();
    expect(await Promise.all([b, c])).toEqual([2, 3]);
    io.restore();
    await j.close();
  });

  it('refuses a maxInFlight below 1', async () => {
    await expect(Journal.open(tempDir(), { maxInFlight: 0 })).rejects.toThrow(/maxInFlight/);
  });

  it('overlaps two batches but acknowledges in order, each after its own sync', async () => {
    const j = await Journal.open(tempDir(), { maxInFlight: 2 });
    const io = instrument(j);
    const acked: number[] = [];
    const a = j.append({ n: 1 }).then((s) => acked.push(s));
    await until(() => io.syncs.length === 1); // batch 1 written, syncing
    const b = j.append({ n: 2 }).then((s) => acked.push(s));
    await until(() => io.syncs.length === 2); // batch 2 written and syncing while batch 1 still syncs
    const c = j.append({ n: 3 }).then((s) => acked.push(s));
    await tick();
    await tick();
    expect(io.writes.length).toBe(2); // at most two batches in flight: the third waits
    io.syncs[1]!.open(); // batch 2 is durable first…
    await tick();
    await tick();
    expect(acked).toEqual([]); // …but is not acknowledged before batch 1
    io.syncs[0]!.open();
    await Promise.all([a, b]);
    expect(acked).toEqual([1, 2]);
    await until(() => io.syncs.length === 3); // batch 3 started once a slot freed
    io.syncs[2]!.open();
    await c;
    expect(acked).toEqual([1, 2, 3]);
    expect(io.writes.map((w) => JSON.parse(w).seq)).toEqual([1, 2, 3]);
    io.restore();
    expect((await j.load()).entries).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await j.close();
  });

  it('a failed sync refuses its batch and the overlapping one, and everything after', async () => {
    const j = await Journal.open(tempDir(), { maxInFlight: 2 });
    const io = instrument(j);
    const a = j.append({ n: 1 });
    await until(() => io.syncs.length === 1);
    const b = j.append({ n: 2 });
    await until(() => io.syncs.length === 2);
    io.syncs[1]!.open(); // the later batch's own sync succeeds
    io.syncs[0]!.fail(new Error('EIO on sync'));
    await expect(a).rejects.toThrow('EIO on sync');
    await expect(b).rejects.toThrow(/journal failed earlier: EIO on sync/);
    await expect(j.append({ n: 3 })).rejects.toThrow(/failed earlier/);
    io.restore();
    await j.close();
  });

  it('beforeWrite runs before each batch is written, after the previous batch was; a throw refuses the batch and all after', async () => {
    const j = await Journal.open(tempDir(), { maxInFlight: 2 });
    const io = instrument(j);
    const seen: number[] = []; // batches written when the hook ran
    let refuse = false;
    j.beforeWrite = () => {
      seen.push(io.writes.length);
      if (refuse) throw new Error('replay log cannot be written');
    };
    const a = j.append({ n: 1 });
    await until(() => io.syncs.length === 1);
    const b = j.append({ n: 2 });
    await until(() => io.syncs.length === 2);
    expect(seen).toEqual([0, 1]);
    io.syncs[0]!.open();
    io.syncs[1]!.open();
    await Promise.all([a, b]);
    refuse = true;
    await expect(j.append({ n: 3 })).rejects.toThrow('replay log cannot be written');
    expect(seen).toEqual([0, 1, 2]);
    expect(io.writes).toHaveLength(2); // the refused batch was not written
    await expect(j.append({ n: 4 })).rejects.toThrow(/failed earlier: replay log cannot be written/);
    io.restore();
    await j.close();
  });

  it('a snapshot waits until every earlier append is durable; later appends go to the new segment', async () => {
    const dir = tempDir();
    const j = await Journal.open(dir);
    const io = instrument(j);
    const first = j.append({ n: 1 });
    await until(() => io.syncs.length === 1);
    let snapped = false;
    const snap = j.snapshot({ state: 'after 1' }, 1).then((s) => ((snapped = true), s));
    await new Promise((r) => setTimeout(r, 20));
    expect(snapped).toBe(false); // entry 1 is not durable yet
    io.syncs[0]!.open();
    await first;
    expect(await snap).toBe(1);
    expect(await j.append({ n: 2 })).toBe(2); // the snapshot switched to a fresh segment (and file handle)
    await j.close();
    expect(readdirSync(dir).filter((n) => n.endsWith('.log')).sort()).toEqual(['journal-000000000002.log']);
    const again = await Journal.open(dir);
    const loaded = await again.load();
    expect(loaded.snapshot).toEqual({ seq: 1, state: { state: 'after 1' } });
    expect(loaded.entries).toEqual([{ n: 2 }]);
    await again.close();
  });

  it('appends racing a snapshot are all durable, in order, exactly once', async () => {
    const dir = tempDir();
    const j = await Journal.open(dir);
    const appends: Promise<number>[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) appends.push(j.append({ round, i }));
      const snap = j.snapshot({ round });
      for (let i = 10; i < 20; i++) appends.push(j.append({ round, i }));
      await tick();
      for (let i = 20; i < 30; i++) appends.push(j.append({ round, i }));
      await snap;
    }
    expect(await Promise.all(appends)).toEqual(Array.from({ length: 150 }, (_, k) => k + 1));
    await j.close();
    const again = await Journal.open(dir);
    const loaded = await again.load();
    const snapSeq = loaded.snapshot!.seq;
    expect(loaded.entries).toEqual(
      Array.from({ length: 150 }, (_, k) => ({ round: Math.floor(k / 30), i: k % 30 })).slice(snapSeq),
    );
    await again.close();
  });

  it('many concurrent appends: in order, durable, few batches', async () => {
    const dir = tempDir();
    const j = await Journal.open(dir);
    const done: number[] = [];
    const all: Promise<number>[] = [];
    for (let wave = 0; wave < 20; wave++) {
      for (let i = 0; i < 25; i++) all.push(j.append({ wave, i }).then((s) => (done.push(s), s)));
      await tick();
    }
    const seqs = await Promise.all(all);
    expect(seqs).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(done).toEqual(seqs);
    expect(j.stats.entries).toBe(500);
    expect(j.stats.batches).toBeLessThanOrEqual(20);
    await j.close();
    const again = await Journal.open(dir);
    expect((await again.load()).entries.length).toBe(500);
    await again.close();
  });
});

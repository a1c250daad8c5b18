// The engine's open-order list (creation order + lookup by uuid without a string-keyed Map) and the book side's
// touched-tick list must behave exactly like the Map and Set they replaced.
import { describe, expect, it } from 'vitest';
import { BookSide } from '../../../main/localnet/engine/book';
import { IntIndex, OpenOrders, uuidKey, type OpenLinks } from '../../../main/localnet/engine/open';
import { Rng } from '../../../main/localnet/engine/rng';

interface Rec extends OpenLinks {
  n: number;
}

const rec = (uuid: string, n: number): Rec => ({ uuid, n, _onext: null, _oprev: null, _hnext: null, _okey: 0 });

describe('OpenOrders', () => {
  it('matches a Map under random adds, deletes and lookups (order, size, hits and misses)', () => {
    const rng = new Rng(11);
    const open = new OpenOrders<Rec>();
    const ref = new Map<string, Rec>();
    const all: Rec[] = [];
    for (let i = 0; i < 4000; i++) {
      const r = rng.next();
      if (r < 0.5 || ref.size === 0) {
        const o = rec(rng.uuid(), i);
        open.add(o);
        ref.set(o.uuid, o);
        all.push(o);
      } else if (r < 0.8) {
        const o = all[rng.int(all.length)] as Rec;
        expect(open.delete(o)).toBe(ref.delete(o.uuid));
      } else {
        const o = all[rng.int(all.length)] as Rec;
        expect(open.get(o.uuid)).toBe(ref.get(o.uuid));
        expect(open.get(`${o.uuid.slice(0, 35)}x`)).toBeUndefined();
      }
      expect(open.size).toBe(ref.size);
    }
    expect([...open.values()]).toEqual([...ref.values()]);
    expect([...open.keys()]).toEqual([...ref.keys()]);
  });

  it('keeps uuids whose keys collide apart, and takes any text', () => {
    const open = new OpenOrders<Rec>();
    // same first 8 hex digits: same key
    const a = rec('0123abcd-0000-4000-8000-000000000001', 1);
    const b = rec('0123abcd-0000-4000-8000-000000000002', 2);
    const c = rec('0123abcd-0000-4000-8000-000000000003', 3);
    expect(uuidKey(a.uuid)).toBe(uuidKey(b.uuid));
    for (const o of [a, b, c]) open.add(o);
    expect([open.get(a.uuid), open.get(b.uuid), open.get(c.uuid)]).toEqual([a, b, c]);
    expect(open.delete(b)).toBe(true);
    expect(open.delete(b)).toBe(false);
    expect([open.get(a.uuid), open.get(b.uuid), open.get(c.uuid)]).toEqual([a, undefined, c]);
    expect(open.delete(a)).toBe(true);
    expect(open.get(c.uuid)).toBe(c);
    expect([...open.values()]).toEqual([c]);
    for (const text of ['', 'x', 'nope', 'ZZZZZZZZ-not-hex', '0123abcd']) expect(open.get(text)).toBeUndefined();
    const odd = rec('not a uuid at all', 4);
    open.add(odd);
    expect(open.get('not a uuid at all')).toBe(odd);
    expect(open.size).toBe(2);
  });
});

describe('IntIndex', () => {
  it('matches a Map under churn, with keys crowding a few slots (long runs, wrap-around, growth)', () => {
    const rng = new Rng(3);
    const idx = new IntIndex<number>();
    const ref = new Map<number, number>();
    const keys: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      // low bits from a small set: many keys share a home slot; high bits and sign vary
      const k = ((rng.int(1 << 20) << 11) | [0, 1, 15, 16, 31][rng.int(5)]!) | 0;
      const r = rng.next();
      if (r < 0.45) {
        idx.set(k, i);
        ref.set(k, i);
        keys.push(k);
      } else if (r < 0.8 && keys.length > 0) {
        const d = keys[rng.int(keys.length)]!;
        expect(idx.delete(d)).toBe(ref.delete(d));
      } else {
        const q = keys.length > 0 && r < 0.95 ? keys[rng.int(keys.length)]! : k;
        expect(idx.get(q)).toBe(ref.get(q));
      }
      expect(idx.size).toBe(ref.size);
    }
    for (const k of keys) expect(idx.get(k)).toBe(ref.get(k));
  });
});

describe('BookSide touched ticks', () => {
  it('reports each touched tick once, ascending, then forgets them (few and many)', () => {
    for (const count of [5, 300]) {
      const s = new BookSide(true);
      const rng = new Rng(count);
      const want = new Set<number>();
      for (let i = 0; i < count; i++) {
        const tick = 1000 + rng.int(count);
        want.add(tick);
        s.add({ quantity: 1, filled: 0, cancelled: 0, _tick: tick, _prio: i, _prev: null, _next: null, _level: null });
      }
      const out: number[] = [];
      const n = s.takeTouched(out);
      expect(out.slice(0, n)).toEqual([...want].sort((x, y) => x - y));
      expect(s.takeTouched(out)).toBe(0);
    }
  });
});

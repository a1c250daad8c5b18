// Random command streams (seeded): the invariants hold after every command, replay is deterministic, and a
// snapshot round trip (toJSON → JSON text → fromJSON) behaves exactly like the original from then on.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../main/localnet/engine/engine';
import { Rng } from '../../../main/localnet/engine/rng';
import type { OrderRequest } from '../../../main/coinpit/types';
import { T0 } from './engine-helpers';

const USERS = ['mPropUserA000000000000000000000000', 'mPropUserB000000000000000000000000', 'mPropUserC000000000000000000000000', 'mPropUserD000000000000000000000000'];

type Cmd = (e: Engine) => unknown;

/** A seeded stream of commands; each reads the engine's current state to pick targets. */
function commands(seed: number, n: number): Cmd[] {
  const rng = new Rng(seed);
  const cmds: Cmd[] = [];
  let now = T0;
  let index = 1000;
  let cid = 0;
  for (const u of USERS) cmds.push((e) => e.setMarginBalance(now, u, 2_000_000_000));
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    const user = USERS[rng.int(USERS.length)] as string;
    const pick = rng.next();
    const side = rng.next() < 0.5 ? 'buy' : 'sell';
    const qty = 1 + rng.int(6);
    const off = rng.int(80) - 40; // ticks around the index
    const type = rng.next();
    const target = rng.next() < 0.3 ? 'NONE' : rng.int(60) / 10;
    const stop = 2 + rng.int(80) / 10;
    const newPrice = rng.int(100) - 50;
    const bal = rng.int(3);
    const c = `p${seed}-${++cid}`;
    const dt = rng.int(20_000);
    const walk = (rng.next() - 0.5) * 12;
    now += dt;
    if (r < 0.45) {
      cmds.push((e) => {
        const sym = symbols(e)[pick < 0.8 ? 0 : 1] as string;
        const orderType = type < 0.6 ? 'LMT' : type < 0.8 ? 'MKT' : type < 0.9 ? 'SLM' : 'STM';
        const base = Math.round(index * 10) + off;
        const req: OrderRequest = { clientid: c, userid: user, instrument: sym, side, quantity: qty, orderType, stopPrice: stop, targetPrice: target, crossMargin: rng.next() < 0.1 };
        if (orderType !== 'MKT') req.price = base / 10;
        return e.placeOrders(now, user, [req]);
      });
    } else if (r < 0.55) {
      cmds.push((e) => {
        const mine = e.openOrders(user).filter((o) => o.orderType !== 'STP');
        const o = mine[Math.floor(pick * mine.length)];
        return o ? e.cancelOrders(now, user, [o.uuid]) : e.cancelOrders(now, user, ['nope']);
      });
    } else if (r < 0.68) {
      cmds.push((e) => {
        const mine = e.openOrders(user);
        const o = mine[Math.floor(pick * mine.length)];
        if (!o) return null;
        const price = (Math.round(index * 10) + newPrice) / 10;
        return e.updateOrders(now, user, [{ uuid: o.uuid, price: o.orderType === 'TGT' && newPrice > 40 ? 'NONE' : price }]);
      });
    } else if (r < 0.8) {
      cmds.push((e) => {
        index = Math.max(500, Math.round((index + walk) * 10) / 10);
        return e.setIndex(now, index);
      });
    } else if (r < 0.88) {
      cmds.push((e) => {
        const stops = e.openOrders(user, symbols(e)[0]).filter((o) => o.orderType === 'STP' && !o.triggered);
        const sells = stops.filter((o) => o.side === 'sell');
        const buys = stops.filter((o) => o.side === 'buy');
        const group = sells.length >= buys.length ? sells : buys;
        const first = group[0];
        if (pick < 0.5 && group.length >= 2) return e.patch(now, user, [{ op: 'merge', value: group.slice(0, 3).map((o) => o.uuid) }]);
        if (first && first.quantity - first.filled - first.cancelled > 1) return e.patch(now, user, [{ op: 'split', value: [first.uuid], quantity: 1 }]);
        return e.patch(now, user, [{ op: 'remove', value: ['missing'] }, { op: 'add', value: [{ clientid: c, userid: user, instrument: symbols(e)[0], side, quantity: 1, orderType: 'LMT', price: Math.round(index) + 3, stopPrice: 3, targetPrice: 1 }] as OrderRequest[] }]);
      });
    } else if (r < 0.93) {
      cmds.push((e) => e.cancelAll(now, user, pick < 0.5 ? symbols(e)[0] : undefined));
    } else if (r < 0.97) {
      cmds.push((e) => e.setMarginBalance(now, user, [2_000_000_000, 50_000_000, 1_000_000][bal] as number));
    } else {
      // jump close to / past the next expiry now and then
      cmds.push((e) => {
        const first = Object.values(e.instruments()).sort((a, b) => a.expiry - b.expiry)[0];
        if (first && pick < 0.3) now = Math.max(now, first.expiry + 1000);
        const out = e.expire(now);
        if (out.ok) for (const s of out.result.expired) e.settlePnl(now, s);
        return out;
      });
    }
  }
  return cmds;
}

/** Fails with the first difference between two texts and some context (full dumps are unreadable). */
function sameText(actual: string, expected: string, label: string): void {
  if (actual === expected) return;
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  throw new Error(`${label} differs at ${i}:\n  got      …${actual.slice(Math.max(0, i - 300), i + 200)}\n  expected …${expected.slice(Math.max(0, i - 300), i + 200)}`);
}

function symbols(e: Engine): string[] {
  return Object.values(e.instruments()).sort((a, b) => a.expiry - b.expiry).map((i) => i.symbol);
}

function fresh(seed: number): Engine {
  return new Engine({ now: T0, seed, index: 1000 });
}

describe('engine under random command streams', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`keeps every invariant after each command (seed ${seed})`, () => {
      const e = fresh(seed);
      const cmds = commands(seed, 700);
      let fills = 0;
      cmds.forEach((cmd, i) => {
        const out = cmd(e) as { ok?: boolean; events?: { name: string }[] } | null;
        if (out?.events) fills += out.events.filter((x) => x.name === 'trade').length;
        const errs = e.checkInvariants();
        if (errs.length) throw new Error(`after command ${i}: ${errs.join('; ')}`);
      });
      expect(fills).toBeGreaterThan(20); // the stream really trades
    });
  }

  it('the streams exercise every feature (triggered stops, targets, merges, splits, expiries, rejections)', () => {
    const seen = { stopFired: 0, targetFilled: 0, merge: 0, split: 0, expired: 0, rejected: 0, slmFired: 0 };
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const e = fresh(seed);
      for (const cmd of commands(seed, 700)) {
        const out = cmd(e) as { ok: boolean; result?: unknown; events: { name: string; payload?: { result?: unknown } }[] } | null;
        if (!out) continue;
        if (!out.ok) seen.rejected++;
        for (const ev of out.events) {
          const list = (ev.name === 'order_update' || ev.name === 'order_add') && Array.isArray(ev.payload?.result) ? (ev.payload!.result as { orderType: string; triggered?: boolean; filled: number; status: string }[]) : [];
          for (const o of list) {
            if (o.orderType === 'STP' && o.triggered && o.filled > 0) seen.stopFired++;
            if (o.orderType === 'TGT' && o.filled > 0) seen.targetFilled++;
            if ((o.orderType === 'SLM' || o.orderType === 'STM') && o.triggered) seen.slmFired++;
          }
          if (ev.name === 'order_patch') {
            for (const r of ev.payload!.result as { op: string; error?: string }[]) {
              if (!r.error && r.op === 'merge') seen.merge++;
              if (!r.error && r.op === 'split') seen.split++;
            }
          }
        }
        const res = out.result as { expired?: string[] } | undefined;
        if (res && Array.isArray(res.expired)) seen.expired += res.expired.length;
      }
    }
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0);
  });

  it('is deterministic: the same commands give the same events and state', () => {
    const run = (): string => {
      const e = fresh(9);
      const outs = commands(9, 400).map((cmd) => cmd(e));
      return JSON.stringify([outs, e.toJSON()]);
    };
    sameText(run(), run(), 'second run');
  });

  for (const seed of [11, 12, 13]) {
    it(`toJSON/fromJSON round trip reproduces identical subsequent behaviour (seed ${seed})`, () => {
      const cmdsA = commands(seed, 600);
      const cmdsB = commands(seed, 600); // same stream, separate closures (they hold their own clocks)
      const a = fresh(seed);
      const b0 = fresh(seed);
      const cut = 300;
      for (let i = 0; i < cut; i++) {
        cmdsA[i]!(a);
        cmdsB[i]!(b0);
      }
      const b = Engine.fromJSON(JSON.parse(JSON.stringify(b0.toJSON())));
      expect(b.checkInvariants()).toEqual([]);
      sameText(JSON.stringify(b.toJSON()), JSON.stringify(a.toJSON()), 'snapshot after restore');
      for (let i = cut; i < cmdsA.length; i++) {
        const oa = JSON.stringify(cmdsA[i]!(a));
        const ob = JSON.stringify(cmdsB[i]!(b));
        sameText(ob, oa, `command ${i} after restore`);
      }
      sameText(JSON.stringify(b.toJSON()), JSON.stringify(a.toJSON()), 'final snapshot');
    });
  }
});

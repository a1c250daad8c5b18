// How the exchange checks its invariants (main/localnet/exchange.ts): with a large state the incremental check runs
// after every command and still switches to read-only on a violation; the engine's full check runs while the state
// is small, every `fullCheckEveryMs` and before a snapshot, so a violation only it can see is caught too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateWif, identity } from '../../../main/coinpit/identity';
import { req } from './engine-helpers';
import { Exchange, type ExchangeOptions } from '../../../main/localnet/exchange';

const open: Exchange[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const ex of open.splice(0)) await ex.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function exchange(opts: Partial<ExchangeOptions> = {}): Promise<{ ex: Exchange; lines: string[]; sym: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'exchange-inv-'));
  dirs.push(dataDir);
  const lines: string[] = [];
  const ex = await Exchange.open({ dataDir, seed: 3, indexPrice: 1000, log: (l) => lines.push(l), ...opts });
  open.push(ex);
  const inst = ex.engine.instruments();
  const sym = Object.keys(inst).sort((a, b) => inst[a]!.expiry - inst[b]!.expiry)[0]!;
  return { ex, lines, sym };
}

/** A user with margin (faucet straight to the margin address). */
async function user(ex: Exchange): Promise<string> {
  const rec = await ex.seeUser(identity(generateWif('testnet')).publicKey);
  await ex.faucet(rec.serverAddress, 500_000_000);
  return rec.userid;
}

interface Internals {
  users: Map<string, { positions: Map<string, { quantity: number }> }>;
}

describe('exchange invariant checks', () => {
  it('incremental mode: the full check does not run per command, a violation still goes read-only at once', async () => {
    const { ex, lines, sym } = await exchange({ fullCheckMaxOrders: 0, fullCheckEveryMs: 3_600_000 });
    const [a, b] = [await user(ex), await user(ex)];
    expect(ex.invariantStats.incremental).toBe(true);
    await ex.placeOrders(a, [req(a, sym, { price: 1000, quantity: 2 })], { symbol: sym }); // the state is no longer empty
    const fullChecks = ex.invariantStats.fullChecks;
    await ex.placeOrders(b, [req(b, sym, { side: 'sell', price: 1000, quantity: 2 })], { symbol: sym });
    for (let i = 0; i < 5; i++) await ex.placeOrders(a, [req(a, sym, { price: 990 + i })], { symbol: sym });
    expect(ex.engine.positions(a)[sym]!.quantity).toBe(2);
    expect(ex.invariantStats.fullChecks).toBe(fullChecks);
    expect(ex.readonly).toBe(false);

    // corrupt A's position behind the engine's back; A's next command touches A
    (ex.engine as unknown as Internals).users.get(a)!.positions.get(sym)!.quantity += 1;
    const [o] = await ex.placeOrders(a, [req(a, sym, { price: 989 })], { symbol: sym });
    expect(o!.status).toBe('open'); // applied and journaled, then the check failed
    expect(ex.readonly).toBe(true);
    expect(ex.readonlyReason).toMatch(/invariants broken after place: .*positions sum to 1, not 0/);
    expect(lines.join('\n')).toMatch(/covered by stops for 2/);
    await expect(ex.placeOrders(b, [req(b, sym, { price: 980 })], { symbol: sym })).rejects.toMatchObject({ status: 503 });
  });

  it('small state: the engine full check runs after the command', async () => {
    const { ex, sym } = await exchange(); // default: full check while at most 256 open orders
    const a = await user(ex);
    const before = ex.invariantStats.fullChecks;
    await ex.placeOrders(a, [req(a, sym, { price: 999 })], { symbol: sym });
    expect(ex.invariantStats.fullChecks).toBe(before + 1);
    ex.engine.checkInvariants = () => ['forced failure'];
    await ex.placeOrders(a, [req(a, sym, { price: 998 })], { symbol: sym });
    expect(ex.readonly).toBe(true);
    expect(ex.readonlyReason).toMatch(/forced failure/);
  });

  it('large state: the periodic full check catches what only it can see', async () => {
    const { ex, sym } = await exchange({ fullCheckMaxOrders: 0, fullCheckEveryMs: 200 });
    const a = await user(ex);
    await new Promise((r) => setTimeout(r, 250));
    await ex.placeOrders(a, [req(a, sym, { price: 999 })], { symbol: sym }); // the period elapsed: a full check ran
    const checks = ex.invariantStats.fullChecks;
    ex.engine.checkInvariants = () => ['book structure broken (forced)'];
    await ex.placeOrders(a, [req(a, sym, { price: 998 })], { symbol: sym });
    expect(ex.invariantStats.fullChecks).toBe(checks); // within the period: incremental only
    expect(ex.readonly).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    await ex.placeOrders(a, [req(a, sym, { price: 997 })], { symbol: sym });
    expect(ex.invariantStats.fullChecks).toBe(checks + 1);
    expect(ex.readonly).toBe(true);
    expect(ex.readonlyReason).toMatch(/book structure broken/);
  });

  it('a snapshot runs the full check first', async () => {
    const { ex, lines, sym } = await exchange({ fullCheckMaxOrders: 0, fullCheckEveryMs: 3_600_000, snapshotEvery: 1, snapshotSpacing: 0 });
    const a = await user(ex);
    await ex.placeOrders(a, [req(a, sym, { price: 999 })], { symbol: sym }); // past fullCheckMaxOrders: no per-command full check
    const checks = ex.invariantStats.fullChecks;
    ex.engine.checkInvariants = () => ['forced failure seen at snapshot'];
    // the command after which a snapshot is taken (one may still be in flight from the set-up) runs the check
    for (let i = 0; i < 50 && !ex.readonly; i++) {
      await ex.placeOrders(a, [req(a, sym, { price: 990 + i / 10 })], { symbol: sym });
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(lines.join('\n')).toMatch(/invariants broken at snapshot: forced failure seen at snapshot/);
    expect(lines.join('\n')).not.toMatch(/invariants broken after place/);
    expect(ex.invariantStats.fullChecks).toBeGreaterThan(checks);
    expect(ex.readonly).toBe(true);
  });

  it('the incremental sums survive a restart (rebuilt from the replayed state)', async () => {
    const { ex, sym } = await exchange({ fullCheckMaxOrders: 0, fullCheckEveryMs: 3_600_000 });
    const [a, b] = [await user(ex), await user(ex)];
    await ex.placeOrders(a, [req(a, sym, { price: 1000, quantity: 3 })], { symbol: sym });
    await ex.placeOrders(b, [req(b, sym, { side: 'sell', price: 1000, quantity: 3 })], { symbol: sym });
    const dataDir = ex.dataDir;
    await ex.close();
    open.splice(open.indexOf(ex), 1);
    const again = await Exchange.open({ dataDir, seed: 3, indexPrice: 1000, fullCheckMaxOrders: 0, fullCheckEveryMs: 3_600_000 });
    open.push(again);
    expect(again.invariantStats.incremental).toBe(true);
    await again.placeOrders(b, [req(b, sym, { side: 'sell', price: 1001 })], { symbol: sym });
    expect(again.readonly).toBe(false);
    expect(again.engine.positions(b)[sym]!.quantity).toBe(-3);
  });
});

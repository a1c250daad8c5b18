// Incremental check of the exchange invariants of issue "Durability" (positions sum to zero per instrument;
// realized P&L and fees net to zero; every position is covered by its stops), so the server can check them after
// every command in O(what the command touched) instead of O(every open order).
//
// Per (user, instrument) the tracker caches the position's quantity, entryAmount and realized P&L and keeps the
// per-instrument sums of them; a command's touched users (the engine's `account` events: every user whose orders,
// fills, positions or P&L changed) are re-read and the sums adjusted by the difference. Stop cover and the user's
// P&L total are re-verified for touched users only. The engine's full checkInvariants() (book structure, margin
// caches, lots, …) stays the reference: the server runs it while the state is small, periodically and before each
// snapshot, and the tests compare the incremental figures with a rebuild from scratch.
//
// The engine keeps these figures private (it is optimized by its own module owner) and hands them out through
// Engine.invariantView() (live records, read only); the tracker refuses to start (InvariantTracker.attach →
// undefined) when the engine has no such view or it does not have the expected shape, in which case the server
// falls back to the full check.
import type { Engine } from './engine/engine';

interface PositionView {
  instrument: string;
  quantity: number;
  entryAmount: number;
  pnl: number;
}

interface OrderView {
  instrument: string;
  side: 'buy' | 'sell';
  orderType: string;
  status: string;
  quantity: number;
  filled: number;
  cancelled: number;
}

interface UserView {
  userid: string;
  pnl: number;
  positions: Map<string, PositionView>;
  /** the user's open orders (only their count is read) */
  open: { readonly size: number };
  /** open STP orders per symbol (the engine's lots) */
  lots: Map<string, Set<OrderView>>;
}

interface EngineView {
  users: Map<string, UserView>;
  markets: Map<string, { fees: number }>;
  expiredMarkets: Map<string, { fees: number }>;
}

interface Sums {
  quantity: number;
  entryAmount: number;
  pnl: number;
}

const SHAPE_ERROR = 'engine state is not readable by the incremental invariant check';

function viewOf(engine: Engine): EngineView | undefined {
  const get = (engine as Partial<Pick<Engine, 'invariantView'>>).invariantView;
  if (typeof get !== 'function') return undefined;
  const v = get.call(engine) as unknown as Partial<EngineView>;
  if (!(v.users instanceof Map) || !(v.markets instanceof Map) || !(v.expiredMarkets instanceof Map)) return undefined;
  for (const u of v.users.values()) {
    if (!u || typeof u.pnl !== 'number' || !(u.positions instanceof Map) || !(u.lots instanceof Map) || typeof u.open?.size !== 'number') return undefined;
    break;
  }
  return v as EngineView;
}

export class InvariantTracker {
  /** per symbol: Σ over users of the cached position figures */
  private readonly sums = new Map<string, Sums>();
  /** per user, per symbol: the figures last added to `sums` */
  private readonly cached = new Map<string, Map<string, Sums>>();
  /** per user: violations found when the user was last re-read ([] users are not kept) */
  private readonly userErrors = new Map<string, string[]>();

  private constructor(
    readonly engine: Engine,
    private readonly view: EngineView,
  ) {
    this.rebuild();
  }

  /** A tracker for this engine, or undefined when its state cannot be read (then use the full check). */
  static attach(engine: Engine): InvariantTracker | undefined {
    const view = viewOf(engine);
    return view ? new InvariantTracker(engine, view) : undefined;
  }

  /** Recomputes everything from scratch: O(users × (positions + stops)). */
  rebuild(): void {
    this.sums.clear();
    this.cached.clear();
    this.userErrors.clear();
    for (const userid of this.view.users.keys()) this.touch(userid);
  }

  /** Re-reads the users a command touched and adjusts the sums. */
  update(userids: Iterable<string>): void {
    for (const userid of userids) this.touch(userid);
  }

  /** Violations of the exchange invariants as of the last update: O(instruments + users in violation). */
  errors(): string[] {
    const errs: string[] = [];
    const v = this.view;
    if (!(v.markets instanceof Map) || !(v.expiredMarkets instanceof Map) || !(v.users instanceof Map)) return [SHAPE_ERROR];
    const symbols = new Set<string>([...this.sums.keys(), ...v.markets.keys(), ...v.expiredMarkets.keys()]);
    for (const s of symbols) {
      const sum = this.sums.get(s) ?? { quantity: 0, entryAmount: 0, pnl: 0 };
      const fees = v.markets.get(s)?.fees ?? v.expiredMarkets.get(s)?.fees ?? 0;
      if (sum.quantity !== 0) errs.push(`${s}: positions sum to ${sum.quantity}, not 0`);
      if (sum.pnl + fees !== sum.entryAmount) errs.push(`${s}: realized P&L ${sum.pnl} + fees ${fees} != Σ entryAmount ${sum.entryAmount}`);
    }
    for (const list of this.userErrors.values()) errs.push(...list);
    return errs;
  }

  /** Σ open orders over users: O(users). */
  openOrders(): number {
    let n = 0;
    for (const u of this.view.users.values()) n += u.open.size;
    return n;
  }

  /** The per-symbol sums (tests compare them with a rebuild). */
  totals(): Record<string, Sums> {
    const out: Record<string, Sums> = {};
    for (const [s, sum] of this.sums) if (sum.quantity !== 0 || sum.entryAmount !== 0 || sum.pnl !== 0) out[s] = { ...sum };
    return out;
  }

  private touch(userid: string): void {
    const u = this.view.users.get(userid);
    const before = this.cached.get(userid);
    if (before) for (const [s, c] of before) this.add(s, c, -1);
    if (!u) {
      this.cached.delete(userid);
      this.userErrors.delete(userid);
      return;
    }
    const now = new Map<string, Sums>();
    const errs: string[] = [];
    let pnl = 0;
    const cover = new Map<string, number>();
    for (const [s, lots] of u.lots) {
      let c = 0;
      for (const o of lots) {
        if (o.status !== 'open' || o.orderType !== 'STP') continue;
        c += (o.side === 'sell' ? 1 : -1) * (o.quantity - o.filled - o.cancelled);
      }
      if (c !== 0) cover.set(s, c);
    }
    for (const pos of u.positions.values()) {
      const figures = { quantity: pos.quantity, entryAmount: pos.entryAmount, pnl: pos.pnl };
      now.set(pos.instrument, figures);
      this.add(pos.instrument, figures, 1);
      pnl += pos.pnl;
      const c = cover.get(pos.instrument) ?? 0;
      if (c !== pos.quantity) errs.push(`${userid} ${pos.instrument}: position ${pos.quantity} covered by stops for ${c}`);
      cover.delete(pos.instrument);
    }
    for (const [s, c] of cover) errs.push(`${userid} ${s}: stops for ${c} without a position`);
    if (pnl !== u.pnl) errs.push(`${userid}: pnl ${u.pnl} != Σ instrument pnl ${pnl}`);
    if (now.size > 0) this.cached.set(userid, now);
    else this.cached.delete(userid);
    if (errs.length > 0) this.userErrors.set(userid, errs);
    else this.userErrors.delete(userid);
  }

  private add(symbol: string, f: Sums, sign: 1 | -1): void {
    let sum = this.sums.get(symbol);
    if (!sum) {
      sum = { quantity: 0, entryAmount: 0, pnl: 0 };
      this.sums.set(symbol, sum);
    }
    sum.quantity += sign * f.quantity;
    sum.entryAmount += sign * f.entryAmount;
    sum.pnl += sign * f.pnl;
    if (sum.quantity === 0 && sum.entryAmount === 0 && sum.pnl === 0) this.sums.delete(symbol);
  }
}

// The local exchange's matching engine and account book: a pure, deterministic state machine.
// Every command takes `now` (ms) and returns {ok, result|error, events}; uuids come from a seeded generator held
// in the state, so replaying a journal of commands reproduces the same state, ids and events.
// See main/localnet/engine/README.md for the rules this engine implements where the protocol leaves them open.

import {
  bandLimits,
  cushionOf,
  exitSide,
  fee,
  fromTicks,
  maxStopPrice,
  np,
  orderMargin,
  stopTriggerPrice,
  targetPrice as targetPriceOf,
  toTicks,
} from '../../coinpit/instruments';
import type {
  Account,
  Band,
  BookDiff,
  Candle,
  Config,
  Execution,
  Instrument,
  Level,
  Order,
  OrderBook,
  OrderRequest,
  PatchResult,
  Pnl,
  Position,
  Spec,
  Trade,
  InfoEntry,
} from '../../coinpit/types';
import { validateOrderWithInstrument, validateOrder, validateUpdate } from '../../coinpit/validate';
import { applyFill, averagePrice, newUser, positionOf, positionsCommission, settlePosition } from './accounting';
import { BookSide, openQty, type PriceLevel } from './book';
import { BTCUSD_TEMPLATE, DEFAULT_CONFIG, listedExpiries, weeklyInstrument, WEEK_MS } from './listing';
import { Rng } from './rng';
import {
  CommandError,
  execOf,
  execRecord,
  execUuid,
  newExec,
  newOrd,
  isExit,
  type Ord,
  dict,
  type EngineEvent,
  type OrderGroup,
  type InvariantView,
  type Outcome,
  type UserRec,
} from './types';
import { toWire, unpack } from './wire';
import { Ctx, JOB_PLACE, JOB_TRIGGER, type Scratch } from './ctx';
import { newMarket, NO_TRADES, type ExpiredMarket, type Market } from './market';
import { bookDiff } from './diff';
import { exitAt, forgotten, pairUp, setExitAt } from './exits';
import { checkState } from './check';
import { orderRecord, type EngineSnapshot } from './snapshot';
import { walkBook, type Meeting } from './matching';

export interface EngineOptions {
  /** Initial time (ms): the two weeklies listed are the next two Friday 17:15 UTC expiries after it. */
  now: number;
  /** Seed of the uuid generator. Default 1. */
  seed?: number;
  /** Initial index price of every listed instrument (bands need one before MKT orders can trade). */
  index?: number;
  config?: Partial<Config>;
  /** Overrides of the BTCUSD instrument template (commission, reward, stopcushion, band limits…). */
  instrument?: Partial<typeof BTCUSD_TEMPLATE>;
  /** Closed / cancelled orders kept per user and symbol (older ones are forgotten, with their clientids). Default 2000. */
  historyLimit?: number;
  /** Executions kept per user. Default 10000. */
  executionLimit?: number;
  /** Trades kept per symbol. Default 1000. */
  tradeLimit?: number;
  /** 5-minute candles kept per symbol. Default 1000. */
  candleLimit?: number;
}

export interface UpdateItem {
  uuid: string;
  price: number | 'NONE';
}

export type PatchInput =
  | { op: 'add'; value: OrderRequest[] }
  | { op: 'remove'; value: string[] }
  | { op: 'replace'; value: UpdateItem[] }
  | { op: 'merge'; value: string[] }
  | { op: 'split'; value: string[]; quantity: number };

export interface Settlement {
  symbol: string;
  /** Index price the positions were closed at. */
  price: number;
  /** Unsettled realized P&L per user in this instrument, net of fees (sat, > 0 = user receives). */
  transfers: Record<string, number>;
  /** Fees the exchange collected in this instrument (sat). Σ transfers + fees = 0. */
  fees: number;
}

export interface ExpireResult {
  expired: string[];
  listed: string[];
  settlements: Settlement[];
}

/** A validated new order of a create batch. */
interface NewPlan {
  req: OrderRequest;
  m: Market;
  perQty: number;
  clientid: string;
}

/** One request of a create batch: an existing order (known clientid), a repeat inside the batch, or new. */
type Plan = { existing: Ord } | { dup: number } | NewPlan;

const PAGE = 100;
const MAX_QUANTITY = 1_000_000;
const MAX_PRICE = 10_000_000;

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string' && x.length > 0;

function fail(status: number, message: string): never {
  throw new CommandError(status, message);
}

/** A validation step's failure as a command rejection: any non-command error becomes a 422 with its message. */
function asCommandError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  return new CommandError(422, err instanceof Error ? err.message : String(err));
}

/** Entry order types, in the order entryMarginPerQty's memo slots use. */
const ENTRY_TYPES = ['LMT', 'MKT', 'SLM', 'STM'];

export class Engine {
  private rng: Rng;
  private readonly cfg: Config;
  private readonly template: typeof BTCUSD_TEMPLATE;
  private readonly historyLimit: number;
  private readonly executionLimit: number;
  private readonly tradeLimit: number;
  private readonly candleLimit: number;
  private readonly markets = new Map<string, Market>();
  private readonly expiredMarkets = new Map<string, ExpiredMarket>();
  private readonly bandMap: Record<string, Band> = {};
  private readonly users = new Map<string, UserRec>();
  private seq = 0;
  private prio = 0;
  private lastMicros = 0;
  private lastIndex: number | undefined;
  /** Scratch of the running command and the command counter its marks use (not state). */
  private readonly ctx = new Ctx();
  private epoch = 0;
  /** computeMargin's results (min-cross, max-cross). */
  private mMin = 0;
  private mMax = 0;
  /** Scratch for sideDiff's sorted ticks. */
  private readonly ticks: number[] = [];
  /** The market of the matching walk under way (see match), and the engine's side of the walk. */
  private walkMarket: Market | null = null;
  private readonly meeting: Meeting<Ord> = { meet: (taker, maker, tick) => this.meet(taker, maker, tick) };
  private readonly instLookup = (symbol: string): Instrument | undefined => this.instOf(symbol);

  constructor(opts: EngineOptions) {
    if (!opts || !isNum(opts.now)) throw new Error('Engine needs options with a numeric `now`');
    this.rng = new Rng(opts.seed ?? 1);
    this.cfg = { ...DEFAULT_CONFIG, ...(opts.config ?? {}) };
    this.template = { ...BTCUSD_TEMPLATE, ...(opts.instrument ?? {}) };
    this.historyLimit = opts.historyLimit ?? 2000;
    this.executionLimit = opts.executionLimit ?? 10000;
    this.tradeLimit = opts.tradeLimit ?? 1000;
    this.candleLimit = opts.candleLimit ?? 1000;
    for (const expiry of listedExpiries(opts.now)) this.list(weeklyInstrument(expiry, this.template));
    if (opts.index !== undefined) {
      this.lastIndex = opts.index;
      for (const m of this.markets.values()) this.setBand(m, opts.index);
    }
  }

  // =================================================================== commands

  /** Sets a user's margin-address balance (sat) as read from the chain. */
  setMarginBalance(now: number, userid: string, sat: number): Outcome<{ accountMargin: number }> {
    return this.run(now, undefined, userid, (ctx) => {
      if (!isStr(userid)) fail(422, 'userid is missing');
      if (!Number.isSafeInteger(sat) || sat < 0) fail(422, `Invalid margin balance ${String(sat)}`);
      const u = this.user(userid);
      u.accountMargin = sat;
      this.markUser(ctx, u);
      return { accountMargin: sat };
    });
  }

  /**
   * New index price: a number for every listed instrument, or {symbol: price}. Moves the bands, fires SLM/STM/STP
   * triggers and uncrosses books whose resting orders met inside the new band.
   */
  setIndex(now: number, prices: number | Record<string, number>): Outcome<Record<string, Band>> {
    return this.run(now, undefined, undefined, (ctx) => {
      const updates: [Market, number][] = [];
      if (typeof prices === 'number') {
        if (!isNum(prices) || prices <= 0) fail(422, `Invalid index price ${String(prices)}`);
        for (const m of this.markets.values()) updates.push([m, prices]);
      } else {
        if (!prices || typeof prices !== 'object') fail(422, 'Index prices expected');
        for (const [symbol, price] of Object.entries(prices)) {
          const m = this.markets.get(symbol);
          if (!m) fail(422, `Unknown instrument ${symbol}`);
          if (!isNum(price) || price <= 0) fail(422, `Invalid index price ${String(price)}`);
          updates.push([m, price]);
        }
      }
      for (const [m, price] of updates) this.check(() => bandLimits(price, m.inst)); // 422 before anything changes
      const bands: Record<string, Band> = {};
      for (const [m, price] of updates) {
        this.setBand(m, price);
        this.lastIndex = price;
        bands[m.inst.symbol] = { ...(m.band as Band) };
      }
      ctx.tail.push({ name: 'priceband', payload: bands });
      this.triggerScan(ctx, updates.map(([m]) => m));
      this.drain(ctx);
      for (const [m] of updates) this.uncross(ctx, m);
      return bands;
    });
  }

  /** Creates orders (POST …/order). A clientid the user already used returns the existing order (§8.17). */
  placeOrders(now: number, userid: string, reqs: OrderRequest[], requestid?: string, symbol?: string): Outcome<Order[]> {
    // (run() without its closure: this is the hottest command)
    const ctx = this.begin(now, requestid);
    let result: Order[];
    try {
      const placed = this.doPlace(ctx, userid, reqs, symbol);
      result = [];
      for (const o of placed) result.push(toWire(o));
      ctx.head.push({ name: 'order_add', userid, payload: { requestid, result } });
    } catch (err) {
      return this.rejected(err, userid, requestid);
    }
    return { ok: true, result, events: this.finish(ctx) };
  }

  /** Changes the price of open orders (PUT …/order): entry limit/trigger prices, STP triggers, TGT prices. */
  updateOrders(now: number, userid: string, items: UpdateItem[], requestid?: string): Outcome<Order[]> {
    return this.run(now, requestid, userid, (ctx) => {
      const updated = this.doUpdate(ctx, userid, items);
      const result = updated.map((o) => toWire(o));
      ctx.head.push({ name: 'order_update', userid, payload: { requestid, result } });
      return result;
    });
  }

  /** Cancels open entry orders and targets (DELETE …/order/:uuid). Stops cannot be cancelled. */
  cancelOrders(now: number, userid: string, uuids: string[], requestid?: string): Outcome<string[]> {
    const ctx = this.begin(now, requestid);
    let result: string[];
    try {
      result = this.doCancel(ctx, userid, uuids);
      ctx.head.push({ name: 'order_del', userid, payload: { requestid, result } });
    } catch (err) {
      return this.rejected(err, userid, requestid);
    }
    return { ok: true, result, events: this.finish(ctx) };
  }

  /** Cancels every open entry order and target of the user (in one symbol when given). */
  cancelAll(now: number, userid: string, symbol?: string, requestid?: string): Outcome<string[]> {
    return this.run(now, requestid, userid, (ctx) => {
      if (symbol !== undefined && !this.markets.has(symbol)) fail(422, `Unknown instrument ${String(symbol)}`);
      const u = this.users.get(userid);
      const victims: Ord[] = [];
      if (u) {
        for (const o of u.open.values()) {
          if (o.orderType === 'STP') continue;
          if (symbol !== undefined && o.instrument !== symbol) continue;
          victims.push(o);
        }
      }
      for (const o of victims) {
        if (o.status === 'open') this.cancelOrder(ctx, this.marketOf(o), o);
        o._reported = ctx.epoch;
      }
      ctx.head.push({ name: 'order_del_all', userid, payload: { requestid } });
      return victims.map((o) => o.uuid);
    });
  }

  /** PATCH ops (§4.4): each op succeeds or fails on its own; failures carry `error`. */
  patch(now: number, userid: string, ops: PatchInput[], requestid?: string): Outcome<PatchResult[]> {
    return this.run(now, requestid, userid, (ctx) => {
      if (!Array.isArray(ops) || ops.length === 0) fail(422, 'PATCH body must be a non-empty array of ops');
      if (ops.length > this.cfg.maxOrdersCreateUpdate) fail(422, `At most ${this.cfg.maxOrdersCreateUpdate} ops per request`);
      const results: PatchResult[] = [];
      for (const op of ops) results.push(this.patchOne(ctx, userid, op));
      ctx.head.push({ name: 'order_patch', userid, payload: { requestid, result: results } });
      return results;
    });
  }

  /**
   * Expires every instrument whose expiry ≤ now: positions settle at the index (indexBySymbol, else the last
   * index), the symbol's orders are cancelled, and weeklies are listed until two are active.
   */
  expire(now: number, indexBySymbol: Record<string, number> = {}): Outcome<ExpireResult> {
    return this.run(now, undefined, undefined, (ctx) => {
      const due = [...this.markets.values()].filter((m) => m.inst.expiry <= now).sort((a, b) => a.inst.expiry - b.inst.expiry);
      const prices = new Map<Market, number>();
      for (const m of due) {
        const p = indexBySymbol[m.inst.symbol] ?? m.band?.price ?? this.lastIndex;
        if (!isNum(p) || p <= 0) fail(422, `No settlement index for ${m.inst.symbol}`);
        prices.set(m, p);
      }
      const settlements: Settlement[] = [];
      for (const m of due) {
        const symbol = m.inst.symbol;
        const price = prices.get(m) as number;
        for (const u of this.users.values()) {
          if (settlePosition(u, m.inst, price) !== 0 || u.positions.has(symbol)) this.markUser(ctx, u);
        }
        for (const u of this.users.values()) {
          const mine = [...u.open.values()].filter((o) => o.instrument === symbol);
          for (const o of mine) if (o.status === 'open') this.cancelOrder(ctx, m, o);
        }
        if (m.bookMark !== ctx.epoch) {
          m.bookMark = ctx.epoch;
          ctx.books.push(m);
        }
        bookDiff(m, this.ticks);
        m.inst = { ...m.inst, status: 'expired' };
        this.markets.delete(symbol);
        delete this.bandMap[symbol];
        this.expiredMarkets.set(symbol, { inst: m.inst, fees: m.fees, settlePrice: price });
        settlements.push(this.settlementOf(symbol));
        this.lastIndex = price;
      }
      const listed: string[] = [];
      for (const expiry of listedExpiries(now)) {
        const inst = weeklyInstrument(expiry, this.template);
        if (this.markets.has(inst.symbol) || this.expiredMarkets.has(inst.symbol)) continue;
        const m = this.list(inst);
        if (this.lastIndex !== undefined) this.setBand(m, this.lastIndex);
        listed.push(inst.symbol);
      }
      if (due.length > 0 || listed.length > 0) {
        ctx.tail.push({ name: 'instruments', payload: this.instruments() });
        const bands: Record<string, Band> = {};
        for (const s of listed) {
          const b = this.bandMap[s];
          if (b) bands[s] = { ...b };
        }
        if (Object.keys(bands).length > 0) ctx.tail.push({ name: 'priceband', payload: bands });
      }
      return { expired: due.map((m) => m.inst.symbol), listed, settlements };
    });
  }

  /**
   * Marks the P&L of an expired instrument as settled on chain (the server moved the coins between margin
   * addresses): each user's pnl drops by its transfer. Returns the transfers applied.
   */
  settlePnl(now: number, symbol: string): Outcome<Settlement> {
    return this.run(now, undefined, undefined, (ctx) => {
      const ex = this.expiredMarkets.get(symbol);
      if (!ex) fail(422, `${String(symbol)} is not an expired instrument`);
      const s = this.settlementOf(symbol);
      for (const u of this.users.values()) {
        const pos = u.positions.get(symbol);
        if (!pos) continue;
        u.pnl -= pos.pnl;
        u.positions.delete(symbol);
        this.markUser(ctx, u);
      }
      ex.fees = 0;
      return s;
    });
  }

  // =================================================================== queries

  config(): Config {
    return structuredClone(this.cfg);
  }

  /** Active instruments by symbol. */
  instruments(): Record<string, Instrument> {
    const out: Record<string, Instrument> = {};
    for (const [s, m] of this.markets) out[s] = { ...m.inst };
    return out;
  }

  /** An active or expired instrument. */
  instrument(symbol: string): Instrument | undefined {
    const inst = this.markets.get(symbol)?.inst ?? this.expiredMarkets.get(symbol)?.inst;
    return inst ? { ...inst } : undefined;
  }

  bands(): Record<string, Band> {
    const out: Record<string, Band> = {};
    for (const [s, b] of Object.entries(this.bandMap)) out[s] = { ...b };
    return out;
  }

  spec(): Record<string, Spec> {
    const out: Record<string, Spec> = {};
    for (const [s, { inst }] of this.markets) {
      out[s] = {
        symbol: s, type: inst.type, contractusdvalue: inst.contractusdvalue, ticksize: inst.ticksize,
        ticksperpoint: inst.ticksperpoint, commission: inst.commission, reward: inst.reward, maxLeverage: inst.maxLeverage,
        bandUpperLimit: inst.bandUpperLimit, bandLowerLimit: inst.bandLowerLimit, expiry: inst.expiry,
      };
    }
    return out;
  }

  /** `GET /all/info`: 24 h volume from the candles and the index. */
  info(now: number): Record<string, InfoEntry> {
    const out: Record<string, InfoEntry> = {};
    for (const [s, m] of this.markets) {
      let qty = 0;
      let sat = 0;
      for (const c of m.candles) {
        if (c.time + 300_000 > now - 86_400_000) {
          qty += c.volume;
          sat += c.btc;
        }
      }
      out[s] = { vol24H: { instrument: s, btc: sat / 1e8, qty }, indexPrice: m.band?.price ?? 0 };
    }
    return out;
  }

  /** Book snapshot, best first, up to `depth` levels a side. */
  orderbook(symbol: string, depth = 50): OrderBook | undefined {
    const m = this.markets.get(symbol);
    if (!m) return undefined;
    const lv = (l: PriceLevel): Level => ({
      price: fromTicks(l.tick, m.inst), numberOfOrders: l.count, totalQuantity: l.total, instrument: symbol,
    });
    const bid = m.bids.bestTick();
    const ask = m.asks.bestTick();
    return {
      bid: bid === null ? null : fromTicks(bid, m.inst),
      ask: ask === null ? null : fromTicks(ask, m.inst),
      buy: m.bids.top(depth).map(lv),
      sell: m.asks.top(depth).map(lv),
    };
  }

  orderbooks(depth = 50): Record<string, OrderBook> {
    const out: Record<string, OrderBook> = {};
    for (const s of this.markets.keys()) out[s] = this.orderbook(s, depth) as OrderBook;
    return out;
  }

  /** Recent trades, newest first. */
  trades(symbol: string, limit = PAGE): Trade[] {
    const m = this.markets.get(symbol);
    if (!m) return [];
    return m.trades.slice(-Math.max(0, limit)).reverse().map((t) => ({ ...t }));
  }

  /** 5-minute candles, oldest first. */
  candles(symbol: string, limit = 1000): Candle[] {
    const m = this.markets.get(symbol);
    if (!m) return [];
    return m.candles.slice(-Math.max(0, limit)).map(({ time, open, high, low, close, volume }) => ({ time, open, high, low, close, volume }));
  }

  /** The user's open orders (in one symbol when given), oldest first. */
  openOrders(userid: string, symbol?: string): Order[] {
    const u = this.users.get(userid);
    if (!u) return [];
    const out: Order[] = [];
    for (const o of u.open.values()) if (symbol === undefined || o.instrument === symbol) out.push(toWire(o));
    return out;
  }

  /** One order by uuid, only if it belongs to `userid` (open or remembered history). */
  order(userid: string, uuid: string): Order | undefined {
    const u = this.users.get(userid);
    const o = u ? this.known(u, uuid) : undefined;
    return o && o.userid === userid ? toWire(o) : undefined;
  }

  /** Filled orders, newest first, strictly after (older than) `after`, 100 a page. */
  closedOrders(userid: string, symbol: string, after?: string): Order[] {
    return this.page(this.users.get(userid)?.closed.get(symbol), after);
  }

  /** Cancelled orders (possibly partly filled), newest first, strictly after `after`, 100 a page. */
  cancelledOrders(userid: string, symbol: string, after?: string): Order[] {
    return this.page(this.users.get(userid)?.cancelled.get(symbol), after);
  }

  /** Executions newest first, strictly after (older than) the execution `after`, 100 a page. */
  executions(userid: string, after?: string): Execution[] {
    const list = this.users.get(userid)?.executions ?? [];
    let end = list.length;
    if (after !== undefined) {
      end = list.findIndex((e) => execUuid(e) === after);
      if (end < 0) return [];
    }
    return list.slice(Math.max(0, end - PAGE), end).reverse().map((e) => execRecord(e));
  }

  positions(userid: string): Record<string, Position> {
    const u = this.users.get(userid);
    const out: Record<string, Position> = {};
    if (!u) return out;
    for (const pos of u.positions.values()) {
      if (pos.quantity === 0) continue;
      const inst = this.instOf(pos.instrument);
      out[pos.instrument] = {
        userid, instrument: pos.instrument, averagePrice: inst ? averagePrice(pos, inst) : 0, quantity: pos.quantity,
        entryAmount: pos.entryAmount, commission: pos.commission,
      };
    }
    return out;
  }

  pnl(userid: string, accountid = ''): Pnl {
    const u = this.users.get(userid);
    return { userid, accountid, pnl: u?.pnl ?? 0, commission: u?.commission ?? 0 };
  }

  /** Available margin (§5.6). "min-cross" is the pre-trade figure. */
  availableMargin(userid: string, mode: 'min-cross' | 'max-cross' = 'min-cross'): number {
    const u = this.users.get(userid);
    return u ? this.available(u, mode) : 0;
  }

  /** Margin that may leave the margin address (§8.8): available in both modes, never below 0. */
  freeMargin(userid: string): number {
    const u = this.users.get(userid);
    if (!u) return 0;
    return Math.max(0, Math.min(this.available(u, 'min-cross'), this.available(u, 'max-cross'), u.accountMargin));
  }

  /** The Account object of §3.3. multisig / accountid come from the chain side. */
  account(userid: string, extra: { multisig?: number; accountid?: string } = {}): Account {
    const u = this.users.get(userid);
    const orders: Record<string, Record<string, Order>> = {};
    for (const s of this.markets.keys()) orders[s] = dict<Order>();
    if (u) {
      for (const o of u.open.values()) {
        const bySymbol = (orders[o.instrument] ??= dict<Order>());
        bySymbol[o.uuid] = toWire(o);
      }
    }
    const margin = u ? this.available(u, 'min-cross') : 0;
    const account: Account = {
      userid,
      accountMargin: u?.accountMargin ?? 0,
      margin,
      displayMargin: margin,
      positions: this.positions(userid),
      pnl: this.pnl(userid, extra.accountid ?? ''),
      orders,
    };
    if (extra.multisig !== undefined) account.multisig = extra.multisig;
    return account;
  }

  /**
   * Read-only view for the server's incremental invariant check (main/localnet/invariants.ts): per user the
   * positions, P&L, open orders (count) and open stops per symbol, and the fees per instrument. Live records:
   * read, never change.
   */
  invariantView(): InvariantView {
    return { users: this.users, markets: this.markets, expiredMarkets: this.expiredMarkets };
  }

  /** Users the engine knows, in first-seen order. */
  userids(): string[] {
    return [...this.users.keys()];
  }

  /** Unsettled P&L of an expired instrument (what settlePnl would apply). */
  pendingSettlement(symbol: string): Settlement | undefined {
    return this.expiredMarkets.has(symbol) ? this.settlementOf(symbol) : undefined;
  }

  // =================================================================== invariants

  /** Exchange invariants; [] when all hold. */
  checkInvariants(): string[] {
    return checkState({
      markets: this.markets,
      expiredMarkets: this.expiredMarkets,
      users: this.users,
      ocoOf: (o) => this.ocoOf(o),
      marginOf: (o) => this.marginOf(o),
      bestInBand: (m, side) => this.bestInBand(m, side),
    });
  }

  // =================================================================== snapshots

  toJSON(): EngineSnapshot {
    const orders: Record<string, unknown>[] = [];
    for (const o of this.knownOrders()) orders.push(orderRecord(o));
    return {
      version: 1,
      rng: this.rng.state(),
      seq: this.seq,
      prio: this.prio,
      lastMicros: this.lastMicros,
      lastIndex: this.lastIndex ?? null,
      config: structuredClone(this.cfg),
      template: structuredClone(this.template),
      limits: { history: this.historyLimit, executions: this.executionLimit, trades: this.tradeLimit, candles: this.candleLimit },
      markets: [...this.markets.values()].map((m) => ({
        inst: { ...m.inst }, band: m.band ? { ...m.band } : null, fees: m.fees,
        trades: m.trades.map((t) => ({ ...t })), candles: m.candles.map((c) => ({ ...c })),
      })),
      expired: [...this.expiredMarkets.values()].map((e) => ({ inst: { ...e.inst }, fees: e.fees, settlePrice: e.settlePrice })),
      users: [...this.users.values()].map((u) => ({
        userid: u.userid, accountMargin: u.accountMargin, pnl: u.pnl, commission: u.commission,
        positions: [...u.positions.values()].map((p) => ({ ...p })),
        open: [...u.open.keys()],
        clientids: [...u.clientids].map(([c, o]) => [c, o.uuid] as [string, string]),
        closed: [...u.closed.entries()].map(([s, l]) => [s, l.map((o) => o.uuid)] as [string, string[]]),
        cancelled: [...u.cancelled.entries()].map(([s, l]) => [s, l.map((o) => o.uuid)] as [string, string[]]),
        executions: u.executions.map((e) => execRecord(e)),
      })),
      orders,
    };
  }

  static fromJSON(snap: EngineSnapshot): Engine {
    if (!snap || snap.version !== 1) throw new Error('Unsupported engine snapshot');
    const e = new Engine({
      now: 0, seed: 1, config: snap.config, instrument: snap.template, historyLimit: snap.limits.history,
      executionLimit: snap.limits.executions, tradeLimit: snap.limits.trades, candleLimit: snap.limits.candles,
    });
    e.markets.clear();
    for (const k of Object.keys(e.bandMap)) delete e.bandMap[k];
    e.rng = new Rng(snap.rng);
    e.seq = snap.seq;
    e.prio = snap.prio;
    e.lastMicros = snap.lastMicros;
    e.lastIndex = snap.lastIndex ?? undefined;
    for (const rec of snap.markets) {
      const m = e.list({ ...rec.inst });
      if (rec.band) e.setBand(m, rec.band.price);
      m.fees = rec.fees;
      m.trades = rec.trades.map((t) => ({ ...t }));
      m.candles = rec.candles.map((c) => ({ ...c }));
    }
    for (const rec of snap.expired) e.expiredMarkets.set(rec.inst.symbol, { inst: { ...rec.inst }, fees: rec.fees, settlePrice: rec.settlePrice });
    const inBook: Ord[] = [];
    const byUuid = new Map<string, Ord>();
    const exitsOf = new Map<Ord, Record<string, string>>();
    for (const rec of snap.orders) {
      const { _book, _exits, ...fields } = structuredClone(rec) as Record<string, unknown> & { _book?: boolean; _exits?: Record<string, string> };
      const o = Object.assign(newOrd(), fields);
      o.entryOrder = dict(o.entryOrder);
      if (_book) inBook.push(o);
      if (_exits) exitsOf.set(o, _exits);
      byUuid.set(o.uuid, o);
    }
    // direct references stand in for uuid lookups; an unknown uuid stays unknown (a forgotten stand-in)
    for (const o of byUuid.values()) if (o.oco !== undefined) o._ocoRef = byUuid.get(o.oco) ?? null;
    for (const [o, exits] of exitsOf) {
      for (const [k, id] of Object.entries(exits)) setExitAt(o, Number(k), byUuid.get(id) ?? forgotten(id));
    }
    for (const ur of snap.users) {
      const u = newUser(ur.userid);
      u.accountMargin = ur.accountMargin;
      u.pnl = ur.pnl;
      u.commission = ur.commission;
      for (const p of ur.positions) u.positions.set(p.instrument, { ...p });
      for (const id of ur.open) {
        const o = byUuid.get(id);
        if (!o) throw new Error(`Snapshot: open order ${id} missing`);
        o._u = u;
        u.open.add(o);
      }
      for (const [c, id] of ur.clientids) u.clientids.set(c, byUuid.get(id) ?? forgotten(id));
      const hist = (list: [string, string[]][], into: Map<string, Ord[]>): void => {
        for (const [s, ids] of list) into.set(s, ids.map((id) => byUuid.get(id)).filter((o): o is Ord => !!o));
      };
      hist(ur.closed, u.closed);
      hist(ur.cancelled, u.cancelled);
      u.executions = ur.executions.map((x) => execOf(x));
      e.users.set(u.userid, u);
    }
    inBook.sort((a, b) => a._prio - b._prio);
    for (const o of inBook) {
      const m = e.markets.get(o.instrument);
      if (!m) throw new Error(`Snapshot: resting order ${o.uuid} on unknown ${o.instrument}`);
      (o.side === 'buy' ? m.bids : m.asks).add(o);
    }
    for (const u of e.users.values()) {
      const stps = [...u.open.values()].filter((o) => o.orderType === 'STP').sort((a, b) => a._seq - b._seq);
      for (const o of stps) e.addLot(u, o);
      for (const o of u.open.values()) {
        const m = e.markets.get(o.instrument);
        if (m && !o._level && !o.triggered && (o.orderType === 'SLM' || o.orderType === 'STM' || o.orderType === 'STP')) m.stops.add(o);
        o._margin = 0;
        o._marginMax = 0;
        e.remargin(o);
      }
    }
    for (const m of e.markets.values()) {
      m.bids.nTouched = 0;
      m.asks.nTouched = 0;
    }
    return e;
  }

  // =================================================================== command plumbing

  private run<T>(now: number, requestid: string | undefined, userid: string | undefined, body: (ctx: Ctx) => T): Outcome<T> {
    const ctx = this.begin(now, requestid);
    let result: T;
    try {
      result = body(ctx);
    } catch (err) {
      return this.rejected(err, userid, requestid);
    }
    return { ok: true, result, events: this.finish(ctx) };
  }

  /** Starts a command: resets the shared scratch under a new epoch. */
  private begin(now: number, requestid: string | undefined): Ctx {
    if (!isNum(now)) throw new Error('`now` must be a number of milliseconds');
    const ctx = this.ctx;
    ctx.reset(now, requestid, ++this.epoch);
    ctx.seq0 = this.seq;
    return ctx;
  }

  /** The outcome of a command that threw: a CommandError becomes {ok: false}; anything else propagates. */
  private rejected(err: unknown, userid: string | undefined, requestid: string | undefined): { ok: false; error: { status: number; message: string }; events: EngineEvent[] } {
    if (!(err instanceof CommandError)) throw err;
    const events: EngineEvent[] = [];
    if (userid !== undefined && isStr(userid)) events.push({ name: 'order_error', userid, payload: { requestid, error: err.message } });
    return { ok: false, error: { status: err.status, message: err.message }, events };
  }

  /** Runs a validation step; any non-command error becomes a 422 with its message. */
  private check<T>(f: () => T): T {
    try {
      return f();
    } catch (err) {
      throw asCommandError(err);
    }
  }

  private finish(ctx: Ctx): EngineEvent[] {
    const epoch = ctx.epoch;
    const events = ctx.out; // collected in a reused list, returned as an exact-size copy
    events.n = 0;
    const head = ctx.head;
    for (let i = 0; i < head.n; i++) events.push(head.a[i] as EngineEvent);
    const groups = ctx.groups;
    groups.n = 0;
    const touched = ctx.touched;
    for (let i = 0; i < touched.n; i++) {
      const o = touched.a[i] as Ord;
      const u = o._u ?? this.users.get(o.userid);
      if (u) this.markUser(ctx, u);
      else if (!this.listed(ctx.users, o.userid)) ctx.users.push(o.userid);
      if (o._reported === epoch) continue;
      let g: OrderGroup | undefined;
      if (u) {
        if (u._gmark === epoch) g = u._group as OrderGroup;
        else {
          // the user's group record is reused from command to command (its lists go out with the events)
          const pooled = u._group;
          if (pooled === null) u._group = g = { userid: o.userid, add: null, update: null, del: null };
          else {
            g = pooled;
            g.add = null;
            g.update = null;
            g.del = null;
          }
          u._gmark = epoch;
          groups.push(g);
        }
      } else {
        for (let j = 0; j < groups.n && g === undefined; j++) if ((groups.a[j] as OrderGroup).userid === o.userid) g = groups.a[j];
        if (!g) groups.push((g = { userid: o.userid, add: null, update: null, del: null }));
      }
      if (o._seq > ctx.seq0) (g.add ??= []).push(toWire(o)); // created in this command
      else if (o.status === 'cancel') (g.del ??= []).push(o.uuid);
      else (g.update ??= []).push(toWire(o));
    }
    for (let i = 0; i < groups.n; i++) {
      const g = groups.a[i] as OrderGroup;
      const userid = g.userid;
      if (g.add) events.push({ name: 'order_add', userid, payload: { result: g.add } });
      if (g.update) events.push({ name: 'order_update', userid, payload: { result: g.update } });
      if (g.del) events.push({ name: 'order_del', userid, payload: { result: g.del } });
    }
    const tail = ctx.tail;
    for (let i = 0; i < tail.n; i++) if ((tail.a[i] as EngineEvent).name === 'priceband') events.push(tail.a[i] as EngineEvent);
    const traded = ctx.traded;
    for (let i = 0; i < traded.n; i++) {
      const m = traded.a[i] as Market;
      events.push({ name: 'trade', payload: m.cmdTrades.reverse() });
      m.cmdTrades = NO_TRADES;
    }
    let diffs: Record<string, BookDiff> | null = null;
    const books = ctx.books;
    for (let i = 0; i < books.n; i++) {
      const s = (books.a[i] as Market).inst.symbol;
      const m = this.markets.get(s);
      if (!m) continue;
      const d = bookDiff(m, this.ticks);
      if (d) (diffs ??= {})[s] = d;
    }
    if (diffs) events.push({ name: 'difforderbook', payload: diffs });
    for (let i = 0; i < tail.n; i++) if ((tail.a[i] as EngineEvent).name !== 'priceband') events.push(tail.a[i] as EngineEvent);
    const users = ctx.users;
    for (let i = 0; i < users.n; i++) events.push({ name: 'account', userid: users.a[i] as string });
    return events.a.slice(0, events.n);
  }

  private listed(list: Scratch<string>, x: string): boolean {
    for (let i = 0; i < list.n; i++) if (list.a[i] === x) return true;
    return false;
  }

  private stamp(ctx: Ctx): number {
    const m = Math.floor(ctx.now) * 1000;
    this.lastMicros = m > this.lastMicros ? m : this.lastMicros + 1;
    return this.lastMicros;
  }

  /** Records that an order (and the book of its market m) changed in this command. */
  private touch(ctx: Ctx, o: Ord, m: Market): void {
    if (o._touch !== ctx.epoch) {
      o._touch = ctx.epoch;
      ctx.touched.push(o);
    }
    if (m.bookMark !== ctx.epoch) {
      m.bookMark = ctx.epoch;
      ctx.books.push(m);
    }
  }

  /** Queues an `account` event for the user (once per command). */
  private markUser(ctx: Ctx, u: UserRec): void {
    if (u._mark !== ctx.epoch) {
      u._mark = ctx.epoch;
      ctx.users.push(u.userid);
    }
  }

  /** The OCO partner of an order while it is known (what a lookup of `o.oco` by uuid finds). */
  private ocoOf(o: Ord): Ord | undefined {
    const p = o._ocoRef;
    return p !== null && !p._gone && o.oco !== undefined && p.uuid === o.oco ? p : undefined;
  }

  /** An order of the user by uuid: open or remembered history. */
  private known(u: UserRec, uuid: string): Ord | undefined {
    const o = u.open.get(uuid);
    if (o) return o;
    for (const lists of [u.closed, u.cancelled]) {
      for (const list of lists.values()) {
        for (let i = list.length - 1; i >= 0; i--) if ((list[i] as Ord).uuid === uuid) return list[i];
      }
    }
    return undefined;
  }

  /** Every known order (open and remembered), in creation order: what snapshots hold. */
  private knownOrders(): Ord[] {
    const all: Ord[] = [];
    const seen = new Set<Ord>();
    const add = (o: Ord): void => {
      if (!o._gone && !seen.has(o)) {
        seen.add(o);
        all.push(o);
      }
    };
    for (const u of this.users.values()) {
      for (const o of u.open.values()) add(o);
      for (const list of u.closed.values()) for (const o of list) add(o);
      for (const list of u.cancelled.values()) for (const o of list) add(o);
    }
    return all.sort((a, b) => a._seq - b._seq);
  }

  /** The owner of an order (the cached record when the order is or was open). */
  private userOf(o: Ord): UserRec {
    return o._u ?? this.user(o.userid);
  }

  private user(userid: string): UserRec {
    let u = this.users.get(userid);
    if (!u) {
      u = newUser(userid);
      this.users.set(userid, u);
    }
    return u;
  }

  private list(inst: Instrument): Market {
    const m = newMarket(inst);
    this.markets.set(inst.symbol, m);
    return m;
  }

  private setBand(m: Market, price: number): void {
    const band = bandLimits(price, m.inst);
    m.band = band;
    m.minT = toTicks(band.min, m.inst);
    m.maxT = toTicks(band.max, m.inst);
    this.bandMap[m.inst.symbol] = band;
  }

  private marketOf(o: Ord): Market {
    const m = this.markets.get(o.instrument);
    if (!m) throw new Error(`No market for open order ${o.uuid}`);
    return m;
  }

  private instOf(symbol: string): Instrument | undefined {
    return this.markets.get(symbol)?.inst ?? this.expiredMarkets.get(symbol)?.inst;
  }

  private settlementOf(symbol: string): Settlement {
    const ex = this.expiredMarkets.get(symbol);
    const transfers: Record<string, number> = {};
    for (const u of this.users.values()) {
      const pos = u.positions.get(symbol);
      if (pos && pos.pnl !== 0) transfers[u.userid] = pos.pnl;
    }
    return { symbol, price: ex?.settlePrice ?? 0, transfers, fees: ex?.fees ?? 0 };
  }

  private page(list: Ord[] | undefined, after?: string): Order[] {
    if (!list) return [];
    let end = list.length;
    if (after !== undefined) {
      end = list.findIndex((o) => o.uuid === after);
      if (end < 0) return [];
    }
    return list.slice(Math.max(0, end - PAGE), end).reverse().map((o) => toWire(o));
  }

  // =================================================================== margin

  /** orderMargin of an open order in both modes, into this.mMin / this.mMax (no tuple per call). */
  private computeMargin(o: Ord): void {
    this.mMin = 0;
    this.mMax = 0;
    if (o.status !== 'open' || o.orderType === 'TGT') return;
    const q = openQty(o);
    if (q <= 0) return;
    if (o.orderType !== 'STP' && o.marginPerQty !== undefined) {
      this.mMin = this.mMax = o.marginPerQty * q;
      return;
    }
    const m = this.markets.get(o.instrument);
    if (!m) return;
    try {
      const mn = orderMargin(o, m.inst, this.bandMap, 'min-cross');
      // the two modes differ only for cross-margin stops
      const mx = o.crossMargin ? orderMargin(o, m.inst, this.bandMap, 'max-cross') : mn;
      this.mMin = mn;
      this.mMax = mx;
    } catch {
      // an unpriceable order holds nothing (0, 0)
    }
  }

  private marginOf(o: Ord): [number, number] {
    this.computeMargin(o);
    return [this.mMin, this.mMax];
  }

  /** Refreshes an order's cached margin and its user's reserved sums. */
  private remargin(o: Ord): void {
    this.computeMargin(o);
    const mn = this.mMin;
    const mx = this.mMax;
    if (mn === o._margin && mx === o._marginMax) {
      // nothing changes; only make sure the user exists, as the lookup below always did
      if (o._u === null && !this.users.has(o.userid)) this.user(o.userid);
      return;
    }
    const u = this.userOf(o);
    u.reserved += mn - o._margin;
    u.reservedMax += mx - o._marginMax;
    o._margin = mn;
    o._marginMax = mx;
  }

  private available(u: UserRec, mode: 'min-cross' | 'max-cross'): number {
    const reserved = mode === 'min-cross' ? u.reserved : u.reservedMax;
    return u.accountMargin - reserved + u.pnl - positionsCommission(u, this.instLookup);
  }

  // =================================================================== place

  private doPlace(ctx: Ctx, userid: string, reqs: OrderRequest[], symbol?: string): Ord[] {
    if (!isStr(userid)) fail(422, 'userid is missing');
    if (!Array.isArray(reqs) || reqs.length === 0) fail(422, 'Expecting a non-empty array of orders');
    if (reqs.length > this.cfg.maxOrdersCreateUpdate) fail(422, `At most ${this.cfg.maxOrdersCreateUpdate} orders per request`);
    const u = this.users.get(userid);
    if (reqs.length === 1) return [this.placeOne(ctx, userid, u, reqs[0] as OrderRequest, symbol)];
    // 1. validate everything and price the margin before any change
    const plans: Plan[] = [];
    let batchClientids: Map<string, number> | undefined; // only for batches
    let needed = 0;
    for (let i = 0; i < reqs.length; i++) {
      const req = reqs[i] as OrderRequest;
      const cid = req && typeof req === 'object' ? (req as { clientid?: unknown }).clientid : undefined;
      if (isStr(cid)) {
        const existing = u?.clientids.get(cid);
        if (existing !== undefined) {
          if (existing._gone) fail(409, `Duplicate clientid ${cid}`);
          plans.push({ existing });
          continue;
        }
        const j = batchClientids?.get(cid);
        if (j !== undefined) {
          plans.push({ dup: j });
          continue;
        }
      }
      let plan: NewPlan;
      try {
        plan = this.planOrder(userid, req, symbol);
      } catch (err) {
        throw asCommandError(err);
      }
      if (reqs.length > 1) (batchClientids ??= new Map()).set(plan.clientid, i);
      needed += plan.perQty * plan.req.quantity;
      plans.push(plan);
    }
    if (needed > 0) {
      const have = u ? this.available(u, 'min-cross') : 0;
      if (have - needed < 0) fail(422, 'Insufficient margin');
    }
    // 2. create and execute in request order
    const out: Ord[] = [];
    const made: Ord[] = [];
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i] as Plan;
      if ('existing' in p) {
        out.push(p.existing);
        continue;
      }
      if ('dup' in p) {
        out.push(made[p.dup] as Ord);
        continue;
      }
      const o = this.createEntry(ctx, userid, p.req, p.m, p.perQty);
      made[i] = o;
      out.push(o);
      this.executeEntry(ctx, p.m, o);
      this.drain(ctx);
    }
    for (const o of out) o._reported = ctx.epoch;
    return out;
  }

  /** doPlace for a batch of one (what nearly every request is), without the batch bookkeeping. */
  private placeOne(ctx: Ctx, userid: string, u: UserRec | undefined, req: OrderRequest, symbol?: string): Ord {
    const cid = req && typeof req === 'object' ? (req as { clientid?: unknown }).clientid : undefined;
    if (u !== undefined && isStr(cid)) {
      const existing = u.clientids.get(cid);
      if (existing !== undefined) {
        if (existing._gone) fail(409, `Duplicate clientid ${cid}`);
        existing._reported = ctx.epoch;
        return existing;
      }
    }
    let plan: NewPlan;
    try {
      plan = this.planOrder(userid, req, symbol);
    } catch (err) {
      throw asCommandError(err);
    }
    const needed = plan.perQty * plan.req.quantity;
    if (needed > 0) {
      const have = u ? this.available(u, 'min-cross') : 0;
      if (have - needed < 0) fail(422, 'Insufficient margin');
    }
    const o = this.createEntry(ctx, userid, plan.req, plan.m, plan.perQty);
    this.executeEntry(ctx, plan.m, o);
    this.drain(ctx);
    o._reported = ctx.epoch;
    return o;
  }

  private planOrder(userid: string, req: OrderRequest, symbol?: string): NewPlan {
    const sym = req && typeof req === 'object' ? (req.instrument ?? symbol) : undefined;
    const known = isStr(sym) ? this.markets.get(sym) : undefined;
    // with a known instrument one pass checks structure and ticks; otherwise report structure first
    const basic = known ? validateOrderWithInstrument(req, known.inst) : validateOrder(req);
    if (!basic.ok) fail(422, basic.error);
    if (req.userid !== userid) fail(422, `userid ${String(req.userid)} does not match the authenticated user`);
    if (!isStr(sym)) fail(422, 'instrument is missing');
    if (symbol !== undefined && req.instrument !== undefined && req.instrument !== symbol) {
      fail(422, `instrument ${req.instrument} does not match ${symbol}`);
    }
    const m = this.markets.get(sym);
    if (!m) fail(422, `Unknown instrument ${sym}`);
    if (m.inst.disabled) fail(422, `${sym} is not trading`);
    if (req.stopPrice === undefined) fail(422, 'stopPrice is missing: every order needs a stop');
    const market = req.orderType === 'MKT' || req.orderType === 'STM';
    const minStop = market ? m.inst.minMarketStop : m.inst.minLimitStop;
    if (req.stopPrice < minStop) fail(422, `stopPrice ${req.stopPrice} should be at least ${minStop}`);
    if (req.quantity > MAX_QUANTITY) fail(422, `quantity ${req.quantity} should be at most ${MAX_QUANTITY}`);
    if (req.price !== undefined && req.price > MAX_PRICE) fail(422, `price ${req.price} should be at most ${MAX_PRICE}`);
    if (req.stopPrice > MAX_PRICE) fail(422, `stopPrice ${req.stopPrice} should be at most ${MAX_PRICE}`);
    if (typeof req.targetPrice === 'number' && req.targetPrice > MAX_PRICE) fail(422, `targetPrice ${req.targetPrice} should be at most ${MAX_PRICE}`);
    if (!m.band) fail(422, `No price band for ${sym} yet`);
    const perQty = this.entryMarginPerQty(m, req.side, req.orderType, req.price, req.stopPrice, req.crossMargin === true, m.inst.stopcushion);
    return { req, m, perQty, clientid: req.clientid };
  }

  /** Margin of one contract of an entry order (§5.6); memoized per market and band, it is a pure function of its inputs. */
  private entryMarginPerQty(m: Market, side: 'buy' | 'sell', orderType: string, price: number | undefined, stopPrice: number | undefined, crossMargin: boolean, cushion: number): number {
    const band = m.band;
    const t = ENTRY_TYPES.indexOf(orderType);
    if (!band || t < 0 || cushion !== m.inst.stopcushion || !isNum(stopPrice) || (price !== undefined && !isNum(price))) {
      return this.entryMarginRaw(m, side, orderType, price, stopPrice, crossMargin, cushion);
    }
    if (m.memoMin !== band.min || m.memo.length === 0) {
      m.memo = Array.from({ length: 16 }, () => new Map<number, Map<number, number>>());
      m.memoMin = band.min;
    }
    const byPrice = m.memo[(side === 'buy' ? 0 : 1) + 2 * t + (crossMargin ? 8 : 0)] as Map<number, Map<number, number>>;
    const pk = price === undefined ? -1 : price;
    let byStop = byPrice.get(pk);
    if (!byStop) {
      if (byPrice.size > 20_000) byPrice.clear();
      byPrice.set(pk, (byStop = new Map()));
    }
    const hit = byStop.get(stopPrice);
    if (hit !== undefined) return hit;
    const v = this.entryMarginRaw(m, side, orderType, price, stopPrice, crossMargin, cushion);
    if (byStop.size > 1000) byStop.clear();
    byStop.set(stopPrice, v);
    return v;
  }

  private entryMarginRaw(m: Market, side: 'buy' | 'sell', orderType: string, price: number | undefined, stopPrice: number | undefined, crossMargin: boolean, cushion: number): number {
    return orderMargin(
      { side, quantity: 1, filled: 0, cancelled: 0, orderType: orderType as Ord['orderType'], price, crossMargin, cushion, stopPrice },
      m.inst,
      this.bandMap,
      'min-cross',
    );
  }

  private createEntry(ctx: Ctx, userid: string, req: OrderRequest, m: Market, perQty: number): Ord {
    const u = this.user(userid);
    const o = newOrd();
    const t = this.stamp(ctx);
    o.uuid = this.rng.uuid();
    o.clientid = req.clientid;
    o.userid = userid;
    o.instrument = m.inst.symbol;
    o.side = req.side;
    o.quantity = req.quantity;
    o.orderType = req.orderType;
    o.price = req.orderType === 'MKT' ? null : (req.price as number);
    if (typeof o.price === 'number') o.normalizedPrice = np(o.price, m.inst);
    o.stopPrice = req.stopPrice;
    o.targetPrice = req.targetPrice ?? 'NONE';
    o.crossMargin = req.crossMargin === true;
    o.cushion = m.inst.stopcushion;
    o.reservedTicks = this.cfg.reservedTicks;
    o.commission = m.inst.commission;
    o.reward = m.inst.reward;
    o.entryTime = o.eventTime = t;
    o.marginPerQty = perQty;
    if (req.postOnly !== undefined) o.postOnly = req.postOnly;
    if (o.orderType === 'SLM' || o.orderType === 'STM') o.triggered = false;
    o._seq = ++this.seq;
    o._u = u;
    u.open.add(o);
    u.clientids.set(req.clientid, o);
    this.touch(ctx, o, m);
    this.remargin(o);
    return o;
  }

  private executeEntry(ctx: Ctx, m: Market, o: Ord): void {
    switch (o.orderType) {
      case 'LMT': {
        const tick = toTicks(o.price as number, m.inst);
        if (o.postOnly && this.wouldMatch(m, o.side, tick)) this.cancelOrder(ctx, m, o);
        else this.placeLimit(ctx, m, o, tick);
        return;
      }
      case 'MKT':
        this.marketOrder(ctx, m, o);
        return;
      default:
        if (this.isTriggered(m, o)) this.trigger(ctx, m, o);
        else m.stops.add(o);
    }
  }

  // =================================================================== matching

  private drain(ctx: Ctx): void {
    const queue = ctx.queue;
    while (ctx.qi < queue.n) {
      const i = ctx.qi++;
      const o = queue.a[i] as Ord;
      if (o.status !== 'open' || openQty(o) <= 0) continue;
      const m = this.markets.get(o.instrument);
      if (!m) continue;
      if (ctx.kinds.a[i] === JOB_PLACE) {
        if (!o._level && typeof o.price === 'number') this.placeLimit(ctx, m, o, toTicks(o.price, m.inst));
      } else if (!o.triggered) {
        this.trigger(ctx, m, o);
      }
    }
    queue.n = 0;
    ctx.kinds.n = 0;
    ctx.qi = 0;
  }

  /** Matches `o` up to limitTick, then rests what is left. */
  private placeLimit(ctx: Ctx, m: Market, o: Ord, tick: number): void {
    this.match(m, o, tick);
    if (o.status === 'open' && openQty(o) > 0) {
      o._tick = tick;
      o._prio = ++this.prio;
      (o.side === 'buy' ? m.bids : m.asks).add(o);
      this.touch(ctx, o, m);
    }
  }

  /** Fills inside the band only; whatever is left is cancelled. */
  private marketOrder(ctx: Ctx, m: Market, o: Ord): void {
    if (m.band) this.match(m, o, o.side === 'buy' ? m.maxT : m.minT);
    if (o.status === 'open' && openQty(o) > 0) this.cancelOrder(ctx, m, o);
  }

  private wouldMatch(m: Market, side: 'buy' | 'sell', tick: number): boolean {
    if (!m.band) return false;
    const best = this.bestInBand(m, side === 'buy' ? m.asks : m.bids);
    if (best === null) return false;
    return side === 'buy' ? best <= tick : best >= tick;
  }

  /** Best level tick of a side inside the band, or null. */
  private bestInBand(m: Market, side: BookSide): number | null {
    if (!m.band) return null;
    const lvl = side.isBuy ? side.bestIn(m.minT, m.maxT) : side.bestIn(-m.maxT, -m.minT);
    return lvl === null ? null : lvl.tick;
  }

  /** Walks the opposite side best first, inside the band and up to limitTick, in price-time priority (in this.ctx). */
  private match(m: Market, taker: Ord, limitTick: number): void {
    if (!m.band) return;
    const outer = this.walkMarket;
    this.walkMarket = m;
    try {
      walkBook(taker.side === 'buy' ? m.asks : m.bids, taker, limitTick, m.minT, m.maxT, this.meeting);
    } finally {
      this.walkMarket = outer;
    }
  }

  /** One meeting of the walk in `match` (the command is this.ctx): self-trade prevention or a fill. */
  private meet(taker: Ord, maker: Ord, tick: number): boolean {
    const ctx = this.ctx;
    const m = this.walkMarket as Market;
    if (maker.userid === taker.userid) return this.selfTrade(ctx, m, taker, maker);
    this.fill(ctx, m, taker, maker, Math.min(openQty(taker), openQty(maker)), tick);
    return taker.status !== 'open';
  }

  /**
   * Self-trade prevention. An incoming entry order is cancelled. An incoming exit (STP/TGT) cancels a resting
   * entry of the same user; two exits of the same user offset each other (both lots shrink, no trade).
   * Returns true when the taker is done.
   */
  private selfTrade(ctx: Ctx, m: Market, taker: Ord, maker: Ord): boolean {
    if (!isExit(taker)) {
      this.cancelOrder(ctx, m, taker);
      return true;
    }
    if (!isExit(maker)) {
      this.cancelOrder(ctx, m, maker);
      return false;
    }
    const d = Math.min(openQty(taker), openQty(maker));
    this.reducePair(ctx, m, maker, d);
    this.reducePair(ctx, m, taker, d);
    return taker.status !== 'open' || openQty(taker) <= 0;
  }

  private fill(ctx: Ctx, m: Market, taker: Ord, maker: Ord, qty: number, tick: number): void {
    const inst = m.inst;
    const price = fromTicks(tick, inst);
    const book = maker.side === 'buy' ? m.bids : m.asks;
    const openMaker = openQty(maker);
    const openTaker = openQty(taker);
    book.fillResting(maker, qty);
    taker.filled += qty;
    const t = this.stamp(ctx);
    const tpp = inst.ticksperpoint;
    maker._fillTicks += qty * tick;
    maker.averagePrice = Math.round((maker._fillTicks / maker.filled / tpp) * 1e4) / 1e4;
    maker.eventTime = t;
    taker._fillTicks += qty * tick;
    taker.averagePrice = Math.round((taker._fillTicks / taker.filled / tpp) * 1e4) / 1e4;
    taker.eventTime = t;
    const takerFee = fee('commission', qty, price, inst);
    const makerFee = fee('reward', qty, price, inst);
    m.fees += takerFee + makerFee;
    this.book(ctx, taker, inst, qty, price, takerFee, 'taker');
    this.book(ctx, maker, inst, qty, price, makerFee, 'maker');
    const uuid = this.rng.uuid();
    const symbol = inst.symbol;
    const side = taker.side;
    const now = ctx.now;
    m.trades.push({ uuid, instrument: symbol, price, quantity: qty, side, time: now });
    if (m.trades.length > this.tradeLimit * 2) m.trades.splice(0, m.trades.length - this.tradeLimit);
    if (m.tradeMark !== ctx.epoch) {
      m.tradeMark = ctx.epoch;
      m.cmdTrades = [];
      ctx.traded.push(m);
    }
    m.cmdTrades.push({ uuid, instrument: symbol, price, quantity: qty, side, time: now });
    this.candle(m, now, price, qty);
    this.afterFill(ctx, m, maker, qty, tick, openMaker);
    this.afterFill(ctx, m, taker, qty, tick, openTaker);
  }

  private book(ctx: Ctx, o: Ord, inst: Instrument, qty: number, price: number, feeSat: number, liquidity: 'maker' | 'taker'): void {
    const u = this.userOf(o);
    applyFill(u, inst, o.side === 'buy' ? qty : -qty, price, feeSat);
    const r = this.rng;
    const d1 = r.i32(); // the four draws of the execution's uuid, in order (see Exec)
    const d2 = r.i32();
    const d3 = r.i32();
    const d4 = r.i32();
    u.executions.push(newExec(d1, d2, d3, d4, null, o.uuid, inst.symbol, o.side, qty, price, liquidity, feeSat, ctx.now));
    if (u.executions.length > this.executionLimit * 2) u.executions.splice(0, u.executions.length - this.executionLimit);
    this.markUser(ctx, u);
  }

  private candle(m: Market, now: number, price: number, qty: number): void {
    const bucket = Math.floor(now / 300_000) * 300_000;
    const last = m.candles[m.candles.length - 1];
    const sat = qty * np(price, m.inst);
    if (last && last.time === bucket) {
      if (price > last.high) last.high = price;
      if (price < last.low) last.low = price;
      last.close = price;
      last.volume += qty;
      last.btc += sat;
    } else {
      m.candles.push({ time: bucket, open: price, high: price, low: price, close: price, volume: qty, btc: sat });
      if (m.candles.length > this.candleLimit * 2) m.candles.splice(0, m.candles.length - this.candleLimit);
    }
  }

  /** After a fill of qty: entries get exits, exits shrink their OCO partner, done orders close. */
  private afterFill(ctx: Ctx, m: Market, o: Ord, qty: number, tick: number, openBefore: number): void {
    this.touch(ctx, o, m);
    if (isExit(o)) {
      const ea = o.entryAmount ?? 0;
      o.entryAmount = ea - (qty === openBefore ? ea : Math.round((ea * qty) / openBefore));
      const partner = this.ocoOf(o);
      if (partner) this.reduceExit(ctx, m, partner, qty);
    } else {
      // exits always cover the net position: a fill against it closes lots (oldest first), the rest opens one
      const closed = this.closeLots(ctx, m, o, qty);
      if (qty > closed) this.addExit(ctx, m, o, qty - closed, tick);
    }
    this.remargin(o);
    if (openQty(o) === 0 && o.status === 'open') this.closeOrder(ctx, m, o, 'filled');
  }

  /** Cancels up to qty contracts of the user's exit pairs on the entry's side (they protect the position the
   * entry just reduced), oldest lot first. Returns the quantity closed. */
  private closeLots(ctx: Ctx, m: Market, entry: Ord, qty: number): number {
    const lots = this.userOf(entry).lots.get(entry.instrument);
    if (!lots || lots.size === 0) return 0;
    let left = qty;
    // live iteration: reducePair only removes lots it closes (a Set iterator skips them), it never adds any
    for (const stp of lots) {
      if (left <= 0) break;
      if (stp.side !== entry.side || stp.status !== 'open') continue;
      const d = Math.min(left, openQty(stp));
      this.reducePair(ctx, m, stp, d);
      left -= d;
    }
    return qty - left;
  }

  /** Creates (or extends, for another fill at the same price) the STP/TGT pair of an entry fill (§8.14). */
  private addExit(ctx: Ctx, m: Market, entry: Ord, qty: number, tick: number): void {
    const inst = m.inst;
    const price = fromTicks(tick, inst);
    const amount = qty * np(price, inst);
    const prev = exitAt(entry, tick);
    if (prev && !prev._gone && prev.status === 'open' && !prev.triggered) {
      const tgt = this.ocoOf(prev);
      this.extendExit(ctx, m, prev, entry, qty, amount);
      if (tgt && tgt.status === 'open') this.extendExit(ctx, m, tgt, entry, qty, amount);
      return;
    }
    const side = exitSide(entry.side);
    const stopPoints = entry.stopPrice ?? inst.stopprice;
    const cushion = cushionOf(entry, inst);
    // absurd stops below zero get the lowest price there is
    let trigger: number;
    try {
      trigger = stopTriggerPrice(entry.side, price, stopPoints, inst);
    } catch {
      trigger = fromTicks(1, inst);
    }
    let maxStop: number;
    try {
      maxStop = maxStopPrice(side, trigger, cushion, inst);
    } catch {
      maxStop = fromTicks(1, inst);
    }
    let tgtPrice: number | 'NONE' = 'NONE';
    if (entry.targetPrice !== undefined && entry.targetPrice !== 'NONE') {
      try {
        tgtPrice = targetPriceOf(entry.side, price, entry.targetPrice, inst) as number;
      } catch {
        tgtPrice = fromTicks(1, inst);
      }
    }
    const stp = this.exitOrder(ctx, m, entry, 'STP', side, qty, price, amount);
    const tgt = this.exitOrder(ctx, m, entry, 'TGT', side, qty, price, amount);
    stp.price = trigger;
    stp.normalizedPrice = np(trigger, inst);
    stp.maxStop = maxStop;
    stp.normalizedMaxStop = np(maxStop, inst);
    tgt.price = tgtPrice;
    tgt.normalizedPrice = tgtPrice === 'NONE' ? 'NONE' : np(tgtPrice, inst);
    pairUp(stp, tgt);
    setExitAt(entry, tick, stp);
    this.remargin(stp);
    if (this.isTriggered(m, stp)) ctx.push(JOB_TRIGGER, stp);
    else m.stops.add(stp);
    if (tgtPrice !== 'NONE') ctx.push(JOB_PLACE, tgt);
  }

  /** Another fill of `entry` at the price of an existing exit order x: x grows by qty. */
  private extendExit(ctx: Ctx, m: Market, x: Ord, entry: Ord, qty: number, amount: number): void {
    x.quantity += qty;
    x.entryAmount = (x.entryAmount ?? 0) + amount;
    if (x._single && x._eoKey === entry.uuid) {
      x._eoQty += qty;
      x._ea1 = x.entryAmount; // entryAmounts has one element: it follows entryAmount
    } else {
      unpack(x);
      x.entryOrder[entry.uuid] = (x.entryOrder[entry.uuid] ?? 0) + qty;
      if (x.entryAmounts && x.entryAmounts.length === 1) x.entryAmounts[0] = x.entryAmount;
    }
    x.eventTime = this.stamp(ctx);
    if (x._level) (x.side === 'buy' ? m.bids : m.asks).reduced(x, -qty);
    this.remargin(x);
    this.touch(ctx, x, m);
  }

  private exitOrder(ctx: Ctx, m: Market, entry: Ord, type: 'STP' | 'TGT', side: 'buy' | 'sell', qty: number, price: number, amount: number): Ord {
    const o = newOrd();
    o.uuid = this.rng.uuid();
    o.userid = entry.userid;
    o.instrument = entry.instrument;
    o.side = side;
    o.quantity = qty;
    o.orderType = type;
    o.stopPrice = entry.stopPrice;
    o.targetPrice = entry.targetPrice;
    o.crossMargin = entry.crossMargin;
    o.cushion = entry.cushion;
    o.reservedTicks = entry.reservedTicks;
    o.commission = entry.commission;
    o.reward = entry.reward;
    o.entryTime = o.eventTime = this.stamp(ctx);
    o._single = true; // entryOrder {[entry.uuid]: qty}, entryPrices [price], entryAmounts [amount]
    o._eoKey = entry.uuid;
    o._eoQty = qty;
    o.entryPrice = price;
    o.entryAmount = amount;
    o._ea1 = amount;
    o.normalizedEntryPrice = np(price, m.inst);
    o._seq = ++this.seq;
    const u = entry._u ?? this.user(o.userid);
    o._u = u;
    u.open.add(o);
    if (type === 'STP') this.addLot(u, o);
    this.touch(ctx, o, m);
    return o;
  }

  private addLot(u: UserRec, stp: Ord): void {
    let lots = u.lots.get(stp.instrument);
    if (!lots) u.lots.set(stp.instrument, (lots = new Set()));
    lots.add(stp);
  }

  /** Cancels qty of an exit order (OCO after its partner filled, or an offset), keeping entryAmount per open qty. */
  private reduceExit(ctx: Ctx, m: Market, o: Ord, qty: number): void {
    if (o.status !== 'open') return;
    const open = openQty(o);
    const d = Math.min(qty, open);
    if (d <= 0) return;
    const ea = o.entryAmount ?? 0;
    o.entryAmount = ea - (d === open ? ea : Math.round((ea * d) / open));
    o.cancelled += d;
    o.eventTime = this.stamp(ctx);
    if (o._level) {
      const side = o.side === 'buy' ? m.bids : m.asks;
      side.reduced(o, d);
      if (d === open) side.remove(o);
    }
    this.remargin(o);
    this.touch(ctx, o, m);
    if (openQty(o) === 0) this.closeOrder(ctx, m, o, 'cancel');
  }

  private reducePair(ctx: Ctx, m: Market, o: Ord, qty: number): void {
    const partner = this.ocoOf(o);
    this.reduceExit(ctx, m, o, qty);
    if (partner) this.reduceExit(ctx, m, partner, qty);
  }

  /** Cancels everything still open of an order. */
  private cancelOrder(ctx: Ctx, m: Market, o: Ord): void {
    if (o.status !== 'open') return;
    if (o._level) (o.side === 'buy' ? m.bids : m.asks).remove(o);
    o.cancelled += openQty(o);
    if (isExit(o)) o.entryAmount = 0;
    o.eventTime = this.stamp(ctx);
    if (o.orderType === 'TGT' && o.oco) {
      const stp = this.ocoOf(o);
      if (stp && stp.oco === o.uuid) {
        stp.oco = undefined; // (not `delete`: that would turn the record into a slow dictionary object)
        stp._ocoRef = null;
        stp.eventTime = o.eventTime;
        this.touch(ctx, stp, m);
      }
    }
    this.closeOrder(ctx, m, o, 'cancel');
  }

  /** Moves a finished order from the open set to the history. */
  private closeOrder(ctx: Ctx, m: Market, o: Ord, status: 'filled' | 'cancel'): void {
    if (o._level) (o.side === 'buy' ? m.bids : m.asks).remove(o);
    if (o.orderType === 'STP' || o.orderType === 'SLM' || o.orderType === 'STM') m.stops.delete(o); // only these wait there
    o.status = status;
    const u = this.userOf(o);
    u.open.delete(o);
    if (o.orderType === 'STP') u.lots.get(o.instrument)?.delete(o);
    this.remargin(o);
    const lists = status === 'filled' ? u.closed : u.cancelled;
    let list = lists.get(o.instrument);
    if (!list) lists.set(o.instrument, (list = []));
    list.push(o);
    if (list.length > this.historyLimit * 2) {
      for (const old of list.splice(0, list.length - this.historyLimit)) {
        old._gone = true;
        // the clientid goes with its order: a reuse after that long creates a new order
        if (old.clientid !== undefined && u.clientids.get(old.clientid) === old) u.clientids.delete(old.clientid);
      }
    }
    this.touch(ctx, o, m);
  }

  // =================================================================== triggers

  private isTriggered(m: Market, o: Ord): boolean {
    if (!m.band || typeof o.price !== 'number') return false;
    const idx = m.band.price;
    return o.side === 'buy' ? idx >= o.price : idx <= o.price;
  }

  private triggerScan(ctx: Ctx, markets: Market[]): void {
    const fired: Ord[] = [];
    for (const m of markets) for (const o of m.stops) if (this.isTriggered(m, o)) fired.push(o);
    fired.sort((a, b) => a._seq - b._seq);
    for (const o of fired) ctx.push(JOB_TRIGGER, o);
  }

  /** SLM → limit at its price, STM → market, STP → atomic stop: limit at maxStop, rest stays in the book. */
  private trigger(ctx: Ctx, m: Market, o: Ord): void {
    m.stops.delete(o);
    o.triggered = true;
    o.eventTime = this.stamp(ctx);
    this.touch(ctx, o, m);
    if (o.orderType === 'STM') this.marketOrder(ctx, m, o);
    else if (o.orderType === 'STP') this.placeLimit(ctx, m, o, toTicks(o.maxStop as number, m.inst));
    else this.placeLimit(ctx, m, o, toTicks(o.price as number, m.inst));
  }

  /** After a band move: resting orders that now meet inside the band trade, the younger one taking. */
  private uncross(ctx: Ctx, m: Market): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const bid = this.bestInBand(m, m.bids);
      const ask = this.bestInBand(m, m.asks);
      if (bid === null || ask === null || bid < ask) return;
      const b = (m.bids.levels.get(bid) as PriceLevel).head as Ord;
      const a = (m.asks.levels.get(ask) as PriceLevel).head as Ord;
      const taker = b._prio > a._prio ? b : a;
      (taker.side === 'buy' ? m.bids : m.asks).remove(taker);
      this.touch(ctx, taker, m);
      const tick = taker._tick;
      this.match(m, taker, tick);
      if (taker.status === 'open' && openQty(taker) > 0) (taker.side === 'buy' ? m.bids : m.asks).add(taker);
      this.drain(ctx);
    }
  }

  // =================================================================== update / cancel / patch

  private doUpdate(ctx: Ctx, userid: string, items: UpdateItem[]): Ord[] {
    if (!Array.isArray(items) || items.length === 0) fail(422, 'Expecting a non-empty array of updates');
    if (items.length > this.cfg.maxOrdersCreateUpdate) fail(422, `At most ${this.cfg.maxOrdersCreateUpdate} orders per request`);
    const u = this.users.get(userid);
    const seen = new Set<string>();
    const plans: { o: Ord; m: Market; price: number | 'NONE'; perQty?: number }[] = [];
    let delta = 0;
    for (const item of items) {
      const uuid = item && typeof item === 'object' ? item.uuid : undefined;
      const o = isStr(uuid) ? u?.open.get(uuid) : undefined;
      if (!o || o.userid !== userid) fail(404, `No order found with uuid: ${String(uuid)}`);
      if (seen.has(o.uuid)) fail(422, `Order ${o.uuid} appears twice`);
      seen.add(o.uuid);
      const m = this.marketOf(o);
      const v = validateUpdate(item, o, m.inst);
      if (!v.ok) fail(422, v.error);
      const price = item.price;
      if (price !== 'NONE' && price > MAX_PRICE) fail(422, `price ${price} should be at most ${MAX_PRICE}`);
      if (o.orderType === 'STP' && o.triggered) fail(422, `Stop ${o.uuid} is already triggered`);
      if (o.orderType === 'STM' && o.triggered) fail(422, `Order ${o.uuid} is already triggered`);
      if (o.orderType === 'STP') {
        const side = o.side;
        const maxStop = this.check(() => maxStopPrice(side, price as number, cushionOf(o, m.inst), m.inst));
        const probe = { ...o, price, maxStop, normalizedMaxStop: np(maxStop, m.inst) } as Ord;
        const newMargin = this.check(() => orderMargin(probe, m.inst, this.bandMap, 'min-cross'));
        delta += newMargin - o._margin;
        plans.push({ o, m, price });
      } else if (o.orderType === 'TGT') {
        plans.push({ o, m, price });
      } else {
        const perQty = this.check(() => this.entryMarginPerQty(m, o.side, o.orderType, price as number, o.stopPrice, o.crossMargin, o.cushion));
        delta += perQty * openQty(o) - o._margin;
        plans.push({ o, m, price, perQty });
      }
    }
    if (delta > 0 && u && this.available(u, 'min-cross') - delta < 0) fail(422, 'Insufficient margin');
    for (const p of plans) {
      this.applyUpdate(ctx, p.o, p.m, p.price, p.perQty);
      this.drain(ctx);
      p.o._reported = ctx.epoch;
    }
    return plans.map((p) => p.o);
  }

  private applyUpdate(ctx: Ctx, o: Ord, m: Market, price: number | 'NONE', perQty?: number): void {
    const inst = m.inst;
    o.eventTime = this.stamp(ctx);
    this.touch(ctx, o, m);
    if (o._level) (o.side === 'buy' ? m.bids : m.asks).remove(o);
    if (o.orderType === 'STP') {
      o.price = price as number;
      o.normalizedPrice = np(o.price, inst);
      o.maxStop = maxStopPrice(o.side, o.price, cushionOf(o, inst), inst);
      o.normalizedMaxStop = np(o.maxStop, inst);
      this.remargin(o);
      if (this.isTriggered(m, o)) this.trigger(ctx, m, o);
      return;
    }
    if (o.orderType === 'TGT') {
      o.price = price;
      o.normalizedPrice = price === 'NONE' ? 'NONE' : np(price, inst);
      if (price !== 'NONE') this.placeLimit(ctx, m, o, toTicks(price, inst));
      return;
    }
    o.price = price as number;
    o.normalizedPrice = np(o.price, inst);
    o.marginPerQty = perQty;
    this.remargin(o);
    if (o.orderType === 'LMT' || (o.orderType === 'SLM' && o.triggered)) {
      const tick = toTicks(o.price, inst);
      if (o.postOnly && this.wouldMatch(m, o.side, tick)) this.cancelOrder(ctx, m, o);
      else this.placeLimit(ctx, m, o, tick);
    } else if (this.isTriggered(m, o)) {
      this.trigger(ctx, m, o);
    }
  }

  private doCancel(ctx: Ctx, userid: string, uuids: string[]): string[] {
    if (!Array.isArray(uuids) || uuids.length === 0) fail(422, 'Expecting a non-empty array of uuids');
    const u = this.users.get(userid);
    const victims: Ord[] = [];
    let seen: Set<Ord> | null = null; // repeats: a scan of the few victims, a Set once there are many
    for (const uuid of uuids) {
      const o = isStr(uuid) ? u?.open.get(uuid) : undefined;
      if (!o) fail(404, `No order found with uuid: ${String(uuid)}`);
      if (o.orderType === 'STP') fail(422, `Stop ${o.uuid} cannot be cancelled: every position needs a stop`);
      if (seen === null && victims.length >= 16) seen = new Set(victims);
      if (seen !== null ? seen.has(o) : victims.includes(o)) continue;
      seen?.add(o);
      victims.push(o);
    }
    for (const o of victims) {
      this.cancelOrder(ctx, this.marketOf(o), o);
      o._reported = ctx.epoch;
    }
    return victims.map((o) => o.uuid);
  }

  private patchOne(ctx: Ctx, userid: string, op: PatchInput): PatchResult {
    const name = op && typeof op === 'object' ? (op as { op?: unknown }).op : undefined;
    const empty = (): PatchResult => {
      switch (name) {
        case 'merge':
          return { op: 'merge', response: { removed: [], added: [] } };
        case 'remove':
          return { op: 'remove', response: [] };
        case 'replace':
          return { op: 'replace', response: [] };
        case 'split':
          return { op: 'split', response: [] };
        default:
          return { op: 'add', response: [] };
      }
    };
    try {
      switch (name) {
        case 'add':
          return { op: 'add', response: this.doPlace(ctx, userid, (op as { value: OrderRequest[] }).value).map((o) => toWire(o)) };
        case 'remove':
          return { op: 'remove', response: this.doCancel(ctx, userid, (op as { value: string[] }).value) };
        case 'replace':
          return { op: 'replace', response: this.doUpdate(ctx, userid, (op as { value: UpdateItem[] }).value).map((o) => toWire(o)) };
        case 'merge':
          return { op: 'merge', response: this.doMerge(ctx, userid, (op as { value: string[] }).value) };
        case 'split': {
          const s = op as { value: string[]; quantity: number };
          return { op: 'split', response: this.doSplit(ctx, userid, s.value, s.quantity).map((o) => toWire(o)) };
        }
        default:
          fail(422, `Unknown patch op ${String(name)}`);
      }
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      return { ...empty(), error: err.message } as PatchResult;
    }
  }

  /** Validates a list of STP uuids of one user for merge/split. */
  private stopsOf(userid: string, uuids: unknown): Ord[] {
    if (!Array.isArray(uuids) || uuids.length === 0) fail(422, 'Expecting a non-empty array of stop uuids');
    const u = this.users.get(userid);
    const out: Ord[] = [];
    for (const uuid of uuids) {
      const o = isStr(uuid) ? u?.open.get(uuid) : undefined;
      if (!o) fail(404, `No order found with uuid: ${String(uuid)}`);
      if (o.orderType !== 'STP') fail(422, `Order ${o.uuid} is not a stop (STP)`);
      if (o.triggered) fail(422, `Stop ${o.uuid} is already triggered`);
      if (out.includes(o)) fail(422, `Order ${o.uuid} appears twice`);
      out.push(o);
    }
    return out;
  }

  /** Merges the STP/TGT pairs of several fills into one pair at their average entry (§4.4 merge). */
  private doMerge(ctx: Ctx, userid: string, uuids: string[]): { removed: string[]; added: Order[] } {
    const stps = this.stopsOf(userid, uuids);
    if (stps.length < 2) fail(422, 'merge needs at least two stops');
    if (stps.length > this.cfg.maxPositionsMerge) fail(422, `At most ${this.cfg.maxPositionsMerge} stops per merge`);
    const first = stps[0] as Ord;
    for (const s of stps) {
      if (s.instrument !== first.instrument || s.side !== first.side) fail(422, 'Only stops of one instrument and side can be merged');
    }
    const m = this.marketOf(first);
    const inst = m.inst;
    const qty = stps.reduce((n, s) => n + openQty(s), 0);
    const amount = stps.reduce((n, s) => n + (s.entryAmount ?? 0), 0);
    const entrySide = first.side === 'sell' ? 'buy' : 'sell';
    const avg = this.check(() => {
      const perContract = amount / qty;
      const raw = inst.type === 'quanto' ? perContract : ((inst.contractusdvalue ?? 0) * 1e8) / perContract;
      return fromTicks(Math.max(1, Math.round(raw * inst.ticksperpoint)), inst);
    });
    const stopPoints = first.stopPrice ?? inst.stopprice;
    const trigger = this.check(() => stopTriggerPrice(entrySide, avg, stopPoints, inst));
    const maxStop = this.check(() => maxStopPrice(first.side, trigger, cushionOf(first, inst), inst));
    const tgts = stps.map((s) => this.ocoOf(s)).filter((t): t is Ord => !!t && t.status === 'open');
    const target = first.targetPrice;
    const tgtPrice = tgts.length === 0 || target === undefined || target === 'NONE'
      ? 'NONE'
      : this.check(() => targetPriceOf(entrySide, avg, target, inst) as number);
    const probe = {
      side: first.side, quantity: qty, filled: 0, cancelled: 0, orderType: 'STP' as const, entryAmount: amount,
      entryPrice: avg, crossMargin: first.crossMargin, cushion: first.cushion, maxStop, normalizedMaxStop: np(maxStop, inst),
    };
    const newMargin = this.check(() => orderMargin(probe, inst, this.bandMap, 'min-cross'));
    const u = this.user(userid);
    const oldMargin = stps.reduce((n, s) => n + s._margin, 0);
    if (newMargin > oldMargin && this.available(u, 'min-cross') - (newMargin - oldMargin) < 0) fail(422, 'Insufficient margin');
    // build the merged pair from the first stop's data, then retire the old orders
    const entryOrder = dict<number>();
    const entryPrices: number[] = [];
    const entryAmounts: number[] = [];
    for (const s of stps) {
      unpack(s);
      for (const [k, v] of Object.entries(s.entryOrder)) entryOrder[k] = (entryOrder[k] ?? 0) + v;
      entryPrices.push(...(s.entryPrices ?? (s.entryPrice !== undefined ? [s.entryPrice] : [])));
      entryAmounts.push(s.entryAmount ?? 0);
    }
    const removed: string[] = [];
    for (const s of stps) {
      const t = this.ocoOf(s);
      for (const x of t && t.status === 'open' ? [s, t] : [s]) {
        if (x._level) (x.side === 'buy' ? m.bids : m.asks).remove(x);
        x.cancelled += openQty(x);
        x.entryAmount = 0;
        x.eventTime = this.stamp(ctx);
        this.closeOrder(ctx, m, x, 'cancel');
        removed.push(x.uuid);
        x._reported = ctx.epoch;
      }
    }
    const fake = { ...first, uuid: first.uuid, stopPrice: first.stopPrice, targetPrice: first.targetPrice } as Ord;
    const stp = this.exitOrder(ctx, m, fake, 'STP', first.side, qty, avg, amount);
    const tgt = this.exitOrder(ctx, m, fake, 'TGT', first.side, qty, avg, amount);
    for (const x of [stp, tgt]) {
      x._single = false;
      x.entryOrder = dict(entryOrder);
      x.entryPrices = entryPrices.slice();
      x.entryAmounts = entryAmounts.slice();
      x.normalizedEntryPrice = Math.round(amount / qty);
    }
    stp.price = trigger;
    stp.normalizedPrice = np(trigger, inst);
    stp.maxStop = maxStop;
    stp.normalizedMaxStop = np(maxStop, inst);
    tgt.price = tgtPrice;
    tgt.normalizedPrice = tgtPrice === 'NONE' ? 'NONE' : np(tgtPrice, inst);
    pairUp(stp, tgt);
    this.remargin(stp);
    stp._reported = ctx.epoch;
    tgt._reported = ctx.epoch;
    if (this.isTriggered(m, stp)) ctx.push(JOB_TRIGGER, stp);
    else m.stops.add(stp);
    if (tgtPrice !== 'NONE') ctx.push(JOB_PLACE, tgt);
    this.drain(ctx);
    return { removed, added: [toWire(stp), toWire(tgt)] };
  }

  /** Splits `quantity` contracts off each STP (and its TGT) into a new pair at the same prices (§4.4 split). */
  private doSplit(ctx: Ctx, userid: string, uuids: string[], quantity: number): Ord[] {
    const stps = this.stopsOf(userid, uuids);
    if (!Number.isSafeInteger(quantity) || quantity <= 0) fail(422, `quantity ${String(quantity)} should be a positive integer`);
    for (const s of stps) if (quantity >= openQty(s)) fail(422, `quantity ${quantity} should be less than the open ${openQty(s)} of ${s.uuid}`);
    const out: Ord[] = [];
    for (const s of stps) {
      const m = this.marketOf(s);
      const t = this.ocoOf(s);
      const tgt = t && t.status === 'open' ? t : undefined;
      const open = openQty(s);
      const part = Math.round(((s.entryAmount ?? 0) * quantity) / open);
      const pair: Ord[] = [];
      for (const x of tgt ? [s, tgt] : [s]) {
        unpack(x);
        const n = newOrd();
        Object.assign(n, toWire(x));
        n.uuid = this.rng.uuid();
        n.clientid = undefined;
        n.quantity = quantity;
        n.filled = 0;
        n.cancelled = 0;
        n.averagePrice = 0;
        n.entryAmount = part;
        n.entryAmounts = [part];
        n.entryTime = n.eventTime = this.stamp(ctx);
        n._seq = ++this.seq;
        n.entryOrder = dict<number>();
        for (const [k, v] of Object.entries(x.entryOrder)) n.entryOrder[k] = Math.round((v * quantity) / open);
        x.quantity -= quantity;
        x.entryAmount = (x.entryAmount ?? 0) - part;
        x.eventTime = n.eventTime;
        if (x._level) (x.side === 'buy' ? m.bids : m.asks).reduced(x, quantity);
        this.remargin(x);
        this.touch(ctx, x, m);
        const owner = this.user(userid);
        n._u = owner;
        owner.open.add(n);
        if (n.orderType === 'STP') this.addLot(owner, n);
        this.touch(ctx, n, m);
        pair.push(n);
      }
      const [ns, nt] = pair as [Ord, Ord | undefined];
      if (nt) {
        pairUp(ns, nt);
      } else {
        ns.oco = undefined;
        ns._ocoRef = null;
      }
      this.remargin(ns);
      m.stops.add(ns);
      if (nt && typeof nt.price === 'number') {
        nt._tick = toTicks(nt.price, m.inst);
        nt._prio = ++this.prio;
        (nt.side === 'buy' ? m.bids : m.asks).add(nt);
      }
      out.push(s, ...(tgt ? [tgt] : []), ...pair);
      for (const o of out) o._reported = ctx.epoch;
    }
    return out;
  }
}

export type { EngineSnapshot };
export { WEEK_MS, positionOf };

// The local exchange's core: the matching engine, the simulated chain and the user directory behind one journal.
// Every state change is an Entry applied by apply(), live and at start-up replay alike, so a replay rebuilds
// exactly the state that was acknowledged. Live path: validate → apply in memory → append to the journal (fsync)
// → publish events → reply. Nothing is acknowledged or published before it is durable.
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { apiKeyName, verifyApiKeyAuthorization, type Role } from '../coinpit/auth';
import { isUserid, normalizePublicKey, p2pkhAddress } from '../coinpit/identity';
import type { Account, Config, MarginInfo, Order, OrderRequest, PatchResult, WithdrawTx } from '../coinpit/types';
import { Chain, type BlockEvent, type TxEvent } from './chain/chain';
import { ChainError } from './chain/errors';
import { Engine, type PatchInput, type UpdateItem } from './engine/engine';
import type { EngineEvent } from './engine/types';
import type { Entry } from './entries';
import { InvariantTracker } from './invariants';
import { Journal, type JournalStats } from './journal';
import { buildMarginOut, buildRecoveryTx, cosignMarginIn, cosignWithdraw, signerOf } from './money';
import { deriveServerKey, loadOrCreateSeed } from './server/keys';
import { HttpError } from './server/router';
import { LOCAL_NETWORK, Users, type StoredApiKey, type UserRecord, type UsersSnapshot } from './server/users';
import { buildSettlementTx } from './settlement';
import { walkNext, walkStart, type WalkState } from './walk';

/** Events the server publishes: the engine's, plus chain and mode events. */
export type ExchangeEvent =
  | EngineEvent
  | { name: 'tx'; txid: string }
  | { name: 'block'; hash: string; height: number }
  | { name: 'readonly'; readonly: boolean };

export interface ExchangeOptions {
  dataDir: string;
  /** fixed seed: server keys, engine uuids and the index walk become reproducible */
  seed?: number;
  /** fixed index price (no random walk); also the walk's start when walking */
  indexPrice?: number;
  /** a snapshot every this many journal entries, default 1000 */
  snapshotEvery?: number;
  /**
   * The engine's full invariant check (O(open orders)) runs after every event-loop turn while there are at most
   * this many open orders (default 256); beyond, the incremental check runs after every command and the full one
   * every `fullCheckEveryMs` (default 10000) and before each snapshot.
   */
  fullCheckMaxOrders?: number;
  fullCheckEveryMs?: number;
  /** after a periodic snapshot that took d ms the next waits at least spacing·d ms (default 50: ≤ ~2 % of the time) */
  snapshotSpacing?: number;
  /** satoshi the faucet pays the exchange fee address at first start, default 5 BTC */
  feeFunding?: number;
  log?: (line: string) => void;
}

interface ExState {
  lastNow: number;
  clockOffset: number;
  readonly: boolean;
  reason?: string;
  walk: WalkState;
  fixedIndex: boolean;
  unsettled: string[];
}

export interface ExchangeSnapshot {
  version: 1;
  engine: ReturnType<Engine['toJSON']>;
  chain: ReturnType<Chain['toJSON']>;
  users: UsersSnapshot;
  ex: ExState;
}

type ChainNote = ({ kind: 'tx' } & TxEvent) | ({ kind: 'block' } & BlockEvent);

/** default: the next periodic snapshot waits at least this many times as long as the last one took */
const SNAPSHOT_SPACING = 50;
const FEE_KEY_LABEL = 'coinpit-desk/exchange-fee-address';
const DEFAULT_INDEX = 1000;
/** reason prefix of the read-only mode a journal entry that fails to replay switches to */
const REPLAY_FAILED = 'journal replay failed:';

export class Exchange {
  readonly dataDir: string;
  private usersRef: Users;
  readonly feeAddress: string;
  private readonly feeKey: Uint8Array;
  private engineRef?: Engine;
  private chainRef?: Chain;
  private st: ExState;
  private chainNotes: ChainNote[] = [];
  private readonly listeners = new Set<(events: ExchangeEvent[]) => void>();
  private lastAppend: Promise<unknown> = Promise.resolve();
  private lastSnapSeq = 0;
  private snapshotting = false;
  private lastSnapshotAt = 0;
  private lastSnapshotMs = 0;
  private snapOrders = 0;
  private readonly snapStats = { snapshots: 0, ms: 0 };
  private closed = false;
  private readonly snapshotEvery: number;
  private readonly log: (line: string) => void;
  private settleTriedAt = -1;
  private checkPending: Promise<string[]> | null = null;
  private checkBatch: Entry['t'][] = [];
  private lastBrokenBatch: Entry['t'][] = [];
  private tracker: InvariantTracker | undefined;
  private lastFullCheckAt = performance.now();
  private fullChecks = 0;
  /** at most fullCheckMaxOrders open orders at the last full check: check fully after every turn */
  private smallState = true;
  private readonly fullCheckEveryMs: number;
  private readonly fullCheckMaxOrders: number;
  private readonly snapshotSpacing: number;
  private expiring = false;
  /** the first journal entry that failed to replay at start-up (unresolved: the exchange stays read-only) */
  private replayFailure: string | undefined;
  /** a `readonly: true` entry for that failure was replayed after it */
  private replayFailureSeen = false;

  private constructor(
    private readonly journal: Journal,
    private readonly seed: Uint8Array,
    private readonly opts: ExchangeOptions,
  ) {
    this.dataDir = opts.dataDir;
    this.usersRef = new Users(seed);
    const fee = deriveServerKey(seed, FEE_KEY_LABEL);
    this.feeKey = fee.privateKey;
    this.feeAddress = p2pkhAddress(fee.publicKey, LOCAL_NETWORK);
    this.snapshotEvery = opts.snapshotEvery ?? 1000;
    this.fullCheckEveryMs = opts.fullCheckEveryMs ?? 10_000;
    this.snapshotSpacing = opts.snapshotSpacing ?? SNAPSHOT_SPACING;
    this.fullCheckMaxOrders = opts.fullCheckMaxOrders ?? 256;
    this.log = opts.log ?? (() => undefined);
    this.st = freshState(opts);
  }

  /** Opens (or creates) the exchange in `dataDir`: takes the journal lock, loads the snapshot, replays. */
  static async open(opts: ExchangeOptions): Promise<Exchange> {
    const journal = await Journal.open(join(opts.dataDir, 'journal'));
    try {
      const seed = loadOrCreateSeed(opts.dataDir, opts.seed);
      const ex = new Exchange(journal, seed, opts);
      const loaded = await journal.load();
      if (loaded.torn) ex.log(`journal: discarded an incomplete last line (${loaded.torn.bytes} bytes, never acknowledged)`);
      if (loaded.snapshot) {
        ex.restore(loaded.snapshot.state as ExchangeSnapshot);
        ex.lastSnapSeq = loaded.snapshot.seq;
      }
      loaded.entries.forEach((entry, i) => ex.replay(entry as Entry, (loaded.snapshot?.seq ?? 0) + i + 1));
      if (ex.replayFailure !== undefined && !ex.engineRef) {
        throw new Error(`journal replay failed before the exchange was initialised: ${ex.replayFailure}`);
      }
      if (!ex.engineRef) {
        const engineSeed = opts.seed ?? randomInt(0, 2 ** 31);
        const index = opts.indexPrice ?? DEFAULT_INDEX;
        await ex.run({ t: 'genesis', now: Date.now(), engineSeed, walkSeed: (engineSeed ^ 0x5bd1e995) >>> 0, index });
      } else {
        ex.st.fixedIndex = opts.indexPrice !== undefined;
        if (ex.replayFailure !== undefined) {
          // an acknowledged command did not replay (its effects are missing): stop taking writes, as for an
          // invariant failure; the journal is kept as it is (no snapshot) until an operator decides
          const reason = `${REPLAY_FAILED} ${ex.replayFailure}`;
          ex.log(`exchange is read-only: ${reason}`);
          // journaled even when already read-only (unless for this very failure), so that an operator's later
          // `readonly: false` is recognised at the next replay as a decision about it
          if (!(ex.st.readonly && ex.replayFailureSeen)) {
            try {
              await ex.run({ t: 'readonly', now: ex.now(), readonly: true, reason });
            } catch {
              ex.goReadonlyInMemory(reason);
            }
          }
          ex.replayFailureSeen = true;
        }
        if (opts.indexPrice !== undefined && ex.st.walk.price !== opts.indexPrice && !ex.st.readonly) {
          await ex.setIndex(opts.indexPrice);
        }
        const errs = ex.fullCheck();
        if (errs.length > 0) {
          const reason = `invariants fail after replay: ${errs.slice(0, 5).join('; ')}`;
          if (!ex.st.readonly) ex.log(`exchange is read-only: ${reason}`);
          await ex.enterReadonly(reason);
        }
      }
      // the exchange fee address pays settlement miner fees: funded once, at first start
      if (ex.chain.addressTxs(ex.feeAddress).length === 0 && !ex.readonly) {
        await ex.run({ t: 'faucet', now: ex.now(), address: ex.feeAddress, amount: opts.feeFunding ?? 500_000_000 });
      }
      ex.log(`exchange: ${loaded.entries.length} journal entries replayed${loaded.snapshot ? ` after snapshot ${loaded.snapshot.seq}` : ''}`);
      return ex;
    } catch (err) {
      await journal.close().catch(() => undefined);
      throw err;
    }
  }

  get engine(): Engine {
    if (!this.engineRef) throw new Error('exchange is not initialised');
    return this.engineRef;
  }

  get chain(): Chain {
    if (!this.chainRef) throw new Error('exchange is not initialised');
    return this.chainRef;
  }

  get users(): Users {
    return this.usersRef;
  }

  get readonly(): boolean {
    return this.st.readonly;
  }

  get readonlyReason(): string | undefined {
    return this.st.reason;
  }

  /** How the invariants are being checked: incremental tracker in use, full checks run so far. */
  get invariantStats(): { incremental: boolean; fullChecks: number } {
    return { incremental: this.tracker !== undefined, fullChecks: this.fullChecks };
  }

  /** Periodic snapshots taken and the synchronous time spent in them (check, capture, serialization). */
  get snapshotStats(): { snapshots: number; ms: number } {
    return { ...this.snapStats };
  }

  /** Runs `hook` just before each journal batch is written (Journal.beforeWrite); a throw fails the journal. */
  beforeJournalWrite(hook: () => void): void {
    this.journal.beforeWrite = hook;
  }

  /** Group-commit figures of the journal (entries, write+fsync rounds, time in them). */
  get journalStats(): JournalStats {
    return this.journal.stats;
  }

  get indexIsFixed(): boolean {
    return this.st.fixedIndex;
  }

  /** The market clock (ms): wall time plus the journaled clock advances, never going backwards. */
  now(): number {
    return Math.max(this.st.lastNow, Date.now() + this.st.clockOffset);
  }

  config(): Config {
    return this.engine.config();
  }

  /** Subscribes to published (durable) events. */
  onEvents(listener: (events: ExchangeEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every entry appended so far is durable (reads wait on it, so they never show undurable state). */
  settled(): Promise<void> {
    return this.lastAppend.then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * A read that never shows state that is not durable yet: `compute` runs now (on the state as of this moment), and
   * its result (or error) is handed out once every entry applied so far is durable. Synchronous, with no wait at
   * all, when the journal has nothing pending. Later commands do not delay it.
   */
  durableRead<T>(compute: () => T): T | Promise<T> {
    let value: T;
    try {
      value = compute();
    } catch (err) {
      if (this.journal.idle) throw err;
      return this.settled().then(() => {
        throw err;
      });
    }
    if (this.journal.idle) return value;
    return this.settled().then(() => value);
  }

  // =================================================================== users and keys

  /** Key exchange (§2.1): the user's record, journaled the first time the key is seen. */
  async seeUser(publicKey: unknown): Promise<UserRecord> {
    const pub = checkPublicKey(publicKey);
    const known = this.users.get(p2pkhAddress(pub, LOCAL_NETWORK));
    if (known) return known;
    await this.run({ t: 'user', now: this.now(), pub });
    return this.users.get(p2pkhAddress(pub, LOCAL_NETWORK))!;
  }

  async register(publicKey: string): Promise<UserRecord> {
    const pub = checkPublicKey(publicKey);
    const userid = p2pkhAddress(pub, LOCAL_NETWORK);
    if (!this.users.isRegistered(userid)) await this.run({ t: 'register', now: this.now(), pub });
    return this.users.get(userid)!;
  }

  /** §8.7 registration: publicKey hashes to userid and `authorization` is its signature over the key. */
  async addApiKey(body: unknown): Promise<StoredApiKey> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(422, 'Expecting {name, role, apiPublicKey, userid, publicKey, authorization}');
    const b = body as Record<string, unknown>;
    const { name, role, apiPublicKey, userid, publicKey, authorization } = b;
    if (role !== 'trade' && role !== 'read') throw new HttpError(422, 'role must be "trade" or "read"');
    if (typeof apiPublicKey !== 'string' || !/^[0-9a-fA-F]{64}$/.test(apiPublicKey)) throw new HttpError(422, 'apiPublicKey must be 64 hex characters');
    if (typeof name !== 'string' || name !== apiKeyName(apiPublicKey)) throw new HttpError(422, 'name must be the first 16 hex characters of apiPublicKey');
    if (!isUserid(userid)) throw new HttpError(422, 'userid must be a P2PKH address');
    const pub = checkPublicKey(publicKey);
    if (p2pkhAddress(pub, LOCAL_NETWORK) !== userid) throw new HttpError(422, 'publicKey does not hash to userid');
    if (typeof authorization !== 'string') throw new HttpError(422, 'authorization is missing');
    const fields = { name, role: role as Role, apiPublicKey: apiPublicKey.toLowerCase(), userid };
    if (!verifyApiKeyAuthorization({ ...fields, publicKey: pub, authorization })) {
      throw new HttpError(401, 'Authentication failed. API key authorization does not verify');
    }
    const existing = this.users.anyApiKey(userid, name);
    if (existing?.revokedAt !== undefined) throw new HttpError(409, `API key ${name} was revoked and cannot be registered again`);
    if (existing && existing.apiPublicKey === fields.apiPublicKey && existing.role === fields.role) return existing;
    if (existing) throw new HttpError(409, `API key ${name} is already registered`);
    await this.run({ t: 'apikey', now: this.now(), key: { ...fields, publicKey: pub, authorization } });
    return this.users.anyApiKey(userid, name)!;
  }

  async revokeApiKey(userid: string, name: string): Promise<void> {
    if (!this.users.apiKey(userid, name)) throw new HttpError(404, `No active API key ${name}`);
    await this.run({ t: 'revoke', now: this.now(), userid, name });
  }

  // =================================================================== orders

  placeOrders(userid: string, orders: unknown, opts: { requestid?: string; symbol?: string } = {}): Promise<Order[]> {
    return this.run({ t: 'place', now: this.now(), userid, orders, ...(opts.symbol !== undefined ? { symbol: opts.symbol } : {}) }, opts.requestid);
  }

  updateOrders(userid: string, items: unknown, requestid?: string): Promise<Order[]> {
    return this.run({ t: 'update', now: this.now(), userid, items }, requestid);
  }

  cancelOrders(userid: string, uuids: unknown, requestid?: string): Promise<string[]> {
    return this.run({ t: 'cancel', now: this.now(), userid, uuids }, requestid);
  }

  cancelAll(userid: string, symbol?: string, requestid?: string): Promise<string[]> {
    return this.run({ t: 'cancelAll', now: this.now(), userid, ...(symbol !== undefined ? { symbol } : {}) }, requestid);
  }

  patchOrders(userid: string, ops: unknown, requestid?: string): Promise<PatchResult[]> {
    return this.run({ t: 'patch', now: this.now(), userid, ops }, requestid);
  }

  // =================================================================== market and chain

  setIndex(prices: number | Record<string, number>): Promise<unknown> {
    return this.run({ t: 'index', now: this.now(), prices });
  }

  /** One step of the seeded random walk (no-op with a fixed index). */
  async walkIndex(): Promise<void> {
    if (this.st.fixedIndex || this.st.readonly) return;
    const price = walkNext(this.st.walk);
    await this.run({ t: 'index', now: this.now(), prices: price, walk: this.st.walk.step + 1 });
  }

  /** Expires due instruments (settling on chain) and retries unsettled ones after a chain change. */
  async expireDue(): Promise<void> {
    if (this.st.readonly || this.expiring) return;
    this.expiring = true;
    try {
      await this.expireDueOnce();
    } finally {
      this.expiring = false;
    }
  }

  private async expireDueOnce(): Promise<void> {
    const now = this.now();
    const due = Object.values(this.engine.instruments()).some((i) => i.expiry <= now);
    if (due) await this.run({ t: 'expire', now });
    const tip = this.chain.tipHeight();
    for (const symbol of [...this.st.unsettled]) {
      if (this.settleTriedAt === tip) break;
      try {
        await this.run({ t: 'settle', now: this.now(), symbol });
      } catch (err) {
        this.log(`settlement of ${symbol} still pending: ${errorText(err)}`);
      }
    }
    if (this.st.unsettled.length > 0) this.settleTriedAt = tip;
  }

  get unsettled(): string[] {
    return this.st.unsettled.slice();
  }

  mine(blocks: number): Promise<string[]> {
    return this.run({ t: 'mine', now: this.now(), blocks });
  }

  faucet(address: unknown, amount: unknown): Promise<{ txid: string; height: number; blockHash: string }> {
    if (typeof address !== 'string') throw new HttpError(422, 'address must be a string');
    if (typeof amount !== 'number') throw new HttpError(422, 'amount must be a number (satoshi)');
    return this.run({ t: 'faucet', now: this.now(), address, amount });
  }

  /** Moves the market clock forward (tests of expiry), then expires what became due. */
  async advanceClock(advanceMs: unknown): Promise<number> {
    if (typeof advanceMs !== 'number' || !Number.isSafeInteger(advanceMs) || advanceMs <= 0 || advanceMs > 400 * 86_400_000) {
      throw new HttpError(422, 'advanceMs must be a positive integer number of milliseconds (at most 400 days)');
    }
    await this.run({ t: 'clock', now: this.now(), advanceMs });
    await this.expireDue();
    return this.now();
  }

  async setReadonly(readonly: boolean, reason?: string): Promise<void> {
    if (readonly === this.st.readonly) return;
    await this.run({ t: 'readonly', now: this.now(), readonly, ...(reason !== undefined ? { reason } : {}) });
    // writable again by an operator's decision: a replay failure is accepted (replay() sees the same decision)
    if (!readonly && this.replayFailure !== undefined && this.replayFailureSeen) {
      this.log(`the operator made the exchange writable after "${this.replayFailure}"`);
      this.replayFailure = undefined;
      this.replayFailureSeen = false;
    }
    this.log(readonly ? `exchange is read-only${reason ? `: ${reason}` : ''}` : 'exchange is writable again');
  }

  /** A fully signed transaction from outside (Esplora / Insight broadcast). */
  async submitTx(hex: unknown): Promise<string> {
    if (typeof hex !== 'string') throw new ChainError('bad-hex', 'transaction must be a hex string');
    const txid = await this.run<string>({ t: 'tx', now: this.now(), hex: hex.trim().toLowerCase() });
    return txid;
  }

  // =================================================================== money (PROTOCOL §6, §8.8–8.10)

  /**
   * Margin in: co-signs and broadcasts user-signed multisig spends to the margin address. All or nothing: every
   * transaction is checked and co-signed, and the whole batch test-accepted by the chain (inputs unspent, none
   * spent twice within the batch, scripts valid), before the first is broadcast; a refusal changes nothing.
   */
  async marginIn(userid: string, body: unknown): Promise<{ txids: string[] }> {
    const user = this.userOf(userid);
    const txs = marginTxs(body);
    const config = this.config();
    const which = (i: number, message: string): string => (txs.length > 1 ? `Transaction ${i}: ${message}` : message);
    const signed = txs.map((hex, i) => {
      try {
        return cosignMarginIn(this.chain, user, hex, config).toHex();
      } catch (err) {
        if (err instanceof HttpError) throw new HttpError(err.status, which(i, err.message));
        throw err;
      }
    });
    try {
      this.chain.testAccept(signed, this.now());
    } catch (err) {
      if (err instanceof ChainError) throw new HttpError(422, `Transaction refused: ${err.message}`);
      throw err;
    }
    // The broadcasts start in this same synchronous stretch (run() applies before its first await), so no other
    // command can spend these inputs between the test-accept and the last broadcast.
    const txids = await Promise.all(signed.map((hex) => this.broadcast(hex)));
    return { txids };
  }

  /** Margin out (§8.8): `amount` satoshi ('all' = every free satoshi) from the margin address to the multisig. */
  async marginOut(userid: string, amount: number | 'all'): Promise<{ txid: string; amount: number; fee: number }> {
    const user = this.userOf(userid);
    const built = buildMarginOut(this.chain, user, amount, this.engine.freeMargin(userid), this.config());
    const txid = await this.broadcast(built.hex);
    return { txid, amount: built.amount, fee: built.fee };
  }

  /** §8.9 withdrawtx (feePerKB) / recoverytx (recoveryFeePerKB). A read: nothing is broadcast. */
  recoveryTx(userid: string, kind: 'withdraw' | 'recovery'): WithdrawTx {
    const cfg = this.config();
    return buildRecoveryTx(this.chain, this.userOf(userid), kind === 'withdraw' ? cfg.feePerKB : cfg.recoveryFeePerKB, cfg);
  }

  /** §8.10 partial withdraw. */
  async withdraw(userid: string, body: unknown): Promise<{ txid: string }> {
    const hex = body && typeof body === 'object' && !Array.isArray(body) ? (body as { tx?: unknown }).tx : undefined;
    if (typeof hex !== 'string') throw new HttpError(422, 'Expecting {"tx": "<hex>"}');
    const tx = cosignWithdraw(this.chain, this.userOf(userid), hex, this.config());
    return { txid: await this.broadcast(tx.toHex()) };
  }

  private async broadcast(hex: string): Promise<string> {
    try {
      return await this.run<string>({ t: 'tx', now: this.now(), hex });
    } catch (err) {
      if (err instanceof ChainError) throw new HttpError(422, `Transaction refused: ${err.message}`);
      throw err;
    }
  }

  // =================================================================== queries

  userOf(userid: string): UserRecord {
    const user = this.users.get(userid);
    if (!user) throw new HttpError(401, `Unknown user ${userid}`);
    return user;
  }

  account(userid: string): Account {
    const user = this.users.get(userid);
    if (!user) return this.engine.account(userid);
    const b = this.chain.balance(user.accountid);
    return this.engine.account(userid, { multisig: b.confirmed + b.unconfirmed, accountid: user.accountid });
  }

  marginInfo(userid: string): MarginInfo {
    const user = this.userOf(userid);
    const b = this.chain.balance(user.serverAddress);
    return {
      address: user.serverAddress,
      confirmed: b.confirmed,
      unconfirmed: b.unconfirmed,
      balance: b.confirmed + b.unconfirmed,
      available: this.engine.freeMargin(userid),
    };
  }

  // =================================================================== lifecycle

  /** Writes a snapshot now (also done every `snapshotEvery` entries). */
  async snapshot(): Promise<number> {
    await this.settled();
    // keep the journal that failed to replay intact (a snapshot would prune it) until an operator decides
    if (this.replayFailure !== undefined) return this.lastSnapSeq;
    const seq = this.journal.lastSeq;
    if (seq <= this.lastSnapSeq) return this.lastSnapSeq;
    const state = this.capture();
    await this.journal.snapshot(state, seq);
    this.lastSnapSeq = seq;
    return seq;
  }

  /** Flushes, writes a final snapshot and releases the journal. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.settled();
    try {
      if (this.engineRef) await this.snapshot();
    } catch (err) {
      this.log(`final snapshot failed: ${errorText(err)}`);
    }
    await this.journal.close();
  }

  capture(): ExchangeSnapshot {
    return {
      version: 1,
      engine: this.engine.toJSON(),
      chain: this.chain.toJSON(),
      users: this.users.toJSON(),
      ex: structuredClone(this.st),
    };
  }

  // =================================================================== the one apply()

  /**
   * Runs one command live: apply in memory, journal, then publish. A rejected command changes nothing and is
   * not journaled. After it, the engine invariants are checked; a failure switches the exchange to read-only.
   */
  private async run<T>(entry: Entry, requestid?: string): Promise<T> {
    if (this.closed) throw new HttpError(503, 'Exchange is shutting down');
    if (this.st.readonly && entry.t !== 'readonly') throw new HttpError(503, 'Exchange is in read-only mode');
    let out: { result: unknown; events: ExchangeEvent[] };
    try {
      out = this.apply(entry, requestid);
    } catch (err) {
      this.chainNotes = [];
      if (err instanceof HttpError || err instanceof ChainError) throw err;
      // an unexpected failure may have left state half-changed: stop writing; a restart replays the journal
      this.log(`internal error applying ${entry.t}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      this.goReadonlyInMemory(`internal error applying ${entry.t}`);
      throw new HttpError(500, 'Internal error; the exchange switched to read-only mode');
    }
    const append = this.journal.append(entry);
    this.lastAppend = append;
    const verdict = entry.t === 'readonly' ? Promise.resolve([]) : this.invariantVerdict(entry.t, out.events);
    let broken: string[];
    try {
      await append;
      broken = await verdict;
    } catch (err) {
      this.log(`journal append failed: ${errorText(err)}`);
      this.goReadonlyInMemory('journal failure');
      throw new HttpError(503, 'Journal failure; the exchange switched to read-only mode');
    }
    this.publish(out.events);
    if (broken.length > 0 && !this.st.readonly) {
      const what = this.lastBrokenBatch.length > 1 ? `${entry.t} (checked with ${this.lastBrokenBatch.join(', ')})` : entry.t;
      this.log(`invariants broken after ${what}: ${broken.slice(0, 10).join('; ')}`);
      await this.enterReadonly(`invariants broken after ${entry.t}: ${broken.slice(0, 3).join('; ')}`);
    }
    this.maybeSnapshot();
    return out.result as T;
  }

  /**
   * The invariant check covering this command. The exchange invariants (positions sum to zero, P&L and fees net
   * to zero, every position covered by its stops) are checked incrementally right after the command, over the
   * users it touched. The engine's full check runs once per event-loop turn (covering every command applied in it,
   * all journaled in the same group commit) while the state is small, else every `fullCheckEveryMs`; it also
   * cross-checks the incremental sums against a rebuild. No command is acknowledged before its checks ran.
   */
  private invariantVerdict(t: Entry['t'], events: ExchangeEvent[]): Promise<string[]> {
    const tracker = this.invariantTracker();
    let incremental: string[] = [];
    if (tracker) {
      try {
        tracker.update(touchedUsers(events));
        incremental = tracker.errors();
      } catch (err) {
        incremental = [`incremental invariant check threw: ${errorText(err)}`];
      }
    }
    if (incremental.length > 0) this.lastBrokenBatch = [t];
    if (!this.checkPending && !this.fullCheckDue()) return Promise.resolve(incremental);
    this.checkBatch.push(t);
    if (!this.checkPending) {
      this.checkPending = new Promise((resolve) => {
        setImmediate(() => {
          const batch = this.checkBatch;
          this.checkBatch = [];
          this.checkPending = null;
          const errs = this.fullCheck();
          if (errs.length > 0) this.lastBrokenBatch = batch;
          resolve(errs);
        });
      });
    }
    if (incremental.length === 0) return this.checkPending;
    return this.checkPending.then((full) => [...incremental, ...full.filter((e) => !incremental.includes(e))]);
  }

  /** The incremental tracker of the current engine (re-attached when the engine object changes). */
  private invariantTracker(): InvariantTracker | undefined {
    const engine = this.engineRef;
    if (!engine) return undefined;
    if (this.tracker?.engine !== engine) {
      this.tracker = InvariantTracker.attach(engine);
      if (!this.tracker) this.log('invariants: incremental check unavailable, checking fully after every event-loop turn');
    }
    return this.tracker;
  }

  /** No tracker, a small state (as of the last full check) or the period elapsed. */
  private fullCheckDue(): boolean {
    if (!this.invariantTracker() || this.smallState) return true;
    return performance.now() - this.lastFullCheckAt >= this.fullCheckEveryMs;
  }

  /** engine.checkInvariants() plus a cross-check of the incremental sums with a rebuild from scratch. */
  private fullCheck(): string[] {
    this.lastFullCheckAt = performance.now();
    this.fullChecks++;
    let errs: string[];
    try {
      errs = this.engine.checkInvariants();
    } catch (err) {
      errs = [`invariant check threw: ${errorText(err)}`];
    }
    const tracker = this.invariantTracker();
    if (tracker) {
      try {
        this.smallState = tracker.openOrders() <= this.fullCheckMaxOrders;
        const before = JSON.stringify(tracker.totals());
        tracker.rebuild();
        if (JSON.stringify(tracker.totals()) !== before) errs.push('incremental invariant sums drifted from a rebuild (a change was not reported)');
        errs.push(...tracker.errors().filter((e) => !errs.includes(e)));
      } catch (err) {
        errs.push(`incremental invariant rebuild threw: ${errorText(err)}`);
      }
    }
    return errs;
  }

  private async enterReadonly(reason: string): Promise<void> {
    if (this.st.readonly) return;
    try {
      await this.run({ t: 'readonly', now: this.now(), readonly: true, reason });
    } catch {
      this.goReadonlyInMemory(reason);
    }
  }

  private goReadonlyInMemory(reason: string): void {
    if (this.st.readonly) return;
    this.st.readonly = true;
    this.st.reason = reason;
    this.publish([{ name: 'readonly', readonly: true }]);
  }

  /**
   * Applies one journaled entry at start-up. An entry that fails was acknowledged yet cannot be rebuilt: the rest
   * still replays (reads stay possible), but open() then switches to read-only with the first failure as reason.
   * An operator who saw that read-only mode and explicitly made the exchange writable again (a later
   * `readonly: false` entry following the replay-failure one) has accepted the loss: the failure is not raised again.
   */
  private replay(entry: Entry, seq: number): void {
    try {
      this.apply(entry);
    } catch (err) {
      const what = `entry ${seq} (${String((entry as { t?: unknown } | null)?.t)}) failed: ${errorText(err)}`;
      this.log(`replay: ${what}`);
      this.replayFailure ??= what;
      this.replayFailureSeen = false;
    }
    this.chainNotes = [];
    if (entry?.t === 'readonly' && this.replayFailure !== undefined) {
      if (entry.readonly && entry.reason?.startsWith(REPLAY_FAILED)) this.replayFailureSeen = true;
      else if (!entry.readonly && this.replayFailureSeen) {
        this.log(`replay: the operator made the exchange writable after "${this.replayFailure}"; not raising it again`);
        this.replayFailure = undefined;
        this.replayFailureSeen = false;
      }
    }
  }

  /** Applies one entry to the in-memory state; throws HttpError (nothing changed) when the command is refused. */
  private apply(entry: Entry, requestid?: string): { result: unknown; events: ExchangeEvent[] } {
    const now = entry.now;
    if (!Number.isSafeInteger(now) || now < 0) throw new HttpError(422, 'bad entry time');
    const events: ExchangeEvent[] = [];
    let result: unknown;
    switch (entry.t) {
      case 'genesis': {
        if (this.engineRef) throw new HttpError(409, 'already initialised');
        this.engineRef = new Engine({ now, seed: entry.engineSeed, index: entry.index });
        this.attachChain(new Chain({ genesisTime: now }));
        this.st.walk = walkStart(entry.walkSeed, entry.index);
        break;
      }
      case 'user':
        result = this.users.ensure(entry.pub);
        break;
      case 'register': {
        const u = this.users.ensure(entry.pub);
        this.users.markRegistered(u.userid);
        result = u;
        break;
      }
      case 'apikey': {
        const k = entry.key;
        this.users.ensure(k.publicKey);
        this.users.addApiKey({ name: k.name, role: k.role, apiPublicKey: k.apiPublicKey, userid: k.userid, authorization: k.authorization, createdAt: now });
        break;
      }
      case 'revoke':
        if (!this.users.revokeApiKey(entry.userid, entry.name, now)) throw new HttpError(404, `No active API key ${entry.name}`);
        break;
      case 'place':
        result = engineOut(events, this.engine.placeOrders(now, entry.userid, entry.orders as OrderRequest[], requestid, entry.symbol));
        break;
      case 'update':
        result = engineOut(events, this.engine.updateOrders(now, entry.userid, entry.items as UpdateItem[], requestid));
        break;
      case 'cancel':
        result = engineOut(events, this.engine.cancelOrders(now, entry.userid, entry.uuids as string[], requestid));
        break;
      case 'cancelAll':
        result = engineOut(events, this.engine.cancelAll(now, entry.userid, entry.symbol, requestid));
        break;
      case 'patch':
        result = engineOut(events, this.engine.patch(now, entry.userid, entry.ops as PatchInput[], requestid));
        break;
      case 'index': {
        result = engineOut(events, this.engine.setIndex(now, entry.prices));
        if (typeof entry.prices === 'number') this.st.walk.price = entry.prices;
        if (entry.walk !== undefined) this.st.walk.step = entry.walk;
        break;
      }
      case 'expire':
        result = this.applyExpire(entry, events);
        break;
      case 'settle': {
        if (!this.st.unsettled.includes(entry.symbol)) throw new HttpError(422, `${entry.symbol} has nothing to settle`);
        if (entry.tx === undefined) entry.tx = this.settlementHex(entry.symbol);
        this.settleWith(now, entry.symbol, entry.tx, events);
        this.st.unsettled = this.st.unsettled.filter((s) => s !== entry.symbol);
        break;
      }
      case 'tx':
        result = this.chain.submit(entry.hex, now);
        break;
      case 'mine':
        result = this.chain.mine(entry.blocks, now);
        break;
      case 'faucet':
        result = this.chain.faucet(entry.address, entry.amount, now);
        break;
      case 'clock':
        this.st.clockOffset += entry.advanceMs;
        break;
      case 'readonly':
        this.st.readonly = entry.readonly;
        this.st.reason = entry.readonly ? entry.reason : undefined;
        events.push({ name: 'readonly', readonly: entry.readonly });
        break;
      default:
        throw new HttpError(422, `unknown entry type ${(entry as { t?: unknown }).t}`);
    }
    this.st.lastNow = Math.max(this.st.lastNow, now);
    this.afterChain(now, events);
    return { result, events };
  }

  private applyExpire(entry: Extract<Entry, { t: 'expire' }>, events: ExchangeEvent[]): unknown {
    const out = this.engine.expire(entry.now);
    if (!out.ok) throw new HttpError(out.error.status, out.error.message);
    events.push(...out.events);
    const replaying = entry.settled !== undefined;
    const settled: Record<string, string> = entry.settled ?? {};
    const failed: string[] = entry.failed ?? [];
    for (const s of out.result.settlements) {
      const symbol = s.symbol;
      if (replaying) {
        if (failed.includes(symbol)) this.st.unsettled.push(symbol);
        else this.settleWith(entry.now, symbol, settled[symbol] ?? '', events);
        continue;
      }
      try {
        const hex = this.settlementHex(symbol);
        this.settleWith(entry.now, symbol, hex, events);
        settled[symbol] = hex;
      } catch (err) {
        this.log(`settlement of ${symbol} failed, will retry: ${errorText(err)}`);
        failed.push(symbol);
        this.st.unsettled.push(symbol);
      }
    }
    entry.settled = settled;
    entry.failed = failed;
    return out.result;
  }

  /** Hex of the settlement transaction of an expired symbol ('' when no coins move). Throws when unfundable. */
  private settlementHex(symbol: string): string {
    const settlement = this.engine.pendingSettlement(symbol);
    if (!settlement) throw new HttpError(422, `${symbol} is not expired`);
    try {
      const built = buildSettlementTx({
        chain: this.chain,
        settlement,
        party: (userid) => {
          const u = this.users.get(userid);
          return u ? { address: u.serverAddress, signer: signerOf(u.serverPrivateKey) } : undefined;
        },
        feeAddress: this.feeAddress,
        feeSigner: signerOf(this.feeKey),
        feePerKB: this.config().feePerKB,
        minimumFee: this.config().minimumFee,
      });
      return built?.hex ?? '';
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(422, errorText(err));
    }
  }

  private settleWith(now: number, symbol: string, hex: string, events: ExchangeEvent[]): void {
    if (hex !== '') this.chain.submit(hex, now);
    const out = this.engine.settlePnl(now, symbol);
    if (!out.ok) throw new HttpError(out.error.status, out.error.message);
    events.push(...out.events);
  }

  /** Margin balances follow the chain: recompute the users whose margin or multisig address a change touched. */
  private afterChain(now: number, events: ExchangeEvent[]): void {
    if (this.chainNotes.length === 0) return;
    const notes = this.chainNotes;
    this.chainNotes = [];
    const touched = new Set<string>();
    for (const n of notes) {
      for (const a of n.addresses) touched.add(a);
      events.push(n.kind === 'tx' ? { name: 'tx', txid: n.txid } : { name: 'block', hash: n.hash, height: n.height });
    }
    for (const address of touched) {
      const margin = this.users.byMarginAddress(address);
      if (margin) {
        const b = this.chain.balance(address);
        const out = this.engine.setMarginBalance(now, margin.userid, b.confirmed + b.unconfirmed);
        if (out.ok) events.push(...out.events);
      }
      const multisig = this.users.byMultisig(address);
      if (multisig) events.push({ name: 'account', userid: multisig.userid });
    }
  }

  private attachChain(chain: Chain): void {
    this.chainRef = chain;
    chain.onTx((e) => this.chainNotes.push({ kind: 'tx', ...e }));
    chain.onBlock((e) => this.chainNotes.push({ kind: 'block', ...e }));
  }

  private restore(snap: ExchangeSnapshot): void {
    if (!snap || snap.version !== 1) throw new Error('unsupported exchange snapshot');
    this.engineRef = Engine.fromJSON(snap.engine);
    this.attachChain(Chain.fromJSON(snap.chain));
    this.usersRef = Users.fromJSON(this.seed, snap.users);
    this.st = { ...freshState(this.opts), ...snap.ex };
  }

  private publish(events: ExchangeEvent[]): void {
    if (events.length === 0) return;
    for (const l of [...this.listeners]) {
      try {
        l(events);
      } catch (err) {
        this.log(`event listener failed: ${errorText(err)}`);
      }
    }
  }

  /**
   * A snapshot every `snapshotEvery` journal entries, spaced so that snapshot work (full invariant check, capture,
   * serialization: all O(state) and synchronous) takes at most ~2 % of the time: after a snapshot that took d ms
   * the next one waits at least 50·d ms, scaled up by the growth of the book since. Small states snapshot at once;
   * a large book under heavy load does not stall the event loop every few hundred milliseconds. (Replaying the
   * entries of such a gap at start-up costs about as long as the snapshot it saved.)
   */
  private maybeSnapshot(): void {
    if (this.snapshotting || this.closed || this.replayFailure !== undefined || this.journal.lastSeq - this.lastSnapSeq < this.snapshotEvery) return;
    const started = performance.now();
    // the last snapshot's cost, scaled by how much the book grew since (its cost is about proportional)
    const orders = this.tracker?.openOrders() ?? 0;
    const growth = Math.max(1, orders / Math.max(1, this.snapOrders));
    if (started < this.lastSnapshotAt + this.lastSnapshotMs * growth * this.snapshotSpacing) return;
    this.snapshotting = true;
    // a snapshot is also a checkpoint of the full invariant check (it cross-checks the incremental one)
    const broken = this.st.readonly ? [] : this.fullCheck();
    if (broken.length > 0) {
      this.log(`invariants broken at snapshot: ${broken.slice(0, 10).join('; ')}`);
      void this.enterReadonly(`invariants broken at snapshot: ${broken.slice(0, 3).join('; ')}`);
    }
    const seq = this.journal.lastSeq;
    let state: ExchangeSnapshot;
    try {
      state = this.capture();
    } catch (err) {
      this.snapshotting = false;
      this.log(`snapshot capture failed: ${errorText(err)}`);
      return;
    }
    const written = this.journal.snapshot(state, seq); // serializes synchronously, writes asynchronously
    const done = performance.now();
    this.lastSnapshotAt = done;
    this.lastSnapshotMs = done - started;
    this.snapOrders = orders;
    this.snapStats.snapshots++;
    this.snapStats.ms += done - started;
    written
      .then(() => {
        this.lastSnapSeq = Math.max(this.lastSnapSeq, seq);
      })
      .catch((err) => this.log(`snapshot failed: ${errorText(err)}`))
      .finally(() => {
        this.snapshotting = false;
      });
  }
}

/** An engine outcome's result; its events go to `events`; a refusal becomes the HttpError it describes. */
function engineOut<T>(events: ExchangeEvent[], o: { ok: true; result: T; events: EngineEvent[] } | { ok: false; error: { status: number; message: string } }): T {
  if (!o.ok) throw new HttpError(o.error.status, o.error.message);
  for (const ev of o.events) events.push(ev);
  return o.result;
}

/** Users whose account a command changed (the engine reports each with an `account` event). */
function touchedUsers(events: ExchangeEvent[]): Set<string> {
  const out = new Set<string>();
  for (const ev of events) if (ev.name === 'account') out.add(ev.userid);
  return out;
}

function freshState(opts: ExchangeOptions): ExState {
  const index = opts.indexPrice ?? DEFAULT_INDEX;
  return { lastNow: 0, clockOffset: 0, readonly: false, walk: walkStart(0, index), fixedIndex: opts.indexPrice !== undefined, unsettled: [] };
}

function checkPublicKey(publicKey: unknown): string {
  if (typeof publicKey !== 'string') throw new HttpError(422, 'publicKey must be a hex string');
  if (/^04[0-9a-fA-F]{128}$/.test(publicKey)) throw new HttpError(422, 'Uncompressed public keys are not supported');
  try {
    return normalizePublicKey(publicKey, 'public key');
  } catch (err) {
    throw new HttpError(422, errorText(err));
  }
}

/** POST /account/margin body: [{txs:[hex]}] or {txs:[hex]}. */
function marginTxs(body: unknown): string[] {
  const item = Array.isArray(body) ? (body.length === 1 ? body[0] : undefined) : body;
  const txs = item && typeof item === 'object' && !Array.isArray(item) ? (item as { txs?: unknown }).txs : undefined;
  if (!Array.isArray(txs) || txs.length === 0 || txs.length > 20 || !txs.every((t) => typeof t === 'string')) {
    throw new HttpError(422, 'Expecting [{"txs": ["<hex>", …]}] with 1 to 20 transactions');
  }
  return txs as string[];
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

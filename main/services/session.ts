// One connected profile: the REST client and the live feed for its exchange, the chain API, and the wallet
// operations that need both. The WIF or API secret key is handed to the CoinpitClient and to a Signer and is
// not kept anywhere else in this object. The coin-moving actions are the wallet's (WalletFlows, RecoveryKeeper):
// each builds or fetches the transaction, reviews it, asks the Confirmer with that review, and signs only after a yes.
import { randomUUID } from 'node:crypto';
import type {
  Account,
  Balances,
  Band,
  CancelledOrders,
  Config,
  ConnectionStatus,
  CreateOrdersRequest,
  DepositAddress,
  DepositAddressRequest,
  EventName,
  EventPayloads,
  FaucetRequest,
  FaucetResult,
  Instrument,
  MarginOutRequest,
  MarginOutResult,
  NetworkInfo,
  Order,
  OrderBook,
  OrderInput,
  OrderResult,
  PatchOpInput,
  RecoveryStatus,
  SentTx,
  TxReview,
  WithdrawRequest,
} from '../../preload/contract';
import type { ApiKey } from '../coinpit/auth';
import { CoinpitError } from '../coinpit/errors';
import { Feed, type FeedOptions } from '../coinpit/feed';
import { CoinpitClient, type SessionInfo } from '../coinpit/rest';
import type { OrderRequest, PatchOp, State } from '../coinpit/types';
import { walletAccount, type WalletAccount } from '../wallet/account';
import { assertCanMoveCoins } from '../wallet/apikey-file';
import { addressBalanceView } from '../wallet/balances';
import { coldKeyClient } from '../wallet/coldkey';
import { ConfirmationRejected, isReviewSubject, requireConfirmation, type Confirmer } from '../wallet/confirm';
import { depositRequest } from '../wallet/deposit';
import { EsploraClient, type ChainSource } from '../wallet/esplora';
import { WalletFlows, type SpendResult } from '../wallet/flows';
import { signerFromWif, type Signer } from '../wallet/multisig';
import { RecoveryKeeper, type RecoveryRecord, type RecoveryStatus as KeeperStatus } from '../wallet/recovery';
import { ReviewRefused, type Review } from '../wallet/review';
import { BookCoalescer, type Timers } from './book-coalescer';
import { isPlainError, ServiceError } from './errors';
import { accountOrders, FillTracker } from './fills';

// The contract restates Review for the renderer; this line fails to compile if the two drift apart.
const reviewMatchesContract = (r: Review): TxReview => r;
void reviewMatchesContract;

export type EventSink = <E extends EventName>(event: E, payload: EventPayloads[E]) => void;

export type Credential = { kind: 'coin-key'; wif: string } | { kind: 'api-key'; apiKey: ApiKey };

export interface SessionOptions {
  profileId: string;
  credential: Credential;
  network: NetworkInfo;
  emit: EventSink;
  confirmer: Confirmer;
  /** the local exchange: enables the faucet */
  local: boolean;
  /** where the recovery transaction of each account is kept (RecoveryKeeper's data directory) */
  recoveryDir: string;
  fetch?: typeof fetch;
  feed?: Partial<Omit<FeedOptions, 'client'>>;
  timers?: Timers;
  /** called when the session learns the server key (stored with the profile for offline signing) */
  onServerKey?: (serverPublicKey: string) => void;
}

/** The status of a profile that is not connected. */
export function disconnectedStatus(profileId: string | null, network: NetworkInfo | null): ConnectionStatus {
  return { state: 'disconnected', profileId, network, readonly: false, skewMs: 0, serverTime: null, accountid: null, serverAddress: null, lastError: null };
}

/** The recovery state before anything was fetched. */
export const NO_RECOVERY: Readonly<RecoveryStatus> = Object.freeze({ state: 'none', review: null, updatedAt: null, txid: null, message: null });

interface WalletParts {
  flows: WalletFlows;
  keeper: RecoveryKeeper;
}

/** The wallet throws plain Errors about what was asked (amount, address, funds, label): those are INVALID_INPUT. */
async function asInputError<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isPlainError(e)) throw new ServiceError('INVALID_INPUT', e.message);
    throw e;
  }
}

/** The transaction as the chain will know it when the exchange's reply names it, else the one the user signed. */
function sentTx(r: SpendResult): SentTx {
  return { txid: r.txid ?? r.signedTxid, review: r.review };
}

export class ProfileSession {
  readonly profileId: string;
  readonly network: NetworkInfo;
  readonly client: CoinpitClient;
  readonly #credentialKind: Credential['kind'];
  readonly #signer: Signer | null;
  readonly #emit: EventSink;
  readonly #confirmer: Confirmer;
  readonly #local: boolean;
  readonly #fetch: typeof fetch;
  readonly #feedOptions: Partial<Omit<FeedOptions, 'client'>>;
  readonly #books: BookCoalescer;
  readonly #fills = new FillTracker();
  readonly #onServerKey: ((key: string) => void) | undefined;
  readonly #recoveryDir: string;
  #feed: Feed | null = null;
  #esplora: EsploraClient | null = null;
  #walletParts: WalletParts | null = null;
  #status: ConnectionStatus;
  #config: Config | null = null;
  #instruments: Record<string, Instrument> = {};
  #bands: Record<string, Band> = {};
  #bookCache: Record<string, OrderBook> = {};
  #account: Account | null = null;
  #recovery: RecoveryStatus = { ...NO_RECOVERY };
  #unsubscribe: (() => void)[] = [];
  #closed = false;

  constructor(options: SessionOptions) {
    this.profileId = options.profileId;
    this.network = options.network;
    this.#credentialKind = options.credential.kind;
    this.#emit = options.emit;
    this.#confirmer = options.confirmer;
    this.#local = options.local;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#feedOptions = options.feed ?? {};
    this.#onServerKey = options.onServerKey;
    this.#recoveryDir = options.recoveryDir;
    const c = options.credential;
    this.client =
      c.kind === 'coin-key'
        ? new CoinpitClient({ baseUrl: options.network.coinpitUrl, wif: c.wif, fetch: this.#fetch })
        : coldKeyClient(c.apiKey, { baseUrl: options.network.coinpitUrl, fetch: this.#fetch });
    this.#signer = c.kind === 'coin-key' ? signerFromWif(c.wif) : null;
    this.#books = new BookCoalescer(
      (u) => (u.event === 'book' ? this.#emit('book', { symbol: u.symbol, book: u.book }) : this.#emit('bookDiff', { symbol: u.symbol, diff: u.diff })),
      { timers: options.timers },
    );
    this.#status = disconnectedStatus(this.profileId, this.network);
  }

  // ------------------------------------------------------------------ connection

  status(): ConnectionStatus {
    return { ...this.#status, skewMs: this.client.clock.skewMs };
  }

  #setStatus(change: Partial<ConnectionStatus>): void {
    this.#status = { ...this.#status, ...change, skewMs: this.client.clock.skewMs };
    this.#emit('connection', this.status());
  }

  async connect(): Promise<ConnectionStatus> {
    if (this.#closed) throw new ServiceError('NOT_CONNECTED', 'This session was closed.');
    if (this.#feed) return this.status();
    this.#setStatus({ state: 'connecting', lastError: null });
    try {
      await this.#keyExchange();
      const feed = new Feed({ client: this.client, ...this.#feedOptions });
      this.#bindFeed(feed);
      const { state, account } = await feed.start();
      if (this.#closed) {
        feed.stop();
        throw new ServiceError('NOT_CONNECTED', 'Disconnected while connecting.');
      }
      this.#feed = feed;
      this.#applyState(state);
      this.#applyAccount(account, true);
      const esploraUrl = this.network.esploraUrl || state.config.esplora;
      this.#esplora = esploraUrl ? new EsploraClient(esploraUrl, { fetch: this.#fetch }) : null;
      this.#walletParts = null;
      const info = this.client.session;
      this.#setStatus({
        state: 'connected',
        readonly: state.readonly === true,
        serverTime: state.server_time,
        accountid: info?.accountid ?? null,
        serverAddress: info?.serverAddress ?? null,
      });
      if (info?.serverPublicKey) this.#onServerKey?.(info.serverPublicKey);
      return this.status();
    } catch (e) {
      this.#stopFeed();
      const message = e instanceof CoinpitError || e instanceof ServiceError ? this.client.redact(e.message) : 'The connection failed.';
      this.#setStatus({ state: 'error', lastError: message });
      throw e;
    }
  }

  /** GET /auth/:publicKey; a coin key that the server does not know yet registers (POST /auth). */
  async #keyExchange(): Promise<SessionInfo> {
    try {
      return await this.client.connect();
    } catch (e) {
      if (this.#credentialKind === 'coin-key' && e instanceof CoinpitError && (e.code === 'auth' || e.status === 404 || e.status === 401)) {
        return this.client.register();
      }
      throw e;
    }
  }

  #bindFeed(feed: Feed): void {
    const on = <E extends Parameters<Feed['on']>[0]>(event: E, cb: Parameters<typeof feed.on<E>>[1]) => {
      this.#unsubscribe.push(feed.on(event, cb));
    };
    on('orderbook', (books) => {
      for (const [symbol, book] of Object.entries(books ?? {})) {
        this.#bookCache[symbol] = book;
        this.#books.book(symbol, book);
      }
    });
    on('difforderbook', (diffs) => {
      for (const [symbol, diff] of Object.entries(diffs ?? {})) this.#books.diff(symbol, diff);
    });
    on('priceband', (bands) => {
      this.#bands = { ...this.#bands, ...bands };
      this.#emit('bands', { ...this.#bands });
    });
    on('instruments', (instruments) => {
      this.#instruments = { ...instruments };
      this.#emit('instruments', { ...this.#instruments });
    });
    on('config', (config) => {
      this.#config = config;
    });
    on('trade', (trades) => {
      if (Array.isArray(trades) && trades.length > 0) this.#emit('trades', { trades });
    });
    on('account', (payload) => {
      if (payload?.account) this.#applyAccount(payload.account, false);
    });
    on('order_add', (p) => this.#orderResult({ kind: 'add', requestid: p?.requestid ?? null, orders: p?.result ?? [] }));
    on('order_update', (p) => this.#orderResult({ kind: 'update', requestid: p?.requestid ?? null, orders: p?.result ?? [] }));
    on('order_del', (p) => this.#orderResult({ kind: 'delete', requestid: p?.requestid ?? null, uuids: p?.result ?? [] }));
    on('order_del_all', (p) => this.#orderResult({ kind: 'deleteAll', requestid: p?.requestid ?? null }));
    on('order_patch', (p) => this.#orderResult({ kind: 'patch', requestid: p?.requestid ?? null, results: p?.result ?? [] }));
    on('order_error', (p) => this.#orderResult({ kind: 'error', requestid: p?.requestid ?? null, message: this.client.redact(String(p?.error ?? 'order error')) }));
    on('readonly', (p) => this.#setStatus({ readonly: p?.readonly === true }));
    on('server_time', (t) => {
      const before = this.#status.skewMs;
      this.#status = { ...this.#status, serverTime: typeof t === 'number' ? t : this.#status.serverTime };
      if (Math.abs(this.client.clock.skewMs - before) >= 50) this.#setStatus({});
    });
    on('disconnected', () => this.#setStatus({ state: 'reconnecting' }));
    on('reconnecting', () => this.#setStatus({ state: 'reconnecting' }));
    on('resynced', ({ state, account }) => {
      this.#applyState(state);
      this.#applyAccount(account, true);
      this.#setStatus({ state: 'connected', readonly: state.readonly === true, serverTime: state.server_time });
    });
    on('error', (e) => this.#setStatus({ lastError: this.client.redact(e.message) }));
  }

  #applyState(state: State): void {
    this.#config = state.config;
    this.#instruments = { ...state.instruments };
    this.#bands = { ...state.bands };
    this.#bookCache = { ...state.orderbook };
    this.#emit('instruments', { ...this.#instruments });
    this.#emit('bands', { ...this.#bands });
    for (const [symbol, book] of Object.entries(state.orderbook ?? {})) this.#books.book(symbol, book);
  }

  #applyAccount(account: Account, snapshot: boolean): void {
    this.#account = account;
    const orders = accountOrders(account.orders);
    if (snapshot) this.#fills.baseline(orders);
    else for (const notice of this.#fills.observe(orders)) this.#emit('fill', notice);
    this.#emit('account', account);
  }

  #orderResult(result: OrderResult): void {
    if (result.kind === 'add' || result.kind === 'update') {
      for (const notice of this.#fills.observe(result.orders)) this.#emit('fill', notice);
    }
    this.#emit('orderResult', result);
  }

  #stopFeed(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#feed?.stop();
    this.#feed = null;
  }

  disconnect(): ConnectionStatus {
    this.#stopFeed();
    this.#books.close();
    this.#closed = true;
    this.#setStatus({ state: 'disconnected' });
    return this.status();
  }

  get connected(): boolean {
    return this.#feed !== null;
  }

  #need(): void {
    if (!this.#feed) throw new ServiceError('NOT_CONNECTED', 'Not connected: connect first.');
  }

  /** Public facts about the connected user (no secrets). */
  get sessionInfo(): SessionInfo | undefined {
    return this.client.session;
  }

  // ------------------------------------------------------------------ market data

  config(): Config {
    this.#need();
    return structuredClone(this.#config!);
  }

  instruments(): Record<string, Instrument> {
    this.#need();
    return structuredClone(this.#instruments);
  }

  bands(): Record<string, Band> {
    this.#need();
    return structuredClone(this.#bands);
  }

  async book(symbol: string): Promise<OrderBook> {
    this.#need();
    return this.client.orderbook(this.#symbol(symbol));
  }

  async trades(symbol: string) {
    this.#need();
    return this.client.trades(this.#symbol(symbol));
  }

  async candles(symbol: string) {
    this.#need();
    return this.client.candles(this.#symbol(symbol));
  }

  async marketInfo() {
    this.#need();
    return this.client.info();
  }

  #symbol(symbol: string): string {
    if (!Object.prototype.hasOwnProperty.call(this.#instruments, symbol)) {
      throw new ServiceError('NOT_FOUND', `Unknown instrument ${symbol}.`);
    }
    return symbol;
  }

  // ------------------------------------------------------------------ orders

  #userid(): string {
    const userid = this.client.session?.userid;
    if (!userid) throw new ServiceError('NOT_CONNECTED', 'Not connected: connect first.');
    return userid;
  }

  #orderRequest(o: OrderInput): OrderRequest {
    const req: OrderRequest = {
      clientid: o.clientid ?? randomUUID(),
      userid: this.#userid(),
      instrument: o.instrument,
      side: o.side,
      quantity: o.quantity,
      orderType: o.orderType,
      stopPrice: o.stopPrice,
    };
    if (o.price !== undefined) req.price = o.price;
    if (o.targetPrice !== undefined) req.targetPrice = o.targetPrice;
    if (o.crossMargin !== undefined) req.crossMargin = o.crossMargin;
    if (o.postOnly !== undefined) req.postOnly = o.postOnly;
    return req;
  }

  async createOrders(req: CreateOrdersRequest): Promise<Order[]> {
    this.#need();
    const bySymbol = new Map<string, OrderRequest[]>();
    for (const o of req.orders) {
      const symbol = this.#symbol(o.instrument);
      bySymbol.set(symbol, [...(bySymbol.get(symbol) ?? []), this.#orderRequest(o)]);
    }
    const out: Order[] = [];
    for (const [symbol, list] of bySymbol) out.push(...(await this.client.createOrders(symbol, list)));
    for (const notice of this.#fills.observe(out)) this.#emit('fill', notice);
    return out;
  }

  async updateOrders(symbol: string, updates: { uuid: string; price: number | 'NONE' }[]): Promise<Order[]> {
    this.#need();
    const s = this.#symbol(symbol);
    return this.client.updateOrders(s, updates.map((u) => ({ uuid: u.uuid, price: u.price, instrument: s })));
  }

  async cancelOrder(symbol: string, uuid: string): Promise<CancelledOrders> {
    this.#need();
    const ack = await this.client.cancelOrder(this.#symbol(symbol), uuid);
    return { uuids: Array.isArray(ack) ? ack.filter((x): x is string => typeof x === 'string') : [uuid] };
  }

  async cancelAll(symbol: string): Promise<null> {
    this.#need();
    await this.client.cancelAll(this.#symbol(symbol));
    return null;
  }

  async patchOrders(symbol: string, ops: PatchOpInput[]) {
    this.#need();
    const s = this.#symbol(symbol);
    const wire: PatchOp[] = ops.map((op) => {
      switch (op.op) {
        case 'add':
          return { op: 'add', value: op.value.map((o) => this.#orderRequest({ ...o, instrument: o.instrument })) };
        case 'replace':
          return { op: 'replace', value: op.value.map((u) => ({ uuid: u.uuid, price: u.price, instrument: s })) };
        case 'split':
          return { op: 'split', value: [...op.value], quantity: op.quantity };
        default:
          return { op: op.op, value: [...op.value] };
      }
    });
    return this.client.patchOrders(s, wire);
  }

  async openOrders(symbol: string) {
    this.#need();
    return this.client.openOrders(this.#symbol(symbol));
  }

  async closedOrders(symbol: string, after?: string) {
    this.#need();
    return this.client.closedOrders(this.#symbol(symbol), after);
  }

  async cancelledOrders(symbol: string, after?: string) {
    this.#need();
    return this.client.cancelledOrders(this.#symbol(symbol), after);
  }

  async executions() {
    this.#need();
    return this.client.executions();
  }

  // ------------------------------------------------------------------ account

  async account(): Promise<Account> {
    this.#need();
    const account = await this.client.account();
    this.#account = account;
    return account;
  }

  async positions() {
    this.#need();
    return this.client.positions();
  }

  async pnl() {
    this.#need();
    try {
      return await this.client.pnl();
    } catch (e) {
      if (e instanceof CoinpitError && e.status === 404) return null;
      throw e;
    }
  }

  async marginInfo() {
    this.#need();
    return this.client.marginInfo();
  }

  // ------------------------------------------------------------------ wallet
  // The money layer is the wallet's (main/wallet): WalletFlows for margin in/out and withdraw, RecoveryKeeper for the
  // recovery transaction, balances and deposit helpers. This part adapts them to the contract's shapes and errors.

  #walletAccount(): WalletAccount {
    const info = this.client.session;
    if (!info?.publicKey || !info.serverPublicKey) throw new ServiceError('NOT_CONNECTED', 'Not connected: connect first.');
    return walletAccount({ network: info.network, publicKey: info.publicKey, serverPublicKey: info.serverPublicKey, userid: info.userid });
  }

  #chain(): ChainSource {
    if (!this.#esplora) throw new ServiceError('UNSUPPORTED', 'This network has no chain API configured.');
    return this.#esplora;
  }

  /** WalletFlows and RecoveryKeeper for this account, made on first use (the account needs the server key). */
  #wallet(): WalletParts {
    if (this.#walletParts) return this.#walletParts;
    const account = this.#walletAccount();
    const chain = this.#chain();
    const mode = this.#credentialKind;
    const signer = (): Signer => {
      if (!this.#signer) throw new ServiceError('UNSUPPORTED', 'This profile has no coin key.');
      return this.#signer;
    };
    this.#walletParts = {
      flows: new WalletFlows({ account, client: this.client, chain, signer, confirmer: this.#confirmer, mode }),
      keeper: new RecoveryKeeper({ account, client: this.client, chain, signer, confirmer: this.#confirmer, mode, dataDir: this.#recoveryDir }),
    };
    return this.#walletParts;
  }

  async balances(): Promise<Balances> {
    this.#need();
    const account = this.#walletAccount();
    const [multisig, margin, acct] = await Promise.all([addressBalanceView(this.#chain(), account.accountid), this.client.marginInfo(), this.client.account()]);
    const pnl = acct.pnl?.pnl ?? 0;
    return {
      multisig: { address: multisig.address, confirmed: multisig.confirmed, unconfirmed: multisig.unconfirmed },
      margin,
      pnl,
      total: multisig.total + margin.balance + pnl,
    };
  }

  async depositAddress(req: DepositAddressRequest): Promise<DepositAddress> {
    this.#need();
    const account = this.#walletAccount();
    const d = await asInputError(() => depositRequest(account, { ...(req.amount !== undefined ? { amount: req.amount } : {}), ...(req.label !== undefined ? { label: req.label } : {}) }));
    return { address: d.address, bip21: d.uri };
  }

  async marginIn(amount: number | 'max'): Promise<SentTx> {
    this.#need();
    assertCanMoveCoins(this.#credentialKind, 'margin-in');
    const { flows } = this.#wallet();
    return sentTx(await asInputError(() => flows.marginIn(amount)));
  }

  async marginOut(req: MarginOutRequest): Promise<MarginOutResult> {
    this.#need();
    assertCanMoveCoins(this.#credentialKind, 'margin-out');
    const { flows } = this.#wallet();
    const amount = req.amount;
    if (amount !== 'all') {
      const r = await asInputError(() => flows.marginOut(amount));
      return { amount, txid: r.txid };
    }
    // what "all" means, read before the move: the reply may not say how much it moved
    const available = (await this.client.marginInfo()).available;
    const r = await asInputError(() => flows.marginOutAll());
    return { amount: r.moved ?? available, txid: r.txid };
  }

  async withdraw(req: WithdrawRequest): Promise<SentTx> {
    this.#need();
    assertCanMoveCoins(this.#credentialKind, 'withdraw');
    const { flows } = this.#wallet();
    return sentTx(await asInputError(() => flows.withdraw(req.address, req.amount, req.feePerKB !== undefined ? { feePerKB: req.feePerKB } : {})));
  }

  // ---- recovery

  /** Remembers (and announces, when it changed or `announce`) the recovery state. */
  #noteRecovery(next: RecoveryStatus, announce: boolean): RecoveryStatus {
    const prev = this.#recovery;
    const same =
      prev.state === next.state && prev.txid === next.txid && prev.message === next.message && (prev.review?.txid ?? null) === (next.review?.txid ?? null);
    if (same && !announce) return structuredClone(prev);
    this.#recovery = same ? { ...next, updatedAt: next.updatedAt ?? prev.updatedAt } : next;
    this.#emit('recovery', structuredClone(this.#recovery));
    return structuredClone(this.#recovery);
  }

  /** The contract's view of what the keeper holds. */
  #recoveryView(s: KeeperStatus, keeper: RecoveryKeeper): RecoveryStatus {
    if (s.refreshedAt !== null) {
      return {
        state: s.stale ? 'stale' : 'ready',
        review: keeper.signedReview(s.txid),
        updatedAt: s.refreshedAt,
        txid: s.txid,
        message: s.stale ? 'The wallet changed since the recovery transaction was signed: refresh it.' : null,
      };
    }
    if (s.checked && s.total === 0) return { state: 'empty', review: null, updatedAt: Date.now(), txid: null, message: 'The wallet is empty: there is nothing to recover.' };
    // nothing stored: a refused or unconfirmed refresh of this session still says more than "none"
    const last = this.#recovery;
    if (last.state === 'refused' || last.state === 'unsigned') return last;
    return { ...NO_RECOVERY, message: s.problem === null ? null : this.client.redact(s.problem) };
  }

  #keeperIfConnected(): RecoveryKeeper | null {
    if (!this.connected || !this.#esplora) return null;
    try {
      return this.#wallet().keeper;
    } catch {
      return null;
    }
  }

  /** The kept recovery state; a stored transaction whose inputs no longer match the multisig is stale. */
  async recoveryStatus(): Promise<RecoveryStatus> {
    const keeper = this.#keeperIfConnected();
    if (!keeper) return structuredClone(this.#recovery);
    let s: KeeperStatus;
    try {
      s = await keeper.status();
    } catch {
      return structuredClone(this.#recovery); // an unreadable file or data dir: keep the last known state
    }
    return this.#noteRecovery(this.#recoveryView(s, keeper), false);
  }

  async recoveryRefresh(): Promise<RecoveryStatus> {
    this.#need();
    assertCanMoveCoins(this.#credentialKind, 'recovery');
    const { keeper } = this.#wallet();
    const now = Date.now();
    try {
      return this.#noteRecovery(this.#recoveryView(await keeper.refresh(), keeper), true);
    } catch (e) {
      if (e instanceof ReviewRefused) {
        return this.#noteRecovery({ state: 'refused', review: e.review, updatedAt: now, txid: null, message: this.client.redact(e.message) }, true);
      }
      if (e instanceof ConfirmationRejected) {
        const review = isReviewSubject(e.subject) ? e.subject : null;
        return this.#noteRecovery({ state: 'unsigned', review, updatedAt: now, txid: null, message: 'Not confirmed: the recovery transaction was not signed.' }, true);
      }
      if (e instanceof CoinpitError && e.status === 422) {
        return this.#noteRecovery({ state: 'empty', review: null, updatedAt: now, txid: null, message: 'The wallet is empty: there is nothing to recover.' }, true);
      }
      if (isPlainError(e)) {
        // the exchange's transaction or config is unusable (does not decode, does not complete, wrong network)
        return this.#noteRecovery({ state: 'refused', review: null, updatedAt: now, txid: null, message: this.client.redact(e.message) }, true);
      }
      throw e;
    }
  }

  async #storedRecovery(keeper: RecoveryKeeper): Promise<RecoveryRecord> {
    const record = await keeper.load();
    if (!record) throw new ServiceError('NOT_FOUND', 'There is no signed recovery transaction: refresh it first.');
    return record;
  }

  /** Writes the stored recovery transaction (hex) to the file `choosePath` names (asked only when there is one). */
  async recoveryExport(choosePath: () => Promise<string>): Promise<{ path: string }> {
    this.#need();
    const { keeper } = this.#wallet();
    await this.#storedRecovery(keeper);
    const file = await choosePath();
    await keeper.export(file, 'hex');
    return { path: file };
  }

  async recoveryBroadcast(): Promise<{ txid: string }> {
    this.#need();
    const { keeper } = this.#wallet();
    const record = await this.#storedRecovery(keeper);
    const review = keeper.signedReview(record.txid);
    await requireConfirmation(this.#confirmer, {
      kind: 'recovery-broadcast',
      txid: record.txid,
      amount: review?.amount ?? record.covers - record.fee,
      to: record.userid,
      fee: record.fee,
      review,
    });
    return { txid: await keeper.broadcast() };
  }

  // ---- local faucet

  async faucet(req: FaucetRequest): Promise<FaucetResult> {
    if (!this.#local) throw new ServiceError('UNSUPPORTED', 'The faucet exists only on the Local network.');
    this.#need();
    const address = req.address ?? this.#walletAccount().accountid;
    let res: Response;
    try {
      res = await this.#fetch(`${this.client.baseUrl}/localnet/faucet`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ address, amount: req.amount }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch {
      throw new ServiceError('NETWORK', 'The local exchange did not answer.');
    }
    const body = (await res.json().catch(() => ({}))) as { txid?: unknown; amount?: unknown; error?: unknown };
    if (!res.ok) throw new ServiceError('SERVER', `Faucet: ${typeof body.error === 'string' ? body.error.slice(0, 200) : `status ${res.status}`}`);
    return {
      address,
      amount: typeof body.amount === 'number' ? body.amount : req.amount,
      txid: typeof body.txid === 'string' ? body.txid : null,
    };
  }

  close(): void {
    if (!this.#closed) this.disconnect();
  }
}

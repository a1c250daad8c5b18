// One connected profile: the REST client and the live feed for its exchange, the chain API, and the wallet
// operations that need both. The WIF or API secret key is handed to the CoinpitClient and to a Signer and is
// not kept anywhere else in this object. Every coin-moving action builds or fetches the transaction, reviews it,
// asks the Confirmer with that review, and signs only after a yes.
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
import { signReviewed } from '../wallet/cosign';
import { signerFromWif, type Signer } from '../wallet/multisig';
import { review, type Intent, type Review, type ReviewContext } from '../wallet/review';
import { buildMarginIn, buildWithdraw, btcfy, filterUnspents, type Outpoint } from '../wallet/txbuild';
import { BookCoalescer, type Timers } from './book-coalescer';
import type { Confirmer } from './confirmer';
import { Esplora } from './esplora';
import { ServiceError } from './errors';
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
  fetch?: typeof fetch;
  feed?: Partial<Omit<FeedOptions, 'client'>>;
  timers?: Timers;
  /** called when the session learns the server key (stored with the profile for offline signing) */
  onServerKey?: (serverPublicKey: string) => void;
}

const EMPTY_STATUS: Omit<ConnectionStatus, 'profileId' | 'network'> = {
  state: 'disconnected',
  readonly: false,
  skewMs: 0,
  serverTime: null,
  accountid: null,
  serverAddress: null,
  lastError: null,
};

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
  #feed: Feed | null = null;
  #esplora: Esplora | null = null;
  #status: ConnectionStatus;
  #config: Config | null = null;
  #instruments: Record<string, Instrument> = {};
  #bands: Record<string, Band> = {};
  #bookCache: Record<string, OrderBook> = {};
  #account: Account | null = null;
  #recovery: RecoveryStatus = { state: 'none', review: null, updatedAt: null, txid: null, message: null };
  #recoveryHex: string | null = null;
  #recoveryInputs: string[] = [];
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
    const c = options.credential;
    this.client =
      c.kind === 'coin-key'
        ? new CoinpitClient({ baseUrl: options.network.coinpitUrl, wif: c.wif, fetch: this.#fetch })
        : new CoinpitClient({ baseUrl: options.network.coinpitUrl, apiKey: c.apiKey, fetch: this.#fetch });
    this.#signer = c.kind === 'coin-key' ? signerFromWif(c.wif) : null;
    this.#books = new BookCoalescer(
      (u) => (u.event === 'book' ? this.#emit('book', { symbol: u.symbol, book: u.book }) : this.#emit('bookDiff', { symbol: u.symbol, diff: u.diff })),
      { timers: options.timers },
    );
    this.#status = { ...EMPTY_STATUS, profileId: this.profileId, network: this.network };
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
      this.#esplora = esploraUrl ? new Esplora(esploraUrl, { fetch: this.#fetch }) : null;
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

  #walletAccount(): WalletAccount {
    const info = this.client.session;
    if (!info?.publicKey || !info.serverPublicKey) throw new ServiceError('NOT_CONNECTED', 'Not connected: connect first.');
    return walletAccount({ network: info.network, publicKey: info.publicKey, serverPublicKey: info.serverPublicKey, userid: info.userid });
  }

  #chain(): Esplora {
    if (!this.#esplora) throw new ServiceError('UNSUPPORTED', 'This network has no chain API configured.');
    return this.#esplora;
  }

  #coinSigner(operation: Parameters<typeof assertCanMoveCoins>[1]): Signer {
    assertCanMoveCoins(this.#credentialKind, operation);
    if (!this.#signer) throw new ServiceError('UNSUPPORTED', 'This profile has no coin key.');
    return this.#signer;
  }

  async balances(): Promise<Balances> {
    this.#need();
    const account = this.#walletAccount();
    const [multisig, margin, acct] = await Promise.all([this.#chain().balance(account.accountid), this.client.marginInfo(), this.client.account()]);
    const pnl = acct.pnl?.pnl ?? 0;
    return {
      multisig: { address: account.accountid, ...multisig },
      margin,
      pnl,
      total: multisig.confirmed + multisig.unconfirmed + margin.balance + pnl,
    };
  }

  depositAddress(req: DepositAddressRequest): DepositAddress {
    this.#need();
    const address = this.#walletAccount().accountid;
    const params = new URLSearchParams();
    if (req.amount !== undefined) params.set('amount', btcfy(req.amount));
    if (req.label !== undefined) params.set('label', req.label);
    const query = params.toString().replace(/\+/g, '%20');
    return { address, bip21: `bitcoin:${address}${query ? `?${query}` : ''}` };
  }

  /** Everything a review needs from the chain: the account's confirmed UTXOs and their previous transactions. */
  async #chainContext(account: WalletAccount) {
    const chain = this.#chain();
    const unspents = await chain.utxos(account.accountid);
    const confirmed: Outpoint[] = filterUnspents(unspents).map((u) => ({ txid: u.txid, vout: u.vout, value: u.value }));
    const prevTxs = await chain.prevTxs(confirmed.map((u) => u.txid));
    return { unspents, confirmed, prevTxs };
  }

  #policy() {
    const c = this.config();
    return { feePerKB: c.feePerKB, dust: c.bitcoinDust, minimumFee: c.minimumFee, maximumFee: c.maximumFee };
  }

  async #reviewConfirmSign(
    hex: string,
    context: ReviewContext,
    signer: Signer,
    confirm: { action: 'margin-in' | 'withdraw'; title: string; destination: string },
  ) {
    const r = review(hex, context);
    if (!r.ok) throw new ServiceError('REVIEW_REFUSED', `Refused to sign: ${r.refusals.map((x) => x.message).join('; ')}`);
    const yes = await this.#confirmer.confirm({ action: confirm.action, title: confirm.title, review: r, amount: r.amount, destination: confirm.destination, fee: r.fee });
    if (!yes) throw new ServiceError('DECLINED', 'Not confirmed: nothing was signed.');
    return signReviewed(hex, context, signer);
  }

  async marginIn(amount: number | 'max'): Promise<SentTx> {
    this.#need();
    const signer = this.#coinSigner('margin-in');
    const account = this.#walletAccount();
    const { unspents, confirmed, prevTxs } = await this.#chainContext(account);
    let built;
    try {
      built = buildMarginIn(account, unspents, { ...this.#policy(), amount });
    } catch (e) {
      throw new ServiceError('INVALID_INPUT', e instanceof Error ? e.message : 'The margin transfer cannot be built.');
    }
    const context: ReviewContext = {
      account,
      intent: { kind: 'margin-in', amount } satisfies Intent,
      maximumFee: this.config().maximumFee,
      declaredNetwork: this.config().network,
      accountUtxos: confirmed,
      prevTxs,
    };
    const signed = await this.#reviewConfirmSign(built.hex, context, signer, {
      action: 'margin-in',
      title: `Move ${btcfy(built.amount)} BTC to trading margin`,
      destination: account.serverAddress,
    });
    await this.client.marginIn([signed.hex]);
    return { txid: signed.txid, review: signed.review };
  }

  async marginOut(req: MarginOutRequest): Promise<MarginOutResult> {
    this.#need();
    assertCanMoveCoins(this.#credentialKind, 'margin-out');
    const account = this.#walletAccount();
    const amount = req.amount === 'all' ? (await this.client.marginInfo()).available : req.amount;
    const yes = await this.#confirmer.confirm({
      action: 'margin-out',
      title: req.amount === 'all' ? 'Move all free margin back to the wallet' : `Move ${btcfy(amount)} BTC from margin back to the wallet`,
      review: null,
      amount,
      destination: account.accountid,
      fee: null,
    });
    if (!yes) throw new ServiceError('DECLINED', 'Not confirmed: nothing was moved.');
    const ack = req.amount === 'all' ? await this.client.marginOutAll() : await this.client.marginOut(req.amount);
    const txid = ack && typeof ack === 'object' && typeof (ack as { txid?: unknown }).txid === 'string' ? (ack as { txid: string }).txid : null;
    return { amount, txid };
  }

  async withdraw(req: WithdrawRequest): Promise<SentTx> {
    this.#need();
    const signer = this.#coinSigner('withdraw');
    const account = this.#walletAccount();
    const { unspents, confirmed, prevTxs } = await this.#chainContext(account);
    let built;
    try {
      built = buildWithdraw(account, unspents, req.address, { ...this.#policy(), ...(req.feePerKB !== undefined ? { feePerKB: req.feePerKB } : {}), amount: req.amount });
    } catch (e) {
      throw new ServiceError('INVALID_INPUT', e instanceof Error ? e.message : 'The withdrawal cannot be built.');
    }
    const context: ReviewContext = {
      account,
      intent: { kind: 'withdraw', destination: req.address, amount: req.amount },
      maximumFee: this.config().maximumFee,
      declaredNetwork: this.config().network,
      accountUtxos: confirmed,
      prevTxs,
    };
    const signed = await this.#reviewConfirmSign(built.hex, context, signer, {
      action: 'withdraw',
      title: `Withdraw ${btcfy(built.amount)} BTC to ${req.address}`,
      destination: req.address,
    });
    const reply = await this.client.withdraw(signed.hex);
    return { txid: typeof reply?.txid === 'string' ? reply.txid : signed.txid, review: signed.review };
  }

  // ---- recovery

  #setRecovery(change: Partial<RecoveryStatus>): RecoveryStatus {
    this.#recovery = { ...this.#recovery, ...change, updatedAt: Date.now() };
    this.#emit('recovery', structuredClone(this.#recovery));
    return structuredClone(this.#recovery);
  }

  /** The kept recovery state; a ready transaction whose inputs no longer match the multisig becomes stale. */
  async recoveryStatus(): Promise<RecoveryStatus> {
    if (this.#recovery.state === 'ready' && this.#esplora && this.connected) {
      try {
        const account = this.#walletAccount();
        const utxos = filterUnspents(await this.#esplora.utxos(account.accountid)).map((u) => `${u.txid}:${u.vout}`).sort();
        if (utxos.join(',') !== [...this.#recoveryInputs].sort().join(',')) {
          return this.#setRecovery({ state: 'stale', message: 'The wallet changed since the recovery transaction was signed: refresh it.' });
        }
      } catch {
        /* offline chain: keep the last known state */
      }
    }
    return structuredClone(this.#recovery);
  }

  async recoveryRefresh(): Promise<RecoveryStatus> {
    this.#need();
    const signer = this.#coinSigner('recovery');
    const account = this.#walletAccount();
    let wt;
    try {
      wt = await this.client.recoveryTx();
    } catch (e) {
      if (e instanceof CoinpitError && e.status === 422) {
        this.#recoveryHex = null;
        return this.#setRecovery({ state: 'empty', review: null, txid: null, message: 'The wallet is empty: there is nothing to recover.' });
      }
      throw e;
    }
    const { confirmed, prevTxs } = await this.#chainContext(account);
    const context: ReviewContext = {
      account,
      intent: { kind: 'recovery' },
      maximumFee: this.config().maximumFee,
      declaredNetwork: this.config().network,
      accountUtxos: confirmed,
      claimedInputs: Array.isArray(wt.inputs) ? wt.inputs : [],
      prevTxs,
    };
    const r = review(wt.tx, context);
    if (!r.ok) {
      this.#recoveryHex = null;
      return this.#setRecovery({ state: 'refused', review: r, txid: null, message: `Refused to sign: ${r.refusals.map((x) => x.message).join('; ')}` });
    }
    const yes = await this.#confirmer.confirm({
      action: 'recovery-sign',
      title: `Sign the recovery transaction (${btcfy(r.amount)} BTC to ${account.userid})`,
      review: r,
      amount: r.amount,
      destination: account.userid,
      fee: r.fee,
    });
    if (!yes) {
      this.#recoveryHex = null;
      return this.#setRecovery({ state: 'unsigned', review: r, txid: null, message: 'Not confirmed: the recovery transaction was not signed.' });
    }
    const signed = signReviewed(wt.tx, context, signer);
    if (!signed.complete) {
      this.#recoveryHex = null;
      return this.#setRecovery({ state: 'refused', review: signed.review, txid: null, message: 'The signed recovery transaction is not complete.' });
    }
    this.#recoveryHex = signed.hex;
    this.#recoveryInputs = signed.review.inputs.map((i) => `${i.txid}:${i.vout}`);
    return this.#setRecovery({ state: 'ready', review: signed.review, txid: signed.txid, message: null });
  }

  /** The complete signed recovery transaction (hex), for export. */
  recoveryHex(): string {
    if (!this.#recoveryHex || (this.#recovery.state !== 'ready' && this.#recovery.state !== 'stale')) {
      throw new ServiceError('NOT_FOUND', 'There is no signed recovery transaction: refresh it first.');
    }
    return this.#recoveryHex;
  }

  async recoveryBroadcast(): Promise<{ txid: string }> {
    const hex = this.recoveryHex();
    const r = this.#recovery.review;
    const yes = await this.#confirmer.confirm({
      action: 'recovery-broadcast',
      title: 'Broadcast the recovery transaction: every coin in the wallet goes to your own address',
      review: r,
      amount: r?.amount ?? null,
      destination: this.client.session?.userid ?? null,
      fee: r?.fee ?? null,
    });
    if (!yes) throw new ServiceError('DECLINED', 'Not confirmed: nothing was broadcast.');
    const txid = await this.#chain().broadcast(hex);
    return { txid };
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

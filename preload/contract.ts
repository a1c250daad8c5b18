// CONTRACT-READY
// The IPC contract between main, preload and renderer. Main registers one handler per channel in `methods`, the
// preload exposes exactly these methods as window.coinpit, and the renderer types window.coinpit with CoinpitApi.
// To add a call: add the method to CoinpitApi, its channel to `methods` (the `satisfies` below makes the two lists
// agree) and its schema to main/ipc-schemas.ts (checked against RequestOf at compile time). To add an event: add it
// to EventPayloads and to `events`.
//
// Only type declarations and the two name lists live here, so the renderer can import it without pulling in
// anything from Node or Electron. Every request and reply is plain JSON-serializable data (no Dates, Maps,
// Uint8Arrays, class instances or functions). Amounts are satoshi integers; prices are USD numbers.
//
// Secrets (a WIF, a vault passphrase, an API secret key) may travel renderer → main inside a request (importing a
// key, unlocking a vault) but never main → renderer: no reply, event or error carries one.
import type {
  Account,
  ApiKeyRecord,
  ApiKeyRole,
  Band,
  BookDiff,
  Candle,
  Config,
  EntryOrderType,
  Execution,
  InfoEntry,
  Instrument,
  MarginInfo,
  None,
  Order,
  OrderBook,
  PatchResult,
  Pnl,
  Position,
  Side,
  Trade,
} from '../main/coinpit/types';

export type {
  Account,
  ApiKeyRecord,
  ApiKeyRole,
  Band,
  BookDiff,
  Candle,
  Config,
  EntryOrderType,
  Execution,
  InfoEntry,
  Instrument,
  MarginInfo,
  None,
  Order,
  OrderBook,
  PatchResult,
  Pnl,
  Position,
  Side,
  Trade,
};

// ---------------------------------------------------------------------------------------------------------------
// Results and errors

/** Every handler answers with a Result; errors are values, never exceptions thrown across IPC. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** Stable, machine-readable error codes. The renderer may switch on these; `message` is for people. */
export type ErrorCode =
  /** the call did not come from the app's own top frame */
  | 'FORBIDDEN'
  /** the payload failed its schema */
  | 'INVALID_INPUT'
  /** an unexpected failure in main (details are logged in main, redacted) */
  | 'INTERNAL'
  /** no profile is active, or the named profile does not exist */
  | 'NO_PROFILE'
  /** the profile has no key yet, or its vault is locked (call profilesUnlock) */
  | 'LOCKED'
  /** wrong vault passphrase */
  | 'BAD_PASSPHRASE'
  /** the OS keychain cannot be used right now; the message says why and what to do */
  | 'KEYCHAIN_UNAVAILABLE'
  /** the call needs a connection (connectionConnect) */
  | 'NOT_CONNECTED'
  /** the exchange answered with an error (its text is in the message) */
  | 'SERVER'
  /** the exchange or chain could not be reached / timed out */
  | 'NETWORK'
  /** the exchange is in readonly mode */
  | 'READONLY'
  /** order, key, file or profile not found */
  | 'NOT_FOUND'
  /** already exists (profile name, API key) */
  | 'CONFLICT'
  /** the transaction review refused it; nothing was signed */
  | 'REVIEW_REFUSED'
  /** the user declined the confirmation; nothing was signed */
  | 'DECLINED'
  /** the user cancelled a file dialog */
  | 'CANCELLED'
  /** not possible with this profile or network (e.g. moving coins with an API key, the faucet off Local) */
  | 'UNSUPPORTED';

export interface IpcError {
  code: ErrorCode;
  /** Human-readable; never contains a key, secret or passphrase. */
  message: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Profiles, key storage, network

/** Where a profile's secret lives. */
export type KeystoreKind = 'keychain' | 'vault';

/** Whether the OS keychain can be used; when not, why (shown to the user) and the vault is the alternative. */
export type KeychainStatus =
  | { available: true }
  | { available: false; code: string; reason: string };

export interface KeystoreStatus {
  keychain: KeychainStatus;
  /** A vault file exists in the app's data dir. */
  vaultExists: boolean;
  /** The vault is unlocked for this session. */
  vaultUnlocked: boolean;
}

export type NetworkPreset = 'testnet' | 'mainnet';

/** Which exchange a profile talks to. */
export type NetworkChoice =
  /** the built-in local exchange, started in the main process (the default) */
  | { kind: 'local' }
  /** the historical public hosts (PROTOCOL §1) */
  | { kind: 'preset'; preset: NetworkPreset }
  /** any Coinpit-compatible server and the Esplora API for its chain */
  | { kind: 'custom'; coinpitUrl: string; esploraUrl: string };

/** A network choice resolved to URLs, for display. */
export interface NetworkInfo {
  choice: NetworkChoice;
  label: string;
  /** empty until the local exchange has started */
  coinpitUrl: string;
  esploraUrl: string;
  /** 'testnet' address formats for Local and testnet */
  bitcoinNetwork: 'bitcoin' | 'testnet';
}

/** How a profile authenticates: its own coin key, or an Ed25519 API key (trade only, cannot move coins). */
export type CredentialKind = 'coin-key' | 'api-key';

/** What the renderer may know about a profile. No secret material. */
export interface ProfileSummary {
  id: string;
  name: string;
  network: NetworkChoice;
  keystore: KeystoreKind;
  credential: CredentialKind;
  /** a key is stored for it */
  hasKey: boolean;
  /** the user's bitcoin address (P2PKH of the public key), once a key exists */
  userid: string | null;
  /** compressed public key hex, once a key exists */
  publicKey: string | null;
  /** name of the API key of an api-key profile */
  apiKeyName: string | null;
  /** ms */
  createdAt: number;
}

export interface ProfilesState {
  profiles: ProfileSummary[];
  activeId: string | null;
  /** files that failed to load and were moved aside (`<name>.corrupt-<time>`); shown once, then cleared */
  problems: string[];
}

export interface CreateProfileRequest {
  name: string;
  network: NetworkChoice;
  keystore: KeystoreKind;
  /** required when keystore is 'vault' and the vault is locked or new */
  passphrase?: string;
}

export interface ImportWifRequest {
  id: string;
  wif: string;
  passphrase?: string;
}

export interface GenerateKeyRequest {
  id: string;
  passphrase?: string;
}

export interface ProfileIdRequest {
  id: string;
}

export interface UnlockRequest {
  passphrase: string;
}

export interface SetNetworkRequest {
  id: string;
  network: NetworkChoice;
}

/** A file main wrote to a path the user chose in a native dialog. */
export interface SavedFile {
  path: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Connection

export type ConnectionState = 'disconnected' | 'starting' | 'connecting' | 'connected' | 'reconnecting' | 'error';

export interface ConnectionStatus {
  state: ConnectionState;
  profileId: string | null;
  network: NetworkInfo | null;
  /** the exchange says it is readonly (no trading) */
  readonly: boolean;
  /** clientTime − serverTime at the last calibration, ms; 0 before */
  skewMs: number;
  /** last server time seen, ms; null before */
  serverTime: number | null;
  /** the user's multisig (P2SH) address once connected */
  accountid: string | null;
  /** the margin address once connected */
  serverAddress: string | null;
  /** why the last attempt failed (redacted) */
  lastError: string | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Market data

export interface SymbolRequest {
  symbol: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Orders

/** A new order as the renderer states it; main fills in userid and (unless given) clientid. */
export interface OrderInput {
  instrument: string;
  side: Side;
  quantity: number;
  orderType: EntryOrderType;
  /** absent for MKT */
  price?: number;
  /** points from the fill price, > 0 (mandatory stop) */
  stopPrice: number;
  /** points, ≥ 0, or 'NONE' */
  targetPrice?: number | None;
  crossMargin?: boolean;
  postOnly?: boolean;
  /** uuid; main makes one when absent. Re-sending the same clientid is idempotent (PROTOCOL §8.17). */
  clientid?: string;
}

export interface CreateOrdersRequest {
  orders: OrderInput[];
}

export interface OrderUpdateInput {
  uuid: string;
  price: number | None;
}

export interface UpdateOrdersRequest {
  symbol: string;
  updates: OrderUpdateInput[];
}

export interface CancelOrderRequest {
  symbol: string;
  uuid: string;
}

export type PatchOpInput =
  | { op: 'add'; value: OrderInput[] }
  | { op: 'remove'; value: string[] }
  | { op: 'replace'; value: OrderUpdateInput[] }
  | { op: 'merge'; value: string[] }
  | { op: 'split'; value: string[]; quantity: number };

export interface PatchOrdersRequest {
  symbol: string;
  ops: PatchOpInput[];
}

/** Closed / cancelled pages: orders strictly after `after` (uuid), newest first, 100 a page. */
export interface OrderPageRequest {
  symbol: string;
  after?: string;
}

export interface CancelledOrders {
  /** uuids removed */
  uuids: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Wallet

export interface Balances {
  /** the multisig (deposit) address */
  multisig: { address: string; confirmed: number; unconfirmed: number };
  /** the margin address, as the exchange reports it */
  margin: MarginInfo;
  /** realized P&L, satoshi */
  pnl: number;
  /** multisig + margin balance + P&L (PROTOCOL §5.7) */
  total: number;
}

export interface DepositAddressRequest {
  /** optional amount for the BIP21 URI, satoshi */
  amount?: number;
  label?: string;
}

export interface DepositAddress {
  address: string;
  /** `bitcoin:<address>?amount=<btc>&label=…` */
  bip21: string;
}

export interface MarginInRequest {
  amount: number | 'max';
}

export interface MarginOutRequest {
  /** satoshi, or all free margin */
  amount: number | 'all';
}

export interface WithdrawRequest {
  address: string;
  amount: number | 'max';
  /** sat per kB; defaults to the exchange's config.feePerKB */
  feePerKB?: number;
}

/** A transaction that was reviewed, confirmed, signed and handed to the exchange / chain. */
export interface SentTx {
  txid: string | null;
  review: TxReview;
}

export interface MarginOutResult {
  amount: number;
  /** the exchange's answer, when it names a transaction */
  txid: string | null;
}

export type RecoveryState =
  /** nothing fetched yet */
  | 'none'
  /** the multisig is empty: nothing to recover */
  | 'empty'
  /** a verified, fully signed recovery transaction is kept ready */
  | 'ready'
  /** the multisig changed since it was signed: refresh */
  | 'stale'
  /** the server's transaction failed review; nothing was signed */
  | 'refused'
  /** fetched and reviewed, waiting for the user's confirmation to sign */
  | 'unsigned';

export interface RecoveryStatus {
  state: RecoveryState;
  /** the review of the last fetched transaction */
  review: TxReview | null;
  /** ms */
  updatedAt: number | null;
  /** the complete signed transaction's id when ready */
  txid: string | null;
  /** redacted reason for 'refused' or a failed refresh */
  message: string | null;
}

export interface FaucetRequest {
  /** satoshi; the local exchange caps it */
  amount: number;
  /** defaults to the profile's multisig address */
  address?: string;
}

export interface FaucetResult {
  address: string;
  amount: number;
  txid: string | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Transaction review (the shape of main/wallet/review.ts Review, restated here so the renderer needs no Node types;
// main checks at compile time that the two agree)

export type ReviewKind = 'margin-in' | 'withdraw' | 'recovery' | 'sign-request';

export interface TxRefusal {
  code: string;
  message: string;
}

export interface TxSignatureSlot {
  slot: 0 | 1;
  owner: 'user' | 'server';
  publicKey: string;
  present: boolean;
  valid: boolean;
  hashType: number | null;
  reason: string | null;
}

export interface TxReviewInput {
  index: number;
  txid: string;
  vout: number;
  sequence: number;
  ours: boolean;
  ownership: 'prevtx' | 'utxo-set' | 'claimed' | 'none';
  value: number | null;
  valueSource: 'prevtx' | 'claimed' | null;
  prevAddress: string | null;
  signatures: TxSignatureSlot[] | null;
  complete: boolean;
}

export interface TxReviewOutput {
  index: number;
  address: string | null;
  script: string;
  value: number;
  destination: 'multisig' | 'user' | 'margin' | 'foreign';
  ours: boolean;
  role: 'payment' | 'change' | 'recovery' | 'unrequested';
}

/** What the confirmation dialog shows: amounts, destination, fee, and any reason to refuse. */
export interface TxReview {
  kind: ReviewKind;
  network: 'bitcoin' | 'testnet';
  txid: string;
  version: number;
  locktime: number;
  sequences: number[];
  rbf: boolean;
  inputs: TxReviewInput[];
  outputs: TxReviewOutput[];
  inputTotal: number | null;
  outputTotal: number;
  fee: number | null;
  feeRate: number | null;
  size: number;
  estimatedSize: number;
  feeVerified: boolean;
  feeUnverifiedReason: string | null;
  maximumFee: number;
  amount: number;
  coverage: { covered: number; total: number } | null;
  signatures: { userSigned: number; serverSigned: number; inputs: number; complete: boolean };
  refusals: TxRefusal[];
  warnings: string[];
  ok: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Offline signing

/** Where an imported file comes from: a native open dialog in main, or text the renderer read (drag and drop). */
export type FileSource = { source: 'dialog' } | { source: 'text'; text: string; fileName?: string };

export type SigningFileFormat = 'psbt' | 'signing-request' | 'hex';

export interface ImportedSigningFile {
  /** handle for review/sign/export, valid until the app quits */
  id: string;
  format: SigningFileFormat;
  fileName: string | null;
  review: TxReview;
  signed: boolean;
}

export interface SigningFileRequest {
  id: string;
}

export interface SignedFile {
  id: string;
  /** every input now carries both signatures */
  complete: boolean;
  txid: string;
  review: TxReview;
}

// ---------------------------------------------------------------------------------------------------------------
// API keys

/** An API key as the renderer sees it (never its secret key). */
export interface ApiKeyInfo {
  name: string;
  role: ApiKeyRole;
  apiPublicKey: string;
  userid: string;
  /** registered with the exchange (as far as the last list/register/revoke knows) */
  registered: boolean;
  /** its secret is held by this profile (created or imported here) */
  local: boolean;
}

export interface CreateApiKeyRequest {
  role: ApiKeyRole;
}

export interface ApiKeyNameRequest {
  name: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Settings

export type Theme = 'system' | 'dark' | 'light';
export type Units = 'btc' | 'sat';

export interface Settings {
  theme: Theme;
  units: Units;
}

export type SettingsPatch = Partial<Settings>;

// ---------------------------------------------------------------------------------------------------------------
// Events

/** A fill worth a toast: one of the user's orders (partly) filled. */
export interface FillNotice {
  instrument: string;
  side: Side;
  orderType: string;
  uuid: string;
  /** contracts filled by this change */
  quantity: number;
  price: number;
  /** the order is now completely filled */
  complete: boolean;
}

/** The outcome of an order command, as the exchange's socket reports it (§4.3). */
export type OrderResult =
  | { kind: 'add' | 'update'; requestid: string | null; orders: Order[] }
  | { kind: 'delete'; requestid: string | null; uuids: string[] }
  | { kind: 'deleteAll'; requestid: string | null }
  | { kind: 'patch'; requestid: string | null; results: PatchResult[] }
  | { kind: 'error'; requestid: string | null; message: string };

/** Payload of each event main sends to the renderer, by event name. */
export interface EventPayloads {
  /** a full order book snapshot (coalesced: at most one per instrument per 50 ms) */
  book: { symbol: string; book: OrderBook };
  /** a change to a book (coalesced with book: at most one book or bookDiff per instrument per 50 ms) */
  bookDiff: { symbol: string; diff: BookDiff };
  /** new trades, newest first */
  trades: { trades: Trade[] };
  bands: Record<string, Band>;
  instruments: Record<string, Instrument>;
  account: Account;
  orderResult: OrderResult;
  connection: ConnectionStatus;
  recovery: RecoveryStatus;
  fill: FillNotice;
}

export type EventName = keyof EventPayloads;

export type Unsubscribe = () => void;

// ---------------------------------------------------------------------------------------------------------------
// The API

/** What the renderer sees as window.coinpit. Each method takes at most one argument. */
export interface CoinpitApi {
  /** The app's version (package.json "version"). */
  appVersion(): Promise<Result<string>>;

  // profiles and keys
  profilesList(): Promise<Result<ProfilesState>>;
  /** Creates a profile without a key (add one with profilesGenerateKey or profilesImportWif). */
  profilesCreate(req: CreateProfileRequest): Promise<Result<ProfileSummary>>;
  /** Stores a WIF for the profile (compressed keys only). */
  profilesImportWif(req: ImportWifRequest): Promise<Result<ProfileSummary>>;
  /** Generates a fresh key for the profile's network and stores it. */
  profilesGenerateKey(req: GenerateKeyRequest): Promise<Result<ProfileSummary>>;
  /** Makes it the active profile (disconnects the previous one). */
  profilesSelect(req: ProfileIdRequest): Promise<Result<ProfilesState>>;
  /** Deletes the profile and its stored secrets. Refuses the last remaining profile. */
  profilesDelete(req: ProfileIdRequest): Promise<Result<ProfilesState>>;
  profilesSetNetwork(req: SetNetworkRequest): Promise<Result<ProfileSummary>>;
  /** Writes a key backup file to a path the user picks in a native dialog (main writes it; the key never crosses). */
  profilesBackupExport(req: ProfileIdRequest): Promise<Result<SavedFile>>;
  keystoreStatus(): Promise<Result<KeystoreStatus>>;
  /** Unlocks the passphrase vault for this session (creating it when it does not exist yet). */
  keystoreUnlock(req: UnlockRequest): Promise<Result<KeystoreStatus>>;

  // network and connection
  /** The presets and the Local entry, resolved to URLs. */
  networkPresets(): Promise<Result<NetworkInfo[]>>;
  connectionConnect(): Promise<Result<ConnectionStatus>>;
  connectionDisconnect(): Promise<Result<ConnectionStatus>>;
  connectionStatus(): Promise<Result<ConnectionStatus>>;

  // market data (public)
  marketInstruments(): Promise<Result<Record<string, Instrument>>>;
  marketBook(req: SymbolRequest): Promise<Result<OrderBook>>;
  marketTrades(req: SymbolRequest): Promise<Result<Trade[]>>;
  marketCandles(req: SymbolRequest): Promise<Result<Candle[]>>;
  marketBands(): Promise<Result<Record<string, Band>>>;
  marketInfo(): Promise<Result<Record<string, InfoEntry>>>;
  marketConfig(): Promise<Result<Config>>;

  // orders
  ordersCreate(req: CreateOrdersRequest): Promise<Result<Order[]>>;
  ordersUpdate(req: UpdateOrdersRequest): Promise<Result<Order[]>>;
  ordersCancel(req: CancelOrderRequest): Promise<Result<CancelledOrders>>;
  ordersCancelAll(req: SymbolRequest): Promise<Result<null>>;
  ordersPatch(req: PatchOrdersRequest): Promise<Result<PatchResult[]>>;
  ordersOpen(req: SymbolRequest): Promise<Result<Order[]>>;
  ordersClosed(req: OrderPageRequest): Promise<Result<Order[]>>;
  ordersCancelled(req: OrderPageRequest): Promise<Result<Order[]>>;
  ordersExecutions(): Promise<Result<Execution[]>>;

  // account
  accountGet(): Promise<Result<Account>>;
  accountPositions(): Promise<Result<Record<string, Position>>>;
  accountPnl(): Promise<Result<Pnl | null>>;
  accountMargin(): Promise<Result<MarginInfo>>;

  // wallet (every coin-moving call is confirmed in main; a declined confirmation signs nothing)
  walletBalances(): Promise<Result<Balances>>;
  walletDepositAddress(req: DepositAddressRequest): Promise<Result<DepositAddress>>;
  walletMarginIn(req: MarginInRequest): Promise<Result<SentTx>>;
  walletMarginOut(req: MarginOutRequest): Promise<Result<MarginOutResult>>;
  walletWithdraw(req: WithdrawRequest): Promise<Result<SentTx>>;
  walletRecoveryStatus(): Promise<Result<RecoveryStatus>>;
  /** Fetches the server's recovery transaction, reviews it, asks to confirm, signs and keeps it ready. */
  walletRecoveryRefresh(): Promise<Result<RecoveryStatus>>;
  /** Writes the signed recovery transaction (hex) to a file the user picks. */
  walletRecoveryExport(): Promise<Result<SavedFile>>;
  /** Broadcasts the kept recovery transaction to the chain (confirmed first). */
  walletRecoveryBroadcast(): Promise<Result<{ txid: string }>>;
  /** Local network only: mine coins to an address (default: the multisig). */
  walletFaucet(req: FaucetRequest): Promise<Result<FaucetResult>>;

  // offline signing
  offlineImportFile(req: FileSource): Promise<Result<ImportedSigningFile>>;
  offlineReview(req: SigningFileRequest): Promise<Result<ImportedSigningFile>>;
  /** Reviews again, asks to confirm, signs with the profile's key. */
  offlineSign(req: SigningFileRequest): Promise<Result<SignedFile>>;
  /** Writes the signed file to a path the user picks. */
  offlineExport(req: SigningFileRequest): Promise<Result<SavedFile>>;

  // API keys
  apiKeysList(): Promise<Result<ApiKeyInfo[]>>;
  /** Makes an Ed25519 key authorized by the coin key; its secret stays in main. */
  apiKeysCreate(req: CreateApiKeyRequest): Promise<Result<ApiKeyInfo>>;
  /** Writes the key file (with its secret) to a path the user picks, for the online machine. */
  apiKeysExport(req: ApiKeyNameRequest): Promise<Result<SavedFile>>;
  /** Imports a key file into the active profile, making it an api-key profile. */
  apiKeysImport(req: FileSource): Promise<Result<ApiKeyInfo>>;
  apiKeysRegister(req: ApiKeyNameRequest): Promise<Result<ApiKeyInfo>>;
  apiKeysRevoke(req: ApiKeyNameRequest): Promise<Result<ApiKeyInfo>>;

  // settings
  settingsGet(): Promise<Result<Settings>>;
  settingsSet(req: SettingsPatch): Promise<Result<Settings>>;

  /**
   * Subscribes to one of the listed events; the callback receives the payload only. Throws for an event that is
   * not in `events`. Returns a function that removes the listener.
   */
  on<E extends EventName>(event: E, callback: (payload: EventPayloads[E]) => void): Unsubscribe;
}

/** Methods of CoinpitApi that are request/response calls (everything except `on`). */
export type MethodName = Exclude<keyof CoinpitApi, 'on'>;

/** Method name on window.coinpit → ipcMain.handle channel. Exactly one entry per method. */
export const methods = {
  appVersion: 'app.version',
  profilesList: 'profiles.list',
  profilesCreate: 'profiles.create',
  profilesImportWif: 'profiles.importWif',
  profilesGenerateKey: 'profiles.generateKey',
  profilesSelect: 'profiles.select',
  profilesDelete: 'profiles.delete',
  profilesSetNetwork: 'profiles.setNetwork',
  profilesBackupExport: 'profiles.backupExport',
  keystoreStatus: 'keystore.status',
  keystoreUnlock: 'keystore.unlock',
  networkPresets: 'network.presets',
  connectionConnect: 'connection.connect',
  connectionDisconnect: 'connection.disconnect',
  connectionStatus: 'connection.status',
  marketInstruments: 'market.instruments',
  marketBook: 'market.book',
  marketTrades: 'market.trades',
  marketCandles: 'market.candles',
  marketBands: 'market.bands',
  marketInfo: 'market.info',
  marketConfig: 'market.config',
  ordersCreate: 'orders.create',
  ordersUpdate: 'orders.update',
  ordersCancel: 'orders.cancel',
  ordersCancelAll: 'orders.cancelAll',
  ordersPatch: 'orders.patch',
  ordersOpen: 'orders.open',
  ordersClosed: 'orders.closed',
  ordersCancelled: 'orders.cancelled',
  ordersExecutions: 'orders.executions',
  accountGet: 'account.get',
  accountPositions: 'account.positions',
  accountPnl: 'account.pnl',
  accountMargin: 'account.margin',
  walletBalances: 'wallet.balances',
  walletDepositAddress: 'wallet.depositAddress',
  walletMarginIn: 'wallet.marginIn',
  walletMarginOut: 'wallet.marginOut',
  walletWithdraw: 'wallet.withdraw',
  walletRecoveryStatus: 'wallet.recoveryStatus',
  walletRecoveryRefresh: 'wallet.recoveryRefresh',
  walletRecoveryExport: 'wallet.recoveryExport',
  walletRecoveryBroadcast: 'wallet.recoveryBroadcast',
  walletFaucet: 'wallet.faucet',
  offlineImportFile: 'offline.importFile',
  offlineReview: 'offline.review',
  offlineSign: 'offline.sign',
  offlineExport: 'offline.export',
  apiKeysList: 'apiKeys.list',
  apiKeysCreate: 'apiKeys.create',
  apiKeysExport: 'apiKeys.export',
  apiKeysImport: 'apiKeys.import',
  apiKeysRegister: 'apiKeys.register',
  apiKeysRevoke: 'apiKeys.revoke',
  settingsGet: 'settings.get',
  settingsSet: 'settings.set',
} as const satisfies Record<MethodName, string>;

export type Channel = (typeof methods)[MethodName];

/** Every invoke channel, for registration and checks. */
export const channels: readonly Channel[] = Object.freeze(Object.values(methods));

/** Events the renderer may subscribe to; main sends each on a channel of the same name. */
export const events: readonly EventName[] = Object.freeze([
  'book',
  'bookDiff',
  'trades',
  'bands',
  'instruments',
  'account',
  'orderResult',
  'connection',
  'recovery',
  'fill',
] as const satisfies readonly EventName[]);

/** The request (argument) type of a method; `undefined` for methods without one. */
export type RequestOf<M extends MethodName> = Parameters<CoinpitApi[M]> extends [infer R] ? R : undefined;

/** The reply type of a channel's handler. */
export type ReplyOf<M extends MethodName> = Awaited<ReturnType<CoinpitApi[M]>>;

/** The value inside a successful reply. */
export type ValueOf<M extends MethodName> = Extract<ReplyOf<M>, { ok: true }>['value'];

// Wire types of the Coinpit exchange API (PROTOCOL §3, §4, §8.12). Types only: no runtime code lives here.
// Amounts are satoshi, prices USD, stops/targets price points, entryTime/eventTime microseconds, other times ms.

/** `bitcoin` = mainnet (§1). The local exchange uses testnet address formats. */
export type Network = 'bitcoin' | 'testnet';

export type Side = 'buy' | 'sell';
/** Order types a user may create (§5.4). */
export type EntryOrderType = 'LMT' | 'MKT' | 'SLM' | 'STM';
/** Plus the system exit orders: STP (atomic stop) and TGT (target) (§3.2). */
export type OrderType = EntryOrderType | 'STP' | 'TGT';
export type OrderStatus = 'open' | 'filled' | 'cancel';
export type InstrumentType = 'inverse' | 'quanto';
export type ExpiryClass = 'weekly' | 'fiveMinutes';
export type InstrumentStatus = 'active' | 'expired';
/** The literal used for "no target" in targetPrice and for a TGT order's price. */
export type None = 'NONE';

/** §3.3 instrument, as in `GET /all/config` → `instruments[symbol]` and the `instruments` event. */
export interface Instrument {
  symbol: string;
  type: InstrumentType;
  /** `BTCUSD`, `MBTCUSD`; absent on the retired quanto `BTC1`. */
  template?: string;
  /** USD per contract (inverse only). */
  contractusdvalue?: number;
  /** Decimals for formatting a price (`toFixed(ticksize)`), not the tick itself. */
  ticksize: number;
  /** tick = 1 / ticksperpoint. */
  ticksperpoint: number;
  /** Satoshi per tick (quanto only). */
  tickvalue?: number;
  /** Taker rate: fraction if ≤ 1, else absolute satoshi per contract (§5.3). */
  commission: number;
  /** Maker rate (≤ 0): same format as commission. */
  reward: number;
  stopcushion: number;
  /** Default stop distance (points). */
  stopprice: number;
  /** Default target distance (points). */
  targetprice: number;
  crossMarginInitialStop: number;
  minMarketStop: number;
  minLimitStop: number;
  /** ≤ 1 fraction of the index, > 1 points (§8.13). */
  bandUpperLimit: number;
  bandLowerLimit: number;
  maxLeverage: number;
  uplDecimalPlaces: number;
  externalFeed: string;
  expiryClass?: ExpiryClass;
  /** ms */
  start: number;
  /** ms */
  expiry: number;
  /** Symbol of the following contract. */
  next?: string;
  status: InstrumentStatus;
  disabled?: boolean;
  introducerReward: number;
  introducedReward: number;
  rewardsCalculationInterval: number;
}

/** §3.3 config (`GET /all/config` → `config`, `config` event). */
export interface Config {
  network: Network;
  blockchainapi: { uri: string; socketuri: string; provider: string };
  /** Esplora base of the local exchange's simulated chain (§9). */
  esplora?: string;
  feePerKB: number;
  recoveryFeePerKB: number;
  minimumFee: number;
  maximumFee: number;
  bitcoinDust: number;
  sendFundsTXfee: number;
  sendFundsMaxTXfee: number;
  maxInputs: number;
  sliceSize: number;
  sliceThreshold: number;
  marginFeeThreshold: number;
  feeCheckInterval: number;
  feeChangeTolerance: number;
  reservedTicks: number;
  maxLeverage: number;
  maxOrdersCreateUpdate: number;
  maxPositionsMerge: number;
  geofence: { block: string[] };
  noSignup: boolean;
  links: Record<string, string>;
}

/** `GET /all/config` reply. */
export interface ConfigResponse {
  config: Config;
  instruments: Record<string, Instrument>;
}

/** One `priceband` entry: trading happens only inside [min, max] around the index `price` (§5.8). */
export interface Band {
  price: number;
  min: number;
  max: number;
  instrument: string;
}

export interface Level {
  price: number;
  numberOfOrders: number;
  totalQuantity: number;
  instrument: string;
}

/** Best first, up to 50 levels a side (§8.12). bid/ask are null on an empty side. */
export interface OrderBook {
  bid: number | null;
  ask: number | null;
  buy: Level[];
  sell: Level[];
}

/** `difforderbook` entry: levels keyed by price text; a level with 0 orders means "remove". */
export interface BookDiff {
  bid: number | null;
  ask: number | null;
  buy: Record<string, Level>;
  sell: Record<string, Level>;
}

/** §3.1 order creation request. */
export interface OrderRequest {
  clientid: string;
  userid: string;
  /** Symbol; required on the instrument-less `/order` paths, implied by `/contract/:symbol/…`. */
  instrument?: string;
  side: Side;
  quantity: number;
  orderType: EntryOrderType;
  /** Absent for MKT; a multiple of the tick otherwise. */
  price?: number;
  /** Points from the fill price (§8.14), > 0. */
  stopPrice?: number;
  /** Points from the fill price, ≥ 0, or "NONE". */
  targetPrice?: number | None;
  crossMargin?: boolean;
  postOnly?: boolean;
}

/** §3.2 order as the server reports it. */
export interface Order {
  uuid: string;
  clientid?: string;
  userid: string;
  instrument: string;
  side: Side;
  quantity: number;
  filled: number;
  cancelled: number;
  /** "NONE" for a TGT without target; null seen on broken stops. */
  price: number | None | null;
  normalizedPrice?: number | None | null;
  averagePrice: number;
  orderType: OrderType;
  stopPrice?: number;
  targetPrice?: number | None;
  crossMargin?: boolean;
  cushion?: number;
  reservedTicks?: number;
  /** Rates copied from the instrument (null seen on flatten orders). */
  commission?: number | null;
  reward?: number | null;
  status: OrderStatus;
  /** µs */
  entryTime: number;
  /** µs */
  eventTime: number;
  /** SLM/STM: the stop condition has fired. */
  triggered?: boolean;
  /** Entry orders: server-computed margin per contract. */
  marginPerQty?: number;
  postOnly?: boolean;
  // STP / TGT fields
  /** uuid of the partner exit order. */
  oco?: string;
  /** {entry order uuid: quantity}. */
  entryOrder?: Record<string, number>;
  entryPrice?: number;
  entryPrices?: number[];
  entryAmounts?: number[];
  /** Positive for exit orders: q × normalizedEntryPrice for a single fill. */
  entryAmount?: number;
  normalizedEntryPrice?: number;
  /** STP: worst fill price of the atomic stop (trigger ∓ cushion). */
  maxStop?: number | null;
  normalizedMaxStop?: number | null;
  flatten?: boolean;
  executionPrice?: number;
}

/** `PUT …/order/open` item: at minimum uuid and the new price ("NONE" allowed for a TGT). */
export interface UpdateRequest {
  uuid: string;
  price: number | None;
  instrument?: string;
}

/** §4.4 PATCH operations. */
export type PatchOp =
  | { op: 'add'; value: OrderRequest[] }
  | { op: 'remove'; value: string[] }
  | { op: 'replace'; value: UpdateRequest[] }
  | { op: 'merge'; value: string[] }
  | { op: 'split'; value: string[]; quantity: number };

/** One element of `order_patch.result` / the PATCH reply. */
export type PatchResult =
  | { op: 'add'; response: Order[]; error?: string }
  | { op: 'remove'; response: string[]; error?: string }
  | { op: 'replace'; response: Order[]; error?: string }
  | { op: 'merge'; response: { removed: string[]; added: Order[] }; error?: string }
  | { op: 'split'; response: Order[]; error?: string };

export interface Position {
  userid: string;
  instrument: string;
  averagePrice: number;
  /** Signed: < 0 short. */
  quantity: number;
  /** −Σ(signed fill qty × np(fill price)). */
  entryAmount: number;
  commission: number;
}

export interface Pnl {
  userid: string;
  accountid: string;
  /** Realized P&L, satoshi. */
  pnl: number;
  commission: number;
}

/** `GET /account` and the `account` field of the `account` event (§3.3). */
export interface Account {
  userid: string;
  /** Margin-address balance. */
  accountMargin: number;
  /** Available margin (§5.6). */
  margin: number;
  displayMargin: number;
  /** Multisig balance (absent in early payloads). */
  multisig?: number;
  positions: Record<string, Position>;
  /** Absent before the first trade in early payloads. */
  pnl?: Pnl;
  /** {symbol: {uuid: Order}} */
  orders: Record<string, Record<string, Order>>;
}

/** §8.12 trade: `side` is the taker side, `time` ms. */
export interface Trade {
  uuid: string;
  instrument: string;
  price: number;
  quantity: number;
  side: Side;
  time: number;
}

/** 5-minute candle; `time` = bucket start (ms). */
export interface Candle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface Execution {
  uuid: string;
  orderid: string;
  instrument: string;
  side: Side;
  quantity: number;
  price: number;
  liquidity: 'maker' | 'taker';
  /** Satoshi, negative = rebate. */
  commission: number;
  time: number;
}

/** `GET /account/margin` (§8.12). */
export interface MarginInfo {
  address: string;
  confirmed: number;
  unconfirmed: number;
  balance: number;
  available: number;
}

/** `GET /all/spec` value (§8.12). */
export interface Spec {
  symbol: string;
  type: InstrumentType;
  contractusdvalue?: number;
  ticksize: number;
  ticksperpoint: number;
  commission: number;
  reward: number;
  maxLeverage: number;
  bandUpperLimit: number;
  bandLowerLimit: number;
  expiry: number;
}

/** `GET /all/info` value. */
export interface InfoEntry {
  vol24H: { instrument: string; btc: number; qty: number };
  indexPrice: number;
}

/** Reply event `state` to the unsigned socket request `GET /state` (§8.12). */
export interface State {
  config: Config;
  instruments: Record<string, Instrument>;
  bands: Record<string, Band>;
  orderbook: Record<string, OrderBook>;
  readonly: boolean;
  server_time: number;
}

export interface WithdrawTxInput {
  txid: string;
  vout: number;
  value: number;
}

/** `GET /account/withdrawtx` and `/account/recoverytx` (§8.9). */
export interface WithdrawTx {
  tx: string;
  fee: number;
  inputs: WithdrawTxInput[];
}

export type ApiKeyRole = 'trade' | 'read';

/** An authorized API key (§2.8, §8.7): what `GET /account/apikey` lists. */
export interface ApiKeyRecord {
  /** First 16 hex chars of apiPublicKey. */
  name: string;
  role: ApiKeyRole;
  /** Ed25519 public key, 64 hex. */
  apiPublicKey: string;
  userid: string;
  /** Base64 Bitcoin signed message over JSON.stringify({name, role, apiPublicKey, userid}). */
  authorization: string;
}

/** `POST /auth/apikey` body (§8.7). */
export interface ApiKeyRegistration extends ApiKeyRecord {
  /** The user's bitcoin public key (hex); must hash to userid. */
  publicKey: string;
}

/** `GET /auth/:publicKey` and `POST /auth` reply. */
export interface AuthResponse {
  userid: string;
  serverPublicKey: string;
}

/** HTTP error body (§8.12). */
export interface ApiError {
  error: string;
}

/** Payload of a socket request event `"<METHOD> <uri>"` (§4.2). */
export interface SocketRequest {
  headers: { requestid?: string; Authorization?: string; Nonce?: number };
  method: string;
  uri: string;
  params: Record<string, unknown>;
  body?: unknown;
  retry?: boolean;
}

/** Server → client socket events (§4.3) plus the `state` reply (§8.12): event name → payload. */
export interface ServerEvents {
  server_time: number;
  auth_error: { data: SocketRequest; error: string; server_time: number };
  order_add: { requestid?: string; result: Order[] };
  order_update: { requestid?: string; result: Order[] };
  order_del: { requestid?: string; result: string[] };
  order_del_all: { requestid?: string };
  order_patch: { requestid?: string; result: PatchResult[] };
  order_error: { requestid?: string; error: string };
  account: { account: Account; error?: string };
  orderbook: Record<string, OrderBook>;
  difforderbook: Record<string, BookDiff>;
  priceband: Record<string, Band>;
  trade: Trade[];
  readonly: { readonly: boolean };
  config: Config;
  instruments: Record<string, Instrument>;
  state: State;
}

export type ServerEventName = keyof ServerEvents;

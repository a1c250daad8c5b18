import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { availableMargin, bandLimits, type MarginAccount } from '../../../main/coinpit/instruments';
import type {
  Account,
  AuthResponse,
  ConfigResponse,
  InfoEntry,
  Instrument,
  Order,
  Pnl,
  Position,
  ServerEvents,
} from '../../../main/coinpit/types';

// Sample payloads (api_payloads.json, margin.json) checked against runtime schemas that mirror types.ts. The
// `Same<…>` lines below make tsc fail when a schema and its type drift apart, so these checks are the types' checks.
function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/vectors/${name}`, import.meta.url), 'utf8')) as T;
}

const num = v.number();
const str = v.string();
const side = v.picklist(['buy', 'sell']);
const NONE = v.literal('NONE');

const InstrumentSchema = v.object({
  symbol: str,
  type: v.picklist(['inverse', 'quanto']),
  template: v.optional(str),
  contractusdvalue: v.optional(num),
  ticksize: num,
  ticksperpoint: num,
  tickvalue: v.optional(num),
  commission: num,
  reward: num,
  stopcushion: num,
  stopprice: num,
  targetprice: num,
  crossMarginInitialStop: num,
  minMarketStop: num,
  minLimitStop: num,
  bandUpperLimit: num,
  bandLowerLimit: num,
  maxLeverage: num,
  uplDecimalPlaces: num,
  externalFeed: str,
  expiryClass: v.optional(v.picklist(['weekly', 'fiveMinutes'])),
  start: num,
  expiry: num,
  next: v.optional(str),
  status: v.picklist(['active', 'expired']),
  disabled: v.optional(v.boolean()),
  introducerReward: num,
  introducedReward: num,
  rewardsCalculationInterval: num,
});

const ConfigSchema = v.object({
  network: v.picklist(['bitcoin', 'testnet']),
  blockchainapi: v.object({ uri: str, socketuri: str, provider: str }),
  esplora: v.optional(str),
  feePerKB: num,
  recoveryFeePerKB: num,
  minimumFee: num,
  maximumFee: num,
  bitcoinDust: num,
  sendFundsTXfee: num,
  sendFundsMaxTXfee: num,
  maxInputs: num,
  sliceSize: num,
  sliceThreshold: num,
  marginFeeThreshold: num,
  feeCheckInterval: num,
  feeChangeTolerance: num,
  reservedTicks: num,
  maxLeverage: num,
  maxOrdersCreateUpdate: num,
  maxPositionsMerge: num,
  geofence: v.object({ block: v.array(str) }),
  noSignup: v.boolean(),
  links: v.record(str, str),
});

const ConfigResponseSchema = v.object({ config: ConfigSchema, instruments: v.record(str, InstrumentSchema) });

const OrderSchema = v.object({
  uuid: str,
  clientid: v.optional(str),
  userid: str,
  instrument: str,
  side,
  quantity: num,
  filled: num,
  cancelled: num,
  price: v.nullable(v.union([num, NONE])),
  normalizedPrice: v.optional(v.nullable(v.union([num, NONE]))),
  averagePrice: num,
  orderType: v.picklist(['LMT', 'MKT', 'SLM', 'STM', 'STP', 'TGT']),
  stopPrice: v.optional(num),
  targetPrice: v.optional(v.union([num, NONE])),
  crossMargin: v.optional(v.boolean()),
  cushion: v.optional(num),
  reservedTicks: v.optional(num),
  commission: v.optional(v.nullable(num)),
  reward: v.optional(v.nullable(num)),
  status: v.picklist(['open', 'filled', 'cancel']),
  entryTime: num,
  eventTime: num,
  triggered: v.optional(v.boolean()),
  marginPerQty: v.optional(num),
  postOnly: v.optional(v.boolean()),
  oco: v.optional(str),
  entryOrder: v.optional(v.record(str, num)),
  entryPrice: v.optional(num),
  entryPrices: v.optional(v.array(num)),
  entryAmounts: v.optional(v.array(num)),
  entryAmount: v.optional(num),
  normalizedEntryPrice: v.optional(num),
  maxStop: v.optional(v.nullable(num)),
  normalizedMaxStop: v.optional(v.nullable(num)),
  flatten: v.optional(v.boolean()),
  executionPrice: v.optional(num),
});

const PositionSchema = v.object({ userid: str, instrument: str, averagePrice: num, quantity: num, entryAmount: num, commission: num });
const PnlSchema = v.object({ userid: str, accountid: str, pnl: num, commission: num });
const AccountSchema = v.object({
  userid: str,
  accountMargin: num,
  margin: num,
  displayMargin: num,
  multisig: v.optional(num),
  positions: v.record(str, PositionSchema),
  pnl: v.optional(PnlSchema),
  orders: v.record(str, v.record(str, OrderSchema)),
});
const InfoEntrySchema = v.object({ vol24H: v.object({ instrument: str, btc: num, qty: num }), indexPrice: num });
const AuthResponseSchema = v.object({ userid: str, serverPublicKey: str });
const OrderDelSchema = v.object({ requestid: v.optional(str), result: v.array(str) });

// Compile-time: each schema's output and its type are mutually assignable.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typeChecks: true[] = [
  true satisfies Same<v.InferOutput<typeof InstrumentSchema>, Instrument>,
  true satisfies Same<v.InferOutput<typeof ConfigResponseSchema>, ConfigResponse>,
  true satisfies Same<v.InferOutput<typeof OrderSchema>, Order>,
  true satisfies Same<v.InferOutput<typeof PositionSchema>, Position>,
  true satisfies Same<v.InferOutput<typeof PnlSchema>, Pnl>,
  true satisfies Same<v.InferOutput<typeof AccountSchema>, Account>,
  true satisfies Same<v.InferOutput<typeof InfoEntrySchema>, InfoEntry>,
  true satisfies Same<v.InferOutput<typeof AuthResponseSchema>, AuthResponse>,
  true satisfies Same<v.InferOutput<typeof OrderDelSchema>, ServerEvents['order_del']>,
];

function expectValid(schema: v.GenericSchema, value: unknown): void {
  const r = v.safeParse(schema, value);
  expect(r.success, r.success ? '' : v.summarize(r.issues)).toBe(true);
}

interface PayloadVectors {
  all_config_response: { value: ConfigResponse };
  account_response: { value: Account };
  order_del_event: { value: unknown };
  python_fixtures: {
    all_info_response: Record<string, unknown>;
    auth_response: unknown;
    account_response_empty: unknown;
    open_orders_response: unknown[];
  };
}
interface MarginVectors {
  instruments: Record<string, unknown>;
  orders: { inverse: Record<string, Record<string, unknown>> };
  quanto_margin_cases: { order: Record<string, unknown> }[];
  marginUtil_cases: {
    negativeBalance: { fixture: { orders: Record<string, Record<string, unknown>>; positions: Record<string, unknown>; profitAndLoss: unknown } };
    invalidStopPrice: { fixture: { nullPrice: { orders: Record<string, Record<string, unknown>> }; zeroPrice: { orders: Record<string, Record<string, unknown>>; pnl: unknown }; instruments: Record<string, unknown> } };
  };
}

const payloads = load<PayloadVectors>('api_payloads.json');
const margin = load<MarginVectors>('margin.json');

describe('GET /account: derived margin', () => {
  const account = payloads.account_response.value;
  const instruments = payloads.all_config_response.value.instruments;

  for (const mode of ['min-cross', 'max-cross'] as const) {
    it(`account.margin = availableMargin(account, ${mode})`, () => {
      expect(availableMargin(account, instruments, {}, mode)).toBe(account.margin);
      expect(account.margin).toBe(374103575);
      expect(account.displayMargin).toBe(account.margin);
    });
  }

  it('an empty account has all its accountMargin available', () => {
    const empty = payloads.python_fixtures.account_response_empty as MarginAccount;
    expect(availableMargin(empty, {}, {}, 'max-cross')).toBe(0);
  });

  it('bands from the config instruments hold an index inside them', () => {
    for (const instrument of Object.values(instruments)) {
      const band = bandLimits(1184.9, instrument);
      expect(band.min).toBeLessThan(1184.9);
      expect(band.max).toBeGreaterThan(1184.9);
      expect(band.instrument).toBe(instrument.symbol);
    }
  });
});

describe('sample payloads satisfy the wire types', () => {
  it('schemas mirror the types (compile-time)', () => expect(typeChecks.every(Boolean)).toBe(true));

  it('GET /all/config', () => expectValid(ConfigResponseSchema, payloads.all_config_response.value));
  it('GET /account', () => expectValid(AccountSchema, payloads.account_response.value));
  it('GET /account before any trade (python)', () => expectValid(AccountSchema, payloads.python_fixtures.account_response_empty));
  it('account event wraps an Account', () => expectValid(v.object({ account: AccountSchema, error: v.optional(str) }), { account: payloads.account_response.value }));
  it('GET /all/info (python)', () => expectValid(v.record(str, InfoEntrySchema), payloads.python_fixtures.all_info_response));
  it('GET /auth/:publicKey (python)', () => expectValid(AuthResponseSchema, payloads.python_fixtures.auth_response));
  it('open orders (python)', () => expectValid(v.array(OrderSchema), payloads.python_fixtures.open_orders_response));
  it('order_del event', () => expectValid(OrderDelSchema, payloads.order_del_event.value));

  it('margin.json server orders, positions, pnl and instruments', () => {
    const mu = margin.marginUtil_cases;
    const serverOrders = [
      margin.orders.inverse.cross,
      margin.quanto_margin_cases[1]!.order,
      ...Object.values(mu.negativeBalance.fixture.orders).flatMap((m) => Object.values(m)),
      ...Object.values(mu.invalidStopPrice.fixture.nullPrice.orders).flatMap((m) => Object.values(m)),
      ...Object.values(mu.invalidStopPrice.fixture.zeroPrice.orders).flatMap((m) => Object.values(m)),
    ];
    expect(serverOrders).toHaveLength(10);
    for (const o of serverOrders) expectValid(OrderSchema, o);
    expectValid(v.record(str, PositionSchema), mu.negativeBalance.fixture.positions);
    expectValid(PnlSchema, mu.negativeBalance.fixture.profitAndLoss);
    expectValid(PnlSchema, mu.invalidStopPrice.fixture.zeroPrice.pnl);
    expectValid(v.record(str, InstrumentSchema), mu.invalidStopPrice.fixture.instruments);
    for (const key of ['BTC1', 'BTCUSD7F20', 'BTCUSD7F27', 'BTCUSD7H10', 'REWARD_CONTRACT', 'HIGH_COMMISION_CONTRACT']) {
      expectValid(InstrumentSchema, margin.instruments[key]);
    }
  });

  it('rejects payloads that break the types', () => {
    const order = payloads.python_fixtures.open_orders_response[0] as Record<string, unknown>;
    expect(v.safeParse(OrderSchema, { ...order, side: 'long' }).success).toBe(false);
    expect(v.safeParse(OrderSchema, { ...order, price: '1069.8' }).success).toBe(false);
    expect(v.safeParse(OrderSchema, { ...order, status: 'cancelled' }).success).toBe(false);
    const { uuid: _uuid, ...noUuid } = order;
    expect(v.safeParse(OrderSchema, noUuid).success).toBe(false);
    expect(v.safeParse(InstrumentSchema, margin.instruments.NAN_REWARD).success).toBe(false);
    const { orders: _orders, ...noOrders } = payloads.account_response.value;
    expect(v.safeParse(AccountSchema, noOrders).success).toBe(false);
    expect(v.safeParse(ConfigSchema, { ...payloads.all_config_response.value.config, network: 'mainnet' }).success).toBe(false);
  });
});

describe('ServerEvents covers every §4.3 event plus state', () => {
  // A Record over keyof ServerEvents: tsc rejects this literal if an event is missing or unknown.
  const names: Record<keyof ServerEvents, true> = {
    server_time: true,
    auth_error: true,
    order_add: true,
    order_update: true,
    order_del: true,
    order_del_all: true,
    order_patch: true,
    order_error: true,
    account: true,
    orderbook: true,
    difforderbook: true,
    priceband: true,
    trade: true,
    readonly: true,
    config: true,
    instruments: true,
    state: true,
  };
  it('lists 17 events', () => expect(Object.keys(names)).toHaveLength(17));
});

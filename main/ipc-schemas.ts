// One valibot schema per contract method: what main accepts from the renderer before anything else looks at it.
// Objects are strict (an unknown key is an error), strings and arrays are bounded, numbers are finite and amounts
// are safe integers. The types the schemas produce are checked against preload/contract.ts at compile time (the
// `check` below), so a contract change that the schemas do not follow fails `tsc`.
// Electron-free: the IPC handlers and the web host share it.
import * as v from 'valibot';
import type { MethodName, RequestOf } from '../preload/contract';

/** Longest text file (PSBT, signing request, API key file) accepted over IPC. */
export const MAX_FILE_TEXT = 1_000_000;
/** Most orders / updates / ids in one call (the exchange's own limit is lower). */
export const MAX_ITEMS = 100;
const MAX_SATOSHI = 21e14;

const text = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max));
const name = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(64));
const id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/));
/** symbols and order uuids are URL path segments (the REST client's rule) */
const segment = (max: number) => v.pipe(v.string(), v.regex(new RegExp(`^[A-Za-z0-9._~-]{1,${max}}$`)));
const symbol = segment(32);
const uuid = segment(64);
const apiKeyName = v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/));
const httpUrl = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.url(),
  v.check((s) => /^https?:\/\//i.test(s), 'an http(s) URL'),
);
// Base58 WIF: 51 (uncompressed) or 52 (compressed) characters; the wallet code explains which are refused.
const wif = v.pipe(v.string(), v.trim(), v.regex(/^[1-9A-HJ-NP-Za-km-z]{50,53}$/));
const passphrase = text(1024);
const satoshi = v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(MAX_SATOSHI));
const price = v.pipe(v.number(), v.finite(), v.gtValue(0), v.maxValue(1e9));
const points = v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1e9));
const quantity = v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(1e9));
const list = <T extends v.GenericSchema>(item: T) => v.pipe(v.array(item), v.minLength(1), v.maxLength(MAX_ITEMS));
const none = v.literal('NONE');
const nothing = v.undefined();

const networkChoice = v.variant('kind', [
  v.strictObject({ kind: v.literal('local') }),
  v.strictObject({ kind: v.literal('preset'), preset: v.picklist(['testnet', 'mainnet']) }),
  v.strictObject({ kind: v.literal('custom'), coinpitUrl: httpUrl, esploraUrl: httpUrl }),
]);

const fileSource = v.variant('source', [
  v.strictObject({ source: v.literal('dialog') }),
  v.strictObject({ source: v.literal('text'), text: text(MAX_FILE_TEXT), fileName: v.optional(text(255)) }),
]);

const orderInput = v.strictObject({
  instrument: symbol,
  side: v.picklist(['buy', 'sell']),
  quantity,
  orderType: v.picklist(['LMT', 'MKT', 'SLM', 'STM']),
  price: v.optional(price),
  stopPrice: v.pipe(points, v.gtValue(0)),
  targetPrice: v.optional(v.union([points, none])),
  crossMargin: v.optional(v.boolean()),
  postOnly: v.optional(v.boolean()),
  clientid: v.optional(uuid),
});

const orderUpdate = v.strictObject({ uuid, price: v.union([price, none]) });

const patchOp = v.variant('op', [
  v.strictObject({ op: v.literal('add'), value: list(orderInput) }),
  v.strictObject({ op: v.literal('remove'), value: list(uuid) }),
  v.strictObject({ op: v.literal('replace'), value: list(orderUpdate) }),
  v.strictObject({ op: v.literal('merge'), value: list(uuid) }),
  v.strictObject({ op: v.literal('split'), value: list(uuid), quantity }),
]);

const profileId = v.strictObject({ id });
const symbolRequest = v.strictObject({ symbol });
const orderPage = v.strictObject({ symbol, after: v.optional(uuid) });
const signingFile = v.strictObject({ id });
const keyName = v.strictObject({ name: apiKeyName });

export const schemas = {
  appVersion: nothing,

  profilesList: nothing,
  profilesCreate: v.strictObject({
    name,
    network: networkChoice,
    keystore: v.picklist(['keychain', 'vault']),
    passphrase: v.optional(passphrase),
  }),
  profilesImportWif: v.strictObject({ id, wif, passphrase: v.optional(passphrase) }),
  profilesGenerateKey: v.strictObject({ id, passphrase: v.optional(passphrase) }),
  profilesSelect: profileId,
  profilesDelete: profileId,
  profilesSetNetwork: v.strictObject({ id, network: networkChoice }),
  profilesBackupExport: profileId,
  keystoreStatus: nothing,
  keystoreUnlock: v.strictObject({ passphrase }),

  networkPresets: nothing,
  connectionConnect: nothing,
  connectionDisconnect: nothing,
  connectionStatus: nothing,

  marketInstruments: nothing,
  marketBook: symbolRequest,
  marketTrades: symbolRequest,
  marketCandles: symbolRequest,
  marketBands: nothing,
  marketInfo: nothing,
  marketConfig: nothing,

  ordersCreate: v.strictObject({ orders: list(orderInput) }),
  ordersUpdate: v.strictObject({ symbol, updates: list(orderUpdate) }),
  ordersCancel: v.strictObject({ symbol, uuid }),
  ordersCancelAll: symbolRequest,
  ordersPatch: v.strictObject({ symbol, ops: list(patchOp) }),
  ordersOpen: symbolRequest,
  ordersClosed: orderPage,
  ordersCancelled: orderPage,
  ordersExecutions: nothing,

  accountGet: nothing,
  accountPositions: nothing,
  accountPnl: nothing,
  accountMargin: nothing,

  walletBalances: nothing,
  walletDepositAddress: v.strictObject({ amount: v.optional(satoshi), label: v.optional(text(100)) }),
  walletMarginIn: v.strictObject({ amount: v.union([satoshi, v.literal('max')]) }),
  walletMarginOut: v.strictObject({ amount: v.union([satoshi, v.literal('all')]) }),
  walletWithdraw: v.strictObject({
    address: v.pipe(v.string(), v.regex(/^[A-Za-z0-9]{14,90}$/)),
    amount: v.union([satoshi, v.literal('max')]),
    feePerKB: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(10_000_000))),
  }),
  walletRecoveryStatus: nothing,
  walletRecoveryRefresh: nothing,
  walletRecoveryExport: nothing,
  walletRecoveryBroadcast: nothing,
  walletFaucet: v.strictObject({
    amount: satoshi,
    address: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9]{14,90}$/))),
  }),

  offlineImportFile: fileSource,
  offlineReview: signingFile,
  offlineSign: signingFile,
  offlineExport: signingFile,

  apiKeysList: nothing,
  apiKeysCreate: v.strictObject({ role: v.picklist(['trade', 'read']) }),
  apiKeysExport: keyName,
  apiKeysImport: fileSource,
  apiKeysRegister: keyName,
  apiKeysRevoke: keyName,

  settingsGet: nothing,
  settingsSet: v.strictObject({
    theme: v.optional(v.picklist(['system', 'dark', 'light'])),
    units: v.optional(v.picklist(['btc', 'sat'])),
  }),
} as const satisfies Record<MethodName, v.GenericSchema>;

export type Schemas = typeof schemas;

/** What a handler receives after validation. */
export type ParsedRequest<M extends MethodName> = v.InferOutput<Schemas[M]>;

// ---- compile-time agreement with the contract: each schema's output is exactly the method's request type
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Agreement = { [M in MethodName]: Same<ParsedRequest<M>, RequestOf<M>> };
const check: { [M in MethodName]: true } = null as unknown as Agreement;
void check;

export type ValidationResult<M extends MethodName> =
  | { ok: true; value: RequestOf<M> }
  | { ok: false; message: string };

/**
 * Validates the argument list of a call. Methods take at most one argument. The message names where the payload
 * is wrong and what was expected, but never repeats the value (it could be a key or a passphrase).
 */
export function validateRequest<M extends MethodName>(method: M, args: readonly unknown[]): ValidationResult<M> {
  if (args.length > 1) return { ok: false, message: `Invalid input: ${method} takes at most one argument.` };
  const schema: v.GenericSchema = schemas[method];
  const arg = args[0];
  // valibot's object schemas accept any object whose own keys fit, so an array (or a Map, a Date…) would pass an
  // all-optional object; only plain JSON-like data is accepted, and an array never stands for an object.
  if (!isPlainData(arg, 0) || (Array.isArray(arg) && schema.type !== 'array')) {
    return { ok: false, message: 'Invalid input: expected plain data (objects, arrays, strings, numbers, booleans).' };
  }
  const parsed = v.safeParse(schema, arg);
  if (parsed.success) return { ok: true, value: parsed.output as RequestOf<M> };
  const issue = parsed.issues[0];
  const path = issue.path ?? [];
  // An unknown key is renderer data (it could even be a secret pasted in the wrong place): never name it.
  const unknownKey = path.some((p) => p.origin === 'key');
  const where = path
    .filter((p) => p.origin !== 'key')
    .map((p) => String(p.key))
    .join('.');
  // `expected` describes the rule (a type, a literal list, a length bound), never the received value.
  const expected = typeof issue.expected === 'string' && issue.expected.length <= 200 ? issue.expected : issue.type;
  const at = where ? ` at "${where.slice(0, 200)}"` : '';
  return { ok: false, message: unknownKey ? `Invalid input${at}: unexpected field.` : `Invalid input${at}: expected ${expected}.` };
}

const MAX_DEPTH = 16;

/** JSON-like data only: plain objects and arrays (no class instances, Maps, Dates, typed arrays), bounded depth. */
function isPlainData(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function' && typeof value !== 'symbol' && typeof value !== 'bigint';
  if (depth > MAX_DEPTH) return false;
  const proto = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) return false;
    return value.every((item) => isPlainData(item, depth + 1));
  }
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((item) => isPlainData(item, depth + 1));
}

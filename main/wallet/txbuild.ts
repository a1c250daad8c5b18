// Coin selection and unsigned transaction building (PROTOCOL §6.2, §8.9–§8.11).
// Sizes and fees follow the reference client's estimate (nIn×250|149 + nOut×34 + 10 bytes, fee = round(feePerKB ×
// size / 1000)); dust, feePerKB and the fee limits come from the server config. Only confirmed UTXOs are spent.
import { Transaction } from 'bitcoinjs-lib';
import { fromHex, hash256, isHex, toHex } from '../coinpit/hash';
import { outputScript, scriptAddress, type NetworkName, type WalletAccount } from './account';

export const BYTES_PER_INPUT = { multisig: 250, p2pkh: 149 } as const;
export const BYTES_PER_OUTPUT = 34;
export const OVERHEAD_BYTES = 10;
/** The reference client's defaults (§6.2); the app uses the server config's values (§8.11). */
export const REFERENCE_FEE_PER_KB = 50000;
export const REFERENCE_DUST = 5430;
export const MAX_SATOSHI = 21e14;

export type InputType = keyof typeof BYTES_PER_INPUT;

export function estimateSize(nIn: number, nOut: number, inputType: InputType = 'multisig'): number {
  return nIn * BYTES_PER_INPUT[inputType] + nOut * BYTES_PER_OUTPUT + OVERHEAD_BYTES;
}

export function feeForSize(size: number, feePerKB: number): number {
  return Math.round((feePerKB * size) / 1000);
}

// ---- BTC <-> satoshi, exact decimal arithmetic (no float multiply) ----

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/** BTC amount → satoshi, Math.round semantics (half up) on the exact decimal value of the input. */
export function satoshify(btc: number | string): number {
  if (typeof btc === 'number' && !Number.isFinite(btc)) throw new Error('BTC amount must be a finite number');
  const text = typeof btc === 'number' ? String(btc) : btc.trim();
  const m = DECIMAL_RE.exec(text);
  if (!m) throw new Error('BTC amount must be a decimal number');
  const negative = m[1] === '-';
  const frac = m[3] ?? '';
  let digits = BigInt((m[2] ?? '0') + frac);
  let exp = Number(m[4] ?? '0') - frac.length + 8; // value = digits × 10^exp satoshi
  if (exp >= 0) {
    digits *= 10n ** BigInt(exp);
    exp = 0;
  }
  const scale = 10n ** BigInt(-exp);
  let sat = digits / scale;
  const rest = digits % scale;
  // Math.round: ties go towards +infinity
  if (negative) {
    if (rest * 2n > scale) sat += 1n;
  } else if (rest * 2n >= scale) {
    sat += 1n;
  }
  const value = Number(negative ? -sat : sat);
  if (!Number.isSafeInteger(value)) throw new Error('BTC amount out of range');
  return value === 0 ? 0 : value;
}

/** Satoshi → BTC decimal string (rounded to whole satoshi first; no trailing zeros). */
export function btcfy(satoshi: number): string {
  if (typeof satoshi !== 'number' || !Number.isFinite(satoshi)) throw new Error('Satoshi amount must be a finite number');
  const sat = Math.round(satoshi);
  if (!Number.isSafeInteger(sat)) throw new Error('Satoshi amount out of range');
  const abs = BigInt(Math.abs(sat));
  const whole = abs / 100000000n;
  const frac = (abs % 100000000n).toString().padStart(8, '0').replace(/0+$/, '');
  return `${sat < 0 ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

/** txid of a raw transaction: byte-reversed SHA256d, hex. */
export function txidFromHex(hex: string): string {
  if (!isHex(hex) || hex.length === 0) throw new Error('Transaction must be non-empty hex');
  return toHex(hash256(fromHex(hex)).reverse());
}

// ---- UTXOs ----

/** A spendable output as the chain clients report it (Esplora `status.confirmed`, Insight `confirmations`). */
export interface Unspent {
  txid: string;
  vout: number;
  /** satoshi */
  value: number;
  confirmations?: number;
  confirmed?: boolean;
  status?: { confirmed?: boolean };
  spent?: boolean;
  double_spend?: boolean;
}

export interface Outpoint {
  txid: string;
  vout: number;
  value: number;
}

type FilterFields = Pick<Unspent, 'confirmations' | 'confirmed' | 'status' | 'spent' | 'double_spend'>;

/** Confirmed, unspent, not double-spent — explicit evidence of confirmation is required. */
export function isConfirmedUnspent(u: FilterFields): boolean {
  if (u.spent || u.double_spend) return false;
  if (typeof u.confirmations === 'number') return u.confirmations >= 1;
  if (typeof u.confirmed === 'boolean') return u.confirmed;
  return u.status?.confirmed === true;
}

/** Drops unconfirmed, spent and double-spent outputs; keeps the order (§6.2 step 1). */
export function filterUnspents<T extends FilterFields>(unspents: readonly T[]): T[] {
  if (!Array.isArray(unspents)) throw new Error('Unspents must be an array');
  return unspents.filter(isConfirmedUnspent);
}

function checkOutpoint(u: Outpoint, i: number): void {
  if (!u || typeof u !== 'object') throw new Error(`UTXO #${i}: not an object`);
  if (!isHex(u.txid, 32)) throw new Error(`UTXO #${i}: txid must be 64 hex characters`);
  if (!Number.isInteger(u.vout) || u.vout < 0 || u.vout > 0xffffffff) throw new Error(`UTXO #${i}: bad vout`);
  if (!Number.isSafeInteger(u.value) || u.value <= 0 || u.value > MAX_SATOSHI) {
    throw new Error(`UTXO #${i}: value must be a positive integer number of satoshi`);
  }
}

function checkAmount(amount: number, what: string): void {
  if (!Number.isSafeInteger(amount) || amount <= 0 || amount > MAX_SATOSHI) {
    throw new Error(`${what} must be a positive integer number of satoshi`);
  }
}

// ---- coin selection ----

export interface FeePolicy {
  /** satoshi per 1000 bytes of estimated size */
  feePerKB: number;
  /** outputs at or below this are not created (change goes to the fee instead) */
  dust: number;
  /** config.minimumFee: a floor for the computed fee */
  minimumFee?: number;
  /** config.maximumFee: building refuses a larger fee */
  maximumFee?: number;
}

export interface SelectionOptions extends FeePolicy {
  /** satoshi to deliver, or 'max' = everything minus the fee */
  amount: number | 'max';
  inputType?: InputType;
  /** an explicit fee (floored to whole satoshi) instead of feePerKB × size */
  fee?: number;
}

export interface Selection<T extends Outpoint = Outpoint> {
  inputs: T[];
  /** delivered to the destination */
  amount: number;
  /** 0 when no change output */
  change: number;
  /** everything not delivered or returned as change */
  fee: number;
  /** estimated size the fee was computed from */
  size: number;
}

function checkPolicy(p: FeePolicy): void {
  if (!Number.isFinite(p.feePerKB) || p.feePerKB < 0) throw new Error('feePerKB must be a non-negative number');
  if (!Number.isSafeInteger(p.dust) || p.dust < 0) throw new Error('dust must be a non-negative integer');
  if (p.minimumFee !== undefined && (!Number.isSafeInteger(p.minimumFee) || p.minimumFee < 0)) {
    throw new Error('minimumFee must be a non-negative integer');
  }
  if (p.maximumFee !== undefined && (!Number.isSafeInteger(p.maximumFee) || p.maximumFee < 0)) {
    throw new Error('maximumFee must be a non-negative integer');
  }
}

/**
 * Picks UTXOs in the given order (§6.2 step 2–4) so that inputs ≥ amount + fee, where the fee is computed
 * for the outputs actually created (change only when above dust; smaller change is left to the fee).
 * The caller passes confirmed UTXOs (see filterUnspents).
 */
export function selectCoins<T extends Outpoint>(utxos: readonly T[], opts: SelectionOptions): Selection<T> {
  checkPolicy(opts);
  if (!Array.isArray(utxos)) throw new Error('UTXOs must be an array');
  utxos.forEach(checkOutpoint);
  const inputType = opts.inputType ?? 'multisig';
  const explicitFee = opts.fee === undefined ? undefined : Math.floor(opts.fee);
  if (explicitFee !== undefined && (!Number.isSafeInteger(explicitFee) || explicitFee < 0)) {
    throw new Error('fee must be a non-negative number of satoshi');
  }
  const feeFor = (nIn: number, nOut: number): number =>
    explicitFee ?? Math.max(opts.minimumFee ?? 0, feeForSize(estimateSize(nIn, nOut, inputType), opts.feePerKB));
  const total = utxos.reduce((s, u) => s + u.value, 0);

  let result: Selection<T>;
  if (opts.amount === 'max') {
    if (utxos.length === 0) throw new Error('No confirmed funds to send');
    const fee = feeFor(utxos.length, 1);
    const amount = total - fee;
    if (amount <= opts.dust) {
      throw new Error(`Confirmed balance ${total} sat is too small: after the ${fee} sat fee nothing above dust (${opts.dust} sat) is left`);
    }
    result = { inputs: [...utxos], amount, change: 0, fee, size: estimateSize(utxos.length, 1, inputType) };
  } else {
    checkAmount(opts.amount, 'Amount');
    if (opts.amount <= opts.dust) throw new Error(`Amount ${opts.amount} sat is not above dust (${opts.dust} sat)`);
    let sum = 0;
    let found: Selection<T> | undefined;
    for (let n = 1; n <= utxos.length && !found; n++) {
      sum += utxos[n - 1]!.value;
      const feeWithChange = feeFor(n, 2);
      const change = sum - opts.amount - feeWithChange;
      if (change > opts.dust) {
        found = { inputs: utxos.slice(0, n), amount: opts.amount, change, fee: feeWithChange, size: estimateSize(n, 2, inputType) };
      } else if (sum >= opts.amount + feeFor(n, 1)) {
        found = { inputs: utxos.slice(0, n), amount: opts.amount, change: 0, fee: sum - opts.amount, size: estimateSize(n, 1, inputType) };
      }
    }
    if (!found) {
      const need = opts.amount + feeFor(Math.max(utxos.length, 1), 1);
      throw new Error(`Insufficient confirmed funds: have ${total} sat, need at least ${need} sat (amount + fee)`);
    }
    result = found;
  }
  if (opts.maximumFee !== undefined && result.fee > opts.maximumFee) {
    throw new Error(`Fee ${result.fee} sat is above the configured maximum of ${opts.maximumFee} sat`);
  }
  return result;
}

// ---- unsigned transactions ----

export interface TxTemplate {
  version?: number;
  locktime?: number;
  sequence?: number;
}

/** §6.2 step 5: version 1, empty scriptSigs, sequence 0xffffffff, locktime 0. */
export const CLIENT_TX: Required<TxTemplate> = { version: 1, locktime: 0, sequence: 0xffffffff };
/** §8.9: the server's withdrawtx/recoverytx shape. */
export const SERVER_TX: Required<TxTemplate> = { version: 2, locktime: 0, sequence: 0xfffffffe };

export function unsignedTx(
  inputs: readonly Outpoint[],
  outputs: readonly { script: Uint8Array; value: number }[],
  template: TxTemplate = CLIENT_TX,
): Transaction {
  const t = { ...CLIENT_TX, ...template };
  const tx = new Transaction();
  tx.version = t.version;
  tx.locktime = t.locktime;
  for (const u of inputs) tx.addInput(fromHex(u.txid).reverse(), u.vout, t.sequence);
  for (const o of outputs) tx.addOutput(o.script, BigInt(o.value));
  return tx;
}

export interface BuiltOutput {
  address: string;
  value: number;
  role: 'payment' | 'change';
}

export interface BuiltTx {
  /** unsigned transaction, hex */
  hex: string;
  tx: Transaction;
  inputs: Outpoint[];
  outputs: BuiltOutput[];
  amount: number;
  change: number;
  fee: number;
  /** estimated final size the fee was computed from */
  size: number;
}

export interface SpendOptions extends SelectionOptions {
  network: NetworkName;
  /** UTXOs of `from` (unfiltered: unconfirmed/spent ones are dropped here) */
  unspents: readonly Unspent[];
  /** change address */
  from: string;
  to: string;
  template?: TxTemplate;
}

/** Builds an unsigned spend of `from`'s confirmed UTXOs to `to`, change back to `from`. */
export function buildSpend(opts: SpendOptions): BuiltTx {
  const toScript = outputScript(opts.to, opts.network);
  const changeScript = outputScript(opts.from, opts.network);
  const confirmed = filterUnspents(opts.unspents).map((u) => ({ txid: u.txid, vout: u.vout, value: u.value }));
  const dup = new Set<string>();
  for (const u of confirmed) {
    const key = `${u.txid}:${u.vout}`;
    if (dup.has(key)) throw new Error(`UTXO ${key} is listed twice`);
    dup.add(key);
  }
  const sel = selectCoins(confirmed, opts);
  const outputs: BuiltOutput[] = [{ address: opts.to, value: sel.amount, role: 'payment' }];
  const scripts = [{ script: toScript, value: sel.amount }];
  if (sel.change > 0) {
    outputs.push({ address: opts.from, value: sel.change, role: 'change' });
    scripts.push({ script: changeScript, value: sel.change });
  }
  const tx = unsignedTx(sel.inputs, scripts, opts.template);
  return { hex: tx.toHex(), tx, inputs: sel.inputs, outputs, amount: sel.amount, change: sel.change, fee: sel.fee, size: sel.size };
}

export interface AccountSpendOptions extends FeePolicy {
  amount: number | 'max';
  /** explicit fee instead of feePerKB × size */
  fee?: number;
}

/** Margin in (§6.3): multisig → the margin address (serverAddress), change back to the multisig. */
export function buildMarginIn(account: WalletAccount, unspents: readonly Unspent[], opts: AccountSpendOptions): BuiltTx {
  return buildSpend({ ...opts, network: account.network, unspents, from: account.accountid, to: account.serverAddress });
}

/** Partial withdraw (§6.4, §8.10): multisig → any valid address of the account's network. */
export function buildWithdraw(
  account: WalletAccount,
  unspents: readonly Unspent[],
  destination: string,
  opts: AccountSpendOptions,
): BuiltTx {
  outputScript(destination, account.network); // clear error for a wrong-network or invalid address
  if (destination === account.accountid) throw new Error('Destination is the multisig account itself');
  return buildSpend({ ...opts, network: account.network, unspents, from: account.accountid, to: destination });
}

// ---- reference-compatible createTx (coinpit-client txutil) ----

export interface ReferenceUnspent {
  txid: string;
  vout: number;
  /** satoshi (the reference fixtures carry satoshi here) */
  amount: number;
  confirmations?: number;
  spent?: boolean;
  double_spend?: boolean;
}

export interface CreateTxOptions {
  input: string;
  destination: string;
  amount: number;
  unspents: readonly ReferenceUnspent[];
  network: NetworkName;
  isMultisig?: boolean;
  txFee?: number;
  feePerKB?: number;
  dust?: number;
}

/** coinpit-client `createTx`: unsigned spend from `input` to `destination` with change back to `input`. */
export function createTx(opts: CreateTxOptions): BuiltTx {
  return buildSpend({
    network: opts.network,
    from: opts.input,
    to: opts.destination,
    amount: opts.amount,
    unspents: opts.unspents.map((u) => ({ ...u, value: u.amount })),
    inputType: opts.isMultisig ? 'multisig' : 'p2pkh',
    feePerKB: opts.feePerKB ?? REFERENCE_FEE_PER_KB,
    dust: opts.dust ?? REFERENCE_DUST,
    fee: opts.txFee,
  });
}

// ---- shape checks for server-made withdrawtx / recoverytx (§8.9) ----

export interface ShapeProblem {
  code: 'output-not-requested' | 'input-not-account-utxo' | 'duplicate-input' | 'no-inputs';
  message: string;
}

function outpointKey(txid: string, vout: number): string {
  return `${txid}:${vout}`;
}

/** txid (display order) and vout of each input. */
export function txOutpoints(tx: Transaction): { txid: string; vout: number }[] {
  return tx.ins.map((i) => ({ txid: toHex(Uint8Array.from(i.hash).reverse()), vout: i.index }));
}

/**
 * Structural checks of a recovery/withdraw-all transaction: a single output paying the user's own `userid`,
 * no repeated input, and (when the account's UTXOs are known) every input one of them.
 */
export function recoveryShapeProblems(tx: Transaction, account: WalletAccount, accountUtxos?: readonly Outpoint[]): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  if (tx.ins.length === 0) problems.push({ code: 'no-inputs', message: 'The transaction has no inputs' });
  const seen = new Set<string>();
  const known = accountUtxos ? new Set(accountUtxos.map((u) => outpointKey(u.txid, u.vout))) : undefined;
  txOutpoints(tx).forEach(({ txid, vout }, i) => {
    const key = outpointKey(txid, vout);
    if (seen.has(key)) problems.push({ code: 'duplicate-input', message: `Input #${i} spends ${key} a second time` });
    seen.add(key);
    if (known && !known.has(key)) {
      problems.push({ code: 'input-not-account-utxo', message: `Input #${i} (${key}) is not a UTXO of the multisig ${account.accountid}` });
    }
  });
  if (tx.outs.length !== 1) {
    problems.push({ code: 'output-not-requested', message: `A recovery transaction must have exactly one output (to ${account.userid}); this one has ${tx.outs.length}` });
  }
  tx.outs.forEach((o, i) => {
    const addr = scriptAddress(o.script, account.network);
    if (addr !== account.userid) {
      problems.push({ code: 'output-not-requested', message: `Output #${i} pays ${addr ?? 'a non-standard script'}, not your address ${account.userid}` });
    }
  });
  return problems;
}

// The money operations (PROTOCOL §6.3, §6.4, §8.8–§8.11). Each one that spends from the multisig:
//   UTXOs from the chain (not the exchange's word) → build → review (input values from previous transactions
//   fetched from the chain) → the user confirms the review → sign (signReviewed, the only review-then-sign path)
//   → submit through the exchange client → report the txid.
// A refused review or a rejected confirmation signs nothing and sends nothing. In API-key mode every operation
// is refused before any request (a `trade` key cannot move coins; the server would answer 403 as well).
import type { CoinpitClient } from '../coinpit/rest';
import type { Config } from '../coinpit/types';
import type { Identity } from '../coinpit/identity';
import { outputScript, walletAccount, type WalletAccount } from './account';
import { assertCanMoveCoins, type CredentialMode, type MoneyOperation } from './apikey-file';
import { requireConfirmation, type Confirmer } from './confirm';
import { signReviewed } from './cosign';
import { feeRateFor, type ChainSource, type ChainUtxo } from './esplora';
import type { Signer } from './multisig';
import { review, ReviewRefused, type Intent, type Review, type ReviewContext } from './review';
import { buildMarginIn, buildWithdraw, filterUnspents, MAX_SATOSHI, type BuiltTx, type FeePolicy, type Outpoint } from './txbuild';

// The confirmation types live in ./confirm (one definition for the wallet and the app); re-exported for callers.
export {
  ConfirmationRejected,
  requireConfirmation,
  type Confirmer,
  type ConfirmSubject,
  type MarginOutConfirmation,
  type RecoveryBroadcastConfirmation,
  type SignFileConfirmation,
} from './confirm';

// ------------------------------------------------------------------ shared helpers

export type FlowClient = Pick<CoinpitClient, 'config' | 'marginIn' | 'marginOut' | 'marginOutAll' | 'withdraw'>;
export type SignerSource = Signer | (() => Signer | Promise<Signer>);

/** The parts of the exchange config the wallet's arithmetic uses (PROTOCOL §8.11). */
export interface WalletPolicy {
  network: WalletAccount['network'];
  feePerKB: number;
  recoveryFeePerKB: number;
  dust: number;
  minimumFee: number;
  maximumFee: number;
}

function nonNegInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_SATOSHI) {
    throw new Error(`Exchange config: ${what} must be a non-negative integer number of satoshi`);
  }
  return v;
}

/** Reads and checks the fee fields of `/all/config`; `maximumFee` may be overridden by the user's own limit. */
export function walletPolicy(config: Partial<Config> | undefined, overrides: { maximumFee?: number } = {}): WalletPolicy {
  if (!config || typeof config !== 'object') throw new Error('Exchange config is missing');
  const network = config.network;
  if (network !== 'bitcoin' && network !== 'testnet') throw new Error('Exchange config: network must be "bitcoin" or "testnet"');
  return {
    network,
    feePerKB: nonNegInt(config.feePerKB, 'feePerKB'),
    recoveryFeePerKB: nonNegInt(config.recoveryFeePerKB ?? config.feePerKB, 'recoveryFeePerKB'),
    dust: nonNegInt(config.bitcoinDust, 'bitcoinDust'),
    minimumFee: nonNegInt(config.minimumFee ?? 0, 'minimumFee'),
    maximumFee: nonNegInt(overrides.maximumFee ?? config.maximumFee, 'maximumFee'),
  };
}

/** Confirmed multisig UTXOs as outpoints, the form review() takes as the account's UTXO set. */
export function confirmedOutpoints(utxos: readonly ChainUtxo[]): Outpoint[] {
  return filterUnspents(utxos).map(({ txid, vout, value }) => ({ txid, vout, value }));
}

export interface PrevTxFetch {
  prevTxs: Record<string, string>;
  /** set when some previous transaction could not be fetched: the review then says the fee is unverified */
  unavailableReason?: string;
}

/** Previous transactions by txid from the chain (each checked to hash to its txid by the chain client). */
export async function fetchPrevTxs(chain: Pick<ChainSource, 'txHex'>, txids: readonly string[], concurrency = 8): Promise<PrevTxFetch> {
  const unique = [...new Set(txids.map((t) => t.toLowerCase()))];
  const prevTxs: Record<string, string> = {};
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < unique.length) {
      const txid = unique[next++]!;
      try {
        prevTxs[txid] = await chain.txHex(txid);
      } catch (err) {
        failures.push(`${txid.slice(0, 16)}…: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, unique.length) }, worker));
  if (failures.length === 0) return { prevTxs };
  return { prevTxs, unavailableReason: `the chain did not return ${failures.length} previous transaction(s): ${failures.slice(0, 3).join('; ')}` };
}

/** The signer itself, or what the function gives (called only once the user has confirmed). */
export async function resolveSigner(source: SignerSource): Promise<Signer> {
  const s = typeof source === 'function' ? await source() : source;
  if (!s || !(s.publicKey instanceof Uint8Array) || typeof s.sign !== 'function') throw new Error('No signing key available');
  return s;
}

/** The final txid from an exchange reply: `{txid}`, `[{txid}]`, `{txids:[…]}` or `{tx: {txid}}`. */
export function replyTxid(reply: unknown): string | null {
  const ok = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/i.test(v);
  const visit = (v: unknown, depth: number): string | null => {
    if (depth > 3 || v === null || typeof v !== 'object') return null;
    if (Array.isArray(v)) {
      for (const x of v) {
        const t = ok(x) ? x : visit(x, depth + 1);
        if (t) return t;
      }
      return null;
    }
    const o = v as Record<string, unknown>;
    if (ok(o.txid)) return o.txid;
    for (const k of ['txids', 'result', 'tx', 'transaction']) {
      const t = visit(o[k], depth + 1);
      if (t) return t;
    }
    return null;
  };
  const t = visit(reply, 0);
  return t ? t.toLowerCase() : null;
}

// ------------------------------------------------------------------ the flows

/** How the fee of a spend is chosen; the first one given wins, else the exchange config's feePerKB. */
export interface FeeChoice {
  /** explicit fee, satoshi */
  fee?: number;
  /** satoshi per 1000 bytes */
  feePerKB?: number;
  /** use the chain's fee estimate for this confirmation target (blocks) */
  feeTarget?: number;
}

export interface WalletFlowsOptions {
  account: WalletAccount | Identity;
  client: FlowClient;
  chain: ChainSource;
  /** the coin key, or a function that fetches it (called only after the user confirmed) */
  signer: SignerSource;
  confirmer: Confirmer;
  /** 'api-key' profiles have no coin key: every money operation is refused */
  mode?: CredentialMode;
  /** the user's own fee limit, satoshi; defaults to the exchange's config.maximumFee */
  maximumFee?: number;
  /** fee choice used when an operation does not give one */
  defaultFee?: FeeChoice;
}

export interface SpendResult {
  operation: 'margin-in' | 'withdraw';
  /** the transaction as the chain knows it (the exchange's co-signed version), when its reply names it */
  txid: string | null;
  /** txid of the user-signed, not yet co-signed transaction */
  signedTxid: string;
  /** hex of the user-signed transaction that was submitted */
  signedHex: string;
  review: Review;
  amount: number;
  fee: number;
  reply: unknown;
}

export interface MarginOutResult {
  operation: 'margin-out';
  /** what was asked for */
  amount: number | 'all';
  txid: string | null;
  /** satoshi the exchange says it moved, and the fee it paid from the margin address, when its reply says */
  moved: number | null;
  fee: number | null;
  reply: unknown;
}

function replyNumber(reply: unknown, key: string): number | null {
  if (!reply || typeof reply !== 'object' || Array.isArray(reply)) return null;
  const v = (reply as Record<string, unknown>)[key];
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
}

function marginOutResult(amount: number | 'all', reply: unknown): MarginOutResult {
  return { operation: 'margin-out', amount, txid: replyTxid(reply), moved: replyNumber(reply, 'amount'), fee: replyNumber(reply, 'fee'), reply };
}

export class WalletFlows {
  readonly account: WalletAccount;
  readonly #client: FlowClient;
  readonly #chain: ChainSource;
  readonly #signer: SignerSource;
  readonly #confirmer: Confirmer;
  readonly #mode: CredentialMode;
  readonly #maximumFee?: number;
  readonly #defaultFee: FeeChoice;

  constructor(opts: WalletFlowsOptions) {
    if (!opts || typeof opts !== 'object') throw new Error('WalletFlows needs options');
    this.account = walletAccount(opts.account);
    if (!opts.confirmer || typeof opts.confirmer.confirm !== 'function') throw new Error('WalletFlows needs a confirmer');
    this.#client = opts.client;
    this.#chain = opts.chain;
    this.#signer = opts.signer;
    this.#confirmer = opts.confirmer;
    this.#mode = opts.mode ?? 'coin-key';
    if (opts.maximumFee !== undefined) nonNegInt(opts.maximumFee, 'maximumFee');
    this.#maximumFee = opts.maximumFee;
    this.#defaultFee = opts.defaultFee ?? {};
  }

  /** Multisig → margin address (§6.3), `amount` satoshi or everything confirmed ('max'). */
  async marginIn(amount: number | 'max', fee: FeeChoice = {}): Promise<SpendResult> {
    this.#guard('margin-in');
    checkSpendAmount(amount);
    return this.#spend('margin-in', { kind: 'margin-in', amount }, fee, (utxos, p) => buildMarginIn(this.account, utxos, { ...p, amount }), (hex) =>
      this.#client.marginIn([hex]),
    );
  }

  /** Multisig → any address of the account's network (§6.4, §8.10), an amount or 'max'. */
  async withdraw(destination: string, amount: number | 'max', fee: FeeChoice = {}): Promise<SpendResult> {
    this.#guard('withdraw');
    checkSpendAmount(amount);
    if (typeof destination !== 'string') throw new Error('Withdraw destination must be an address');
    const to = destination.trim();
    outputScript(to, this.account.network); // invalid or wrong-network address: clear error before any request
    if (to === this.account.accountid) throw new Error('Withdraw destination is the multisig account itself');
    return this.#spend('withdraw', { kind: 'withdraw', destination: to, amount }, fee, (utxos, p) => buildWithdraw(this.account, utxos, to, { ...p, amount }), (hex) =>
      this.#client.withdraw(hex),
    );
  }

  /** Margin address → multisig, `amount` satoshi (§8.8); the exchange signs and broadcasts. */
  async marginOut(amount: number): Promise<MarginOutResult> {
    this.#guard('margin-out');
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0 || amount > MAX_SATOSHI) {
      throw new Error('Margin out amount must be a positive whole number of satoshi');
    }
    await requireConfirmation(this.#confirmer, { kind: 'margin-out', amount, from: this.account.serverAddress, to: this.account.accountid });
    return marginOutResult(amount, await this.#client.marginOut(amount));
  }

  /** All free margin → multisig (§8.8). */
  async marginOutAll(): Promise<MarginOutResult> {
    this.#guard('margin-out');
    await requireConfirmation(this.#confirmer, { kind: 'margin-out', amount: 'all', from: this.account.serverAddress, to: this.account.accountid });
    return marginOutResult('all', await this.#client.marginOutAll());
  }

  // ------------------------------------------------------------------ internals

  #guard(op: MoneyOperation): void {
    assertCanMoveCoins(this.#mode, op);
  }

  async #feePolicy(choice: FeeChoice, policy: WalletPolicy): Promise<FeePolicy & { fee?: number }> {
    const c = { ...this.#defaultFee, ...choice };
    const base: FeePolicy = { feePerKB: policy.feePerKB, dust: policy.dust, minimumFee: policy.minimumFee, maximumFee: policy.maximumFee };
    if (c.fee !== undefined) {
      if (typeof c.fee !== 'number' || !Number.isFinite(c.fee) || c.fee < 0) throw new Error('Fee must be a non-negative number of satoshi');
      return { ...base, fee: Math.floor(c.fee) };
    }
    if (c.feePerKB !== undefined) {
      if (typeof c.feePerKB !== 'number' || !Number.isFinite(c.feePerKB) || c.feePerKB < 0) throw new Error('feePerKB must be a non-negative number');
      return { ...base, feePerKB: c.feePerKB };
    }
    if (c.feeTarget !== undefined) {
      if (!Number.isSafeInteger(c.feeTarget) || c.feeTarget < 1 || c.feeTarget > 1008) throw new Error('feeTarget must be a number of blocks from 1 to 1008');
      const rate = feeRateFor(await this.#chain.feeEstimates(), c.feeTarget); // sat/vB
      return { ...base, feePerKB: Math.ceil(rate * 1000) };
    }
    return base;
  }

  async #spend(
    operation: 'margin-in' | 'withdraw',
    intent: Intent,
    feeChoice: FeeChoice,
    build: (utxos: readonly ChainUtxo[], policy: FeePolicy & { fee?: number }) => BuiltTx,
    submit: (hex: string) => Promise<unknown>,
  ): Promise<SpendResult> {
    const policy = walletPolicy((await this.#client.config()).config, { maximumFee: this.#maximumFee });
    if (policy.network !== this.account.network) {
      throw new Error(`The exchange runs on ${policy.network}, but this account is on ${this.account.network}`);
    }
    const fees = await this.#feePolicy(feeChoice, policy);
    const utxos = await this.#chain.addressUtxos(this.account.accountid);
    const built = build(utxos, fees);
    const { prevTxs, unavailableReason } = await fetchPrevTxs(this.#chain, built.inputs.map((i) => i.txid));
    const context: ReviewContext = {
      account: this.account,
      intent,
      maximumFee: policy.maximumFee,
      declaredNetwork: policy.network,
      accountUtxos: confirmedOutpoints(utxos),
      prevTxs,
      prevTxsUnavailableReason: unavailableReason,
    };
    const r = review(built.tx, context);
    if (!r.ok) throw new ReviewRefused(r); // never ask the user to approve what the review refuses
    await requireConfirmation(this.#confirmer, r);
    const signed = signReviewed(built.tx, context, await resolveSigner(this.#signer));
    const reply = await submit(signed.hex);
    return {
      operation,
      txid: replyTxid(reply),
      signedTxid: signed.txid,
      signedHex: signed.hex,
      review: r,
      amount: built.amount,
      fee: built.fee,
      reply,
    };
  }
}

function checkSpendAmount(amount: unknown): void {
  if (amount === 'max') return;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0 || amount > MAX_SATOSHI) {
    throw new Error('Amount must be a positive whole number of satoshi or "max"');
  }
}

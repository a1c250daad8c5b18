// The recovery transaction, always kept ready (PROTOCOL §6.5, §8.9): the exchange's `recoverytx` spends every
// confirmed multisig UTXO to the user's own `userid`, carrying the server's signature. The wallet verifies it
// (server signature against the server key and redeem script, inputs = the account's UTXOs as the chain reports
// them, a single output to `userid`, fee within the maximum), co-signs it and keeps the complete transaction in a
// per-account JSON file, so the user can get their coins back even if the exchange disappears. When the multisig's
// UTXO set changes the stored transaction no longer spends the right coins, and it is refreshed.
// The review the user signed under is kept in the same file, so a later run can still show what the stored
// transaction pays; it is shown only when it re-derives from the stored transaction (storedReview).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Transaction } from 'bitcoinjs-lib';
import type { CoinpitClient } from '../coinpit/rest';
import type { Identity } from '../coinpit/identity';
import { isHex } from '../coinpit/hash';
import { scriptAddress, walletAccount, type WalletAccount } from './account';
import { assertCanMoveCoins, type CredentialMode } from './apikey-file';
import { writeFileAtomic } from './atomic-file';
import { requireConfirmation, type Confirmer } from './confirm';
import { signReviewed } from './cosign';
import { EsploraClient, type ChainSource, type EsploraOptions } from './esplora';
import { confirmedOutpoints, fetchPrevTxs, resolveSigner, walletPolicy, type SignerSource } from './flows';
import { parseRedeem, stripScriptSigs, verifyTransaction } from './multisig';
import { review, ReviewRefused, type Review, type ReviewContext } from './review';
import { btcfy, txOutpoints, type Outpoint } from './txbuild';

export const RECOVERY_FORMAT = 'coinpit-desk/recovery';
export const RECOVERY_VERSION = 1;

export interface RecoveryRecord {
  format: typeof RECOVERY_FORMAT;
  version: typeof RECOVERY_VERSION;
  network: WalletAccount['network'];
  accountid: string;
  /** where the transaction pays */
  userid: string;
  txid: string;
  /** the fully signed transaction, ready to broadcast */
  hex: string;
  /** satoshi of the multisig's confirmed balance this transaction spends */
  covers: number;
  /** the multisig's confirmed balance when it was made, satoshi */
  total: number;
  fee: number;
  inputs: Outpoint[];
  /** ms since the epoch */
  createdAt: number;
  /** utxoSetHash() of the multisig's confirmed UTXOs when it was made */
  utxoSetHash: string;
  /**
   * The transaction as the user reviewed it (the exchange's, before the user's signature) and that review: what the
   * stored transaction pays, to which address, with which fee. Absent in files written before it was kept (the
   * record is then still good, only without its review). Shown only when it re-derives: see storedReview().
   */
  reviewed?: RecoveryReviewed;
}

export interface RecoveryReviewed {
  hex: string;
  review: Review;
}

export interface RecoveryStatus {
  /** a co-signed recovery is stored and (as far as the chain was checked) spends the current UTXO set */
  ready: boolean;
  covers: number;
  total: number;
  /** ms since the epoch, null when none is stored */
  refreshedAt: number | null;
  /** the multisig's confirmed UTXOs changed since the stored transaction was made */
  stale: boolean;
  /** false when the chain could not be asked: `stale` is then as of the last refresh */
  checked: boolean;
  txid: string | null;
  fee: number | null;
  /** a corrupt stored file (kept aside) or the last refresh failure */
  problem: string | null;
  /** e.g. "recovery ready: covers 0.5 of 0.5 BTC" */
  summary: string;
}

export type RecoveryClient = Pick<CoinpitClient, 'recoveryTx' | 'config'>;

export interface RecoveryKeeperOptions {
  account: WalletAccount | Identity;
  client: RecoveryClient;
  chain: ChainSource;
  signer: SignerSource;
  /** the app's data directory; the file is `<dataDir>/recovery-<accountid>.json` */
  dataDir: string;
  mode?: CredentialMode;
  /** the user's own fee limit, satoshi; defaults to config.maximumFee */
  maximumFee?: number;
  /** when given, asked before each co-signature */
  confirmer?: Confirmer;
  now?: () => number;
}

/** sha256 over the sorted `txid:vout:value` lines of a UTXO set: equal sets give equal hashes. */
export function utxoSetHash(utxos: readonly Outpoint[]): string {
  const lines = utxos.map((u) => `${u.txid.toLowerCase()}:${u.vout}:${u.value}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

export function recoverySummary(s: Pick<RecoveryStatus, 'ready' | 'covers' | 'total' | 'stale' | 'refreshedAt'>): string {
  if (s.refreshedAt === null) return s.total === 0 ? 'recovery: nothing to recover (the multisig is empty)' : 'recovery not ready';
  if (s.ready) return `recovery ready: covers ${btcfy(s.covers)} of ${btcfy(s.total)} BTC`;
  return `recovery out of date: the multisig changed since it was made (it now holds ${btcfy(s.total)} BTC)`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const sat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks a stored record against the account; returns the reason it is unusable, or null. */
export function recordProblem(v: unknown, account: WalletAccount): string | null {
  if (!isRecord(v)) return 'not a JSON object';
  if (v.format !== RECOVERY_FORMAT || v.version !== RECOVERY_VERSION) return 'unknown format or version';
  if (v.accountid !== account.accountid || v.userid !== account.userid || v.network !== account.network) return 'made for another account';
  if (typeof v.hex !== 'string' || !isHex(v.hex) || v.hex.length === 0) return '"hex" is not a transaction';
  if (!sat(v.covers) || !sat(v.total) || !sat(v.fee) || v.covers > v.total) return 'bad amounts';
  if (!sat(v.createdAt)) return 'bad "createdAt"';
  if (!isHex(v.utxoSetHash, 32)) return 'bad "utxoSetHash"';
  if (!Array.isArray(v.inputs)) return '"inputs" is not a list';
  let tx: Transaction;
  try {
    tx = Transaction.fromHex(v.hex);
  } catch {
    return '"hex" does not decode';
  }
  if (tx.getId() !== v.txid) return '"txid" does not match the transaction';
  const ins = txOutpoints(tx);
  const listed = v.inputs as unknown[];
  if (listed.length !== ins.length) return '"inputs" does not match the transaction';
  for (let i = 0; i < ins.length; i++) {
    const u = listed[i];
    if (!isRecord(u) || u.txid !== ins[i]!.txid || u.vout !== ins[i]!.vout || !sat(u.value)) return '"inputs" does not match the transaction';
  }
  if (tx.outs.length !== 1 || scriptAddress(tx.outs[0]!.script, account.network) !== account.userid) return 'the transaction does not pay your address';
  try {
    if (!verifyTransaction(tx, parseRedeem(account.redeem)).complete) return 'the signatures do not verify';
  } catch {
    return 'the inputs are not signed multisig spends of this account';
  }
  return null;
}

interface SignedReview {
  txid: string;
  review: Review;
}

// Stands for the multisig's UTXOs a partial recovery left out (only their sum is kept): an outpoint no
// transaction input can name (vout 0xffffffff is the coinbase marker), so it never passes for an input.
const LEFT_OUT = { txid: '0'.repeat(64), vout: 0xffffffff } as const;

/**
 * The review kept with a valid record (recordProblem() null), when it is the review of that record's transaction;
 * else null. Nothing is taken on trust: the review is derived again from the transaction as reviewed (`reviewed.hex`,
 * which must be the stored transaction minus signatures), the record's input values and coverage, and the stored
 * review must equal it. Only where each input value came from (its previous transaction, or the chain's UTXO list:
 * the chain is not asked here) is read from the file, and only in the two shapes review() produces.
 */
export function storedReview(record: RecoveryRecord, account: WalletAccount): Review | null {
  const kept: unknown = record.reviewed;
  if (!isRecord(kept) || typeof kept.hex !== 'string' || !isHex(kept.hex) || kept.hex.length === 0 || !isRecord(kept.review)) return null;
  const stored = kept.review;
  try {
    const reviewedTx = Transaction.fromHex(kept.hex);
    if (stripScriptSigs(reviewedTx).toHex() !== stripScriptSigs(Transaction.fromHex(record.hex)).toHex()) return null;
    if (!sat(stored.maximumFee)) return null;
    // legacy signatures do not commit to input values; a full recovery's are bound to the UTXO-set hash, which
    // status() compares with the chain (a file whose values and hash were both rewritten shows as stale)
    if (record.covers === record.total && utxoSetHash(record.inputs) !== record.utxoSetHash) return null;
    // the multisig's confirmed UTXOs when it was reviewed: the inputs, plus whatever a partial recovery left out
    const utxos: Outpoint[] = record.inputs.map((i) => ({ txid: i.txid, vout: i.vout, value: i.value }));
    if (record.total > record.covers) utxos.push({ ...LEFT_OUT, value: record.total - record.covers });
    const derived = review(reviewedTx, {
      account,
      intent: { kind: 'recovery' },
      maximumFee: stored.maximumFee,
      declaredNetwork: account.network,
      accountUtxos: utxos,
    });
    if (!derived.ok || derived.coverage?.covered !== record.covers || derived.fee !== record.fee) return null;
    const storedInputs = Array.isArray(stored.inputs) ? (stored.inputs as unknown[]) : [];
    const fromPrevTx = derived.inputs.map((_, i) => {
      const s = storedInputs[i];
      return isRecord(s) && s.ownership === 'prevtx' && s.valueSource === 'prevtx' && s.prevAddress === account.accountid;
    });
    const inputs = derived.inputs.map((d, i) =>
      fromPrevTx[i] ? { ...d, ownership: 'prevtx' as const, valueSource: 'prevtx' as const, prevAddress: account.accountid } : d,
    );
    const feeVerified = inputs.length > 0 && fromPrevTx.every(Boolean);
    let feeUnverifiedReason: string | null = null;
    if (!feeVerified) {
      // review()'s wording, with the chain's reason for the missing previous transactions (kept as it was)
      const unverified = inputs.filter((_, i) => !fromPrevTx[i]).map((d) => d.index);
      const head = `previous transactions for input${unverified.length > 1 ? 's' : ''} #${unverified.join(', #')} are unavailable (`;
      const tail = '); input values are claimed, not verified';
      const said = stored.feeUnverifiedReason;
      const fits = typeof said === 'string' && said.length > head.length + tail.length && said.startsWith(head) && said.endsWith(tail);
      feeUnverifiedReason = fits ? said : derived.feeUnverifiedReason;
    }
    const expected: Review = { ...derived, inputs, feeVerified, feeUnverifiedReason };
    return isDeepStrictEqual(stored, expected) ? expected : null;
  } catch {
    return null;
  }
}

export class RecoveryKeeper {
  readonly account: WalletAccount;
  /** `<dataDir>/recovery-<accountid>.json` */
  readonly file: string;
  readonly #client: RecoveryClient;
  readonly #chain: ChainSource;
  readonly #signer: SignerSource;
  readonly #mode: CredentialMode;
  readonly #maximumFee?: number;
  readonly #confirmer?: Confirmer;
  readonly #now: () => number;
  #problem: string | null = null;
  /** the review the stored transaction `txid` was signed under: stored by this keeper, or read back from its file */
  #signed: SignedReview | null = null;
  /** the last file text whose kept review was examined, and the outcome: an unchanged file is not reviewed again */
  #examined: { text: string; signed: SignedReview | null } | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: RecoveryKeeperOptions) {
    if (!opts || typeof opts !== 'object') throw new Error('RecoveryKeeper needs options');
    this.account = walletAccount(opts.account);
    if (typeof opts.dataDir !== 'string' || opts.dataDir.length === 0) throw new Error('RecoveryKeeper needs a data directory');
    this.file = path.join(path.resolve(opts.dataDir), `recovery-${this.account.accountid}.json`);
    this.#client = opts.client;
    this.#chain = opts.chain;
    this.#signer = opts.signer;
    this.#mode = opts.mode ?? 'coin-key';
    this.#maximumFee = opts.maximumFee;
    this.#confirmer = opts.confirmer;
    this.#now = opts.now ?? Date.now;
  }

  /** The stored record, or null. A corrupt file is renamed aside (`….corrupt-<time>`) and reported in status(). */
  async load(): Promise<RecoveryRecord | null> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let parsed: unknown;
    let problem: string | null;
    try {
      parsed = JSON.parse(text);
      problem = recordProblem(parsed, this.account);
    } catch {
      problem = 'not valid JSON';
    }
    if (problem === null) {
      const record = parsed as RecoveryRecord;
      if (this.#signed?.txid !== record.txid) {
        if (this.#examined?.text !== text) {
          const kept = storedReview(record, this.account);
          this.#examined = { text, signed: kept ? { txid: record.txid, review: kept } : null };
        }
        this.#signed = this.#examined.signed;
      }
      return record;
    }
    const aside = `${this.file}.corrupt-${this.#now()}`;
    await fs.rename(this.file, aside);
    this.#problem = `The stored recovery transaction was unusable (${problem}); the file was kept aside as ${path.basename(aside)}`;
    return null;
  }

  /**
   * The review the stored transaction `txid` was signed under, once load() (status(), export()…) has read it or this
   * keeper stored it; null for another txid, a file from before reviews were kept, or a kept review that does not
   * re-derive from the stored transaction.
   */
  signedReview(txid: string | null): Review | null {
    return this.#signed !== null && this.#signed.txid === txid ? this.#signed.review : null;
  }

  /** Stored state compared with the chain's current confirmed UTXO set (when reachable). */
  async status(): Promise<RecoveryStatus> {
    return this.#serial(() => this.#status());
  }

  /** Fetches, verifies, co-signs and stores a fresh recovery transaction. */
  async refresh(): Promise<RecoveryStatus> {
    assertCanMoveCoins(this.#mode, 'recovery');
    return this.#serial(async () => {
      await this.#refresh();
      return this.#status();
    });
  }

  /** Refreshes when the multisig's confirmed UTXO set differs from the one the stored transaction was made for. */
  async refreshIfStale(): Promise<{ refreshed: boolean; status: RecoveryStatus }> {
    assertCanMoveCoins(this.#mode, 'recovery');
    return this.#serial(async () => {
      const record = await this.load();
      const current = confirmedOutpoints(await this.#chain.addressUtxos(this.account.accountid));
      const hash = utxoSetHash(current);
      const upToDate = record ? record.utxoSetHash === hash : current.length === 0;
      if (upToDate) return { refreshed: false, status: await this.#status() };
      await this.#refresh();
      return { refreshed: true, status: await this.#status() };
    });
  }

  /** Writes the stored transaction to `file`: raw hex for `.hex`/`.txt`, else the JSON record. */
  async export(file: string, format?: 'hex' | 'json'): Promise<RecoveryRecord> {
    const record = await this.#serial(() => this.load());
    if (!record) throw new Error('No recovery transaction is stored for this account');
    const fmt = format ?? (/\.(hex|txt)$/i.test(file) ? 'hex' : 'json');
    await writeFileAtomic(path.resolve(file), fmt === 'hex' ? `${record.hex}\n` : `${JSON.stringify(record, null, 2)}\n`, { dirMode: 0o700 });
    return record;
  }

  /** Broadcasts the stored transaction through any Esplora base URL (default: this keeper's chain). */
  async broadcast(esplora?: string | ChainSource, options: EsploraOptions = {}): Promise<string> {
    const record = await this.#serial(() => this.load());
    if (!record) throw new Error('No recovery transaction is stored for this account');
    const chain = typeof esplora === 'string' ? new EsploraClient(esplora, options) : (esplora ?? this.#chain);
    return chain.broadcast(record.hex);
  }

  // ------------------------------------------------------------------ internals

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #status(): Promise<RecoveryStatus> {
    const record = await this.load();
    let current: Outpoint[] | null = null;
    try {
      current = confirmedOutpoints(await this.#chain.addressUtxos(this.account.accountid));
    } catch {
      current = null;
    }
    const checked = current !== null;
    const total = current ? current.reduce((s, u) => s + u.value, 0) : (record?.total ?? 0);
    const stale = record !== null && current !== null && utxoSetHash(current) !== record.utxoSetHash;
    const base = {
      ready: record !== null && !stale,
      covers: record?.covers ?? 0,
      total,
      refreshedAt: record?.createdAt ?? null,
      stale,
      checked,
      txid: record?.txid ?? null,
      fee: record?.fee ?? null,
      problem: this.#problem,
    };
    return { ...base, summary: recoverySummary(base) };
  }

  async #refresh(): Promise<void> {
    assertCanMoveCoins(this.#mode, 'recovery');
    try {
      await this.#refreshUnchecked();
      this.#problem = null;
    } catch (err) {
      this.#problem = `The last refresh failed: ${err instanceof Error ? err.message : String(err)}`;
      throw err;
    }
  }

  async #refreshUnchecked(): Promise<void> {
    const policy = walletPolicy((await this.#client.config()).config, { maximumFee: this.#maximumFee });
    if (policy.network !== this.account.network) {
      throw new Error(`The exchange runs on ${policy.network}, but this account is on ${this.account.network}`);
    }
    const before = confirmedOutpoints(await this.#chain.addressUtxos(this.account.accountid));
    if (before.length === 0) {
      // nothing to recover; a stored transaction would spend coins that are gone
      await fs.rm(this.file, { force: true });
      this.#signed = null;
      return;
    }
    const server = await this.#client.recoveryTx();
    if (!isRecord(server) || typeof server.tx !== 'string') throw new Error('The exchange sent no recovery transaction');
    // read the UTXO set after the exchange made its transaction, so a block mined in between is included
    const utxos = confirmedOutpoints(await this.#chain.addressUtxos(this.account.accountid));
    let tx: Transaction;
    try {
      tx = Transaction.fromHex(server.tx.trim());
    } catch {
      throw new Error('The exchange sent a recovery transaction that does not decode');
    }
    const { prevTxs, unavailableReason } = await fetchPrevTxs(this.#chain, txOutpoints(tx).map((o) => o.txid));
    const claimed = Array.isArray(server.inputs) ? server.inputs.filter((u) => isRecord(u)) : undefined;
    const context: ReviewContext = {
      account: this.account,
      intent: { kind: 'recovery' },
      maximumFee: policy.maximumFee,
      declaredNetwork: policy.network,
      accountUtxos: utxos,
      claimedInputs: claimed as Outpoint[] | undefined,
      prevTxs,
      prevTxsUnavailableReason: unavailableReason,
    };
    let r: Review;
    try {
      r = review(tx, context);
    } catch (err) {
      // a malformed `inputs` claim is the exchange's fault: review without it rather than fail obscurely
      if (!claimed) throw err;
      r = review(tx, { ...context, claimedInputs: undefined });
      context.claimedInputs = undefined;
    }
    if (!r.ok) throw new ReviewRefused(r);
    if (this.#confirmer) await requireConfirmation(this.#confirmer, r);
    const reviewedHex = tx.toHex(); // before the user's signature: the transaction the review is of
    const signed = signReviewed(tx, context, await resolveSigner(this.#signer));
    // an independent full check before anything is stored: both signatures on every input
    if (!signed.complete || !verifyTransaction(signed.tx, parseRedeem(this.account.redeem)).complete) {
      throw new Error('The co-signed recovery transaction is not complete');
    }
    const byKey = new Map(utxos.map((u) => [`${u.txid}:${u.vout}`, u.value]));
    const inputs = r.inputs.map((i) => ({ txid: i.txid, vout: i.vout, value: i.value ?? byKey.get(`${i.txid}:${i.vout}`) ?? 0 }));
    const record: RecoveryRecord = {
      format: RECOVERY_FORMAT,
      version: RECOVERY_VERSION,
      network: this.account.network,
      accountid: this.account.accountid,
      userid: this.account.userid,
      txid: signed.txid,
      hex: signed.hex,
      covers: r.coverage?.covered ?? inputs.reduce((s, i) => s + i.value, 0),
      total: r.coverage?.total ?? utxos.reduce((s, u) => s + u.value, 0),
      fee: r.fee ?? 0,
      inputs,
      createdAt: this.#now(),
      utxoSetHash: utxoSetHash(utxos),
      reviewed: { hex: reviewedHex, review: signed.review },
    };
    await writeFileAtomic(this.file, `${JSON.stringify(record, null, 2)}\n`, { dirMode: 0o700 });
    this.#signed = { txid: signed.txid, review: signed.review };
  }
}

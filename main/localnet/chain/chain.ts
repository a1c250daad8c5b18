// A deterministic, in-memory Bitcoin chain for the local exchange (regtest-like, testnet address formats).
// No timers: every mutating call takes `now` (ms) from the caller, so tests and journal replay are exact.
// No reorgs, no eviction, no coinbase maturity: blocks are final, mempool transactions wait for the next block.
import { crypto as bcrypto, script as bscript, Transaction } from 'bitcoinjs-lib';
import { ChainError } from './errors';
import { addressToScript, classifyOutput, fromHex, isHex, normalizeAddress, toHex, type OutputType } from './script';
import { verifyInput } from './verify';

export const MAX_MONEY = 21_000_000 * 100_000_000;
export const MAX_TX_BYTES = 100_000;
export const DEFAULT_FAUCET_MAX = 10 * 100_000_000;
export const DEFAULT_FEE_RATE = 50; // sat/vB = the reference config's feePerKB 50000
const MAX_MINE = 1000;
/** sort key of a mempool transaction: after every block height */
const UNCONFIRMED = Number.MAX_SAFE_INTEGER;
const FEE_TARGETS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 144, 504, 1008];
const SNAPSHOT_FORMAT = 'coinpit-localnet-chain';

export interface ChainOptions {
  /** largest faucet payment in satoshi (default 10 BTC) */
  faucetMax?: number;
  /** fee rate reported by feeEstimates, sat/vB (default 50) */
  feeRate?: number;
  /** genesis block time, ms (default 0) */
  genesisTime?: number;
  /** called when a listener throws; default logs to stderr. Chain state is already committed by then. */
  onListenerError?: (err: unknown) => void;
}

export interface TxStatus {
  confirmed: boolean;
  height: number | null;
  blockHash: string | null;
  /** block time, ms */
  blockTime: number | null;
  confirmations: number;
}

export interface Utxo {
  txid: string;
  vout: number;
  /** satoshi */
  value: number;
  /** output script, hex */
  script: string;
  address: string;
  height: number | null;
  confirmations: number;
  blockHash: string | null;
  blockTime: number | null;
  /** when the creating transaction was first seen, ms */
  firstSeen: number;
}

export interface Balance {
  /** unspent outputs with ≥ 1 confirmation that no mempool transaction spends */
  confirmed: number;
  /** unspent outputs of mempool transactions */
  unconfirmed: number;
}

export interface TxoStats {
  funded_txo_count: number;
  funded_txo_sum: number;
  spent_txo_count: number;
  spent_txo_sum: number;
  tx_count: number;
}

export interface AddressStats {
  chain: TxoStats;
  mempool: TxoStats;
}

export interface TxPrevout {
  value: number;
  script: string;
  type: OutputType;
  address: string | null;
}

export interface TxInputInfo {
  txid: string;
  vout: number;
  sequence: number;
  scriptSig: string;
  /** null for a coinbase input */
  prevout: TxPrevout | null;
}

export interface TxOutputInfo {
  n: number;
  value: number;
  script: string;
  type: OutputType;
  address: string | null;
  spentBy: { txid: string; vin: number; height: number | null } | null;
}

export interface TxInfo {
  txid: string;
  hex: string;
  version: number;
  locktime: number;
  size: number;
  weight: number;
  fee: number;
  coinbase: boolean;
  firstSeen: number;
  inputs: TxInputInfo[];
  outputs: TxOutputInfo[];
  status: TxStatus;
}

export interface BlockInfo {
  height: number;
  hash: string;
  prevHash: string;
  /** ms */
  time: number;
  txids: string[];
}

export interface TxEvent {
  txid: string;
  /** true only for a faucet coinbase, which arrives inside its block */
  confirmed: boolean;
  /** every address the transaction pays or spends from */
  addresses: string[];
}

export interface BlockEvent extends BlockInfo {
  /** every address touched by the block's transactions */
  addresses: string[];
}

export interface FaucetResult {
  txid: string;
  height: number;
  blockHash: string;
}

interface OutRecord {
  txid: string;
  vout: number;
  value: number;
  script: Uint8Array;
  type: OutputType;
  address: string | null;
}

interface TxRecord {
  txid: string;
  hex: string;
  tx: Transaction;
  firstSeen: number;
  height: number | null;
  fee: number;
  coinbase: boolean;
  prevouts: (OutRecord | null)[];
  addresses: string[];
}

interface SnapshotTx {
  hex: string;
  firstSeen: number;
}

export interface ChainSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: 1;
  options: { faucetMax: number; feeRate: number; genesisTime: number };
  blocks: { height: number; hash: string; time: number; txs: SnapshotTx[] }[];
  mempool: SnapshotTx[];
}

/** What testAccept's earlier transactions created (outputs) and spent (outpoint → spending txid). */
interface PackageView {
  outs: Map<string, OutRecord>;
  spentBy: Map<string, string>;
}

const outKey = (txid: string, vout: number): string => `${txid}:${vout}`;

function outRecord(txid: string, vout: number, script: Uint8Array, value: bigint): OutRecord {
  const c = classifyOutput(script);
  return { txid, vout, value: Number(value), script, type: c.type, address: c.address ?? null };
}
const hashToTxid = (hash: Uint8Array): string => toHex(Uint8Array.from(hash).reverse());

function isSat(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

export class Chain {
  private readonly txs = new Map<string, TxRecord>();
  private readonly outs = new Map<string, OutRecord>();
  private readonly spentBy = new Map<string, { txid: string; vin: number }>();
  private readonly mempool = new Set<string>();
  private readonly addrOuts = new Map<string, string[]>();
  private readonly addrTxs = new Map<string, string[]>();
  private readonly blocks: BlockInfo[] = [];
  private readonly blockByHash = new Map<string, BlockInfo>();
  private readonly txListeners = new Set<(e: TxEvent) => void>();
  private readonly blockListeners = new Set<(e: BlockEvent) => void>();
  private readonly faucetMax: number;
  private feeRate: number;
  private readonly genesisTime: number;
  private readonly onListenerError: (err: unknown) => void;

  constructor(opts: ChainOptions = {}) {
    this.faucetMax = opts.faucetMax ?? DEFAULT_FAUCET_MAX;
    this.feeRate = opts.feeRate ?? DEFAULT_FEE_RATE;
    this.genesisTime = opts.genesisTime ?? 0;
    if (!isSat(this.faucetMax) || this.faucetMax === 0 || this.faucetMax > MAX_MONEY) throw new RangeError('faucetMax must be a positive satoshi amount');
    if (!(this.feeRate >= 0) || !Number.isFinite(this.feeRate)) throw new RangeError('feeRate must be a non-negative number');
    if (!isSat(this.genesisTime)) throw new RangeError('genesisTime must be a non-negative integer (ms)');
    this.onListenerError = opts.onListenerError ?? ((err) => console.error('chain listener failed:', err));
    this.appendBlock([], this.genesisTime);
  }

  // ---- listeners -------------------------------------------------------------------------------------

  /** Called for every newly accepted transaction (mempool submits and faucet coinbases). Returns an unsubscribe. */
  onTx(listener: (e: TxEvent) => void): () => void {
    this.txListeners.add(listener);
    return () => this.txListeners.delete(listener);
  }

  /** Called for every new block. Returns an unsubscribe. */
  onBlock(listener: (e: BlockEvent) => void): () => void {
    this.blockListeners.add(listener);
    return () => this.blockListeners.delete(listener);
  }

  private emit<E>(listeners: Set<(e: E) => void>, event: E): void {
    for (const l of [...listeners]) {
      try {
        l(event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  // ---- mutations -------------------------------------------------------------------------------------

  /**
   * Validates a raw transaction and adds it to the mempool. Returns its txid; a transaction already in the
   * mempool is accepted again idempotently (same txid, no event). Throws ChainError with the reason otherwise.
   */
  submit(txHex: string, now: number): string {
    const { tx, hex } = this.parse(txHex);
    const txid = tx.getId();
    const known = this.txs.get(txid);
    if (known) {
      if (known.height === null) return txid;
      throw new ChainError('duplicate', 'transaction already in block chain');
    }
    const rec = this.validate(tx, hex, txid, now, true);
    this.index(rec);
    this.mempool.add(txid);
    this.emit(this.txListeners, { txid, confirmed: false, addresses: rec.addresses });
    return txid;
  }

  /**
   * Test-accept: checks that `submit()` would accept every one of these transactions, in order, without changing
   * anything (no mempool entry, no event). A later transaction may spend an earlier one's outputs; two of them may
   * not spend the same output, and one may not be listed twice. Returns their txids; throws the ChainError submit()
   * would throw for the first one that fails (its position prefixed when there are several).
   */
  testAccept(txHexes: readonly string[], now: number): string[] {
    this.checkNow(now);
    const view: PackageView = { outs: new Map(), spentBy: new Map() };
    const txids: string[] = [];
    txHexes.forEach((txHex, n) => {
      try {
        const { tx, hex } = this.parse(txHex);
        const txid = tx.getId();
        if (txids.includes(txid)) throw new ChainError('duplicate', 'transaction is listed twice');
        const known = this.txs.get(txid);
        if (known) {
          if (known.height !== null) throw new ChainError('duplicate', 'transaction already in block chain');
          txids.push(txid); // already in the mempool: submit() accepts it again idempotently
          return;
        }
        this.validate(tx, hex, txid, now, true, view);
        tx.ins.forEach((inp) => view.spentBy.set(outKey(hashToTxid(inp.hash), inp.index), txid));
        tx.outs.forEach((o, vout) => view.outs.set(outKey(txid, vout), outRecord(txid, vout, o.script, o.value)));
        txids.push(txid);
      } catch (err) {
        if (err instanceof ChainError && txHexes.length > 1) throw new ChainError(err.code, `transaction ${n}: ${err.message}`, err.status);
        throw err;
      }
    });
    return txids;
  }

  /** Mines `count` blocks; the first confirms the whole mempool. Returns the new block hashes. */
  mine(count: number, now: number): string[] {
    if (!Number.isInteger(count) || count < 1 || count > MAX_MINE) {
      throw new ChainError('bad-amount', `blocks must be an integer from 1 to ${MAX_MINE}`);
    }
    this.checkNow(now);
    const hashes: string[] = [];
    for (let i = 0; i < count; i++) {
      const block = this.mineBlock([], now);
      this.emitBlock(block);
      hashes.push(block.hash);
    }
    return hashes;
  }

  /** Mines one block whose coinbase pays `amount` satoshi (capped at faucetMax) to `address`. */
  faucet(address: string, amount: number, now: number): FaucetResult {
    const script = addressToScript(address);
    if (!isSat(amount) || amount === 0) throw new ChainError('bad-amount', 'amount must be a positive integer (satoshi)');
    if (amount > this.faucetMax) throw new ChainError('bad-amount', `amount exceeds the faucet limit of ${this.faucetMax} satoshi`);
    this.checkNow(now);
    const height = this.tipHeight() + 1;
    const cb = new Transaction();
    cb.version = 1;
    // BIP34-style height push keeps every coinbase txid unique
    cb.addInput(new Uint8Array(32), 0xffffffff, 0xffffffff, bscript.compile([bscript.number.encode(height), Buffer.from('localnet faucet')]));
    cb.addOutput(script, BigInt(amount));
    const hex = cb.toHex();
    const txid = cb.getId();
    const rec: TxRecord = { txid, hex, tx: cb, firstSeen: now, height: null, fee: 0, coinbase: true, prevouts: [null], addresses: [] };
    rec.addresses = this.touchedAddresses(rec);
    this.index(rec);
    const block = this.mineBlock([txid], now);
    this.emit(this.txListeners, { txid, confirmed: true, addresses: rec.addresses });
    this.emitBlock(block);
    return { txid, height: block.height, blockHash: block.hash };
  }

  setFeeRate(satPerVbyte: number): void {
    if (!(satPerVbyte >= 0) || !Number.isFinite(satPerVbyte)) throw new ChainError('bad-amount', 'fee rate must be a non-negative number');
    this.feeRate = satPerVbyte;
  }

  // ---- queries ---------------------------------------------------------------------------------------

  tipHeight(): number {
    return this.blocks.length - 1;
  }

  tipHash(): string {
    return this.blocks[this.blocks.length - 1]!.hash;
  }

  /** A block by height or hash (copy). */
  block(heightOrHash: number | string): BlockInfo | undefined {
    const b = typeof heightOrHash === 'number' ? this.blocks[heightOrHash] : this.blockByHash.get(heightOrHash.toLowerCase());
    return b ? { ...b, txids: b.txids.slice() } : undefined;
  }

  mempoolTxids(): string[] {
    return [...this.mempool];
  }

  hasTx(txid: string): boolean {
    return this.txs.has(txid.toLowerCase());
  }

  txHex(txid: string): string | undefined {
    return this.txs.get(txid.toLowerCase())?.hex;
  }

  txStatus(txid: string): TxStatus | undefined {
    const rec = this.txs.get(txid.toLowerCase());
    return rec ? this.statusOf(rec.height) : undefined;
  }

  tx(txid: string): TxInfo | undefined {
    const rec = this.txs.get(txid.toLowerCase());
    if (!rec) return undefined;
    const t = rec.tx;
    return {
      txid: rec.txid,
      hex: rec.hex,
      version: t.version,
      locktime: t.locktime,
      size: t.byteLength(),
      weight: t.weight(),
      fee: rec.fee,
      coinbase: rec.coinbase,
      firstSeen: rec.firstSeen,
      inputs: t.ins.map((inp, i) => {
        const p = rec.prevouts[i];
        return {
          txid: hashToTxid(inp.hash),
          vout: inp.index,
          sequence: inp.sequence,
          scriptSig: toHex(inp.script),
          prevout: p ? { value: p.value, script: toHex(p.script), type: p.type, address: p.address } : null,
        };
      }),
      outputs: t.outs.map((_, n) => {
        const o = this.outs.get(outKey(rec.txid, n))!;
        const s = this.spentBy.get(outKey(rec.txid, n));
        return {
          n,
          value: o.value,
          script: toHex(o.script),
          type: o.type,
          address: o.address,
          spentBy: s ? { txid: s.txid, vin: s.vin, height: this.txs.get(s.txid)!.height } : null,
        };
      }),
      status: this.statusOf(rec.height),
    };
  }

  /** Unspent outputs paying `address` (mempool outputs included, outputs spent in the mempool excluded), oldest first. */
  utxos(address: string): Utxo[] {
    const list: Utxo[] = [];
    for (const k of this.addrOuts.get(this.addrKey(address)) ?? []) {
      if (this.spentBy.has(k)) continue;
      const o = this.outs.get(k)!;
      const rec = this.txs.get(o.txid)!;
      const st = this.statusOf(rec.height);
      list.push({
        txid: o.txid,
        vout: o.vout,
        value: o.value,
        script: toHex(o.script),
        address: o.address!,
        height: st.height,
        confirmations: st.confirmations,
        blockHash: st.blockHash,
        blockTime: st.blockTime,
        firstSeen: rec.firstSeen,
      });
    }
    // stable sort: confirmed by height, mempool last
    return list.sort((a, b) => (a.height ?? UNCONFIRMED) - (b.height ?? UNCONFIRMED));
  }

  /** Spendable balance the way Insight clients compute it from utxos (PROTOCOL §6.7). */
  balance(address: string): Balance {
    let confirmed = 0;
    let unconfirmed = 0;
    for (const u of this.utxos(address)) {
      if (u.confirmations > 0) confirmed += u.value;
      else unconfirmed += u.value;
    }
    return { confirmed, unconfirmed };
  }

  /** Esplora `chain_stats` / `mempool_stats` for an address. */
  addressStats(address: string): AddressStats {
    const zero = (): TxoStats => ({ funded_txo_count: 0, funded_txo_sum: 0, spent_txo_count: 0, spent_txo_sum: 0, tx_count: 0 });
    const chain = zero();
    const mempool = zero();
    const key = this.addrKey(address);
    for (const k of this.addrOuts.get(key) ?? []) {
      const o = this.outs.get(k)!;
      const funded = this.txs.get(o.txid)!.height !== null ? chain : mempool;
      funded.funded_txo_count++;
      funded.funded_txo_sum += o.value;
      const s = this.spentBy.get(k);
      if (s) {
        const spent = this.txs.get(s.txid)!.height !== null ? chain : mempool;
        spent.spent_txo_count++;
        spent.spent_txo_sum += o.value;
      }
    }
    for (const txid of this.addrTxs.get(key) ?? []) {
      (this.txs.get(txid)!.height !== null ? chain : mempool).tx_count++;
    }
    return { chain, mempool };
  }

  /** Transactions paying or spending from `address`, newest first (mempool first). */
  addressTxs(address: string): string[] {
    const ids = (this.addrTxs.get(this.addrKey(address)) ?? []).slice();
    const order = (txid: string): number => {
      const rec = this.txs.get(txid)!;
      return rec.height ?? UNCONFIRMED;
    };
    // addrTxs is in acceptance order; a reversed stable sort by height gives newest first
    return ids.reverse().sort((a, b) => order(b) - order(a));
  }

  /** Esplora-style estimates: confirmation target → sat/vB. */
  feeEstimates(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of FEE_TARGETS) out[String(t)] = this.feeRate;
    return out;
  }

  // ---- snapshots -------------------------------------------------------------------------------------

  toJSON(): ChainSnapshot {
    const txOf = (txid: string): SnapshotTx => {
      const r = this.txs.get(txid)!;
      return { hex: r.hex, firstSeen: r.firstSeen };
    };
    return {
      format: SNAPSHOT_FORMAT,
      version: 1,
      options: { faucetMax: this.faucetMax, feeRate: this.feeRate, genesisTime: this.genesisTime },
      blocks: this.blocks.map((b) => ({ height: b.height, hash: b.hash, time: b.time, txs: b.txids.map(txOf) })),
      mempool: [...this.mempool].map(txOf),
    };
  }

  /**
   * Rebuilds a chain from toJSON() output. Signatures are not re-checked (the snapshot is our own), but every
   * input must exist and be unspent and every block hash must recompute, so a corrupt snapshot is refused.
   */
  static fromJSON(snap: unknown, opts: Pick<ChainOptions, 'onListenerError'> = {}): Chain {
    const bad = (why: string): never => {
      throw new ChainError('bad-snapshot', `invalid chain snapshot: ${why}`);
    };
    if (!snap || typeof snap !== 'object') return bad('not an object');
    const s = snap as Partial<ChainSnapshot>;
    if (s.format !== SNAPSHOT_FORMAT || s.version !== 1) return bad('unknown format');
    if (!s.options || !Array.isArray(s.blocks) || !Array.isArray(s.mempool) || s.blocks.length === 0) return bad('missing fields');
    const chain = new Chain({ ...s.options, onListenerError: opts.onListenerError });
    const restoreTx = (t: SnapshotTx, mayBeCoinbase: boolean): string => {
      if (!t || typeof t.hex !== 'string' || !isSat(t.firstSeen)) return bad('bad transaction entry');
      const { tx, hex } = chain.parse(t.hex);
      const txid = tx.getId();
      if (chain.txs.has(txid)) return bad(`duplicate transaction ${txid}`);
      let rec: TxRecord;
      if (tx.isCoinbase()) {
        if (!mayBeCoinbase) return bad(`coinbase ${txid} out of place`);
        rec = { txid, hex, tx, firstSeen: t.firstSeen, height: null, fee: 0, coinbase: true, prevouts: [null], addresses: [] };
        for (const o of tx.outs) if (o.value < 0n || o.value > BigInt(MAX_MONEY)) bad('coinbase value out of range');
        rec.addresses = chain.touchedAddresses(rec);
      } else {
        rec = chain.validate(tx, hex, txid, t.firstSeen, false);
      }
      chain.index(rec);
      return txid;
    };
    const first = s.blocks[0]!;
    if (first.hash !== chain.tipHash()) return bad('genesis block does not match');
    for (const b of s.blocks.slice(1)) {
      if (!b || !Array.isArray(b.txs) || !isSat(b.time)) return bad('bad block entry');
      const txids = b.txs.map((t, i) => restoreTx(t, i === 0));
      const block = chain.appendBlock(txids, b.time);
      if (block.hash !== b.hash || block.height !== b.height) return bad(`block ${b.height} does not recompute`);
    }
    for (const t of s.mempool) chain.mempool.add(restoreTx(t, false));
    return chain;
  }

  // ---- internals -------------------------------------------------------------------------------------

  private addrKey(address: string): string {
    addressToScript(address); // throws ChainError('bad-address')
    return normalizeAddress(address);
  }

  private checkNow(now: number): void {
    if (!isSat(now)) throw new ChainError('bad-amount', 'now must be a non-negative integer (ms)');
  }

  private parse(txHex: unknown): { tx: Transaction; hex: string } {
    if (typeof txHex !== 'string') throw new ChainError('bad-hex', 'transaction must be a hex string');
    const hex = txHex.trim().toLowerCase();
    if (hex.length === 0) throw new ChainError('bad-hex', 'empty transaction');
    if (!isHex(hex)) throw new ChainError('bad-hex', 'transaction is not valid hex');
    if (hex.length > MAX_TX_BYTES * 2) throw new ChainError('nonstandard', `transaction larger than ${MAX_TX_BYTES} bytes`);
    let tx: Transaction;
    try {
      tx = Transaction.fromHex(hex);
    } catch (err) {
      throw new ChainError('decode', `TX decode failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (tx.toHex() !== hex) throw new ChainError('decode', 'TX decode failed: non-canonical serialization');
    return { tx, hex };
  }

  /** `view`: outputs created and spent by earlier transactions of a test-accepted package (testAccept). */
  private validate(tx: Transaction, hex: string, txid: string, now: number, verifyScripts: boolean, view?: PackageView): TxRecord {
    this.checkNow(now);
    if (tx.ins.length === 0) throw new ChainError('decode', 'transaction has no inputs');
    if (tx.outs.length === 0) throw new ChainError('decode', 'transaction has no outputs');
    if (tx.isCoinbase()) throw new ChainError('nonstandard', 'coinbase transactions cannot be submitted');
    if (tx.hasWitnesses()) throw new ChainError('nonstandard', 'witness (segwit) transactions are not supported');
    if (tx.version < 1 || tx.version > 2) throw new ChainError('nonstandard', `transaction version ${tx.version} is not standard`);

    let outTotal = 0n;
    tx.outs.forEach((o, n) => {
      if (o.value < 0n || o.value > BigInt(MAX_MONEY)) throw new ChainError('bad-value', `output ${n}: value out of range`);
      outTotal += o.value;
      if (classifyOutput(o.script).type === 'nonstandard') throw new ChainError('nonstandard', `output ${n}: nonstandard script`);
    });
    if (outTotal > BigInt(MAX_MONEY)) throw new ChainError('bad-value', 'total output value out of range');

    if (tx.locktime !== 0 && tx.ins.some((i) => i.sequence !== 0xffffffff)) {
      const final = tx.locktime < 500_000_000 ? tx.locktime <= this.tipHeight() : tx.locktime < Math.floor(now / 1000);
      if (!final) throw new ChainError('non-final', `non-final transaction (locktime ${tx.locktime})`);
    }

    const seen = new Set<string>();
    const prevouts: OutRecord[] = [];
    let inTotal = 0;
    tx.ins.forEach((inp, i) => {
      const key = outKey(hashToTxid(inp.hash), inp.index);
      if (seen.has(key)) throw new ChainError('duplicate', `input ${i}: duplicate input ${key}`);
      seen.add(key);
      const prev = this.outs.get(key) ?? view?.outs.get(key);
      if (!prev) throw new ChainError('missing-input', `input ${i}: missing input ${key} (unknown transaction or output)`);
      const sibling = view?.spentBy.get(key);
      if (sibling) throw new ChainError('double-spend', `input ${i}: double spend, ${key} is also spent by ${sibling} in the same batch`);
      const spender = this.spentBy.get(key);
      if (spender) {
        const confirmed = this.txs.get(spender.txid)!.height !== null;
        throw confirmed
          ? new ChainError('spent', `input ${i}: ${key} is already spent`)
          : new ChainError('double-spend', `input ${i}: double spend, ${key} is spent by mempool transaction ${spender.txid}`);
      }
      prevouts.push(prev);
      inTotal += prev.value;
    });
    const outSum = Number(outTotal);
    if (outSum > inTotal) throw new ChainError('overspend', `outputs (${outSum}) exceed inputs (${inTotal})`);
    if (verifyScripts) tx.ins.forEach((_, i) => verifyInput(tx, i, prevouts[i]!.script));

    const rec: TxRecord = { txid, hex, tx, firstSeen: now, height: null, fee: inTotal - outSum, coinbase: false, prevouts, addresses: [] };
    rec.addresses = this.touchedAddresses(rec);
    return rec;
  }

  private touchedAddresses(rec: TxRecord): string[] {
    const set = new Set<string>();
    for (const p of rec.prevouts) if (p?.address) set.add(p.address);
    for (const o of rec.tx.outs) {
      const a = classifyOutput(o.script).address;
      if (a) set.add(a);
    }
    return [...set];
  }

  private index(rec: TxRecord): void {
    this.txs.set(rec.txid, rec);
    rec.tx.ins.forEach((inp, vin) => {
      if (!rec.coinbase) this.spentBy.set(outKey(hashToTxid(inp.hash), inp.index), { txid: rec.txid, vin });
    });
    rec.tx.outs.forEach((o, vout) => {
      const out = outRecord(rec.txid, vout, o.script, o.value);
      const k = outKey(rec.txid, vout);
      this.outs.set(k, out);
      if (out.address) push(this.addrOuts, out.address, k);
    });
    for (const a of rec.addresses) push(this.addrTxs, a, rec.txid);
  }

  private mineBlock(leading: string[], now: number): BlockInfo {
    const txids = [...leading, ...this.mempool];
    this.mempool.clear();
    const prevTime = this.blocks[this.blocks.length - 1]!.time;
    return this.appendBlock(txids, Math.max(now, prevTime));
  }

  private emitBlock(block: BlockInfo): void {
    const addresses = new Set<string>();
    for (const id of block.txids) for (const a of this.txs.get(id)!.addresses) addresses.add(a);
    this.emit(this.blockListeners, { ...block, txids: block.txids.slice(), addresses: [...addresses] });
  }

  private appendBlock(txids: string[], time: number): BlockInfo {
    const height = this.blocks.length;
    const prevHash = height === 0 ? '0'.repeat(64) : this.blocks[height - 1]!.hash;
    const header = new Uint8Array(80);
    const view = new DataView(header.buffer);
    view.setUint32(0, 0x20000000, true);
    header.set(fromHex(prevHash).reverse(), 4);
    header.set(merkleRoot(txids), 36);
    view.setUint32(68, Math.floor(time / 1000) >>> 0, true);
    view.setUint32(72, 0x207fffff, true); // regtest difficulty bits
    view.setUint32(76, height >>> 0, true);
    const hash = toHex(bcrypto.hash256(header).reverse());
    const block: BlockInfo = { height, hash, prevHash, time, txids };
    for (const id of txids) this.txs.get(id)!.height = height;
    this.blocks.push(block);
    this.blockByHash.set(hash, block);
    return block;
  }

  private statusOf(height: number | null): TxStatus {
    if (height === null) return { confirmed: false, height: null, blockHash: null, blockTime: null, confirmations: 0 };
    const b = this.blocks[height]!;
    return { confirmed: true, height, blockHash: b.hash, blockTime: b.time, confirmations: this.tipHeight() - height + 1 };
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function merkleRoot(txids: string[]): Uint8Array {
  if (txids.length === 0) return new Uint8Array(32);
  let level = txids.map((id) => fromHex(id).reverse());
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i]!;
      const b = level[i + 1] ?? a;
      const both = new Uint8Array(64);
      both.set(a, 0);
      both.set(b, 32);
      next.push(bcrypto.hash256(both));
    }
    level = next;
  }
  return level[0]!;
}

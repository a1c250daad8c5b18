// Building spends on the server side (margin out, settlement, withdraw/recovery skeletons). Input selection
// and the size estimate follow the reference client's txutil (PROTOCOL §6.2), so the same inputs give the
// same transaction: nIn × (149 P2PKH | 250 multisig) + nOut × 34 + 10 bytes, fee = round(feePerKB × size / 1000).
import { crypto as bcrypto, Transaction } from 'bitcoinjs-lib';
import { ChainError } from './errors';
import { addressToScript, bytesEqual, classifyOutput, fromHex, isTxid } from './script';
import { signP2pkhInput, type Signer } from './sign';

export const P2PKH_INPUT_BYTES = 149;
export const MULTISIG_INPUT_BYTES = 250;
export const OUTPUT_BYTES = 34;
export const OVERHEAD_BYTES = 10;
export const DEFAULT_FEE_PER_KB = 50000;
export const DEFAULT_DUST = 5430;

export interface SpendUtxo {
  txid: string;
  vout: number;
  /** satoshi */
  value: number;
  /** the address the output pays (P2PKH or P2SH); decides the input size estimate and, for P2PKH, the signer */
  address: string;
}

export interface SpendOutput {
  address: string;
  value: number;
}

export interface BuildSpendOptions {
  /** candidate UTXOs in preference order (the reference takes them in the order given) */
  utxos: SpendUtxo[];
  /** payments; omit and set `sweepTo` to spend every UTXO into one output minus the fee */
  outputs?: SpendOutput[];
  sweepTo?: string;
  /** where change goes; defaults to the address of the first UTXO (the reference's behaviour) */
  changeAddress?: string;
  /** satoshi per 1000 bytes of the estimate; default 50000 */
  feePerKB?: number;
  /** explicit fee (satoshi), overrides feePerKB */
  fee?: number;
  /** outputs and change at or below this are refused / folded into the fee; default 5430 */
  dust?: number;
  /** use every UTXO given instead of the fewest that cover the amount */
  spendAll?: boolean;
  version?: number;
  sequence?: number;
  locktime?: number;
}

export interface BuiltSpend {
  tx: Transaction;
  /** hex of `tx` at build time (unsigned unless built by buildP2pkhSpend) */
  hex: string;
  fee: number;
  inputs: SpendUtxo[];
  /** change paid back (0 when folded into the fee) */
  change: number;
}

export function estimateSize(inputs: readonly { address: string }[], nOut: number): number {
  let size = OVERHEAD_BYTES + nOut * OUTPUT_BYTES;
  for (const u of inputs) size += inputBytes(u.address);
  return size;
}

function inputBytes(address: string): number {
  const t = classifyOutput(addressToScript(address)).type;
  if (t === 'p2pkh') return P2PKH_INPUT_BYTES;
  if (t === 'p2sh') return MULTISIG_INPUT_BYTES;
  throw new ChainError('nonstandard', `cannot spend from ${address}: only P2PKH and P2SH multisig inputs are supported`);
}

function isSat(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Selects inputs, computes the fee and change, and returns an unsigned legacy transaction. */
export function buildSpend(opts: BuildSpendOptions): BuiltSpend {
  const feePerKB = opts.feePerKB ?? DEFAULT_FEE_PER_KB;
  const dust = opts.dust ?? DEFAULT_DUST;
  if (!isSat(feePerKB)) throw new ChainError('bad-amount', 'feePerKB must be a non-negative integer');
  if (opts.fee !== undefined && !isSat(opts.fee)) throw new ChainError('bad-amount', 'fee must be a non-negative integer');
  if (!Array.isArray(opts.utxos) || opts.utxos.length === 0) throw new ChainError('bad-amount', 'no unspent outputs to spend');
  for (const u of opts.utxos) {
    if (!u || !isTxid(u.txid) || !Number.isInteger(u.vout) || u.vout < 0 || !isSat(u.value) || u.value === 0) {
      throw new ChainError('bad-amount', 'invalid unspent output');
    }
    inputBytes(u.address); // validates the address
  }
  const feeFor = (ins: SpendUtxo[], nOut: number): number =>
    opts.fee ?? Math.round((feePerKB * estimateSize(ins, nOut)) / 1000);

  if (opts.sweepTo !== undefined) {
    if (opts.outputs !== undefined) throw new ChainError('bad-amount', 'give either outputs or sweepTo');
    addressToScript(opts.sweepTo);
    const ins = opts.utxos.slice();
    const total = ins.reduce((s, u) => s + u.value, 0);
    const fee = feeFor(ins, 1);
    const value = total - fee;
    if (value <= dust) throw new ChainError('overspend', `amount after fee (${value}) is at or below dust (${dust})`);
    return assemble(opts, ins, [{ address: opts.sweepTo, value }], fee, 0);
  }

  const outputs = opts.outputs ?? [];
  if (outputs.length === 0) throw new ChainError('bad-amount', 'no outputs');
  for (const o of outputs) {
    if (!o || !isSat(o.value)) throw new ChainError('bad-amount', 'output value must be a non-negative integer (satoshi)');
    if (o.value <= dust) throw new ChainError('bad-amount', `output of ${o.value} is at or below dust (${dust})`);
    addressToScript(o.address);
  }
  const amount = outputs.reduce((s, o) => s + o.value, 0);
  const changeAddress = opts.changeAddress ?? opts.utxos[0]!.address;
  addressToScript(changeAddress);

  const candidates = opts.utxos;
  const start = opts.spendAll ? candidates.length : 1;
  for (let n = start; n <= candidates.length; n++) {
    const ins = candidates.slice(0, n);
    const total = ins.reduce((s, u) => s + u.value, 0);
    const feeWithChange = feeFor(ins, outputs.length + 1);
    const change = total - amount - feeWithChange;
    if (change > dust) {
      return assemble(opts, ins, [...outputs, { address: changeAddress, value: change }], feeWithChange, change);
    }
    const feeNoChange = feeFor(ins, outputs.length);
    if (total - amount >= feeNoChange) {
      // change at or below dust goes to the fee, as in the reference
      return assemble(opts, ins, outputs, total - amount, 0);
    }
  }
  const total = candidates.reduce((s, u) => s + u.value, 0);
  throw new ChainError('overspend', `insufficient funds: ${total} available, ${amount} plus fee needed`);
}

function assemble(opts: BuildSpendOptions, ins: SpendUtxo[], outs: SpendOutput[], fee: number, change: number): BuiltSpend {
  const tx = new Transaction();
  tx.version = opts.version ?? 1;
  tx.locktime = opts.locktime ?? 0;
  const sequence = opts.sequence ?? Transaction.DEFAULT_SEQUENCE;
  for (const u of ins) tx.addInput(fromHex(u.txid).reverse(), u.vout, sequence);
  for (const o of outs) tx.addOutput(addressToScript(o.address), BigInt(o.value));
  return { tx, hex: tx.toHex(), fee, inputs: ins, change };
}

/**
 * buildSpend for P2PKH inputs, signed: every input is signed by the key in `keys` whose address it pays.
 * Throws when an input is not P2PKH or no key matches it.
 */
export function buildP2pkhSpend(opts: BuildSpendOptions & { keys: Signer[] }): BuiltSpend {
  for (const u of opts.utxos ?? []) {
    if (u && typeof u.address === 'string' && classifyOutput(addressToScript(u.address)).type !== 'p2pkh') {
      throw new ChainError('nonstandard', `buildP2pkhSpend: ${u.address} is not a P2PKH address`);
    }
  }
  const built = buildSpend(opts);
  built.inputs.forEach((u, i) => {
    const hash = classifyOutput(addressToScript(u.address)).hash!;
    const key = opts.keys.find((k) => bytesEqual(bcrypto.hash160(k.publicKey), hash));
    if (!key) throw new ChainError('script', `no key given for input ${i} (${u.address})`);
    signP2pkhInput(built.tx, i, key);
  });
  return { ...built, hex: built.tx.toHex() };
}

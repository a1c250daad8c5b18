// PSBT (BIP174) import/export for offline signing of the account's legacy P2SH 2-of-2 inputs.
// Amounts come from non-witness UTXOs (the full previous transaction, hashed against the input's txid by the
// review); a witnessUtxo on a legacy input is only a claim. The app adds proprietary global records (type 0xFC,
// identifier "coinpit-desk") for the network and the intent, because BIP174 itself carries no network.
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { fromHex, hash160, isHex, toHex } from '../coinpit/hash';
import { walletAccount, type WalletAccount } from './account';
import { buildScriptSig, MultisigScriptError, parseRedeem, readScriptSig, Sighasher, signTransaction, verifyInput, type Signer, type Slots } from './multisig';
import { parseIntent, review, ReviewRefused, type Intent, type Refusal, type Review, type ReviewContext } from './review';
import { txidFromHex, txOutpoints, type Outpoint } from './txbuild';

const MAGIC = Uint8Array.of(0x70, 0x73, 0x62, 0x74, 0xff);
const PROPRIETARY = 0xfc;
const PROPRIETARY_ID = new TextEncoder().encode('coinpit-desk');
const SUBTYPE_NETWORK = 0x00;
const SUBTYPE_INTENT = 0x01;
const MAX_PSBT_BYTES = 16 * 1024 * 1024;

export interface PsbtFile {
  psbt: Psbt;
  /** network from the app's proprietary record; null for PSBTs made elsewhere */
  network: string | null;
  /** intent from the app's proprietary record */
  intent: Intent | null;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

function proprietaryKey(subtype: number): Uint8Array {
  return Uint8Array.of(PROPRIETARY, PROPRIETARY_ID.length, ...PROPRIETARY_ID, subtype);
}

function readProprietary(psbt: Psbt, subtype: number): string | null {
  const want = proprietaryKey(subtype);
  const kv = psbt.data.globalMap.unknownKeyVals?.find((k) => k.key.length === want.length && startsWith(k.key, want));
  return kv ? new TextDecoder('utf-8', { fatal: true }).decode(kv.value) : null;
}

/** PSBT bytes from base64 text, hex text or raw binary; throws a clear error for anything else. */
export function psbtBytes(input: string | Uint8Array): Uint8Array {
  if (input instanceof Uint8Array) {
    if (startsWith(input, MAGIC)) return input;
    if (input.length > MAX_PSBT_BYTES * 2) throw new Error('Not a PSBT: file too large');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw new Error('Not a PSBT: the file does not start with the PSBT magic bytes');
    }
    return psbtBytes(text);
  }
  if (typeof input !== 'string') throw new Error('Not a PSBT: expected text or bytes');
  const text = input.replace(/\s+/g, '');
  if (text.length === 0) throw new Error('Not a PSBT: empty');
  if (/^70736274ff/i.test(text)) {
    if (!isHex(text)) throw new Error('Malformed PSBT: bad hex (truncated or corrupted)');
    return fromHex(text);
  }
  if (text.startsWith('cHNidP')) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      throw new Error('Malformed PSBT: bad base64 (truncated or corrupted)');
    }
    return new Uint8Array(Buffer.from(text, 'base64'));
  }
  throw new Error('Not a PSBT: expected base64 (starting "cHNidP"), hex ("70736274ff…") or binary');
}

/** Parses a PSBT and the app's proprietary records. */
export function decodePsbt(input: string | Uint8Array): PsbtFile {
  const bytes = psbtBytes(input);
  if (bytes.length > MAX_PSBT_BYTES) throw new Error('Malformed PSBT: too large');
  let psbt: Psbt;
  try {
    psbt = Psbt.fromBuffer(bytes);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`Malformed PSBT: ${msg}`);
  }
  let network: string | null;
  let intent: Intent | null = null;
  try {
    network = readProprietary(psbt, SUBTYPE_NETWORK);
    const intentText = readProprietary(psbt, SUBTYPE_INTENT);
    if (intentText !== null) intent = parseIntent(JSON.parse(intentText));
  } catch (err) {
    throw new Error(`Malformed PSBT: bad coinpit-desk record (${err instanceof Error ? err.message : String(err)})`);
  }
  return { psbt, network, intent };
}

export type PsbtEncoding = 'base64' | 'hex' | 'binary';

export function encodePsbt(psbt: Psbt, encoding: 'binary'): Uint8Array;
export function encodePsbt(psbt: Psbt, encoding?: 'base64' | 'hex'): string;
export function encodePsbt(psbt: Psbt, encoding: PsbtEncoding = 'base64'): string | Uint8Array {
  if (encoding === 'binary') return psbt.toBuffer();
  return encoding === 'hex' ? psbt.toHex() : psbt.toBase64();
}

export interface PsbtInputData extends Outpoint {
  /** raw previous transaction, hex (becomes the non-witness UTXO) */
  prevTx?: string;
}

export interface CreatePsbtOptions {
  account: WalletAccount;
  /** unsigned or partially signed (server-signed) transaction spending the account's multisig */
  tx: Transaction | string;
  inputs: readonly PsbtInputData[];
  intent?: Intent;
}

/**
 * Builds a PSBT for the online → offline hand-over: unsigned transaction, per input the previous transaction (or,
 * without it, a witnessUtxo claim of the value), the redeem script and any valid signatures already present.
 */
export function createPsbt(opts: CreatePsbtOptions): Psbt {
  const account = walletAccount(opts.account);
  const redeem = parseRedeem(account.redeem);
  const tx = typeof opts.tx === 'string' ? Transaction.fromHex(opts.tx.trim()) : opts.tx;
  const outpoints = txOutpoints(tx);
  if (opts.inputs.length !== tx.ins.length) throw new Error(`PSBT: ${opts.inputs.length} input records for ${tx.ins.length} inputs`);
  const psbt = new Psbt();
  psbt.setVersion(tx.version);
  psbt.setLocktime(tx.locktime);
  const p2sh = Uint8Array.of(0xa9, 0x14, ...hash160(redeem.script), 0x87);
  tx.ins.forEach((input, i) => {
    const rec = opts.inputs[i]!;
    const op = outpoints[i]!;
    if (rec.txid.toLowerCase() !== op.txid || rec.vout !== op.vout) throw new Error(`PSBT: input record #${i} does not match the transaction's input`);
    const data: Parameters<Psbt['addInput']>[0] = { hash: Uint8Array.from(input.hash), index: input.index, sequence: input.sequence, redeemScript: redeem.script };
    if (rec.prevTx !== undefined) {
      if (!isHex(rec.prevTx) || txidFromHex(rec.prevTx) !== op.txid) throw new Error(`PSBT: the previous transaction for input #${i} does not hash to its txid`);
      data.nonWitnessUtxo = fromHex(rec.prevTx);
    } else {
      data.witnessUtxo = { script: p2sh, value: BigInt(rec.value) };
    }
    psbt.addInput(data);
  });
  for (const o of tx.outs) psbt.addOutput({ script: o.script, value: o.value });
  // signatures last: bitcoinjs refuses to change inputs/outputs once a partial signature exists
  const hasher = new Sighasher(tx);
  tx.ins.forEach((input, i) => {
    const slots = readScriptSig(input.script, redeem);
    const check = verifyInput(tx, i, redeem, hasher);
    const partialSig = ([0, 1] as const)
      .filter((s) => slots[s] && check.slots[s].valid)
      .map((s) => ({ pubkey: redeem.keys[s], signature: slots[s]! }));
    if (partialSig.length > 0) psbt.updateInput(i, { partialSig });
  });
  psbt.addUnknownKeyValToGlobal({ key: proprietaryKey(SUBTYPE_NETWORK), value: new TextEncoder().encode(account.network) });
  if (opts.intent) {
    psbt.addUnknownKeyValToGlobal({ key: proprietaryKey(SUBTYPE_INTENT), value: new TextEncoder().encode(JSON.stringify(parseIntent(opts.intent))) });
  }
  return psbt;
}

export interface PsbtView {
  /** the transaction with scriptSigs rebuilt from partial/final signatures */
  tx: Transaction;
  prevTxs: Record<string, string>;
  claimedInputs: Outpoint[];
  extraRefusals: Refusal[];
}

/** What the review needs from a PSBT, checked against the account's redeem script. */
export function psbtView(psbt: Psbt, accountInput: WalletAccount): PsbtView {
  const account = walletAccount(accountInput);
  const redeem = parseRedeem(account.redeem);
  const tx = Transaction.fromBuffer(psbt.data.globalMap.unsignedTx.toBuffer());
  const outpoints = txOutpoints(tx);
  const prevTxs: Record<string, string> = {};
  const claimedInputs: Outpoint[] = [];
  const extraRefusals: Refusal[] = [];
  psbt.data.inputs.forEach((input, i) => {
    const op = outpoints[i]!;
    if (input.nonWitnessUtxo) {
      const hex = toHex(input.nonWitnessUtxo);
      prevTxs[txidFromHex(hex)] = hex;
      // the review hashes it against the input's txid; a different one is reported as a mismatch there
      if (txidFromHex(hex) !== op.txid) prevTxs[op.txid] = hex;
    }
    if (input.witnessUtxo) {
      const v = Number(input.witnessUtxo.value);
      if (Number.isSafeInteger(v) && v >= 0) claimedInputs.push({ txid: op.txid, vout: op.vout, value: v });
    }
    if (input.finalScriptWitness && input.finalScriptWitness.length > 0) {
      extraRefusals.push({ code: 'input-not-account-utxo', message: `Input #${i} is a segwit spend, not a legacy multisig input of this account` });
    }
    if (input.redeemScript && toHex(input.redeemScript) !== redeem.hex) {
      extraRefusals.push({ code: 'input-not-account-utxo', message: `Input #${i} spends a different redeem script than this account's multisig` });
      return;
    }
    if (input.finalScriptSig) {
      tx.setInputScript(i, input.finalScriptSig);
      return;
    }
    const slots: Slots = [null, null];
    for (const ps of input.partialSig ?? []) {
      const k = toHex(ps.pubkey);
      const slot = k === toHex(redeem.keys[0]) ? 0 : k === toHex(redeem.keys[1]) ? 1 : -1;
      if (slot === -1) {
        extraRefusals.push({ code: 'input-not-account-utxo', message: `Input #${i} carries a signature by a key that is not in this account's multisig` });
        continue;
      }
      slots[slot] = ps.signature;
    }
    tx.setInputScript(i, buildScriptSig(slots, redeem));
  });
  return { tx, prevTxs, claimedInputs, extraRefusals };
}

export interface PsbtReviewOptions {
  account: WalletAccount;
  maximumFee: number;
  /** what the user asked for; defaults to the PSBT's own intent record, else 'sign-request' */
  intent?: Intent;
  accountUtxos?: readonly Outpoint[];
}

function contextFor(file: PsbtFile, opts: PsbtReviewOptions, view: PsbtView): ReviewContext {
  return {
    account: opts.account,
    intent: opts.intent ?? file.intent ?? { kind: 'sign-request' },
    maximumFee: opts.maximumFee,
    declaredNetwork: file.network ?? undefined,
    accountUtxos: opts.accountUtxos,
    claimedInputs: view.claimedInputs,
    prevTxs: view.prevTxs,
    prevTxsUnavailableReason: 'the PSBT carries no non-witness UTXO for it',
    extraRefusals: view.extraRefusals,
  };
}

export function reviewPsbt(file: PsbtFile, opts: PsbtReviewOptions): Review {
  const view = psbtView(file.psbt, opts.account);
  return review(view.tx, contextFor(file, opts, view));
}

export interface PsbtSignResult {
  review: Review;
  /** every input carries both valid signatures */
  complete: boolean;
  /** final transaction hex when complete */
  hex: string | null;
  txid: string;
  /** the updated PSBT (finalized inputs when complete, partial signatures otherwise) */
  psbt: Psbt;
}

/** Reviews, then adds the user's signature to every input. Throws ReviewRefused without signing anything. */
export function signPsbt(file: PsbtFile, signer: Signer, opts: PsbtReviewOptions): PsbtSignResult {
  const account = walletAccount(opts.account);
  if (toHex(signer.publicKey) !== account.publicKey) throw new Error("The signing key is not this account's key");
  const view = psbtView(file.psbt, account);
  const r = review(view.tx, contextFor(file, opts, view));
  if (!r.ok) throw new ReviewRefused(r);
  const redeem = parseRedeem(account.redeem);
  const { tx: signed, complete, inputs: checks } = signTransaction(view.tx, redeem, signer);
  const psbt = file.psbt.clone();
  signed.ins.forEach((input, i) => {
    let slots: Slots;
    try {
      slots = readScriptSig(input.script, redeem);
    } catch (err) {
      throw new MultisigScriptError(`Input #${i}: ${(err as Error).message}`);
    }
    const data = psbt.data.inputs[i]!;
    if (!data.redeemScript) psbt.updateInput(i, { redeemScript: redeem.script });
    if (complete) {
      data.partialSig = undefined;
      psbt.data.updateInput(i, { finalScriptSig: buildScriptSig(slots, redeem) });
      psbt.clearFinalizedInput(i);
      return;
    }
    const check = checks[i]!;
    data.partialSig = ([0, 1] as const)
      .filter((s) => slots[s] && check.slots[s].valid)
      .map((s) => ({ pubkey: redeem.keys[s], signature: slots[s]! }));
  });
  const hex = complete ? signed.toHex() : null;
  return { review: r, complete, hex, txid: signed.getId(), psbt };
}

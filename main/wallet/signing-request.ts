// The app's own signing-request file for offline signing:
//   {format, version, network, redeem, tx, inputs: [{txid, vout, value, prevTx?}], intent?}
// The online side exports it (with the previous transactions, so the offline review can verify every input
// value); the offline side reviews it, signs the user's half and exports the final hex or an updated request.
import { Transaction } from 'bitcoinjs-lib';
import { isHex, toHex } from '../coinpit/hash';
import { walletAccount, type WalletAccount } from './account';
import { parseRedeem, signTransaction, type Signer } from './multisig';
import { parseIntent, review, ReviewRefused, type Intent, type Refusal, type Review, type ReviewContext } from './review';
import { txOutpoints, type Outpoint } from './txbuild';

export const SIGNING_REQUEST_FORMAT = 'coinpit-desk/signing-request';
export const SIGNING_REQUEST_VERSION = 1;
const MAX_REQUEST_CHARS = 32 * 1024 * 1024;

export interface SigningRequestInput extends Outpoint {
  /** raw previous transaction, hex */
  prevTx?: string;
}

export interface SigningRequest {
  format: typeof SIGNING_REQUEST_FORMAT;
  version: typeof SIGNING_REQUEST_VERSION;
  network: 'bitcoin' | 'testnet';
  /** the account's 2-of-2 redeem script, hex */
  redeem: string;
  /** unsigned or partially signed transaction, hex */
  tx: string;
  inputs: SigningRequestInput[];
  intent?: Intent;
}

export interface CreateSigningRequestOptions {
  account: WalletAccount;
  tx: Transaction | string;
  /** value (and ideally the previous transaction) of every input, in input order */
  inputs: readonly SigningRequestInput[];
  intent?: Intent;
}

export function createSigningRequest(opts: CreateSigningRequestOptions): SigningRequest {
  const account = walletAccount(opts.account);
  const txHex = typeof opts.tx === 'string' ? opts.tx.trim() : opts.tx.toHex();
  const request = {
    format: SIGNING_REQUEST_FORMAT,
    version: SIGNING_REQUEST_VERSION,
    network: account.network,
    redeem: account.redeem,
    tx: txHex,
    inputs: opts.inputs.map((i) => ({ txid: i.txid, vout: i.vout, value: i.value, ...(i.prevTx !== undefined ? { prevTx: i.prevTx } : {}) })),
    ...(opts.intent ? { intent: opts.intent } : {}),
  };
  return parseSigningRequest(request); // refuse to write what we would not read back
}

export function serializeSigningRequest(request: SigningRequest): string {
  return `${JSON.stringify(parseSigningRequest(request), null, 2)}\n`;
}

function fail(message: string): never {
  throw new Error(`Signing request: ${message}`);
}

/** Parses and validates a signing request (JSON text or object); every error says what is wrong. */
export function parseSigningRequest(input: unknown): SigningRequest {
  let value = input;
  if (typeof input === 'string') {
    if (input.length > MAX_REQUEST_CHARS) fail('file too large');
    try {
      value = JSON.parse(input);
    } catch {
      fail('not valid JSON (is the file truncated?)');
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail('expected a JSON object');
  const o = value as Record<string, unknown>;
  if (o.format !== undefined && o.format !== SIGNING_REQUEST_FORMAT) fail(`unknown format ${JSON.stringify(String(o.format)).slice(0, 60)}`);
  if (o.version !== undefined && o.version !== SIGNING_REQUEST_VERSION) fail(`unsupported version ${String(o.version).slice(0, 20)}`);
  if (o.network !== 'bitcoin' && o.network !== 'testnet') fail('"network" must be "bitcoin" or "testnet"');
  if (typeof o.redeem !== 'string') fail('missing "redeem"');
  let redeem: string;
  try {
    redeem = parseRedeem(o.redeem).hex;
  } catch (err) {
    fail(`"redeem": ${(err as Error).message}`);
  }
  if (typeof o.tx !== 'string' || o.tx.length === 0) fail('missing "tx"');
  const txHex = o.tx.trim().toLowerCase();
  if (!isHex(txHex)) fail('"tx" is not hex (truncated or corrupted?)');
  let tx: Transaction;
  try {
    tx = Transaction.fromHex(txHex);
  } catch (err) {
    fail(`"tx" is not a valid transaction (${(err as Error).message})`);
  }
  if (!Array.isArray(o.inputs)) fail('"inputs" must be an array');
  const outpoints = txOutpoints(tx);
  if (o.inputs.length !== outpoints.length) fail(`"inputs" has ${o.inputs.length} entries for ${outpoints.length} transaction inputs`);
  const inputs: SigningRequestInput[] = o.inputs.map((raw: unknown, i: number) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(`inputs[${i}] must be an object`);
    const r = raw as Record<string, unknown>;
    if (!isHex(r.txid, 32)) fail(`inputs[${i}].txid must be 64 hex characters`);
    if (!Number.isInteger(r.vout) || (r.vout as number) < 0) fail(`inputs[${i}].vout must be a non-negative integer`);
    if (!Number.isSafeInteger(r.value) || (r.value as number) <= 0 || (r.value as number) > 21e14) {
      fail(`inputs[${i}].value must be a positive integer number of satoshi`);
    }
    const op = outpoints[i]!;
    if (r.txid.toLowerCase() !== op.txid || r.vout !== op.vout) fail(`inputs[${i}] (${r.txid}:${String(r.vout)}) does not match transaction input #${i}`);
    const entry: SigningRequestInput = { txid: op.txid, vout: op.vout, value: r.value as number };
    if (r.prevTx !== undefined) {
      if (typeof r.prevTx !== 'string' || !isHex(r.prevTx.trim()) || r.prevTx.trim().length === 0) fail(`inputs[${i}].prevTx must be hex`);
      entry.prevTx = r.prevTx.trim().toLowerCase();
    }
    return entry;
  });
  const request: SigningRequest = {
    format: SIGNING_REQUEST_FORMAT,
    version: SIGNING_REQUEST_VERSION,
    network: o.network,
    redeem,
    tx: toHex(tx.toBuffer()),
    inputs,
  };
  if (o.intent !== undefined) {
    try {
      request.intent = parseIntent(o.intent);
    } catch (err) {
      fail(`"intent": ${(err as Error).message}`);
    }
  }
  return request;
}

export interface SigningRequestReviewOptions {
  account: WalletAccount;
  maximumFee: number;
  /** what the user asked for; defaults to the request's intent, else 'sign-request' */
  intent?: Intent;
  accountUtxos?: readonly Outpoint[];
}

function contextFor(req: SigningRequest, opts: SigningRequestReviewOptions): ReviewContext {
  const account = walletAccount(opts.account);
  const extraRefusals: Refusal[] = [];
  if (req.redeem !== account.redeem) {
    extraRefusals.push({ code: 'input-not-account-utxo', message: "The request spends a different multisig (redeem script) than this account's" });
  }
  const prevTxs: Record<string, string> = {};
  for (const i of req.inputs) if (i.prevTx !== undefined) prevTxs[i.txid] = i.prevTx;
  return {
    account,
    intent: opts.intent ?? req.intent ?? { kind: 'sign-request' },
    maximumFee: opts.maximumFee,
    declaredNetwork: req.network,
    accountUtxos: opts.accountUtxos,
    claimedInputs: req.inputs.map(({ txid, vout, value }) => ({ txid, vout, value })),
    prevTxs,
    prevTxsUnavailableReason: 'the signing request does not carry the previous transaction',
    extraRefusals,
  };
}

export function reviewSigningRequest(req: SigningRequest, opts: SigningRequestReviewOptions): Review {
  return review(req.tx, contextFor(req, opts));
}

export interface SigningRequestResult {
  review: Review;
  complete: boolean;
  /** final transaction hex when complete */
  hex: string | null;
  txid: string;
  /** the request with the user's signatures added (to pass on when not complete) */
  request: SigningRequest;
}

/** Reviews, then signs the user's half of every input. Throws ReviewRefused without signing anything. */
export function signSigningRequest(req: SigningRequest, signer: Signer, opts: SigningRequestReviewOptions): SigningRequestResult {
  const account = walletAccount(opts.account);
  if (toHex(signer.publicKey) !== account.publicKey) throw new Error("The signing key is not this account's key");
  const r = reviewSigningRequest(req, { ...opts, account });
  if (!r.ok) throw new ReviewRefused(r);
  const { tx, complete } = signTransaction(Transaction.fromHex(req.tx), parseRedeem(account.redeem), signer);
  const hex = tx.toHex();
  return { review: r, complete, hex: complete ? hex : null, txid: tx.getId(), request: { ...req, tx: hex } };
}

// Review of a transaction before the user's key touches it (issue 4 "Review", PROTOCOL §8.9–§8.10).
// Decodes the transaction and reports, as plain serializable data for the UI: each input (ours or not, value and
// where that value comes from), each output (destination and whose it is), fee and fee rate, locktime and
// sequences, which signatures are present and valid — and the specific reasons to refuse signing.
// Legacy signatures do not commit to input amounts, so values are only "verified" when they come from the previous
// transaction itself, hashed and matched against the input's txid; anything else is a claim.
import { Transaction } from 'bitcoinjs-lib';
import { bytesEqual, isHex, toHex } from '../coinpit/hash';
import { isValidAddress } from '../coinpit/identity';
import { outputScript, scriptAddress, walletAccount, type NetworkName, type WalletAccount } from './account';
import { MultisigScriptError, parseRedeem, readScriptSig, Sighasher, verifyInput, type Redeem, type Slots } from './multisig';
import { recoveryShapeProblems, txidFromHex, txOutpoints, type Outpoint } from './txbuild';

export type ReviewKind = 'margin-in' | 'withdraw' | 'recovery' | 'sign-request';

/** What the user asked for; the transaction is checked against it. */
export type Intent =
  | { kind: 'margin-in'; amount: number | 'max' }
  | { kind: 'withdraw'; destination: string; amount: number | 'max' }
  /** recoverytx / withdrawtx (§8.9): every multisig UTXO to the user's own address, server-signed */
  | { kind: 'recovery' }
  /** an imported transaction with no stated purpose: inputs and fee are checked, outputs are shown */
  | { kind: 'sign-request' };

export type RefusalCode =
  | 'input-not-account-utxo'
  | 'output-not-requested'
  | 'change-not-to-multisig'
  | 'amount-mismatch'
  | 'fee-above-maximum'
  | 'outputs-exceed-inputs'
  | 'input-value-mismatch'
  | 'input-value-unknown'
  | 'prevtx-mismatch'
  | 'bad-server-signature'
  | 'missing-server-signature'
  | 'wrong-network'
  | 'invalid-destination'
  | 'duplicate-input'
  | 'no-inputs'
  | 'no-outputs'
  | 'unexpected-locktime';

export interface Refusal {
  code: RefusalCode;
  message: string;
}

export interface ReviewContext {
  account: WalletAccount;
  intent: Intent;
  /** config.maximumFee, satoshi */
  maximumFee: number;
  /** the network the transaction's source says it is for (signing request, PSBT record, server config) */
  declaredNetwork?: string;
  /** the multisig's confirmed UTXOs as the chain reports them; when given, every input must be one of them */
  accountUtxos?: readonly Outpoint[];
  /** input values someone else states (server `inputs`, signing request, PSBT witnessUtxo) */
  claimedInputs?: readonly Outpoint[];
  /** previous transactions (raw hex) by txid, fetched from the chain or carried by the file */
  prevTxs?: Readonly<Record<string, string>>;
  /** why previous transactions are missing, shown with an unverified fee (e.g. "offline") */
  prevTxsUnavailableReason?: string;
  /** findings of the file format layer (a foreign redeem script in a PSBT or signing request…) */
  extraRefusals?: readonly Refusal[];
}

export interface SignatureSlot {
  slot: 0 | 1;
  owner: 'user' | 'server';
  publicKey: string;
  present: boolean;
  valid: boolean;
  hashType: number | null;
  reason: string | null;
}

export type Ownership = 'prevtx' | 'utxo-set' | 'claimed' | 'none';

export interface ReviewedInput {
  index: number;
  txid: string;
  vout: number;
  sequence: number;
  /** spends an output of the account's multisig */
  ours: boolean;
  /** the strongest evidence for `ours`: the previous transaction, the chain's UTXO set, or someone's word */
  ownership: Ownership;
  /** satoshi, null when unknown */
  value: number | null;
  valueSource: 'prevtx' | 'claimed' | null;
  /** address of the spent output when the previous transaction is known */
  prevAddress: string | null;
  /** null when the scriptSig is not a multisig spend of this account */
  signatures: SignatureSlot[] | null;
  complete: boolean;
}

export type OutputDestination = 'multisig' | 'user' | 'margin' | 'foreign';

export interface ReviewedOutput {
  index: number;
  /** null for scripts without an address (OP_RETURN, bare scripts) */
  address: string | null;
  script: string;
  value: number;
  /** multisig change / the user's own address / the margin address / someone else */
  destination: OutputDestination;
  ours: boolean;
  /** how the output relates to the intent */
  role: 'payment' | 'change' | 'recovery' | 'unrequested';
}

export interface Review {
  kind: ReviewKind;
  network: NetworkName;
  txid: string;
  version: number;
  locktime: number;
  sequences: number[];
  /** some input opts in to replace-by-fee (sequence < 0xfffffffe) */
  rbf: boolean;
  inputs: ReviewedInput[];
  outputs: ReviewedOutput[];
  /** null when some input value is unknown */
  inputTotal: number | null;
  outputTotal: number;
  fee: number | null;
  /** fee ÷ estimated final size, sat/vB (legacy: vbytes = bytes) */
  feeRate: number | null;
  /** bytes now */
  size: number;
  /** bytes once every multisig input carries both signatures */
  estimatedSize: number;
  /** every input value comes from a hashed previous transaction */
  feeVerified: boolean;
  feeUnverifiedReason: string | null;
  maximumFee: number;
  /** satoshi delivered to the requested destination (margin-in, withdraw) or to the user (recovery) */
  amount: number;
  /** recovery: how much of the known multisig balance it spends */
  coverage: { covered: number; total: number } | null;
  signatures: { userSigned: number; serverSigned: number; inputs: number; complete: boolean };
  refusals: Refusal[];
  warnings: string[];
  /** nothing refused: the user's key may sign */
  ok: boolean;
}

const FINAL_SEQUENCE = 0xffffffff;
const DUMMY_SIG = new Uint8Array(72).fill(1); // size stand-in for a missing DER signature + hashtype

function parseTx(tx: Transaction | string | Uint8Array): Transaction {
  if (tx instanceof Transaction) return tx;
  try {
    if (typeof tx === 'string') {
      const hex = tx.trim();
      if (!isHex(hex) || hex.length === 0) throw new Error('not hex');
      return Transaction.fromHex(hex);
    }
    if (tx instanceof Uint8Array) return Transaction.fromBuffer(tx);
  } catch (err) {
    throw new Error(`Malformed transaction: ${err instanceof Error ? err.message : String(err)}`);
  }
  throw new Error('Transaction must be hex, bytes or a Transaction');
}

function checkContext(ctx: ReviewContext): void {
  if (!ctx || typeof ctx !== 'object') throw new Error('Review context missing');
  if (!ctx.intent || !['margin-in', 'withdraw', 'recovery', 'sign-request'].includes(ctx.intent.kind)) {
    throw new Error('Review context: unknown intent');
  }
  if (!Number.isSafeInteger(ctx.maximumFee) || ctx.maximumFee < 0) {
    throw new Error('Review context: maximumFee must be a non-negative integer (satoshi)');
  }
  const amount = 'amount' in ctx.intent ? ctx.intent.amount : undefined;
  if (amount !== undefined && amount !== 'max' && (!Number.isSafeInteger(amount) || amount <= 0)) {
    throw new Error('Review context: amount must be a positive integer (satoshi) or "max"');
  }
}

function outpointMap(list: readonly Outpoint[] | undefined, what: string): Map<string, number> | undefined {
  if (!list) return undefined;
  const map = new Map<string, number>();
  list.forEach((u, i) => {
    if (!u || !isHex(u.txid, 32) || !Number.isInteger(u.vout) || u.vout < 0 || !Number.isSafeInteger(u.value) || u.value < 0) {
      throw new Error(`Review context: ${what} #${i} is not {txid, vout, value}`);
    }
    map.set(`${u.txid.toLowerCase()}:${u.vout}`, u.value);
  });
  return map;
}

interface PrevOut {
  ok: true;
  value: number;
  script: Uint8Array;
}

function prevOutput(ctx: ReviewContext, txid: string, vout: number, cache: Map<string, Transaction | string>): PrevOut | { ok: false; reason: string } | undefined {
  const raw = ctx.prevTxs?.[txid] ?? ctx.prevTxs?.[txid.toUpperCase()];
  if (raw === undefined) return undefined;
  let parsed = cache.get(txid);
  if (parsed === undefined) {
    if (typeof raw !== 'string' || !isHex(raw.trim()) || raw.trim().length === 0) parsed = 'is not hex';
    else if (txidFromHex(raw.trim()) !== txid) parsed = 'does not hash to this txid';
    else {
      try {
        parsed = Transaction.fromHex(raw.trim());
      } catch {
        parsed = 'is malformed';
      }
    }
    cache.set(txid, parsed);
  }
  if (typeof parsed === 'string') return { ok: false, reason: `the previous transaction supplied for ${txid} ${parsed}` };
  const out = parsed.outs[vout];
  if (!out) return { ok: false, reason: `the previous transaction ${txid} has no output #${vout}` };
  return { ok: true, value: Number(out.value), script: out.script };
}

/** Size once every readable multisig input carries both signatures (missing ones as 72-byte stand-ins). */
function estimateFinalSize(tx: Transaction, slots: (Slots | null)[], redeem: Redeem): number {
  if (slots.every((s) => !s || (s[0] && s[1]))) return tx.byteLength();
  const copy = tx.clone();
  slots.forEach((s, i) => {
    if (!s) return;
    const filled = [s[0] ?? DUMMY_SIG, s[1] ?? DUMMY_SIG];
    const push = (b: Uint8Array): number => 1 + b.length; // 72-byte pushes and the 71-byte redeem push use 1 opcode byte
    const len = 1 + push(filled[0]!) + push(filled[1]!) + push(redeem.script);
    copy.setInputScript(i, new Uint8Array(len));
  });
  return copy.byteLength();
}

/** Reviews `tx` against what the user asked for. Pure: everything it needs is in `context`. */
export function review(txInput: Transaction | string | Uint8Array, context: ReviewContext): Review {
  checkContext(context);
  const tx = parseTx(txInput);
  const account = walletAccount(context.account);
  const network = account.network;
  const redeem = parseRedeem(account.redeem);
  const userSlot: 0 | 1 = toHex(redeem.keys[0]) === account.publicKey ? 0 : 1;
  const multisigScript = outputScript(account.accountid, network);
  const intent = context.intent;
  const refusals: Refusal[] = [];
  const warnings: string[] = [];
  const refuse = (code: RefusalCode, message: string): void => {
    refusals.push({ code, message });
  };

  for (const r of context.extraRefusals ?? []) refuse(r.code, r.message);
  if (context.declaredNetwork !== undefined && context.declaredNetwork !== network) {
    refuse('wrong-network', `The transaction is for ${String(context.declaredNetwork)}, this account is on ${network}`);
  }

  const utxoSet = outpointMap(context.accountUtxos, 'account UTXO');
  const claims = outpointMap(context.claimedInputs, 'claimed input');
  const prevCache = new Map<string, Transaction | string>();
  const unverified: number[] = [];
  const prevFailures: string[] = [];
  const seen = new Set<string>();
  const slotsPerInput: (Slots | null)[] = [];
  const hasher = new Sighasher(tx);

  if (tx.ins.length === 0) refuse('no-inputs', 'The transaction has no inputs');
  if (tx.outs.length === 0) refuse('no-outputs', 'The transaction has no outputs');

  const inputs: ReviewedInput[] = txOutpoints(tx).map(({ txid, vout }, index) => {
    const key = `${txid}:${vout}`;
    const sequence = tx.ins[index]!.sequence;
    if (seen.has(key)) refuse('duplicate-input', `Input #${index} spends ${key} a second time`);
    seen.add(key);

    // scriptSig: empty, a multisig spend of our redeem script, or something else
    let slots: Slots | null = null;
    let scriptProblem: string | null = null;
    try {
      slots = readScriptSig(tx.ins[index]!.script, redeem);
    } catch (err) {
      scriptProblem = err instanceof MultisigScriptError ? err.message : 'unreadable scriptSig';
    }
    slotsPerInput.push(slots);

    const prev = prevOutput(context, txid, vout, prevCache);
    const prevOk = prev?.ok ? prev : undefined;
    if (prev && !prev.ok) {
      refuse('prevtx-mismatch', `Input #${index}: ${prev.reason}`);
      prevFailures.push(`input #${index}: ${prev.reason}`);
    }
    const claimed = claims?.get(key);
    const chainValue = utxoSet?.get(key);

    // ownership: every piece of evidence must agree, and there must be at least one
    const notOurs: string[] = [];
    if (scriptProblem) notOurs.push(`its scriptSig is not a spend of this account's multisig (${scriptProblem})`);
    if (prevOk && !bytesEqual(prevOk.script, multisigScript)) {
      notOurs.push(`the previous transaction shows it spends ${scriptAddress(prevOk.script, network) ?? 'a non-standard script'}, not the multisig ${account.accountid}`);
    }
    if (utxoSet && chainValue === undefined) notOurs.push(`it is not among the confirmed UTXOs of the multisig ${account.accountid}`);
    const ownership: Ownership = prevOk ? 'prevtx' : utxoSet ? 'utxo-set' : claimed !== undefined || slots?.some((s) => s) ? 'claimed' : 'none';
    if (ownership === 'none') notOurs.push('nothing shows that it belongs to this account (no previous transaction, UTXO list or stated input)');
    const ours = notOurs.length === 0;
    if (ours && ownership === 'claimed') {
      warnings.push(`Input #${index}: that it belongs to this account is only stated, not shown by its previous transaction or the chain`);
    }
    if (!ours) {
      refuse('input-not-account-utxo', `Input #${index} (${key}) is not an account UTXO: ${notOurs.join('; ')}`);
    }

    // value: the previous transaction wins; claims are compared with it
    let value: number | null = null;
    let valueSource: 'prevtx' | 'claimed' | null = null;
    if (prevOk) {
      value = prevOk.value;
      valueSource = 'prevtx';
      for (const [who, v] of [['stated', claimed], ['chain-reported', chainValue]] as const) {
        if (v !== undefined && v !== prevOk.value) {
          refuse('input-value-mismatch', `Input #${index}: ${who} value ${v} sat, but the previous transaction says ${prevOk.value} sat`);
        }
      }
    } else {
      if (claimed !== undefined && chainValue !== undefined && claimed !== chainValue) {
        refuse('input-value-mismatch', `Input #${index}: stated value ${claimed} sat, but the chain reports ${chainValue} sat`);
      }
      value = chainValue ?? claimed ?? null;
      valueSource = value === null ? null : 'claimed';
      if (!prev) unverified.push(index);
    }
    if (value === null) refuse('input-value-unknown', `Input #${index} (${key}): its value is unknown, so the fee cannot be known`);

    // signatures present in the scriptSig
    let signatures: SignatureSlot[] | null = null;
    let complete = false;
    if (slots) {
      const check = verifyInput(tx, index, redeem, hasher);
      complete = check.complete;
      signatures = check.slots.map((s) => ({
        slot: s.slot,
        owner: s.slot === userSlot ? 'user' : 'server',
        publicKey: s.publicKey,
        present: s.present,
        valid: s.valid,
        hashType: s.hashType ?? null,
        reason: s.reason ?? null,
      }));
      const server = signatures[1 - userSlot]!;
      const user = signatures[userSlot]!;
      if (server.present && !server.valid) {
        refuse('bad-server-signature', `Input #${index}: the server's signature is invalid (${server.reason ?? 'does not verify'})`);
      } else if (server.valid && server.hashType !== Transaction.SIGHASH_ALL) {
        refuse('bad-server-signature', `Input #${index}: the server's signature uses hash type ${server.hashType}, expected SIGHASH_ALL`);
      }
      if (user.present && !user.valid) warnings.push(`Input #${index}: the existing user signature is invalid and will be replaced`);
      if (intent.kind === 'recovery' && !server.present) {
        refuse('missing-server-signature', `Input #${index} carries no server signature`);
      }
    } else if (intent.kind === 'recovery' && !scriptProblem) {
      refuse('missing-server-signature', `Input #${index} carries no server signature`);
    }

    return {
      index,
      txid,
      vout,
      sequence,
      ours,
      ownership,
      value,
      valueSource,
      prevAddress: prevOk ? scriptAddress(prevOk.script, network) : null,
      signatures,
      complete,
    };
  });

  // outputs: whose they are, then what they are for under this intent
  const destinationOf = (addr: string | null): OutputDestination =>
    addr === account.accountid ? 'multisig' : addr === account.userid ? 'user' : addr === account.serverAddress ? 'margin' : 'foreign';
  const outputs: ReviewedOutput[] = tx.outs.map((o, index) => {
    const address = scriptAddress(o.script, network);
    const destination = destinationOf(address);
    return { index, address, script: toHex(o.script), value: Number(o.value), destination, ours: destination !== 'foreign', role: 'unrequested' as const };
  });

  let amount = 0;
  if (intent.kind === 'margin-in' || intent.kind === 'withdraw') {
    let target: string | null = intent.kind === 'margin-in' ? account.serverAddress : intent.destination;
    if (intent.kind === 'withdraw') {
      const other: NetworkName = network === 'bitcoin' ? 'testnet' : 'bitcoin';
      if (typeof target !== 'string' || !isValidAddress(target, network)) {
        if (typeof target === 'string' && isValidAddress(target, other)) {
          refuse('wrong-network', `The destination ${target} is a ${other} address; this account is on ${network}`);
        } else {
          refuse('invalid-destination', `The destination is not a valid ${network} address`);
        }
        target = null;
      } else if (target === account.accountid) {
        refuse('invalid-destination', 'The destination is the multisig account itself');
        target = null;
      }
    }
    let change = 0;
    for (const o of outputs) {
      if (target !== null && o.address === target) {
        o.role = 'payment';
        amount += o.value;
      } else if (o.destination === 'multisig') {
        o.role = 'change';
        change += o.value;
      } else if (o.destination === 'user' || o.destination === 'margin') {
        refuse('change-not-to-multisig', `Output #${o.index} sends ${o.value} sat to ${o.address} (${o.destination === 'user' ? 'your own address' : 'the margin address'}): change must return to the multisig ${account.accountid}`);
      } else {
        refuse('output-not-requested', `Output #${o.index} sends ${o.value} sat to ${o.address ?? 'a non-standard script'}, which you did not ask for`);
      }
    }
    const wanted = intent.amount;
    const where = target ?? (intent.kind === 'withdraw' ? String(intent.destination) : account.serverAddress);
    if (wanted === 'max') {
      if (amount === 0) refuse('amount-mismatch', `Nothing is sent to ${where}`);
      if (change > 0) refuse('amount-mismatch', `"Max" was asked for, but ${change} sat returns to the multisig as change`);
    } else if (amount !== wanted) {
      refuse('amount-mismatch', `You asked to send ${wanted} sat to ${where}; the transaction sends ${amount} sat`);
    }
  } else if (intent.kind === 'recovery') {
    for (const p of recoveryShapeProblems(tx, account)) {
      if (p.code === 'output-not-requested') refuse('output-not-requested', p.message);
    }
    for (const o of outputs) {
      if (o.destination === 'user') {
        o.role = 'recovery';
        amount += o.value;
      }
    }
  } else {
    for (const o of outputs) {
      o.role = o.destination === 'multisig' ? 'change' : 'payment';
      if (o.role === 'payment') amount += o.value;
      if (o.destination === 'foreign') warnings.push(`Output #${o.index} pays ${o.value} sat to ${o.address ?? 'a non-standard script'}, an address that is not yours`);
    }
  }

  // locktime: a server could hand out a recovery that only becomes valid far in the future
  const sequences = tx.ins.map((i) => i.sequence);
  const lockActive = tx.locktime !== 0 && sequences.some((s) => s !== FINAL_SEQUENCE);
  if (lockActive) {
    const what = tx.locktime < 500000000 ? `block ${tx.locktime}` : new Date(tx.locktime * 1000).toISOString();
    if (intent.kind === 'sign-request') warnings.push(`The transaction cannot be mined before ${what} (nLockTime)`);
    else refuse('unexpected-locktime', `The transaction cannot be mined before ${what} (nLockTime ${tx.locktime}); expected 0`);
  }
  if (tx.hasWitnesses()) warnings.push('The transaction carries witness data, which legacy multisig inputs do not use');

  // fee
  const outputTotal = outputs.reduce((s, o) => s + o.value, 0);
  const known = inputs.every((i) => i.value !== null);
  const inputTotal = known ? inputs.reduce((s, i) => s + (i.value ?? 0), 0) : null;
  const fee = inputTotal === null ? null : inputTotal - outputTotal;
  const estimatedSize = estimateFinalSize(tx, slotsPerInput, redeem);
  if (fee !== null && fee < 0) refuse('outputs-exceed-inputs', `Outputs (${outputTotal} sat) exceed inputs (${inputTotal} sat)`);
  if (fee !== null && fee > context.maximumFee) {
    refuse('fee-above-maximum', `The fee of ${fee} sat is above the configured maximum of ${context.maximumFee} sat`);
  }
  const feeVerified = inputs.length > 0 && inputs.every((i) => i.valueSource === 'prevtx') && prevFailures.length === 0;
  let feeUnverifiedReason: string | null = null;
  if (!feeVerified) {
    const parts: string[] = [];
    if (unverified.length > 0) {
      const why = context.prevTxsUnavailableReason ?? 'not supplied';
      parts.push(`previous transactions for input${unverified.length > 1 ? 's' : ''} #${unverified.join(', #')} are unavailable (${why}); input values are claimed, not verified`);
    }
    parts.push(...prevFailures);
    if (parts.length === 0) parts.push('no inputs');
    feeUnverifiedReason = parts.join('; ');
  }

  // recovery coverage of the known multisig balance
  let coverage: Review['coverage'] = null;
  if (context.accountUtxos) {
    const spent = new Set(inputs.map((i) => `${i.txid}:${i.vout}`));
    const total = context.accountUtxos.reduce((s, u) => s + u.value, 0);
    const covered = context.accountUtxos.filter((u) => spent.has(`${u.txid.toLowerCase()}:${u.vout}`)).reduce((s, u) => s + u.value, 0);
    coverage = { covered, total };
    if (intent.kind === 'recovery' && covered < total) {
      warnings.push(`The recovery transaction covers ${covered} of ${total} sat in the multisig`);
    }
  }

  const withSigs = inputs.filter((i) => i.signatures);
  const signatures = {
    userSigned: withSigs.filter((i) => i.signatures![userSlot]!.valid).length,
    serverSigned: withSigs.filter((i) => i.signatures![1 - userSlot]!.valid).length,
    inputs: inputs.length,
    complete: inputs.length > 0 && inputs.every((i) => i.complete),
  };

  return {
    kind: intent.kind,
    network,
    txid: tx.getId(),
    version: tx.version,
    locktime: tx.locktime,
    sequences,
    rbf: sequences.some((s) => s < 0xfffffffe),
    inputs,
    outputs,
    inputTotal,
    outputTotal,
    fee,
    feeRate: fee === null ? null : Math.round((fee / estimatedSize) * 100) / 100,
    size: tx.byteLength(),
    estimatedSize,
    feeVerified,
    feeUnverifiedReason,
    maximumFee: context.maximumFee,
    amount,
    coverage,
    signatures,
    refusals,
    warnings,
    ok: refusals.length === 0,
  };
}

/** Validates an intent read from a file or IPC payload. */
export function parseIntent(input: unknown): Intent {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new Error('Intent must be an object');
  const o = input as Record<string, unknown>;
  const amount = (): number | 'max' => {
    const a = o.amount;
    if (a === 'max' || (typeof a === 'number' && Number.isSafeInteger(a) && a > 0)) return a;
    throw new Error('Intent amount must be a positive integer (satoshi) or "max"');
  };
  switch (o.kind) {
    case 'margin-in':
      return { kind: 'margin-in', amount: amount() };
    case 'withdraw':
      if (typeof o.destination !== 'string' || o.destination.length === 0 || o.destination.length > 100) {
        throw new Error('Intent destination must be an address');
      }
      return { kind: 'withdraw', destination: o.destination, amount: amount() };
    case 'recovery':
      return { kind: 'recovery' };
    case 'sign-request':
      return { kind: 'sign-request' };
    default:
      throw new Error('Intent kind must be margin-in, withdraw, recovery or sign-request');
  }
}

/** Thrown when a transaction fails review; carries the review so the UI/CLI can show every reason. */
export class ReviewRefused extends Error {
  readonly review: Review;
  constructor(r: Review) {
    super(`Refused to sign: ${r.refusals.map((x) => x.message).join('; ')}`);
    this.name = 'ReviewRefused';
    this.review = r;
  }
}

/** Hex of the raw previous transactions by txid, for ReviewContext.prevTxs. */
export function prevTxMap(rawTxs: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const raw of rawTxs) map[txidFromHex(raw.trim())] = raw.trim();
  return map;
}

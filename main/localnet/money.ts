// Money movement checks and builders of the local exchange (PROTOCOL §6, §8.8–8.10), as pure functions over the
// chain and a user record. They never change state: the Exchange journals and submits what they return.
import { Transaction } from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import type { Config, WithdrawTx } from '../coinpit/types';
import type { Chain, Utxo } from './chain/chain';
import { buildSpend, buildP2pkhSpend, type SpendUtxo } from './chain/build';
import { classifyOutput, fromHex, toHex } from './chain/script';
import { signMultisigInput, type Signer } from './chain/sign';
import { multisigSignatures } from './chain/verify';
import { HttpError } from './server/router';
import type { UserRecord } from './server/users';
import { selectCoins, type FeePolicy, type Selection } from '../wallet/txbuild';

export function signerOf(privateKey: Uint8Array): Signer {
  const pub = ecc.pointFromScalar(privateKey, true);
  if (!pub) throw new Error('invalid server key');
  return { publicKey: pub, sign: (hash: Uint8Array) => ecc.sign(hash, privateKey) };
}

export function serverSigner(user: UserRecord): Signer {
  return signerOf(user.serverPrivateKey);
}

const txidOf = (hash: Uint8Array): string => toHex(Uint8Array.from(hash).reverse());
const bad = (message: string): never => {
  throw new HttpError(422, message);
};

function parseTx(hex: unknown): Transaction {
  if (typeof hex !== 'string' || hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
    return bad('Transaction must be non-empty hex');
  }
  if (hex.length > 200_000) return bad('Transaction is too large');
  try {
    const tx = Transaction.fromHex(hex);
    if (tx.toHex() !== hex.toLowerCase()) return bad('Invalid transaction: non-canonical serialization');
    return tx;
  } catch (err) {
    return bad(`Invalid transaction: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * A user-signed, incomplete spend of the user's multisig: every input an unspent output of `accountid` with a
 * valid user signature, outputs accepted by `outputOk`. Returns the transaction co-signed by the server key.
 */
function cosignUserSpend(
  chain: Chain,
  user: UserRecord,
  hex: unknown,
  config: Config,
  checkOutputs: (outs: { address: string | null; value: number }[]) => void,
): { tx: Transaction; fee: number } {
  const tx = parseTx(hex);
  if (tx.ins.length === 0) bad('Transaction has no inputs');
  if (tx.outs.length === 0) bad('Transaction has no outputs');
  if (tx.ins.length > Math.max(1, config.maxInputs)) bad(`At most ${config.maxInputs} inputs per transaction`);
  if (tx.hasWitnesses()) bad('Witness transactions are not supported');
  const redeem = fromHex(user.redeem);
  const userSlot = user.publicKey < user.serverPublicKey ? 0 : 1;
  let inTotal = 0;
  const seen = new Set<string>();
  tx.ins.forEach((inp, i) => {
    const txid = txidOf(inp.hash);
    const key = `${txid}:${inp.index}`;
    if (seen.has(key)) bad(`Input ${i} is listed twice`);
    seen.add(key);
    const prev = chain.tx(txid)?.outputs[inp.index];
    if (!prev || prev.address !== user.accountid) bad(`Input ${i} is not an output of your multisig account ${user.accountid}`);
    if (prev!.spentBy) bad(`Input ${i} (${key}) is already spent`);
    inTotal += prev!.value;
    let status;
    try {
      status = multisigSignatures(tx, i, redeem);
    } catch (err) {
      return bad(`Input ${i}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!status.slots[userSlot].valid) bad(`Input ${i} does not carry a valid signature of your key`);
  });
  const outs = tx.outs.map((o) => ({ address: classifyOutput(o.script).address ?? null, value: Number(o.value) }));
  const outTotal = outs.reduce((s, o) => s + o.value, 0);
  if (outTotal > inTotal) bad(`Outputs (${outTotal}) exceed inputs (${inTotal})`);
  const fee = inTotal - outTotal;
  if (fee > config.sendFundsMaxTXfee) bad(`Fee ${fee} is above the maximum of ${config.sendFundsMaxTXfee} satoshi`);
  for (const o of outs) if (o.value <= 0) bad('Outputs must be positive');
  checkOutputs(outs);
  const signer = serverSigner(user);
  tx.ins.forEach((_, i) => {
    const status = signMultisigInput(tx, i, redeem, signer);
    if (!status.complete) bad(`Input ${i} could not be completed`);
  });
  return { tx, fee };
}

/** §6.3 margin in: outputs only to serverAddress (at least one) and change to accountid. */
export function cosignMarginIn(chain: Chain, user: UserRecord, hex: unknown, config: Config): Transaction {
  return cosignUserSpend(chain, user, hex, config, (outs) => {
    if (!outs.some((o) => o.address === user.serverAddress)) bad(`Transaction pays nothing to the margin address ${user.serverAddress}`);
    for (const o of outs) {
      if (o.address !== user.serverAddress && o.address !== user.accountid) {
        bad(`Margin transaction may pay only the margin address and change to ${user.accountid}`);
      }
    }
  }).tx;
}

/** §8.10 partial withdraw: one destination of the user's choice; any other output is change to accountid. */
export function cosignWithdraw(chain: Chain, user: UserRecord, hex: unknown, config: Config): Transaction {
  return cosignUserSpend(chain, user, hex, config, (outs) => {
    const foreign = outs.filter((o) => o.address !== user.accountid);
    if (foreign.some((o) => o.address === null)) bad('Outputs must pay standard addresses');
    if (foreign.length > 1) bad(`Change must return to ${user.accountid}: only one other output is allowed`);
  }).tx;
}

/**
 * The fee policy of every transaction the exchange builds: the given rate (config.feePerKB unless stated, e.g.
 * recoveryFeePerKB) on the §6.2 size estimate, never below config.minimumFee — the same rule the wallet applies
 * (wallet/txbuild selectCoins), so the exchange never pays less than it asks of its users.
 */
export function exchangeFeePolicy(config: Config, feePerKB: number = config.feePerKB): FeePolicy {
  return { feePerKB, dust: config.bitcoinDust, minimumFee: config.minimumFee };
}

type Select = (amount: number | 'max') => Selection<SpendUtxo> | null;

/**
 * Margin out 'all': the largest amount with amount + fee ≤ free. Normally exactly free − fee (what stays behind
 * for orders and positions returns as change). When what would stay is at or below dust it cannot be a change
 * output and must not go to the miner either (it is margin the engine holds): the amount is then lowered until
 * the change is just above dust. The fee depends on the inputs used, so this iterates to a fixed point.
 */
function selectAll(select: Select, free: number, total: number, policy: FeePolicy): Selection<SpendUtxo> | null {
  const dust = policy.dust;
  const sweep = select('max');
  if (free >= total) return sweep; // nothing has to stay: every UTXO, minus the fee
  let best: Selection<SpendUtxo> | null = null;
  const tried = new Set<number>();
  let target = free - (policy.minimumFee ?? 0); // no fee is lower; the loop raises it to the inputs' fee
  for (let i = 0; i < 16 && target > dust && !tried.has(target); i++) {
    tried.add(target);
    const s = select(target);
    if (!s) {
      // the inputs this needs cost more than the floor: restart from the fee of spending them all, which
      // always fits (free < total)
      if (!sweep) break;
      target = free - sweep.fee;
      continue;
    }
    const used = s.amount + s.fee;
    if (used <= free && (!best || s.amount > best.amount)) best = s;
    if (used === free) break;
    if (s.change > 0) target += Math.min(free - used, s.change - dust - 1);
    else if (used > free) target -= used - free + dust + 1; // the leftover went to the fee: make room for change
    else target = free - s.fee;
  }
  return best;
}

/**
 * §8.8 margin out: a server-signed P2PKH spend from serverAddress to accountid; the fee (exchangeFeePolicy:
 * feePerKB, at least config.minimumFee) comes on top of `amount` ('all' = everything free minus the fee).
 * `free` is what the engine lets leave (freeMargin); amount + fee never exceeds it.
 */
export function buildMarginOut(
  chain: Chain,
  user: UserRecord,
  amount: number | 'all',
  free: number,
  config: Config,
): { hex: string; amount: number; fee: number } {
  const utxos: SpendUtxo[] = chain.utxos(user.serverAddress).map((u) => ({ txid: u.txid, vout: u.vout, value: u.value, address: u.address }));
  if (utxos.length === 0 || free <= 0) bad('Insufficient margin');
  const dust = config.bitcoinDust;
  const policy = exchangeFeePolicy(config);
  // coin selection and the fee are the wallet's (one fee rule for both sides); a selection that cannot be
  // funded is simply not an option here
  const select: Select = (value) => {
    try {
      return selectCoins(utxos, { ...policy, amount: value, inputType: 'p2pkh' });
    } catch {
      return null;
    }
  };
  let sel: Selection<SpendUtxo> | null;
  if (amount === 'all') {
    const total = utxos.reduce((s, u) => s + u.value, 0);
    sel = selectAll(select, free, total, policy);
  } else {
    if (!Number.isSafeInteger(amount) || amount <= 0) bad('Amount must be a positive integer (satoshi)');
    if (amount <= dust) bad(`Amount must be above dust (${dust} satoshi)`);
    if (amount > free) bad('Insufficient margin');
    sel = select(amount);
    if (sel && sel.amount + sel.fee > free) sel = null;
  }
  if (!sel) return bad('Insufficient margin');
  const built = buildP2pkhSpend({
    utxos: sel.inputs,
    spendAll: true,
    outputs: [{ address: user.accountid, value: sel.amount }],
    changeAddress: user.serverAddress,
    fee: sel.fee,
    dust,
    keys: [serverSigner(user)],
  });
  return { hex: built.hex, amount: sel.amount, fee: built.fee };
}

/**
 * §8.9 withdrawtx / recoverytx: every confirmed UTXO of accountid to userid, version 2, sequence 0xfffffffe,
 * locktime 0, server-signed with an OP_0 placeholder for the user's signature. `feePerKB` is the rate §8.9 names
 * (feePerKB for withdrawtx, recoveryFeePerKB for recoverytx); the fee is never below config.minimumFee. A
 * multisig too small to pay that fee and leave more than dust gets a 422 saying so.
 */
export function buildRecoveryTx(chain: Chain, user: UserRecord, feePerKB: number, config: Config): WithdrawTx {
  const confirmed: Utxo[] = chain.utxos(user.accountid).filter((u) => u.confirmations > 0);
  if (confirmed.length === 0) bad('No confirmed funds in the multisig account');
  let built;
  try {
    const utxos: SpendUtxo[] = confirmed.map((u) => ({ txid: u.txid, vout: u.vout, value: u.value, address: u.address }));
    const sel = selectCoins(utxos, { ...exchangeFeePolicy(config, feePerKB), amount: 'max', inputType: 'multisig' });
    built = buildSpend({
      utxos: sel.inputs,
      sweepTo: user.userid,
      fee: sel.fee,
      dust: config.bitcoinDust,
      spendAll: true,
      version: 2,
      sequence: 0xfffffffe,
      locktime: 0,
    });
  } catch (err) {
    return bad(`Cannot build the transaction: ${err instanceof Error ? err.message : String(err)}`);
  }
  const redeem = fromHex(user.redeem);
  const signer = serverSigner(user);
  built.inputs.forEach((_, i) => signMultisigInput(built.tx, i, redeem, signer));
  return {
    tx: built.tx.toHex(),
    fee: built.fee,
    inputs: built.inputs.map((u) => ({ txid: u.txid, vout: u.vout, value: u.value })),
  };
}

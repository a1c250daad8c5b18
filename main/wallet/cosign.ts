// Review, then sign: the only path by which the wallet puts the user's signature on a transaction.
// A refused review throws ReviewRefused before any key is used.
import { Transaction } from 'bitcoinjs-lib';
import { parseRedeem, signTransaction, type Signer } from './multisig';
import { review, ReviewRefused, type Review, type ReviewContext } from './review';
import { walletAccount } from './account';
import { toHex } from '../coinpit/hash';

export interface CosignResult {
  /** the review the signature was given under (of the transaction before signing) */
  review: Review;
  tx: Transaction;
  hex: string;
  txid: string;
  /** both signatures present and valid on every input: ready to broadcast */
  complete: boolean;
}

export function signReviewed(tx: Transaction | string | Uint8Array, context: ReviewContext, signer: Signer): CosignResult {
  const r = review(tx, context);
  if (!r.ok) throw new ReviewRefused(r);
  const account = walletAccount(context.account);
  if (toHex(signer.publicKey) !== account.publicKey) throw new Error('The signing key is not this account\'s key');
  const parsed = tx instanceof Transaction ? tx : typeof tx === 'string' ? Transaction.fromHex(tx.trim()) : Transaction.fromBuffer(tx);
  const redeem = parseRedeem(account.redeem);
  const userSlot = toHex(redeem.keys[0]) === account.publicKey ? 0 : 1;
  // the review has just verified the server's signatures over this same transaction
  const cosignerVerified = r.inputs.map((i) => i.signatures?.[1 - userSlot]?.valid === true && i.signatures[1 - userSlot]?.hashType === 1);
  const { tx: signed, complete, inputs } = signTransaction(parsed, redeem, signer, { cosignerVerified });
  if (!inputs.every((i) => i.slots[userSlot].valid)) throw new Error('Internal error: a fresh signature does not verify');
  return { review: r, tx: signed, hex: signed.toHex(), txid: signed.getId(), complete };
}

// The one confirmation interface of the app (DESIGN "Rules that keep it safe"): every action that moves coins asks
// a Confirmer first — a native dialog in the app (main/dialogs.ts), a script in tests and the web host. What it is
// asked about is the subject: the review of the transaction about to be signed, or, for the moves that sign
// nothing new, what will move where. A confirmer that answers anything but `true` means nothing happens.
import type { Review } from './review';

/** A margin move out of the margin address: the exchange signs it, so there is no transaction to review. */
export interface MarginOutConfirmation {
  kind: 'margin-out';
  /** satoshi, or every free satoshi */
  amount: number | 'all';
  /** the margin address */
  from: string;
  /** the multisig */
  to: string;
}

/** Sending the kept, fully signed recovery transaction to the chain: nothing new is signed, but every coin moves. */
export interface RecoveryBroadcastConfirmation {
  kind: 'recovery-broadcast';
  txid: string;
  /** satoshi the transaction pays to `to` */
  amount: number;
  /** the user's own address */
  to: string;
  fee: number;
  /** the review made when it was signed, when still known */
  review: Review | null;
}

/** Signing a transaction imported from a file (offline signing). */
export interface SignFileConfirmation {
  kind: 'sign-file';
  fileName: string | null;
  review: Review;
}

export type ConfirmSubject = Review | MarginOutConfirmation | RecoveryBroadcastConfirmation | SignFileConfirmation;

/** True when the subject is the review of a transaction about to be signed. */
export function isReviewSubject(subject: ConfirmSubject): subject is Review {
  return subject.kind !== 'margin-out' && subject.kind !== 'recovery-broadcast' && subject.kind !== 'sign-file';
}

/** Asks the user whether to go ahead with what the subject shows; only `true` is a yes. */
export interface Confirmer {
  confirm(subject: ConfirmSubject): Promise<boolean>;
}

export class ConfirmationRejected extends Error {
  readonly subject: ConfirmSubject;
  constructor(subject: ConfirmSubject) {
    super(`Not confirmed: the ${subject.kind} was cancelled; nothing was signed or sent`);
    this.name = 'ConfirmationRejected';
    this.subject = subject;
  }
}

/** Asks `confirmer` about `subject`; throws ConfirmationRejected unless the answer is exactly `true`. */
export async function requireConfirmation(confirmer: Confirmer, subject: ConfirmSubject): Promise<void> {
  // a confirmer that fails throws its own error: either way nothing is signed or sent
  const ok: unknown = await confirmer.confirm(subject);
  if (ok !== true) throw new ConfirmationRejected(subject);
}

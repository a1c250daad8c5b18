// What a confirmation shows. The Confirmer interface and its subjects are the wallet's (main/wallet/confirm): every
// coin-moving action asks with the review of the transaction it is about to sign, or with what moves where when it
// signs nothing new (margin out, broadcasting the recovery). This file turns a subject into the text of a dialog
// (title, amount, destination, fee) and holds the scripted confirmer of the tests and the web host. The Electron
// confirmer (native dialog) lives in main/dialogs.ts.
import type { TxReview } from '../../preload/contract';
import type { Confirmer, ConfirmSubject } from '../wallet/confirm';
import type { Review } from '../wallet/review';
import { btcfy } from '../wallet/txbuild';

export type { Confirmer, ConfirmSubject } from '../wallet/confirm';

export type ConfirmAction = 'margin-in' | 'margin-out' | 'withdraw' | 'recovery-sign' | 'recovery-broadcast' | 'sign-file';

/** A confirmation as a dialog shows it. */
export interface ConfirmRequest {
  action: ConfirmAction;
  /** one line, e.g. "Move 0.5 BTC to trading margin" */
  title: string;
  /** the review of the transaction; null for a server-side move (margin out) */
  review: TxReview | null;
  /** satoshi the action moves, when known */
  amount: number | null;
  /** where the coins go */
  destination: string | null;
  fee: number | null;
}

/** Where a reviewed transaction pays, change left out. */
function paysTo(r: Review): string | null {
  return (
    r.outputs
      .filter((o) => o.role !== 'change')
      .map((o) => o.address ?? 'script')
      .join(', ') || null
  );
}

/** The dialog's view of a subject. */
export function confirmRequest(subject: ConfirmSubject): ConfirmRequest {
  switch (subject.kind) {
    case 'margin-out':
      return {
        action: 'margin-out',
        title: subject.amount === 'all' ? 'Move all free margin back to the wallet' : `Move ${btcfy(subject.amount)} BTC from margin back to the wallet`,
        review: null,
        amount: subject.amount === 'all' ? null : subject.amount,
        destination: subject.to,
        fee: null,
      };
    case 'recovery-broadcast':
      return {
        action: 'recovery-broadcast',
        title: 'Broadcast the recovery transaction: every coin in the wallet goes to your own address',
        review: subject.review,
        amount: subject.amount,
        destination: subject.to,
        fee: subject.fee,
      };
    case 'sign-file': {
      const r = subject.review;
      return { action: 'sign-file', title: `Sign ${subject.fileName ?? 'the imported transaction'}`, review: r, amount: r.amount, destination: paysTo(r), fee: r.fee };
    }
    default: {
      const r: Review = subject;
      const to = paysTo(r);
      const view = { review: r, amount: r.amount, destination: to, fee: r.fee };
      switch (r.kind) {
        case 'margin-in':
          return { action: 'margin-in', title: `Move ${btcfy(r.amount)} BTC to trading margin`, ...view };
        case 'withdraw':
          return { action: 'withdraw', title: `Withdraw ${btcfy(r.amount)} BTC to ${to ?? 'an address'}`, ...view };
        case 'recovery':
          return { action: 'recovery-sign', title: `Sign the recovery transaction (${btcfy(r.amount)} BTC to ${to ?? 'your address'})`, ...view };
        default:
          return { action: 'sign-file', title: 'Sign the imported transaction', ...view };
      }
    }
  }
}

/** A confirmer whose answer is set by the test (or by the web host's control channel); it records every request. */
export class ScriptedConfirmer implements Confirmer {
  answer: boolean | ((request: ConfirmRequest, subject: ConfirmSubject) => boolean | Promise<boolean>);
  /** what each confirmation showed, in order */
  readonly requests: ConfirmRequest[] = [];
  /** what each confirmation was asked about, in order */
  readonly subjects: ConfirmSubject[] = [];

  constructor(answer: ScriptedConfirmer['answer'] = true) {
    this.answer = answer;
  }

  async confirm(subject: ConfirmSubject): Promise<boolean> {
    const request = confirmRequest(subject);
    this.subjects.push(subject);
    this.requests.push(request);
    const a = this.answer;
    return (typeof a === 'function' ? await a(request, subject) : a) === true;
  }
}

/** Plain-text summary of a confirmation, for a native dialog's detail field. */
export function describeConfirmation(request: ConfirmRequest, formatSat: (sat: number) => string = btc): string {
  const lines: string[] = [];
  const r = request.review;
  if (request.amount !== null) lines.push(`Amount: ${formatSat(request.amount)}`);
  if (request.destination) lines.push(`To: ${request.destination}`);
  if (request.fee !== null) lines.push(`Fee: ${formatSat(request.fee)}${r && !r.feeVerified ? ' (not verified)' : ''}`);
  if (r) {
    lines.push(`Transaction: ${r.txid}`);
    for (const o of r.outputs) {
      lines.push(`  output ${o.index}: ${formatSat(o.value)} → ${o.address ?? 'script'} (${o.destination}, ${o.role})`);
    }
    for (const w of r.warnings) lines.push(`Warning: ${w}`);
    for (const x of r.refusals) lines.push(`Refused: ${x.message}`);
  }
  return lines.join('\n');
}

function btc(sat: number): string {
  const sign = sat < 0 ? '-' : '';
  const abs = Math.abs(sat);
  return `${sign}${Math.floor(abs / 1e8)}.${String(abs % 1e8).padStart(8, '0')} BTC`;
}

// The main-process confirmation every coin-moving action goes through (DESIGN "Rules that keep it safe"). The
// request carries the transaction review, which is what the user sees; a `false` answer means nothing is signed.
// The Electron confirmer (native dialog) lives in main/dialogs.ts; tests and the web host use ScriptedConfirmer.
import type { TxReview } from '../../preload/contract';

export type ConfirmAction = 'margin-in' | 'margin-out' | 'withdraw' | 'recovery-sign' | 'recovery-broadcast' | 'sign-file';

export interface ConfirmRequest {
  action: ConfirmAction;
  /** one line, e.g. "Move 0.5 BTC to margin" */
  title: string;
  /** the review of the transaction to sign; null for a server-side move (margin out) */
  review: TxReview | null;
  /** satoshi the action moves, when known */
  amount: number | null;
  /** where the coins go */
  destination: string | null;
  fee: number | null;
}

export interface Confirmer {
  confirm(request: ConfirmRequest): Promise<boolean>;
}

/** A confirmer whose answer is set by the test (or by the web host's control channel); it records every request. */
export class ScriptedConfirmer implements Confirmer {
  answer: boolean | ((request: ConfirmRequest) => boolean | Promise<boolean>);
  readonly requests: ConfirmRequest[] = [];

  constructor(answer: ScriptedConfirmer['answer'] = true) {
    this.answer = answer;
  }

  async confirm(request: ConfirmRequest): Promise<boolean> {
    this.requests.push(request);
    const a = this.answer;
    return (typeof a === 'function' ? await a(request) : a) === true;
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

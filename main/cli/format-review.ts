// Plain-text rendering of a wallet Review (main/wallet/review.ts) for the terminal: every input, output, the fee,
// signatures, warnings and the verdict with each refusal reason.
import type { Review, ReviewedInput, ReviewedOutput } from '../wallet/review';
import { btcfy } from '../wallet/txbuild';

const KIND_TEXT: Record<Review['kind'], string> = {
  'margin-in': 'margin in (multisig → margin address)',
  withdraw: 'withdraw',
  recovery: 'recovery (every multisig coin to your own address)',
  'sign-request': 'signing request (no stated purpose)',
};

export function sat(n: number): string {
  return `${n} sat (${btcfy(n)} BTC)`;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function sequencesText(seqs: number[]): string {
  const counts = new Map<number, number>();
  for (const s of seqs) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, c]) => (c > 1 ? `${hex32(s)} ×${c}` : hex32(s))).join(', ') || 'none';
}

function inputLine(i: ReviewedInput): string {
  const value = i.value === null ? 'value unknown' : `${sat(i.value)}, ${i.valueSource === 'prevtx' ? 'verified from the previous transaction' : 'claimed, not verified'}`;
  const owner = i.ours ? `ours (${ownershipText(i.ownership)})` : 'NOT an account coin';
  const sigs = i.signatures
    ? i.signatures.map((s) => `${s.owner} ${s.valid ? 'signed' : s.present ? `INVALID (${s.reason ?? 'does not verify'})` : 'missing'}`).join(', ')
    : 'scriptSig is not a spend of this multisig';
  return `  #${i.index} ${i.txid}:${i.vout}\n      ${value}; ${owner}; sequence ${hex32(i.sequence)}; signatures: ${sigs}`;
}

function ownershipText(o: ReviewedInput['ownership']): string {
  switch (o) {
    case 'prevtx':
      return 'shown by its previous transaction';
    case 'utxo-set':
      return "in the chain's UTXO set";
    case 'claimed':
      return 'stated, not shown';
    default:
      return 'no evidence';
  }
}

const DESTINATION_TEXT: Record<ReviewedOutput['destination'], string> = {
  multisig: 'your multisig',
  user: 'your own address',
  margin: 'your margin address',
  foreign: 'someone else',
};

function outputLine(o: ReviewedOutput): string {
  const role = o.role === 'unrequested' ? 'NOT REQUESTED' : o.role;
  return `  #${o.index} ${o.address ?? `script ${o.script.slice(0, 40)}…`}\n      ${sat(o.value)} to ${DESTINATION_TEXT[o.destination]} (${role})`;
}

export function formatReview(r: Review): string {
  const lines: string[] = [];
  lines.push(`Transaction ${r.txid}`);
  lines.push(`  purpose: ${KIND_TEXT[r.kind]}`);
  lines.push(`  network: ${r.network}; version ${r.version}; locktime ${r.locktime}; sequences ${sequencesText(r.sequences)}${r.rbf ? ' (replaceable)' : ''}`);
  lines.push(`Inputs (${r.inputs.length}):`);
  for (const i of r.inputs) lines.push(inputLine(i));
  lines.push(`Outputs (${r.outputs.length}):`);
  for (const o of r.outputs) lines.push(outputLine(o));
  lines.push(`Amount: ${sat(r.amount)}`);
  if (r.fee === null) {
    lines.push('Fee: unknown (an input value is unknown)');
  } else {
    const rate = r.feeRate === null ? '' : `, ${r.feeRate} sat/vB`;
    lines.push(`Fee: ${sat(r.fee)}${rate}; maximum ${sat(r.maximumFee)}`);
  }
  lines.push(r.feeVerified ? 'Fee verified: every input value comes from its previous transaction' : `Fee NOT verified: ${r.feeUnverifiedReason ?? 'input values are not proven'}`);
  if (r.coverage) lines.push(`Covers ${sat(r.coverage.covered)} of ${sat(r.coverage.total)} in the multisig`);
  const s = r.signatures;
  lines.push(`Signatures: user ${s.userSigned}/${s.inputs}, server ${s.serverSigned}/${s.inputs}${s.complete ? ' (complete)' : ''}`);
  for (const w of r.warnings) lines.push(`Warning: ${w}`);
  if (r.ok) {
    lines.push('Verdict: OK, nothing in this transaction is refused');
  } else {
    lines.push(`Verdict: REFUSED (${r.refusals.length} reason${r.refusals.length > 1 ? 's' : ''})`);
    for (const x of r.refusals) lines.push(`  - [${x.code}] ${x.message}`);
  }
  return `${lines.join('\n')}\n`;
}

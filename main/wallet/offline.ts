// Offline signing entry point for the CLI and the app: read a file (PSBT in base64/hex/binary, or the app's
// signing-request JSON), review it, sign it, and produce what to write back. No network is used anywhere here.
import type { WalletAccount } from './account';
import type { Signer } from './multisig';
import { decodePsbt, encodePsbt, reviewPsbt, signPsbt, type PsbtFile } from './psbt';
import type { Intent, Review } from './review';
import { parseSigningRequest, reviewSigningRequest, serializeSigningRequest, signSigningRequest, type SigningRequest } from './signing-request';
import type { Outpoint } from './txbuild';

export type SigningFile = ({ format: 'psbt' } & PsbtFile) | { format: 'signing-request'; request: SigningRequest };

/** Detects and parses a signing file; throws a clear error for anything malformed, truncated or unknown. */
export function readSigningFile(content: string | Uint8Array): SigningFile {
  let text: string | null = null;
  if (typeof content === 'string') text = content;
  else if (content instanceof Uint8Array) {
    if (content.length >= 5 && content[0] === 0x70 && content[1] === 0x73 && content[2] === 0x62 && content[3] === 0x74 && content[4] === 0xff) {
      return { format: 'psbt', ...decodePsbt(content) };
    }
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(content);
    } catch {
      throw new Error('Unrecognised file: neither a PSBT nor a signing request');
    }
  } else {
    throw new Error('Unrecognised file: expected text or bytes');
  }
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.length === 0) throw new Error('Empty file');
  if (trimmed.startsWith('{')) return { format: 'signing-request', request: parseSigningRequest(trimmed) };
  if (trimmed.startsWith('cHNidP') || /^70736274ff/i.test(trimmed)) return { format: 'psbt', ...decodePsbt(trimmed) };
  throw new Error('Unrecognised file: expected a PSBT (base64, hex or binary) or a signing-request JSON file');
}

export interface OfflineOptions {
  account: WalletAccount;
  /** largest fee the user accepts, satoshi */
  maximumFee: number;
  /** what the user asked for; defaults to the file's intent, else 'sign-request' */
  intent?: Intent;
  accountUtxos?: readonly Outpoint[];
}

export function reviewSigningFile(file: SigningFile, opts: OfflineOptions): Review {
  return file.format === 'psbt' ? reviewPsbt(file, opts) : reviewSigningRequest(file.request, opts);
}

export interface SignedOutput {
  review: Review;
  complete: boolean;
  txid: string;
  /** 'hex' = final transaction ready to broadcast; otherwise the updated file in its own format */
  format: 'hex' | 'psbt' | 'signing-request';
  /** text to write (hex, base64 PSBT or JSON) */
  text: string;
}

/** Review then sign; throws ReviewRefused (nothing signed) when the review refuses. */
export function signSigningFile(file: SigningFile, signer: Signer, opts: OfflineOptions): SignedOutput {
  if (file.format === 'psbt') {
    const r = signPsbt(file, signer, opts);
    return r.hex !== null
      ? { review: r.review, complete: true, txid: r.txid, format: 'hex', text: `${r.hex}\n` }
      : { review: r.review, complete: false, txid: r.txid, format: 'psbt', text: `${encodePsbt(r.psbt, 'base64')}\n` };
  }
  const r = signSigningRequest(file.request, signer, opts);
  return r.hex !== null
    ? { review: r.review, complete: true, txid: r.txid, format: 'hex', text: `${r.hex}\n` }
    : { review: r.review, complete: false, txid: r.txid, format: 'signing-request', text: serializeSigningRequest(r.request) };
}

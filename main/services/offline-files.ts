// Offline signing of an imported file: a PSBT or the app's signing request (main/wallet/offline), or a bare
// server transaction (hex, or the `{tx, fee, inputs}` reply of withdrawtx/recoverytx). Works without a network:
// the account comes from the profile's stored server key, or else from the redeem script the file carries (the
// review then still checks every input belongs to that account and that the user's key is in it).
import { Transaction } from 'bitcoinjs-lib';
import { isHex, toHex } from '../coinpit/hash';
import { p2pkhAddress } from '../coinpit/identity';
import { walletAccount, type NetworkName, type WalletAccount } from '../wallet/account';
import { signReviewed } from '../wallet/cosign';
import { parseRedeem, type Signer } from '../wallet/multisig';
import { readSigningFile, reviewSigningFile, signSigningFile, type SigningFile } from '../wallet/offline';
import { review, type Intent, type Review, type ReviewContext } from '../wallet/review';
import type { Outpoint } from '../wallet/txbuild';

export type ImportedFile =
  | { format: 'psbt' | 'signing-request'; file: SigningFile }
  | { format: 'hex'; tx: string; inputs: Outpoint[] | null };

/** Parses file text; throws a clear (secret-free) error for anything unrecognised. */
export function parseImportedFile(text: string): ImportedFile {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (isHex(trimmed) && trimmed.length > 0 && !/^70736274ff/i.test(trimmed)) {
    Transaction.fromHex(trimmed); // throws for a non-transaction
    return { format: 'hex', tx: trimmed.toLowerCase(), inputs: null };
  }
  if (trimmed.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(trimmed);
    } catch {
      throw new Error('The file is not valid JSON (is it truncated?)');
    }
    const o = obj as { tx?: unknown; inputs?: unknown; format?: unknown };
    if (o && typeof o === 'object' && o.format === undefined && typeof o.tx === 'string' && Array.isArray(o.inputs)) {
      const tx = o.tx.trim();
      if (!isHex(tx)) throw new Error('"tx" is not hex');
      Transaction.fromHex(tx);
      const inputs = o.inputs.map((i: { txid?: unknown; vout?: unknown; value?: unknown }, n: number) => {
        if (!i || !isHex(i.txid, 32) || !Number.isInteger(i.vout) || !Number.isSafeInteger(i.value)) throw new Error(`"inputs" #${n} is not {txid, vout, value}`);
        return { txid: String(i.txid).toLowerCase(), vout: Number(i.vout), value: Number(i.value) };
      });
      return { format: 'hex', tx: tx.toLowerCase(), inputs };
    }
  }
  const file = readSigningFile(trimmed);
  return { format: file.format, file };
}

/** The server key a file implies for this user: the other key of its redeem script. */
export function serverKeyFromFile(imported: ImportedFile, userPublicKey: string): string | null {
  let redeemHex: string | null = null;
  if (imported.format === 'signing-request' && imported.file.format === 'signing-request') redeemHex = imported.file.request.redeem;
  else if (imported.format === 'psbt' && imported.file.format === 'psbt') {
    const script = imported.file.psbt.data.inputs.find((i) => i.redeemScript)?.redeemScript;
    redeemHex = script ? toHex(script) : null;
  } else if (imported.format === 'hex') {
    // a server-signed spend carries the redeem script as the last push of each input's scriptSig
    const tx = Transaction.fromHex(imported.tx);
    for (const input of tx.ins) {
      const hex = toHex(input.script);
      const at = hex.lastIndexOf('5221');
      if (at >= 0 && hex.endsWith('52ae')) redeemHex = hex.slice(at);
      if (redeemHex) break;
    }
  }
  if (!redeemHex) return null;
  try {
    const keys = parseRedeem(redeemHex).keys.map(toHex);
    if (!keys.includes(userPublicKey)) return null;
    return keys.find((k) => k !== userPublicKey) ?? null;
  } catch {
    return null;
  }
}

export interface OfflineContext {
  publicKey: string;
  serverPublicKey: string;
  network: NetworkName;
  maximumFee: number;
  accountUtxos?: readonly Outpoint[];
}

function account(ctx: OfflineContext): WalletAccount {
  const userid = p2pkhAddress(ctx.publicKey, ctx.network);
  return walletAccount({ network: ctx.network, publicKey: ctx.publicKey, serverPublicKey: ctx.serverPublicKey, userid });
}

function hexContext(imported: Extract<ImportedFile, { format: 'hex' }>, ctx: OfflineContext): ReviewContext {
  const intent: Intent = imported.inputs ? { kind: 'recovery' } : { kind: 'sign-request' };
  return {
    account: account(ctx),
    intent,
    maximumFee: ctx.maximumFee,
    accountUtxos: ctx.accountUtxos,
    claimedInputs: imported.inputs ?? undefined,
    prevTxsUnavailableReason: 'offline: the previous transactions are not available',
  };
}

export function reviewImported(imported: ImportedFile, ctx: OfflineContext): Review {
  if (imported.format === 'hex') return review(imported.tx, hexContext(imported, ctx));
  return reviewSigningFile(imported.file, { account: account(ctx), maximumFee: ctx.maximumFee, accountUtxos: ctx.accountUtxos });
}

export interface SignedImport {
  review: Review;
  complete: boolean;
  txid: string;
  /** what to write back: final hex, or the file in its own format */
  text: string;
  extension: 'txt' | 'psbt' | 'json';
}

/** Reviews and signs; throws ReviewRefused (nothing signed) when the review refuses. */
export function signImported(imported: ImportedFile, signer: Signer, ctx: OfflineContext): SignedImport {
  if (imported.format === 'hex') {
    const r = signReviewed(imported.tx, hexContext(imported, ctx), signer);
    return { review: r.review, complete: r.complete, txid: r.txid, text: `${r.hex}\n`, extension: 'txt' };
  }
  const out = signSigningFile(imported.file, signer, { account: account(ctx), maximumFee: ctx.maximumFee, accountUtxos: ctx.accountUtxos });
  return { review: out.review, complete: out.complete, txid: out.txid, text: out.text, extension: out.format === 'hex' ? 'txt' : out.format === 'psbt' ? 'psbt' : 'json' };
}

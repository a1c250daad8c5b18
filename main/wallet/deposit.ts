// Deposits go to the 2-of-2 multisig `accountid` (PROTOCOL §6.1). The app shows that address and a BIP21 URI
// (`bitcoin:<address>?amount=<BTC>&label=<text>`) for wallets and QR codes. Amounts are integer satoshi in the app
// and BTC decimals in the URI.
import { walletAccount, outputScript, type WalletAccount } from './account';
import { btcfy, MAX_SATOSHI } from './txbuild';
import type { Identity } from '../coinpit/identity';

export interface DepositOptions {
  /** requested amount, satoshi (optional) */
  amount?: number;
  /** shown by the payer's wallet; at most 100 characters */
  label?: string;
  /** at most 200 characters */
  message?: string;
}

export interface DepositRequest {
  address: string;
  network: WalletAccount['network'];
  amount: number | null;
  uri: string;
}

const MAX_LABEL = 100;
const MAX_MESSAGE = 200;

function checkAmount(amount: unknown): number {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new Error('Deposit amount must be a positive whole number of satoshi');
  }
  if (amount > MAX_SATOSHI) throw new Error('Deposit amount is above the 21 million BTC supply');
  return amount;
}

function checkText(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string') throw new Error(`Deposit ${what} must be text`);
  if (value.length > max) throw new Error(`Deposit ${what} is longer than ${max} characters`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error(`Deposit ${what} must not contain control characters`);
  return value;
}

// encodeURIComponent leaves !'()* alone; BIP21 wallets disagree about those, so encode them too
function encodeParam(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `bitcoin:<address>?amount=…&label=…&message=…`; the address is validated for `network`. */
export function bip21Uri(address: string, network: WalletAccount['network'], opts: DepositOptions = {}): string {
  outputScript(address, network); // clear error for a wrong-network or invalid address
  const params: string[] = [];
  if (opts.amount !== undefined) params.push(`amount=${btcfy(checkAmount(opts.amount))}`);
  if (opts.label !== undefined && opts.label !== '') params.push(`label=${encodeParam(checkText(opts.label, 'label', MAX_LABEL))}`);
  if (opts.message !== undefined && opts.message !== '') params.push(`message=${encodeParam(checkText(opts.message, 'message', MAX_MESSAGE))}`);
  return `bitcoin:${address}${params.length ? `?${params.join('&')}` : ''}`;
}

/** The multisig deposit address of an account and its BIP21 URI. */
export function depositRequest(id: Identity | WalletAccount, opts: DepositOptions = {}): DepositRequest {
  const account = walletAccount(id);
  return {
    address: account.accountid,
    network: account.network,
    amount: opts.amount === undefined ? null : checkAmount(opts.amount),
    uri: bip21Uri(account.accountid, account.network, opts),
  };
}

export interface ParsedBip21 {
  address: string;
  /** satoshi, null when absent */
  amount: number | null;
  label: string | null;
  message: string | null;
}

const BTC_AMOUNT = /^\d{1,8}(\.\d{1,8})?$/;

/** Parses a BIP21 URI (for pasting a payment request into Withdraw); unknown `req-` parameters are refused. */
export function parseBip21(uri: string, network: WalletAccount['network']): ParsedBip21 {
  if (typeof uri !== 'string' || uri.length > 2000) throw new Error('Payment URI must be text of at most 2000 characters');
  const m = /^bitcoin:([^?]+)(?:\?(.*))?$/i.exec(uri.trim());
  if (!m) throw new Error('Payment URI must start with "bitcoin:" followed by an address');
  const address = m[1]!;
  outputScript(address, network);
  const out: ParsedBip21 = { address, amount: null, label: null, message: null };
  for (const part of (m[2] ?? '').split('&').filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    let value: string;
    try {
      value = decodeURIComponent((eq < 0 ? '' : part.slice(eq + 1)).replace(/\+/g, '%20'));
    } catch {
      throw new Error(`Payment URI: parameter "${key}" is not properly encoded`);
    }
    if (key === 'amount') {
      if (!BTC_AMOUNT.test(value)) throw new Error('Payment URI: amount must be a decimal number of BTC with at most 8 decimals');
      const [whole, frac = ''] = value.split('.');
      const sat = Number(whole) * 1e8 + Number(frac.padEnd(8, '0'));
      out.amount = checkAmount(sat);
    } else if (key === 'label') out.label = value;
    else if (key === 'message') out.message = value;
    else if (key.startsWith('req-')) throw new Error(`Payment URI requires "${key}", which this wallet does not support`);
  }
  return out;
}

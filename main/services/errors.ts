// Typed service errors and the one place where any thrown value becomes an IpcError. The message of an unexpected
// error is never passed on as is (it could carry internals); known errors keep their (already redacted) text and
// are redacted once more against every secret the services currently hold.
import type { ErrorCode, IpcError } from '../../preload/contract';
import { CoinpitError, redact } from '../coinpit/errors';
import { KeychainUnavailable } from '../wallet/keychain';
import { VaultCorrupt, VaultError, VaultWrongPassphrase } from '../wallet/vault';
import { ReviewRefused } from '../wallet/review';
import { MoneyOperationRefused } from '../wallet/apikey-file';
import { ChainClientError } from '../wallet/esplora';
import { ConfirmationRejected } from '../wallet/confirm';

/** An error a service means to show: a code the renderer can act on and a message for people. */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
  }
}

/** A plain Error (not one of the typed ones): what the wallet and protocol code throw for bad input. */
export const isPlainError = (e: unknown): e is Error => e instanceof Error && e.constructor === Error;

export const fail = (code: ErrorCode, message: string): never => {
  throw new ServiceError(code, message);
};

const MAX_MESSAGE = 500;

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

/** Maps anything thrown by a service to an IpcError whose message contains none of `secrets`. */
export function toIpcError(err: unknown, secrets: readonly (string | undefined)[] = []): IpcError {
  const out = (code: ErrorCode, message: string): IpcError => ({ code, message: clip(redact(message, secrets)) });
  if (err instanceof ServiceError) return out(err.code, err.message);
  if (err instanceof ReviewRefused) return out('REVIEW_REFUSED', err.message);
  if (err instanceof MoneyOperationRefused) return out('UNSUPPORTED', err.message);
  if (err instanceof KeychainUnavailable) return out('KEYCHAIN_UNAVAILABLE', err.message);
  if (err instanceof VaultWrongPassphrase) return out('BAD_PASSPHRASE', 'The vault passphrase is wrong.');
  if (err instanceof VaultCorrupt) return out('INTERNAL', err.message);
  if (err instanceof VaultError) return out('INTERNAL', err.message);
  if (err instanceof ConfirmationRejected) return out('DECLINED', err.message);
  if (err instanceof ChainClientError) return out(err.kind === 'input' ? 'INVALID_INPUT' : 'NETWORK', err.message);
  if (err instanceof CoinpitError) {
    if (err.code === 'network' || err.code === 'timeout') return out('NETWORK', err.message);
    if (err.status === 503) return out('READONLY', err.message);
    if (err.status === 404) return out('NOT_FOUND', err.message);
    return out('SERVER', err.message);
  }
  return { code: 'INTERNAL', message: 'Something went wrong in the app. Please try again.' };
}

// The renderer's only way out: window.coinpit. `call` turns a Result (or a thrown bridge failure) into either the
// value or a sentence a person can read, never "[object Object]".

import type { CoinpitApi, ErrorCode, IpcError, Result } from '../../../preload/contract';

export function api(): CoinpitApi {
  const bridge = (globalThis as { coinpit?: CoinpitApi }).coinpit;
  if (!bridge) throw new Error('The app bridge (window.coinpit) is missing.');
  return bridge;
}

export class BridgeError extends Error {
  readonly code: ErrorCode | 'BRIDGE';
  constructor(code: ErrorCode | 'BRIDGE', message: string) {
    super(message);
    this.code = code;
  }
}

const FALLBACK: Record<ErrorCode, string> = {
  FORBIDDEN: 'That request was refused.',
  INVALID_INPUT: 'Some of the input is not valid.',
  INTERNAL: 'Something went wrong in the app. Try again.',
  NO_PROFILE: 'No profile is selected.',
  LOCKED: 'The key store is locked: unlock it first.',
  BAD_PASSPHRASE: 'That passphrase is not right.',
  KEYCHAIN_UNAVAILABLE: 'The system keychain cannot be used right now.',
  NOT_CONNECTED: 'Not connected to the exchange.',
  SERVER: 'The exchange refused the request.',
  NETWORK: 'The exchange could not be reached.',
  READONLY: 'The exchange is in read-only mode: trading is paused.',
  NOT_FOUND: 'Not found.',
  CONFLICT: 'That already exists.',
  REVIEW_REFUSED: 'The transaction failed its review; nothing was signed.',
  DECLINED: 'You declined the confirmation; nothing was signed.',
  CANCELLED: 'Cancelled.',
  UNSUPPORTED: 'That is not possible with this profile or network.',
};

/** A sentence for an IPC error: its message when it has one, else a plain description of the code. */
export function describeIpcError(error: IpcError | null | undefined): string {
  if (!error || typeof error !== 'object') return 'Something went wrong.';
  const message = typeof error.message === 'string' ? error.message.trim() : '';
  const fallback = FALLBACK[error.code as ErrorCode] ?? 'Something went wrong.';
  if (!message) return fallback;
  if (error.code === 'DECLINED' || error.code === 'CANCELLED') return fallback;
  return message;
}

/** Words for anything thrown or returned as an error. */
export function errorText(err: unknown): string {
  if (err instanceof BridgeError) return err.message;
  if (err instanceof Error) return err.message || 'Something went wrong.';
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) return describeIpcError(err as IpcError);
  return 'Something went wrong.';
}

/** Awaits a bridge call; resolves with the value or throws a BridgeError whose message is a sentence. */
export async function call<T>(request: () => Promise<Result<T>>): Promise<T> {
  let reply: Result<T>;
  try {
    reply = await request();
  } catch (err) {
    const detail = err instanceof Error && err.message ? ` (${err.message})` : '';
    throw new BridgeError('BRIDGE', `The app's background process did not answer${detail}.`);
  }
  if (!reply || typeof reply !== 'object') throw new BridgeError('BRIDGE', "The app's background process sent an unreadable answer.");
  if (reply.ok) return reply.value;
  throw new BridgeError(reply.error?.code ?? 'INTERNAL', describeIpcError(reply.error));
}

/** The error code of a failed call, if it was one. */
export function errorCode(err: unknown): string | null {
  return err instanceof BridgeError ? err.code : null;
}

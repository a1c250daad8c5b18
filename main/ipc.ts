// ipcMain registration. Every handler goes through guard(): the sender must be the app's own top frame, and a
// handler that throws becomes {ok:false} instead of a rejected invoke (whose message could leak internals).
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { methods, type MethodName, type ReplyOf, type Result } from '../preload/contract';
import { isTrustedSender } from './security/sender';

export { isTrustedSender };

/** Handler for one method. Arguments arrive as unknown and must be validated before use. */
export type Handler<M extends MethodName> = (...args: unknown[]) => ReplyOf<M> | Promise<ReplyOf<M>>;

export type Handlers = { [M in MethodName]: Handler<M> };

/** What the guard needs from an invoke event (a subset of IpcMainInvokeEvent, so tests can fake it). */
export interface SenderInfo {
  senderFrame: { url: string; parent: unknown } | null;
}

export const FORBIDDEN: Result<never> = Object.freeze({
  ok: false,
  error: Object.freeze({ code: 'FORBIDDEN', message: 'This request did not come from the Coinpit Desk window.' }),
}) as Result<never>;

export const INTERNAL: Result<never> = Object.freeze({
  ok: false,
  error: Object.freeze({ code: 'INTERNAL', message: 'Something went wrong in the app. Please try again.' }),
}) as Result<never>;

export function senderIsTrusted(event: SenderInfo): boolean {
  try {
    const frame = event.senderFrame;
    if (frame === null || frame === undefined) return false;
    return isTrustedSender(frame.url, frame.parent === null);
  } catch {
    return false; // reading a disposed frame throws; a vanished sender is not a trusted one
  }
}

/** Wraps a handler with the sender check and the no-throw rule. */
export function guard<T>(handler: (...args: unknown[]) => Result<T> | Promise<Result<T>>) {
  return async (event: SenderInfo, ...args: unknown[]): Promise<Result<T>> => {
    if (!senderIsTrusted(event)) return FORBIDDEN;
    try {
      return await handler(...args);
    } catch {
      return INTERNAL;
    }
  };
}

export interface IpcDeps {
  appVersion: () => string;
}

/** The handlers for the current contract. */
export function createHandlers(deps: IpcDeps): Handlers {
  return {
    appVersion: () => ({ ok: true, value: deps.appVersion() }),
  };
}

/** Registers every contract channel on ipcMain; returns a function that removes them again. */
export function registerIpc(deps: IpcDeps): () => void {
  const handlers = createHandlers(deps);
  const names = Object.keys(methods) as MethodName[];
  for (const name of names) {
    const channel = methods[name];
    const wrapped = guard(handlers[name]);
    ipcMain.removeHandler(channel);
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...args: unknown[]) => wrapped(event, ...args));
  }
  return () => {
    for (const name of names) ipcMain.removeHandler(methods[name]);
  };
}

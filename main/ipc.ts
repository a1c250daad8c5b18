// ipcMain registration. Every handler goes through guard(): the sender must be the app's own top frame, and a
// handler that throws becomes {ok:false} instead of a rejected invoke (whose message could leak internals).
// Validation and the service call happen in the electron-free dispatcher (main/ipc-dispatch.ts), which the web
// host shares; events go out only for the contract's event names.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { events, methods, type EventName, type MethodName, type ReplyOf, type Result } from '../preload/contract';
import { createDispatch } from './ipc-dispatch';
import { isTrustedSender } from './security/sender';
import type { EventListener, ServiceTable } from './services/index';

export { isTrustedSender };

/** Handler for one method. Arguments arrive as unknown and are validated before use. */
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
  /** the service table (main/services) */
  table: ServiceTable;
  /** secrets the services hold, so no error message can carry one */
  secrets?: () => readonly string[];
  log?: (line: string) => void;
}

/** The handlers for the contract: each validates its payload and calls its service. */
export function createHandlers(deps: IpcDeps): Handlers {
  const dispatch = createDispatch(deps.table, deps.secrets, deps.log);
  const handlers = {} as Record<MethodName, Handler<MethodName>>;
  for (const name of Object.keys(methods) as MethodName[]) {
    handlers[name] = (...args: unknown[]) => dispatch(name, args) as Promise<ReplyOf<MethodName>>;
  }
  return handlers as Handlers;
}

/** Registers every contract channel on ipcMain; returns a function that removes them again. */
export function registerIpc(deps: IpcDeps): () => void {
  const handlers = createHandlers(deps);
  const names = Object.keys(methods) as MethodName[];
  for (const name of names) {
    const channel = methods[name];
    const wrapped = guard(handlers[name] as (...args: unknown[]) => Promise<Result<unknown>>);
    ipcMain.removeHandler(channel);
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...args: unknown[]) => wrapped(event, ...args));
  }
  return () => {
    for (const name of names) ipcMain.removeHandler(methods[name]);
  };
}

/** The part of WebContents event forwarding needs. */
export type EventTarget = Pick<WebContents, 'send' | 'isDestroyed'>;

/**
 * A services listener that sends each contract event to the window's webContents (when there is a live one).
 * Book traffic is already coalesced by the services before it gets here.
 */
export function eventForwarder(target: () => EventTarget | null): EventListener {
  const allowed = new Set<string>(events);
  return (event: EventName, payload: unknown) => {
    if (!allowed.has(event)) return;
    const contents = target();
    if (!contents || contents.isDestroyed()) return;
    try {
      contents.send(event, payload);
    } catch {
      /* a closing window: drop the event */
    }
  };
}

// window.coinpit, built from the contract. Kept apart from index.ts (the only preload file that imports
// 'electron' at runtime) so it can be tested with a fake ipcRenderer.
import { events, methods, type CoinpitApi } from './contract';

/** The part of Electron's ipcRenderer this needs; the event argument is typed unknown because it is dropped. */
export type IpcListener = (event: unknown, ...args: unknown[]) => void;

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: IpcListener): unknown;
  removeListener(channel: string, listener: IpcListener): unknown;
}

/** Builds the object exposed as window.coinpit. `allowedEvents` is a parameter only so tests can list events. */
export function createCoinpitApi(ipc: IpcRendererLike, allowedEvents: readonly string[] = events): CoinpitApi {
  const api: Record<string, unknown> = {};
  for (const [name, channel] of Object.entries(methods)) {
    api[name] = (...args: unknown[]) => ipc.invoke(channel, ...args);
  }
  api['on'] = (event: unknown, callback: unknown) => {
    if (typeof event !== 'string' || !allowedEvents.includes(event)) {
      throw new Error(`coinpit.on: unknown event "${String(event)}"`);
    }
    if (typeof callback !== 'function') {
      throw new TypeError('coinpit.on: callback must be a function');
    }
    // The IpcRendererEvent (with its sender and ports) stays in the preload; the page gets the payload only.
    const listener: IpcListener = (_event, payload) => {
      (callback as (payload: unknown) => void)(payload);
    };
    ipc.on(event, listener);
    return () => {
      ipc.removeListener(event, listener);
    };
  };
  return Object.freeze(api) as unknown as CoinpitApi;
}

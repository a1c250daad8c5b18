// The IPC contract between main, preload and renderer. Main registers one handler per channel in `methods`, the
// preload exposes exactly these methods as window.coinpit, and the renderer types window.coinpit with CoinpitApi.
// To add a call: add the method to CoinpitApi and its channel to `methods` (the `satisfies` below makes the two
// lists agree). To add an event: add it to EventPayloads and to `events`.
//
// Only type declarations and the two name lists live here, so the renderer can import it without pulling in
// anything from Node or Electron.

/** Every handler answers with a Result; errors are values, never exceptions thrown across IPC. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export interface IpcError {
  /** Stable, machine-readable, e.g. 'FORBIDDEN', 'INVALID_INPUT', 'INTERNAL'. */
  code: string;
  /** Human-readable; never contains a key, secret or passphrase. */
  message: string;
}

/** Payload of each event main sends to the renderer, by event name. Empty for now. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EventPayloads {}

export type EventName = keyof EventPayloads;

export type Unsubscribe = () => void;

/** What the renderer sees as window.coinpit. */
export interface CoinpitApi {
  /** The app's version (package.json "version"). */
  appVersion(): Promise<Result<string>>;

  /**
   * Subscribes to one of the listed events; the callback receives the payload only. Throws for an event that is
   * not in `events`. Returns a function that removes the listener.
   */
  on<E extends EventName>(event: E, callback: (payload: EventPayloads[E]) => void): Unsubscribe;
}

/** Methods of CoinpitApi that are request/response calls (everything except `on`). */
export type MethodName = Exclude<keyof CoinpitApi, 'on'>;

/** Method name on window.coinpit → ipcMain.handle channel. Exactly one entry per method. */
export const methods = {
  appVersion: 'app.version',
} as const satisfies Record<MethodName, string>;

export type Channel = (typeof methods)[MethodName];

/** Every invoke channel, for registration and checks. */
export const channels: readonly Channel[] = Object.freeze(Object.values(methods));

/** Events the renderer may subscribe to; main sends each on a channel of the same name. */
export const events: readonly EventName[] = Object.freeze([]);

/** The reply type of a channel's handler. */
export type ReplyOf<M extends MethodName> = Awaited<ReturnType<CoinpitApi[M]>>;

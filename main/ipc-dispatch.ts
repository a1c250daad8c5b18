// The electron-free half of IPC: given a method name and the raw arguments, validate them against the method's
// schema, call the service, and answer with a Result. Never throws, never rejects. main/ipc.ts wraps it with the
// sender check for Electron; the web host calls it for WebSocket messages.
import { methods, type IpcError, type MethodName, type Result } from '../preload/contract';
import { redact } from './coinpit/errors';
import { validateRequest } from './ipc-schemas';
import { toIpcError } from './services/errors';
import type { ServiceTable } from './services/index';

export type Dispatch = (method: string, args: readonly unknown[]) => Promise<Result<unknown>>;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

const invalid = (message: string): Result<never> => ({ ok: false, error: { code: 'INVALID_INPUT', message } });

/**
 * Builds the dispatcher. `secrets` lists what must never appear in an error message (the services' held keys);
 * `log` receives failures that became INTERNAL, already redacted.
 */
export function createDispatch(table: ServiceTable, secrets: () => readonly string[] = () => [], log: (line: string) => void = () => undefined): Dispatch {
  return async (method, args) => {
    try {
      if (!isMethodName(method)) return invalid('Unknown method.');
      if (!Array.isArray(args)) return invalid('Invalid arguments.');
      const checked = validateRequest(method, args);
      if (!checked.ok) return invalid(checked.message);
      const impl = table[method] as (req: unknown) => Promise<unknown>;
      const value = await impl(checked.value);
      return { ok: true, value };
    } catch (err) {
      let error: IpcError;
      try {
        error = toIpcError(err, secrets());
      } catch {
        error = { code: 'INTERNAL', message: 'Something went wrong in the app. Please try again.' };
      }
      if (error.code === 'INTERNAL') {
        const detail = err instanceof Error ? `${err.name}: ${err.message}` : 'non-error thrown';
        try {
          log(`${String(method).slice(0, 64)} failed: ${redact(detail, secrets()).slice(0, 500)}`);
        } catch {
          /* logging must not break the reply */
        }
      }
      return { ok: false, error };
    }
  };
}

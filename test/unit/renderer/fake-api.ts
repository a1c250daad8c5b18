// A scripted window.coinpit for renderer tests: each method answers from `replies` (a value, a Result, or a
// function of the request); calls are recorded; events can be emitted to the app's listeners.

import type { CoinpitApi, EventName, EventPayloads, MethodName, Result } from '../../../preload/contract';
import { methods } from '../../../preload/contract';

type Reply = Result<unknown> | ((req: unknown) => Result<unknown> | Promise<Result<unknown>>);

export interface FakeApi {
  api: CoinpitApi;
  calls: { method: MethodName; req: unknown }[];
  callsTo(method: MethodName): unknown[];
  reply(method: MethodName, reply: Reply): void;
  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void;
}

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: string, message: string): Result<never> => ({ ok: false, error: { code: code as never, message } });

export function fakeApi(initial: Partial<Record<MethodName, Reply>> = {}): FakeApi {
  const replies = new Map<MethodName, Reply>(Object.entries(initial) as [MethodName, Reply][]);
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const calls: { method: MethodName; req: unknown }[] = [];
  const api: Record<string, unknown> = {
    on(event: string, cb: (p: unknown) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(cb);
      return () => set.delete(cb);
    },
  };
  for (const name of Object.keys(methods) as MethodName[]) {
    api[name] = async (req?: unknown) => {
      calls.push({ method: name, req });
      const r = replies.get(name);
      if (r === undefined) return fail('INTERNAL', `not faked: ${name}`);
      return typeof r === 'function' ? r(req) : r;
    };
  }
  return {
    api: api as unknown as CoinpitApi,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method).map((c) => c.req),
    reply: (method, reply) => replies.set(method, reply),
    emit: (event, payload) => {
      for (const cb of listeners.get(event) ?? []) cb(payload);
    },
  };
}

/** Installs the fake as window.coinpit. */
export function installFake(fake: FakeApi): void {
  Object.defineProperty(window, 'coinpit', { value: fake.api, configurable: true, writable: true });
}

// A service table for IPC tests: every method records its argument and answers a fixed value unless overridden.
import { methods, type MethodName } from '../../../preload/contract';
import type { ServiceTable } from '../../../main/services/index';

export function stubTable(overrides: Partial<ServiceTable> = {}, calls: [string, unknown][] = []): ServiceTable {
  const table = {} as Record<MethodName, (req: unknown) => Promise<unknown>>;
  for (const name of Object.keys(methods) as MethodName[]) {
    const o = overrides[name] as ((req: unknown) => Promise<unknown>) | undefined;
    table[name] = async (req: unknown) => {
      calls.push([name, req]);
      return o ? o(req) : { stub: name };
    };
  }
  return table as unknown as ServiceTable;
}

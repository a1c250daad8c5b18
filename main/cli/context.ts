// What a CLI command may touch, injectable so tests can run commands in-process.
import type { KeyStore } from '../wallet/keychain';
import { systemTerminal, type Terminal } from './terminal';

export interface CliContext {
  out(text: string): void;
  err(text: string): void;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  terminal: Terminal;
  /** replaces the OS keychain (tests) */
  keychain?: KeyStore;
}

export function processContext(): CliContext {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    stdin: process.stdin,
    env: process.env,
    terminal: systemTerminal,
  };
}

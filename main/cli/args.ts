// Strict flag parsing for the CLI commands (node:util parseArgs): unknown flags, missing values and stray
// positionals are usage errors (exit 2), never silently ignored.
import { parseArgs } from 'node:util';
import { UsageError } from './errors';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;
export type Flags<S extends FlagSpec> = { [K in keyof S]?: S[K]['type'] extends 'string' ? string : boolean };

/**
 * An argument as it may appear in an error message: someone who types a key on the command line by mistake must
 * not see it printed back (into a terminal log or CI output), so anything that looks like a key is hidden.
 */
export function shownArg(arg: string): string {
  if (/^[1-9A-HJ-NP-Za-km-z]{40,}$/.test(arg) || /^[0-9a-fA-F]{64}$/.test(arg)) return '[hidden: looks like a key; keys are read from stdin]';
  return JSON.stringify(arg.length > 60 ? `${arg.slice(0, 60)}…` : arg);
}

export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S): Flags<S> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: true });
  } catch (err) {
    // parseArgs names the offending option; say it ourselves so no argument text is echoed
    const text = err instanceof Error ? err.message : String(err);
    const option = /option '(-{1,2}[A-Za-z][A-Za-z0-9-]*)/i.exec(text)?.[1];
    if (/Unknown option/.test(text)) throw new UsageError(`Unknown option ${option ? shownArg(option) : ''}`.trim());
    if (/argument missing|requires a value|argument of type string/i.test(text)) throw new UsageError(`Option ${option ?? ''} needs a value`.replace('  ', ' '));
    if (/does not take an argument/.test(text)) throw new UsageError(`Option ${option ?? ''} does not take a value`.replace('  ', ' '));
    throw new UsageError('Invalid options');
  }
  if (parsed.positionals.length > 0) throw new UsageError(`Unexpected argument ${shownArg(parsed.positionals[0]!)}`);
  const values = parsed.values as Record<string, unknown>;
  for (const [name, value] of Object.entries(values)) {
    if (spec[name]?.type === 'string' && typeof value === 'string' && value.length === 0) {
      throw new UsageError(`--${name} needs a value`);
    }
  }
  return values as Flags<S>;
}

/** A non-negative safe integer from a flag value. */
export function integerFlag(name: string, value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value.slice(0, 40))}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}`);
  return n;
}

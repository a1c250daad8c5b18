// `npm run localnet -- [--port N] [--data DIR] [--seed N] [--block-interval SECONDS] [--no-bot] [--host H]`
// (also `coinpit-desk localnet …`). The first line printed is exactly `localnet listening on http://HOST:PORT`,
// so scripts can read the URL; everything else (logs) comes after it or goes to stderr. Binds 127.0.0.1 unless
// told otherwise; SIGINT/SIGTERM stop it cleanly (exit 0); a data dir held by another instance is refused
// (exit 1); bad arguments print the usage (exit 2).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

export const LOCALNET_USAGE = `usage: localnet [--port N] [--data DIR] [--seed N] [--block-interval SECONDS] [--no-bot] [--host H]
  --port N                  TCP port, 0 = any free port (default 0)
  --data DIR                data directory: journal, snapshots, server seed (default .localnet/)
  --seed N                  seed of the index walk, the server keys of a new data dir and the bot (integer)
  --block-interval SECONDS  mine a block every SECONDS, 0 = only on demand (default 30)
  --no-bot                  no market-making bot
  --host H                  address to bind (default 127.0.0.1)`;

export interface LocalnetArgs {
  port: number;
  dataDir: string;
  seed?: number;
  blockIntervalMs?: number;
  bot: boolean;
  host: string;
  help: boolean;
}

export class LocalnetUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalnetUsageError';
  }
}

function wholeNumber(name: string, value: string, max: number): number {
  if (!/^\d+$/.test(value)) throw new LocalnetUsageError(`--${name} must be a whole number, got ${JSON.stringify(value.slice(0, 40))}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n > max) throw new LocalnetUsageError(`--${name} must be at most ${max}`);
  return n;
}

/** Parses the command line; throws LocalnetUsageError for anything unknown, missing or out of range. */
export function parseLocalnetArgs(argv: readonly string[], cwd: string = process.cwd()): LocalnetArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        data: { type: 'string' },
        seed: { type: 'string' },
        'block-interval': { type: 'string' },
        'no-bot': { type: 'boolean' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    // first sentence only, and never echo something that looks like a key typed here by mistake
    const text = err instanceof Error ? err.message.split('. ')[0]!.replace(/\.$/, '') : String(err);
    throw new LocalnetUsageError(text.replace(/[1-9A-HJ-NP-Za-km-z]{40,}|[0-9a-fA-F]{64}/g, '[hidden]'));
  }
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'string' && v.trim().length === 0) throw new LocalnetUsageError(`--${k} needs a value`);
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const args: LocalnetArgs = {
    port: str('port') === undefined ? 0 : wholeNumber('port', str('port')!, 65535),
    dataDir: path.resolve(cwd, str('data') ?? '.localnet'),
    bot: values['no-bot'] !== true,
    host: str('host') ?? '127.0.0.1',
    help: values.help === true,
  };
  if (str('seed') !== undefined) args.seed = wholeNumber('seed', str('seed')!, 0xffffffff);
  const interval = str('block-interval');
  if (interval !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(interval)) throw new LocalnetUsageError(`--block-interval must be a number of seconds, got ${JSON.stringify(interval.slice(0, 40))}`);
    const seconds = Number(interval);
    if (!(seconds >= 0) || seconds > 86_400) throw new LocalnetUsageError('--block-interval must be from 0 (blocks only on demand) to 86400 seconds');
    args.blockIntervalMs = Math.round(seconds * 1000);
  }
  if (/\s/.test(args.host) || args.host.length > 255) throw new LocalnetUsageError('--host must be a host name or address');
  return args;
}

/** URL text for a bound host (IPv6 in brackets). */
export function displayUrl(host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

export interface LocalnetCliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: LocalnetCliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/**
 * Runs the local exchange until SIGINT/SIGTERM. Resolves with the exit code: 0 after a clean stop, 1 when it
 * could not start (data dir locked, port taken…), 2 for bad arguments.
 */
export async function runLocalnetCli(argv: readonly string[], io: LocalnetCliIo = processIo): Promise<number> {
  let args: LocalnetArgs;
  try {
    args = parseLocalnetArgs(argv);
  } catch (err) {
    if (!(err instanceof LocalnetUsageError)) throw err;
    io.err(`localnet: ${err.message}\n${LOCALNET_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    io.out(`${LOCALNET_USAGE}\n`);
    return 0;
  }

  // Signals that arrive while starting are honoured once the server is up (it is then closed cleanly).
  let stopRequested: string | undefined;
  let firstSignalAt = 0;
  let wake: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested !== undefined) {
      // launchers (tsx, npm) relay the terminal's signal a moment later: only a deliberate second one forces
      if (Date.now() - firstSignalAt < 1000) return;
      io.err(`localnet: ${signal} again, exiting without waiting\n`);
      process.exit(1);
    }
    stopRequested = signal;
    firstSignalAt = Date.now();
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { startLocalnet } = await import('./index');
    let server: Awaited<ReturnType<typeof startLocalnet>>;
    try {
      server = await startLocalnet({
        dataDir: args.dataDir,
        port: args.port,
        host: args.host,
        seed: args.seed,
        blockIntervalMs: args.blockIntervalMs,
        bot: args.bot,
        local: true,
        log: (line: string) => io.err(`${line}\n`),
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const locked = err instanceof Error && err.name === 'JournalLockedError';
      io.err(`localnet: cannot start${locked ? ': the data directory is in use' : ''}: ${message}\n`);
      return 1;
    }
    io.out(`localnet listening on ${displayUrl(args.host, server.port)}\n`);
    io.err(`localnet: data in ${args.dataDir}${args.bot ? ', market-making bot on' : ''}; stop with Ctrl-C\n`);
    if (stopRequested === undefined) await new Promise<void>((resolve) => (wake = resolve));
    io.err(`localnet: ${stopRequested}, stopping\n`);
    try {
      await server.close();
    } catch (err) {
      io.err(`localnet: error while stopping: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  runLocalnetCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`localnet: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

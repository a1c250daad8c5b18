// A local exchange in a child process (helpers/localnet-child.ts) that a test can SIGKILL: the only way to
// crash it for real (an in-process close would flush and snapshot). Every wait here is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildExchange {
  url: string;
  child: ChildProcess;
  /** what the child wrote to stderr (the exchange's log), for failure messages */
  stderr(): string;
  /** SIGKILL, then waits (bounded) until the process is gone */
  killHard(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./localnet-child.ts', import.meta.url));

/** Starts the child on `dataDir` and waits (at most `startMs`) for its "listening <url>" line. */
export async function startChildExchange(dataDir: string, startMs = 30_000): Promise<ChildExchange> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  // registered before any kill: 'exit' may fire before a listener added later
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const killHard = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await bounded(exited, 15_000, 'the child did not exit after SIGKILL');
  };
  try {
    const url = await bounded(
      new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout!.on('data', (d: Buffer) => {
          text += d.toString();
          const m = /listening (\S+)/.exec(text);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before listening: ${err.slice(-2000)}`)));
      }),
      startMs,
      'the child exchange did not start listening',
    );
    return { url, child, stderr: () => err, killHard };
  } catch (e) {
    await killHard().catch(() => undefined);
    throw e;
  }
}

/** `p`, or a rejection after `ms` (the timer never keeps the process alive). */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} (within ${ms} ms)`)), ms);
    timer.unref?.();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `done` every `everyMs` until it is true or `ms` passed; returns whether it became true. */
export async function pollUntil(done: () => boolean, ms: number, everyMs = 10): Promise<boolean> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}

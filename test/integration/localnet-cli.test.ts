// `npm run localnet` / main/localnet/cli.ts as a real process: the first stdout line, a second instance on the
// same data dir refused, clean stops on SIGTERM and SIGINT, bad arguments, the default data dir.
// `npx tsx` runs it as npm → sh → tsx → node. Neither npm nor sh forwards a SIGTERM sent to npm alone, and tsx's
// own relay SIGKILLs its child when the child does not acknowledge within 30 ms (which happens on a loaded machine),
// so the signal tests send SIGTERM/SIGINT to the server process itself (the leaf of that chain), as a process
// manager would; its exit code then travels back up through tsx and npm.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseLocalnetArgs } from '../../main/localnet/cli';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'main/localnet/cli.ts');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const WAIT_MS = 60_000; // generous: a loaded CI machine starts tsx slowly (not a speed assertion)
const FIRST_LINE = /^localnet listening on http:\/\/127\.0\.0\.1:(\d+)$/;

let tmp: string;
const children: ChildProcess[] = [];

interface Started {
  child: ChildProcess;
  firstLine: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the CLI in its own process group and resolves with its first stdout line (or rejects with its stderr). */
function start(command: string[], args: string[], cwd = ROOT): Promise<Started> {
  const child = spawn(command[0]!, [...command.slice(1), CLI, ...args], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no first line within ${WAIT_MS} ms; stderr: ${stderr}`)), WAIT_MS);
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const nl = stdout.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({ child, firstLine: stdout.slice(0, nl), stderr: () => stderr, exited });
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`exited with ${code} before printing; stderr: ${stderr}`), { code, stderr }));
    });
  });
}

/** Runs the CLI to completion (for invocations that must fail fast). */
function runToEnd(command: string[], args: string[], cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not exit within ${WAIT_MS} ms; stderr: ${stderr}`));
    }, WAIT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The server process behind `pid` (npm → sh → tsx → node): the deepest process running main/localnet/cli.ts, read
 * from /proc. Without /proc (not Linux), `pid` itself.
 */
function serverPid(pid: number): number {
  const children = new Map<number, number[]>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      } catch {
        /* exited meanwhile */
      }
    }
  } catch {
    return pid;
  }
  const cmdline = (p: number): string => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  // every link of the chain names cli.ts; the server is the deepest (it may have an esbuild child of its own)
  let found: number | undefined;
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (cmdline(p).includes('localnet/cli.ts')) found = p;
    queue.push(...(children.get(p) ?? []));
  }
  if (found === undefined) throw new Error(`no server process found under pid ${pid}`);
  return found;
}

/** Resolves once no process of the group is left (npm exits at once; the server behind it takes a moment). */
async function groupGone(pgid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function withTimeout<T>(p: Promise<T>, what: string, detail: () => string = () => ''): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} timed out ${detail()}`)), WAIT_MS))]);
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'coinpit-localnet-cli-'));
});

afterEach(() => {
  // never leave a server behind: kill whatever of this test's process groups is still alive
  for (const c of children.splice(0)) {
    if (c.pid === undefined) continue;
    const alive = c.exitCode === null && c.signalCode === null;
    for (const target of alive ? [-c.pid, c.pid] : [-c.pid]) {
      try {
        process.kill(target, 'SIGKILL'); // -pid: what is left of its process group (a server behind npx)
      } catch {
        /* already gone (or not a group leader) */
      }
    }
  }
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('localnet command line', () => {
  it('prints the URL first, serves it, refuses a second instance on the same data dir, and stops on SIGTERM', { timeout: 240_000 }, async () => {
    const data = path.join(tmp, 'shared');
    const first = await start(['npx', 'tsx'], ['--port', '0', '--data', data, '--no-bot']);
    const m = FIRST_LINE.exec(first.firstLine);
    expect(m, first.firstLine).not.toBeNull();
    const url = `http://127.0.0.1:${m![1]}`;
    const config = await fetch(`${url}/api/v1/all/config`);
    expect(config.status).toBe(200);
    expect(((await config.json()) as { config: { network: string } }).config.network).toBe('testnet');

    const second = await runToEnd(['npx', 'tsx'], ['--port', '0', '--data', data, '--no-bot']);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toMatch(/cannot start: the data directory is in use/);
    expect(second.stderr).toMatch(/locked/);
    expect((await fetch(`${url}/api/v1/all/config`)).status).toBe(200); // the first one is unharmed

    process.kill(serverPid(first.child.pid!), 'SIGTERM');
    const stopped = await withTimeout(first.exited, 'stopping', () => `(stderr: ${first.stderr()})`);
    expect(stopped, first.stderr()).toEqual({ code: 0, signal: null }); // through tsx, sh and npm
    await withTimeout(groupGone(first.child.pid!), 'the process group ending');
    expect(first.stderr()).toMatch(/SIGTERM, stopping/);
    // the server released its lock cleanly, so the data dir is free again
    expect(existsSync(path.join(data, 'journal', 'LOCK'))).toBe(false);
    const third = await start(['npx', 'tsx'], ['--port', '0', '--data', data, '--no-bot']);
    expect(third.firstLine).toMatch(FIRST_LINE);
    process.kill(-third.child.pid!, 'SIGINT'); // the whole group, as Ctrl-C in a terminal
    await withTimeout(groupGone(third.child.pid!), 'stopping the third');
    expect(third.stderr()).toMatch(/SIGINT, stopping/);
    expect(existsSync(path.join(data, 'journal', 'LOCK'))).toBe(false);
  });

  it('exits 0 on SIGTERM and on SIGINT', { timeout: 240_000 }, async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const data = path.join(tmp, `signal-${signal}`);
      const s = await start([TSX], ['--port', '0', '--data', data, '--no-bot', '--seed', '3', '--block-interval', '1']);
      expect(s.firstLine).toMatch(FIRST_LINE);
      process.kill(serverPid(s.child.pid!), signal);
      const { code } = await withTimeout(s.exited, `stopping on ${signal}`);
      expect(code, s.stderr()).toBe(0);
      expect(s.stderr()).toContain(`${signal}, stopping`);
      expect(existsSync(path.join(data, 'journal', 'LOCK'))).toBe(false);
    }
  });

  it('uses .localnet/ in the current directory by default', { timeout: 120_000 }, async () => {
    const cwd = mkdtempSync(path.join(tmp, 'cwd-'));
    const s = await start([TSX], ['--port', '0', '--no-bot'], cwd);
    expect(s.firstLine).toMatch(FIRST_LINE);
    expect(existsSync(path.join(cwd, '.localnet'))).toBe(true);
    process.kill(serverPid(s.child.pid!), 'SIGTERM');
    expect((await withTimeout(s.exited, 'stopping')).code).toBe(0);
  });

  it('bad arguments print the usage and exit 2', { timeout: 240_000 }, async () => {
    const cases = [['--port', 'abc'], ['--port', '70000'], ['--bogus'], ['--seed', '-1'], ['--block-interval', 'soon'], ['stray'], ['--data']];
    for (const [i, args] of cases.entries()) {
      const r = await runToEnd(i === 0 ? ['npx', 'tsx'] : [TSX], args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(/usage: localnet/);
    }
  });
});

describe('parseLocalnetArgs', () => {
  it('defaults: port 0, 127.0.0.1, .localnet in cwd, bot on', () => {
    expect(parseLocalnetArgs([], '/x')).toEqual({ port: 0, dataDir: path.resolve('/x/.localnet'), bot: true, host: '127.0.0.1', help: false });
  });

  it('reads every option', () => {
    const a = parseLocalnetArgs(['--port', '8080', '--data', 'd', '--seed', '42', '--block-interval', '2.5', '--no-bot', '--host', '0.0.0.0'], '/x');
    expect(a).toEqual({ port: 8080, dataDir: path.resolve('/x/d'), seed: 42, blockIntervalMs: 2500, bot: false, host: '0.0.0.0', help: false });
    expect(parseLocalnetArgs(['--block-interval', '0'], '/x').blockIntervalMs).toBe(0);
  });

  it.each([
    [['--port', '-1']],
    [['--port', '1.5']],
    [['--seed', 'x']],
    [['--block-interval', '-3']],
    [['--block-interval', '100000']],
    [['--host', '']],
    [['--host', 'a b']],
    [['extra']],
  ])('rejects %j', (args) => {
    expect(() => parseLocalnetArgs(args, '/x')).toThrow(/--|argument|Unexpected/);
  });

  it('does not echo something that looks like a key', () => {
    const wif = 'cP4C2H6Y8a3RE3HdNWAHgZx4uCxTWr6BKZYYaYjzo1GprDgQR9Mc';
    expect(() => parseLocalnetArgs([wif], '/x')).toThrow(/hidden/);
    try {
      parseLocalnetArgs([wif], '/x');
    } catch (e) {
      expect((e as Error).message).not.toContain(wif);
    }
  });
});

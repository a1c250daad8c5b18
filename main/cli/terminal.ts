// Reading secrets: the WIF from stdin (never from argv) and the vault passphrase from COINPIT_PASSPHRASE or a
// no-echo prompt on the controlling terminal. Nothing read here is ever written back out.
import { closeSync, openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { CliError } from './errors';

const MAX_STDIN_BYTES = 64 * 1024;

export interface Terminal {
  /** asks on the terminal without echo; rejects with CliError when there is no terminal */
  askHidden(prompt: string): Promise<string>;
}

/** The whole of stdin as text (for a piped WIF); refuses anything large. */
export async function readStdinText(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_STDIN_BYTES) throw new CliError('stdin is too large for a key (expected one WIF line)');
    chunks.push(buf);
  }
  const all = Buffer.concat(chunks);
  const text = all.toString('utf8');
  all.fill(0);
  return text;
}

/**
 * Reads one line from a TTY in raw mode without echoing it. Enter finishes, Backspace deletes, Ctrl-C aborts.
 * The prompt goes to the terminal itself, so stdout stays clean for piping.
 */
function readHiddenLine(input: ReadStream, writePrompt: (text: string) => void, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: Error) => {
      input.off('data', onData);
      try {
        input.setRawMode(false);
      } catch {
        /* terminal already gone */
      }
      input.pause();
      writePrompt('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (data: Buffer | string) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new CliError('Cancelled', 130));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    // raw mode (no echo) before the prompt appears, so nothing typed in answer to it is ever echoed
    input.setRawMode(true);
    writePrompt(prompt);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
  });
}

/** The process's controlling terminal (/dev/tty on POSIX, the console stdin on Windows). */
export const systemTerminal: Terminal = {
  async askHidden(prompt: string): Promise<string> {
    if (process.platform === 'win32') {
      if (!process.stdin.isTTY) throw new CliError('No terminal to ask on');
      return readHiddenLine(process.stdin as ReadStream, (t) => process.stderr.write(t), prompt);
    }
    let fd: number;
    try {
      fd = openSync('/dev/tty', 'r+');
    } catch {
      throw new CliError('No terminal to ask on');
    }
    const input = new ReadStream(fd);
    try {
      return await readHiddenLine(input, (t) => writeSync(fd, t), prompt);
    } finally {
      input.destroy();
      try {
        closeSync(fd);
      } catch {
        /* closed by destroy() */
      }
    }
  },
};

export interface PassphraseOptions {
  env?: NodeJS.ProcessEnv;
  terminal?: Terminal;
  /** a new vault: ask twice and compare */
  confirm?: boolean;
  file: string;
}

/** COINPIT_PASSPHRASE, else a no-echo prompt (twice for a new vault). */
export async function vaultPassphrase(opts: PassphraseOptions): Promise<string> {
  const env = opts.env ?? process.env;
  const fromEnv = env.COINPIT_PASSPHRASE;
  if (fromEnv !== undefined) {
    if (fromEnv.length === 0) throw new CliError('COINPIT_PASSPHRASE is set but empty');
    return fromEnv;
  }
  const terminal = opts.terminal ?? systemTerminal;
  let first: string;
  try {
    first = await terminal.askHidden(`Passphrase for vault ${opts.file}: `);
  } catch (err) {
    if (err instanceof CliError && err.exitCode === 130) throw err;
    throw new CliError('No vault passphrase: set COINPIT_PASSPHRASE or run the command in a terminal');
  }
  if (first.length === 0) throw new CliError('Empty passphrase');
  if (opts.confirm) {
    const again = await terminal.askHidden('Repeat the passphrase: ');
    if (again !== first) throw new CliError('The two passphrases differ');
  }
  return first;
}

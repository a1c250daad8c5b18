// `coinpit-desk key import (--keychain PROFILE | --vault FILE [--profile NAME]) [--replace]`
// The WIF comes from stdin (a pipe, or typed at a no-echo prompt), never from argv where `ps` and shell history
// would see it. It is validated before anything is stored and is never printed.
import { p2pkhAddress, parseWif } from '../coinpit/identity';
import { toHex } from '../coinpit/hash';
import { parseFlags } from './args';
import type { CliContext } from './context';
import { CliError, EXIT_OK, messageOf } from './errors';
import { entryForWif, keySourceKind, openKeySource, storeFailure, wifFromEntry } from './key-source';
import { readStdinText } from './terminal';

export const KEY_IMPORT_USAGE = `usage: coinpit-desk key import (--keychain PROFILE | --vault FILE [--profile NAME]) [--replace]
  Reads a compressed WIF private key from stdin and stores it in the OS keychain or an encrypted vault file.
  The vault passphrase comes from COINPIT_PASSPHRASE or a no-echo prompt.`;

async function readWif(ctx: CliContext): Promise<string> {
  let text: string;
  if (ctx.stdin.isTTY) {
    try {
      text = await ctx.terminal.askHidden('WIF private key (input hidden): ');
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError('Could not read the key from the terminal');
    }
  } else {
    text = await readStdinText(ctx.stdin);
  }
  const tokens = text.trim().split(/\s+/).filter((t) => t.length > 0);
  if (tokens.length === 0) throw new CliError('No key on stdin: pipe the WIF in, e.g. `coinpit-desk key import --vault FILE < key.txt`');
  if (tokens.length > 1) throw new CliError('Expected exactly one WIF on stdin, found several words');
  return tokens[0]!;
}

export async function keyImport(argv: readonly string[], ctx: CliContext): Promise<number> {
  const flags = parseFlags(argv, {
    keychain: { type: 'string' },
    vault: { type: 'string' },
    profile: { type: 'string' },
    replace: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    ctx.out(`${KEY_IMPORT_USAGE}\n`);
    return EXIT_OK;
  }
  keySourceKind(flags, true); // argument errors before anything is read from stdin
  const wif = await readWif(ctx);
  let parsed: ReturnType<typeof parseWif>;
  try {
    parsed = parseWif(wif); // its messages never echo the input
  } catch (err) {
    throw new CliError(messageOf(err));
  }
  const source = await openKeySource(flags, { env: ctx.env, terminal: ctx.terminal, forWrite: true, keychain: ctx.keychain });
  const userid = p2pkhAddress(toHex(parsed.publicKey), parsed.network);
  try {
    const stored = await source.store.get(source.id);
    let existing: string | undefined;
    try {
      existing = stored === undefined ? undefined : wifFromEntry(stored, source.label);
    } catch {
      existing = ''; // something unreadable or not a coin key: only --replace may overwrite it
    }
    if (existing === wif) {
      ctx.out(`The key of ${userid} (${parsed.network}) is already in ${source.label}.\n`);
      return EXIT_OK;
    }
    if (existing !== undefined && !flags.replace) {
      throw new CliError(`${source.label} already holds a different key; pass --replace to overwrite it (the old key is then gone from there)`);
    }
    await source.store.set(source.id, entryForWif(wif));
  } catch (err) {
    throw storeFailure(err);
  }
  ctx.out(`Imported the ${parsed.network} key of ${userid} into ${source.label}.\n`);
  return EXIT_OK;
}

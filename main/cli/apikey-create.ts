// `coinpit-desk apikey create --out FILE (--keychain PROFILE | --vault FILE) [--role trade|read] [--server-key HEX]`
// On the key machine: a new Ed25519 API key authorized by the coin key (PROTOCOL §8.7), written as a key file for
// the online machine. The file holds the API secret key (mode 0600) but never the coin key.
import { promises as fs } from 'node:fs';
import { normalizePublicKey } from '../coinpit/identity';
import { createAuthorizedApiKey, exportApiKeyFile } from '../wallet/apikey-file';
import { parseFlags, shownArg } from './args';
import type { CliContext } from './context';
import { CliError, EXIT_OK, UsageError, messageOf } from './errors';
import { keySourceKind, loadWif, openKeySource } from './key-source';

export const APIKEY_USAGE = `usage: coinpit-desk apikey create --out FILE (--keychain PROFILE | --vault FILE [--profile NAME])
                               [--role trade|read] [--server-key HEX]
  Creates an API key that can trade (or only read) but never move coins, authorized by your coin key.`;

export async function apikeyCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') {
    ctx.out(`${APIKEY_USAGE}\n`);
    return EXIT_OK;
  }
  if (sub !== 'create') throw new UsageError(sub === undefined ? 'apikey needs a subcommand: create' : `Unknown apikey subcommand: ${shownArg(sub)}`);
  const flags = parseFlags(rest, {
    out: { type: 'string' },
    keychain: { type: 'string' },
    vault: { type: 'string' },
    profile: { type: 'string' },
    role: { type: 'string' },
    'server-key': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    ctx.out(`${APIKEY_USAGE}\n`);
    return EXIT_OK;
  }
  if (flags.out === undefined) throw new UsageError('--out FILE is required');
  keySourceKind(flags, true);
  const role = flags.role ?? 'trade';
  if (role !== 'trade' && role !== 'read') throw new UsageError('--role must be trade or read');
  let serverPublicKey: string | undefined;
  if (flags['server-key'] !== undefined) {
    try {
      serverPublicKey = normalizePublicKey(flags['server-key'], 'server key');
    } catch (err) {
      throw new UsageError(`--server-key: ${messageOf(err)}`);
    }
  }
  const wif = await loadWif(await openKeySource(flags, { env: ctx.env, terminal: ctx.terminal, keychain: ctx.keychain }));
  const key = createAuthorizedApiKey(wif, { role, serverPublicKey });
  try {
    await fs.writeFile(flags.out, exportApiKeyFile(key), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EEXIST' ? `${flags.out} already exists; choose another file` : `Cannot write ${flags.out}: ${messageOf(err)}`);
  }
  ctx.out(`Created API key ${key.name} (role ${key.role}) for ${key.userid}; wrote ${flags.out}. Keep that file private: it can trade for you.\n`);
  return EXIT_OK;
}

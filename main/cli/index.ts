// `coinpit-desk`: the wallet command line for headless and air-gapped machines (issue 4), launched by
// bin/coinpit-desk.mjs. Commands: key import, review, sign, apikey create, localnet.
// Exit codes: 0 done, 1 refused by review, 2 bad input.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { apikeyCommand } from './apikey-create';
import { processContext, type CliContext } from './context';
import { CliError, EXIT_BAD_INPUT, EXIT_OK, UsageError, messageOf } from './errors';
import { keyImport } from './key-import';
import { shownArg } from './args';
import { reviewCommand, signCommand } from './signing-file';

export const USAGE = `usage: coinpit-desk <command> [options]

  key import (--keychain PROFILE | --vault FILE)    store a WIF key read from stdin
  review --in FILE                                   print the review of a PSBT or signing-request file
  sign --in FILE --out FILE (--keychain PROFILE | --vault FILE)
                                                     review, then sign; refuses what the review refuses
  apikey create --out FILE (--keychain PROFILE | --vault FILE)
                                                     API key (trade role) authorized by the coin key
  localnet [--port N] [--data DIR] [--seed N] [--block-interval SECONDS] [--no-bot] [--host H]
                                                     run the local exchange

  Vault passphrase: COINPIT_PASSPHRASE or a no-echo prompt. "coinpit-desk <command> --help" for details.
  Exit codes: 0 done, 1 refused by review, 2 bad input.`;

async function dispatch(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      throw new UsageError('No command given');
    case '--help':
    case '-h':
    case 'help':
      ctx.out(`${USAGE}\n`);
      return EXIT_OK;
    case 'key': {
      const [sub, ...args] = rest;
      if (sub === 'import') return keyImport(args, ctx);
      throw new UsageError(sub === undefined ? 'key needs a subcommand: import' : `Unknown key subcommand: ${shownArg(sub)}`);
    }
    case 'review':
      return reviewCommand(rest, ctx);
    case 'sign':
      return signCommand(rest, ctx);
    case 'apikey':
      return apikeyCommand(rest, ctx);
    case 'localnet': {
      // loaded on demand: the wallet commands must work on an offline machine without the server's dependencies
      const { runLocalnetCli } = await import('../localnet/cli');
      return runLocalnetCli(rest);
    }
    default:
      throw new UsageError(`Unknown command: ${shownArg(command)}`);
  }
}

/** Runs one command; never throws. Returns the exit code. */
export async function main(argv: readonly string[], ctx: CliContext = processContext()): Promise<number> {
  try {
    return await dispatch(argv, ctx);
  } catch (err) {
    if (err instanceof CliError) {
      ctx.err(`coinpit-desk: ${err.message}\n`);
      if (err.showUsage) ctx.err(`\n${USAGE}\n`);
      return err.exitCode;
    }
    // library errors here are about the input (their messages never carry a key)
    ctx.err(`coinpit-desk: ${messageOf(err)}\n`);
    return EXIT_BAD_INPUT;
  }
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => process.exit(EXIT_BAD_INPUT),
  );
}

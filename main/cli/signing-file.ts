// `coinpit-desk review` and `coinpit-desk sign`: offline review and signing of a PSBT or signing-request file.
// Nothing here touches the network. The account is rebuilt from the file's redeem script and the user's key:
// the user's key must be one of its two keys, the other one is the server's.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { toHex } from '../coinpit/hash';
import { normalizePublicKey, p2pkhAddress, parseWif, type NetworkName } from '../coinpit/identity';
import { walletAccount, type WalletAccount } from '../wallet/account';
import { parseRedeem, signerFromWif } from '../wallet/multisig';
import { readSigningFile, reviewSigningFile, signSigningFile, type SigningFile } from '../wallet/offline';
import { ReviewRefused, type Review } from '../wallet/review';
import { integerFlag, parseFlags } from './args';
import type { CliContext } from './context';
import { CliError, EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED, UsageError, messageOf } from './errors';
import { formatReview } from './format-review';
import { keySourceKind, loadWif, openKeySource } from './key-source';

/** config.maximumFee of the local exchange (main/localnet/engine/listing.ts); a file carries no fee limit. */
export const DEFAULT_MAX_FEE = 150_000;
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export const REVIEW_USAGE = `usage: coinpit-desk review --in FILE [--keychain PROFILE | --vault FILE [--profile NAME] | --pubkey HEX]
                          [--max-fee SAT] [--network bitcoin|testnet] [--json]
  Prints the review of a PSBT or signing-request file. With your key (or public key) the review knows which
  multisig key is yours; without it, both are tried and the assumption is printed.
  Exit 0: acceptable, 1: refused, 2: bad input.`;

export const SIGN_USAGE = `usage: coinpit-desk sign --in FILE --out FILE (--keychain PROFILE | --vault FILE [--profile NAME]) [--max-fee SAT]
  Reviews the file, then signs your half. Refuses (exit 1, nothing written) whatever the review refuses.
  Writes the final transaction hex when both signatures are present, else the updated PSBT / signing request.`;

async function readInput(file: string): Promise<SigningFile> {
  let bytes: Buffer;
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) throw new CliError(`${file} is not a file`);
    if (st.size > MAX_FILE_BYTES) throw new CliError(`${file} is too large for a transaction file`);
    bytes = await fs.readFile(file);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `No such file: ${file}` : `Cannot read ${file}: ${messageOf(err)}`);
  }
  try {
    return readSigningFile(new Uint8Array(bytes));
  } catch (err) {
    throw new CliError(`${file}: ${messageOf(err)}`);
  }
}

/** The redeem script the file spends and the network it says it is for. */
function fileFacts(file: SigningFile): { redeem: string; declaredNetwork: string | null } {
  if (file.format === 'signing-request') return { redeem: file.request.redeem, declaredNetwork: file.request.network };
  const withRedeem = file.psbt.data.inputs.find((i) => i.redeemScript && i.redeemScript.length > 0);
  if (!withRedeem?.redeemScript) throw new CliError('The PSBT has no redeem script on any input: it is not a spend of a Coinpit multisig');
  try {
    return { redeem: parseRedeem(withRedeem.redeemScript).hex, declaredNetwork: file.network };
  } catch (err) {
    throw new CliError(`The PSBT's redeem script: ${messageOf(err)}`);
  }
}

/** The account in which `userPublicKey` is the user's key of `redeem`, or null when it is not one of its keys. */
export function accountFor(redeem: string, userPublicKey: string, network: NetworkName): WalletAccount | null {
  const keys = parseRedeem(redeem).keys.map((k) => toHex(k));
  const user = userPublicKey.toLowerCase();
  if (!keys.includes(user)) return null;
  const server = keys[0] === user ? keys[1]! : keys[0]!;
  return walletAccount({ network, publicKey: user, serverPublicKey: server, userid: p2pkhAddress(user, network) });
}

function networkFlag(value: string | undefined): NetworkName | undefined {
  if (value === undefined) return undefined;
  if (value !== 'bitcoin' && value !== 'testnet') throw new UsageError('--network must be bitcoin or testnet');
  return value;
}

function notYours(userid: string): CliError {
  return new CliError(`Refused: this file spends a multisig that does not contain your key (${userid}); nothing to review or sign for you`, EXIT_REFUSED);
}

export async function reviewCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const flags = parseFlags(argv, {
    in: { type: 'string' },
    keychain: { type: 'string' },
    vault: { type: 'string' },
    profile: { type: 'string' },
    pubkey: { type: 'string' },
    'max-fee': { type: 'string' },
    network: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    ctx.out(`${REVIEW_USAGE}\n`);
    return EXIT_OK;
  }
  if (flags.in === undefined) throw new UsageError('--in FILE is required');
  const kind = keySourceKind(flags, false);
  if (kind && flags.pubkey !== undefined) throw new UsageError('Give either a key (--keychain/--vault) or --pubkey, not both');
  const maximumFee = flags['max-fee'] === undefined ? DEFAULT_MAX_FEE : integerFlag('max-fee', flags['max-fee']);
  const networkOverride = networkFlag(flags.network);
  const file = await readInput(flags.in);
  const { redeem, declaredNetwork } = fileFacts(file);
  const fallbackNetwork: NetworkName = networkOverride ?? (declaredNetwork === 'bitcoin' ? 'bitcoin' : 'testnet');

  let candidates: { publicKey: string; network: NetworkName }[];
  let assumed = false;
  if (kind) {
    const wif = await loadWif(await openKeySource(flags, { env: ctx.env, terminal: ctx.terminal, keychain: ctx.keychain }));
    const parsed = parseWif(wif);
    candidates = [{ publicKey: toHex(parsed.publicKey), network: parsed.network }];
  } else if (flags.pubkey !== undefined) {
    let pub: string;
    try {
      pub = normalizePublicKey(flags.pubkey);
    } catch (err) {
      throw new UsageError(`--pubkey: ${messageOf(err)}`);
    }
    candidates = [{ publicKey: pub, network: fallbackNetwork }];
  } else {
    assumed = true;
    candidates = parseRedeem(redeem).keys.map((k) => ({ publicKey: toHex(k), network: fallbackNetwork }));
  }

  const reviews: { account: WalletAccount; review: Review }[] = [];
  for (const c of candidates) {
    const account = accountFor(redeem, c.publicKey, c.network);
    if (!account) throw notYours(p2pkhAddress(c.publicKey, c.network));
    reviews.push({ account, review: reviewSigningFile(file, { account, maximumFee }) });
  }
  // without a key: the reading under which the file is acceptable, else the one with the fewest objections
  const chosen = reviews.find((r) => r.review.ok) ?? [...reviews].sort((a, b) => a.review.refusals.length - b.review.refusals.length)[0]!;

  if (flags.json) {
    ctx.out(`${JSON.stringify({ format: file.format, userid: chosen.account.userid, assumedUserKey: assumed, review: chosen.review }, null, 2)}\n`);
  } else {
    ctx.out(`File ${flags.in}: ${file.format === 'psbt' ? 'PSBT' : 'signing request'}\n`);
    ctx.out(`Your key: ${chosen.account.publicKey} (${chosen.account.userid})${assumed ? ' — ASSUMED: no key was given, pass --keychain, --vault or --pubkey to check against yours' : ''}\n`);
    ctx.out(`Multisig: ${chosen.account.accountid}; margin address ${chosen.account.serverAddress}\n`);
    ctx.out(formatReview(chosen.review));
  }
  return chosen.review.ok ? EXIT_OK : EXIT_REFUSED;
}

/** Writes via a temporary file and rename, so --out never holds half a transaction. */
async function writeAtomic(target: string, text: string): Promise<void> {
  const dir = path.dirname(path.resolve(target));
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, text, { flag: 'wx' });
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.unlink(tmp).catch(() => undefined);
    throw new CliError(`Cannot write ${target}: ${messageOf(err)}`);
  }
}

export async function signCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const flags = parseFlags(argv, {
    in: { type: 'string' },
    out: { type: 'string' },
    keychain: { type: 'string' },
    vault: { type: 'string' },
    profile: { type: 'string' },
    'max-fee': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    ctx.out(`${SIGN_USAGE}\n`);
    return EXIT_OK;
  }
  if (flags.in === undefined) throw new UsageError('--in FILE is required');
  if (flags.out === undefined) throw new UsageError('--out FILE is required');
  keySourceKind(flags, true);
  const maximumFee = flags['max-fee'] === undefined ? DEFAULT_MAX_FEE : integerFlag('max-fee', flags['max-fee']);
  const outDir = path.dirname(path.resolve(flags.out));
  const outDirStat = await fs.stat(outDir).catch(() => undefined);
  if (!outDirStat?.isDirectory()) throw new CliError(`Cannot write ${flags.out}: ${outDir} is not a directory`);
  if ((await fs.stat(flags.out).catch(() => undefined))?.isDirectory()) throw new CliError(`--out ${flags.out} is a directory`);

  const file = await readInput(flags.in);
  const { redeem } = fileFacts(file);
  const wif = await loadWif(await openKeySource(flags, { env: ctx.env, terminal: ctx.terminal, keychain: ctx.keychain }));
  const parsed = parseWif(wif);
  const account = accountFor(redeem, toHex(parsed.publicKey), parsed.network);
  if (!account) throw notYours(p2pkhAddress(toHex(parsed.publicKey), parsed.network));

  const review = reviewSigningFile(file, { account, maximumFee });
  ctx.out(`File ${flags.in}: ${file.format === 'psbt' ? 'PSBT' : 'signing request'}; your key ${account.userid}\n`);
  ctx.out(formatReview(review));
  if (!review.ok) {
    ctx.err('Refused: nothing was signed and nothing was written.\n');
    return EXIT_REFUSED;
  }
  let signed: ReturnType<typeof signSigningFile>;
  try {
    signed = signSigningFile(file, signerFromWif(wif), { account, maximumFee });
  } catch (err) {
    if (err instanceof ReviewRefused) {
      ctx.err('Refused: nothing was signed and nothing was written.\n');
      return EXIT_REFUSED;
    }
    throw new CliError(`Signing failed: ${messageOf(err)}`, EXIT_BAD_INPUT);
  }
  await writeAtomic(flags.out, signed.text);
  const what =
    signed.format === 'hex'
      ? 'the final transaction (hex), ready to broadcast'
      : `the updated ${signed.format === 'psbt' ? 'PSBT' : 'signing request'} (still needs the other signature)`;
  ctx.out(`Signed ${signed.txid}: wrote ${what} to ${flags.out}\n`);
  return EXIT_OK;
}

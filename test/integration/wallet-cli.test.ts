// The `coinpit-desk` wallet command line, run as a real process through bin/coinpit-desk.mjs: key import from
// stdin into a vault, review and sign of signing-request and PSBT files made by the wallet modules, refusals
// (exit 1), malformed input (exit 2), and the WIF never appearing in any output.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transaction } from 'bitcoinjs-lib';
import { toHex } from '../../main/coinpit/hash';
import { generateWif, identity, parseWif } from '../../main/coinpit/identity';
import { signMultisigInput, verifyInput } from '../../main/localnet/chain';
import { outputScript, walletAccount, type WalletAccount } from '../../main/wallet/account';
import { importApiKeyFile } from '../../main/wallet/apikey-file';
import { signerFromWif } from '../../main/wallet/multisig';
import { createPsbt, decodePsbt, encodePsbt } from '../../main/wallet/psbt';
import { createSigningRequest, parseSigningRequest, serializeSigningRequest } from '../../main/wallet/signing-request';
import { buildMarginIn, SERVER_TX, unsignedTx } from '../../main/wallet/txbuild';
import { VaultStore } from '../../main/wallet/vault';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/coinpit-desk.mjs');
const PASSPHRASE = 'correct horse battery staple';
const RUN_TIMEOUT_MS = 60_000; // generous: a loaded machine starts tsx slowly (not a speed assertion)

const userWif = generateWif('testnet');
const serverWif = generateWif('testnet');
const serverPub = toHex(parseWif(serverWif).publicKey);
const account: WalletAccount = walletAccount(identity(userWif, serverPub));
const server = signerFromWif(serverWif);
const STRANGER = identity(generateWif('testnet')).userid;

let dir: string;
let vault: string;
const outputs: string[] = []; // every stdout/stderr seen, checked for the WIF at the end

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], opts: { stdin?: string; env?: Record<string, string | undefined> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, COINPIT_PASSPHRASE: PASSPHRASE, ...opts.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`coinpit-desk ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Runs tasks with at most 3 at a time (a shared CI machine should not start a dozen tsx processes at once). */
async function inPool<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return results;
}

let fundingCounter = 0;
/** A previous transaction paying the multisig (plus a stranger, so vout is 1). */
function fund(value: number, address = account.accountid): { txid: string; vout: number; value: number; prevTx: string } {
  const tx = new Transaction();
  tx.version = 2;
  const hash = new Uint8Array(randomBytes(32));
  hash[0] = ++fundingCounter;
  tx.addInput(hash, 0);
  tx.addOutput(outputScript(STRANGER, 'testnet'), 1000n);
  tx.addOutput(outputScript(address, 'testnet'), BigInt(value));
  return { txid: tx.getId(), vout: 1, value, prevTx: tx.toHex() };
}

/** A server-made recovery of `inputs` (server half signed by the local chain's signer) paying `to`. */
function recoveryTx(inputs: ReturnType<typeof fund>[], fee: number, to = account.userid): Transaction {
  const total = inputs.reduce((s, i) => s + i.value, 0);
  const tx = unsignedTx(inputs, [{ script: outputScript(to, 'testnet'), value: total - fee }], SERVER_TX);
  for (let i = 0; i < tx.ins.length; i++) signMultisigInput(tx, i, Buffer.from(account.redeem, 'hex'), server);
  return tx;
}

function writeRequest(name: string, request: ReturnType<typeof createSigningRequest>): string {
  const file = path.join(dir, name);
  writeFileSync(file, serializeSigningRequest(request));
  return file;
}

function recoveryRequestFile(name: string, opts: { fee?: number; to?: string } = {}): { file: string; inputs: ReturnType<typeof fund>[] } {
  const inputs = [fund(300_000), fund(200_000)];
  const tx = recoveryTx(inputs, opts.fee ?? 12_000, opts.to);
  return { file: writeRequest(name, createSigningRequest({ account, tx, inputs, intent: { kind: 'recovery' } })), inputs };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'coinpit-cli-'));
  vault = path.join(dir, 'keys.vault');
  const imported = await run(['key', 'import', '--vault', vault], { stdin: `${userWif}\n` });
  expect(imported.stderr).toBe('');
  expect(imported.code).toBe(0);
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('key import', { timeout: 240_000 }, () => {
  it('stores the WIF read from stdin in an encrypted vault and prints only the userid', async () => {
    const store = new VaultStore(vault, PASSPHRASE);
    expect(JSON.parse((await store.get('default'))!)).toEqual({ wif: userWif }); // the app's profile-secret shape
    expect(readFileSync(vault, 'utf8')).not.toContain(userWif);
    const again = await run(['key', 'import', '--vault', vault], { stdin: userWif });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(account.userid);
    expect(again.stdout).toContain('already');
  });

  it('refuses to overwrite a different key without --replace, and replaces with it', async () => {
    const other = path.join(dir, 'other.vault');
    expect((await run(['key', 'import', '--vault', other, '--profile', 'p'], { stdin: userWif })).code).toBe(0);
    const second = generateWif('testnet');
    const refused = await run(['key', 'import', '--vault', other, '--profile', 'p'], { stdin: second });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--replace');
    expect(JSON.parse((await new VaultStore(other, PASSPHRASE).get('p'))!).wif).toBe(userWif);
    const replaced = await run(['key', 'import', '--vault', other, '--profile', 'p', '--replace'], { stdin: second });
    expect(replaced.code).toBe(0);
    expect(JSON.parse((await new VaultStore(other, PASSPHRASE).get('p'))!).wif).toBe(second);
    expect(replaced.stdout + replaced.stderr).not.toContain(second);
  });

  it('rejects an invalid or empty WIF with exit 2 without echoing it', async () => {
    const broken = userWif.slice(0, -1) + (userWif.endsWith('a') ? 'b' : 'a');
    const bad = await run(['key', 'import', '--vault', path.join(dir, 'bad.vault')], { stdin: broken });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Invalid WIF/);
    expect(bad.stderr).not.toContain(broken);
    expect(existsSync(path.join(dir, 'bad.vault'))).toBe(false);
    const empty = await run(['key', 'import', '--vault', path.join(dir, 'bad.vault')], { stdin: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/No key on stdin/);
  });

  it('signs with a vault entry the app wrote (profile id, {"wif"} shape) and with a bare-WIF entry', async () => {
    const appVault = path.join(dir, 'app-vault.json');
    const store = new VaultStore(appVault, PASSPHRASE);
    await store.set('profile-1', JSON.stringify({ wif: userWif }));
    await store.set('bare', userWif);
    await store.set('trader', JSON.stringify({ apiKey: { name: 'x' } }));
    const { file } = recoveryRequestFile('app-vault-request.json');
    for (const profile of ['profile-1', 'bare']) {
      const out = path.join(dir, `app-vault-${profile}.hex`);
      const r = await run(['sign', '--in', file, '--out', out, '--vault', appVault, '--profile', profile]);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(out)).toBe(true);
    }
    const apiOnly = await run(['sign', '--in', file, '--out', path.join(dir, 'x.hex'), '--vault', appVault, '--profile', 'trader']);
    expect(apiOnly.code).toBe(2);
    expect(apiOnly.stderr).toMatch(/API key, which can trade but cannot sign/);
    const ambiguous = await run(['sign', '--in', file, '--out', path.join(dir, 'x.hex'), '--vault', appVault]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/choose one with --profile/);
  });

  it('never takes the key from argv: an extra argument is a usage error', async () => {
    const r = await run(['key', 'import', '--vault', vault, userWif], { stdin: userWif });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage: coinpit-desk/);
  });

  it('needs a passphrase: none in the environment and no terminal is exit 2; a wrong one is exit 2', async () => {
    const { file } = recoveryRequestFile('pass.json');
    const none = await run(['sign', '--in', file, '--out', path.join(dir, 'pass.out'), '--vault', vault], { env: { COINPIT_PASSPHRASE: undefined } });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/COINPIT_PASSPHRASE/);
    const wrong = await run(['sign', '--in', file, '--out', path.join(dir, 'pass.out'), '--vault', vault], { env: { COINPIT_PASSPHRASE: 'not it' } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/Wrong passphrase/);
    expect(existsSync(path.join(dir, 'pass.out'))).toBe(false);
  });
});

describe('review and sign a signing request', { timeout: 240_000 }, () => {
  it('reviews a server-signed recovery request (exit 0) and prints what it spends and pays', async () => {
    const { file, inputs } = recoveryRequestFile('recovery.json');
    const r = await run(['review', '--in', file, '--vault', vault]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(account.userid);
    expect(r.stdout).toContain(`${inputs[0]!.txid}:1`);
    expect(r.stdout).toMatch(/Fee: 12000 sat/);
    expect(r.stdout).toMatch(/Fee verified/);
    expect(r.stdout).toMatch(/Signatures: user 0\/2, server 2\/2/);
    expect(r.stdout).toMatch(/Verdict: OK/);
  });

  it('review without a key works out which multisig key is the user\'s and says it assumed so', async () => {
    const { file } = recoveryRequestFile('recovery-nokey.json');
    const r = await run(['review', '--in', file], { env: { COINPIT_PASSPHRASE: undefined } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ASSUMED');
    expect(r.stdout).toContain(account.userid);
    const json = await run(['review', '--in', file, '--pubkey', account.publicKey, '--json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.review.ok).toBe(true);
    expect(parsed.review.kind).toBe('recovery');
    expect(parsed.userid).toBe(account.userid);
  });

  it('signs a recovery: the output is the complete transaction, valid under the chain\'s own script check', async () => {
    const { file, inputs } = recoveryRequestFile('recovery-sign.json');
    const out = path.join(dir, 'recovery.hex');
    const r = await run(['sign', '--in', file, '--out', out, '--vault', vault]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/final transaction/);
    const tx = Transaction.fromHex(readFileSync(out, 'utf8').trim());
    expect(tx.outs).toHaveLength(1);
    expect(Number(tx.outs[0]!.value)).toBe(500_000 - 12_000);
    const p2sh = outputScript(account.accountid, 'testnet');
    inputs.forEach((_, i) => expect(() => verifyInput(tx, i, p2sh)).not.toThrow());
  });

  it('signs an unsigned margin-in request: the output is the request with the user half signed', async () => {
    const funded = [fund(2_000_000)];
    const built = buildMarginIn(account, funded.map((f) => ({ ...f, confirmations: 1 })), { amount: 1_000_000, feePerKB: 50_000, dust: 10_000 });
    const file = writeRequest('margin.json', createSigningRequest({ account, tx: built.tx, inputs: funded, intent: { kind: 'margin-in', amount: 1_000_000 } }));
    const out = path.join(dir, 'margin.signed.json');
    const r = await run(['sign', '--in', file, '--out', out, '--vault', vault]);
    expect(r.code).toBe(0);
    const signed = parseSigningRequest(readFileSync(out, 'utf8'));
    const tx = Transaction.fromHex(signed.tx);
    expect(tx.ins[0]!.script.length).toBeGreaterThan(0);
    // the server completes it; the chain's script check then accepts it
    signMultisigInput(tx, 0, Buffer.from(account.redeem, 'hex'), server);
    expect(() => verifyInput(tx, 0, outputScript(account.accountid, 'testnet'))).not.toThrow();
  });

  it('signs a PSBT and exports the final hex', async () => {
    const inputs = [fund(400_000)];
    const psbt = createPsbt({ account, tx: recoveryTx(inputs, 10_000), inputs, intent: { kind: 'recovery' } });
    const file = path.join(dir, 'recovery.psbt');
    writeFileSync(file, encodePsbt(psbt, 'binary'));
    const review = await run(['review', '--in', file, '--vault', vault]);
    expect(review.code).toBe(0);
    expect(review.stdout).toContain('PSBT');
    const out = path.join(dir, 'psbt.hex');
    const r = await run(['sign', '--in', file, '--out', out, '--vault', vault]);
    expect(r.code).toBe(0);
    const tx = Transaction.fromHex(readFileSync(out, 'utf8').trim());
    expect(() => verifyInput(tx, 0, outputScript(account.accountid, 'testnet'))).not.toThrow();
    expect(decodePsbt(readFileSync(file)).psbt.data.inputs[0]!.partialSig?.length).toBe(1); // the input file is untouched
  });
});

describe('refusals (exit 1, nothing written)', { timeout: 240_000 }, () => {
  async function expectRefused(file: string, reason: RegExp): Promise<void> {
    const out = path.join(dir, `${path.basename(file)}.out`);
    const review = await run(['review', '--in', file, '--vault', vault]);
    expect(review.code).toBe(1);
    expect(review.stdout).toMatch(/Verdict: REFUSED/);
    expect(review.stdout).toMatch(reason);
    const sign = await run(['sign', '--in', file, '--out', out, '--vault', vault]);
    expect(sign.code).toBe(1);
    expect(sign.stdout).toMatch(reason);
    expect(sign.stderr).toMatch(/nothing was signed/);
    expect(existsSync(out)).toBe(false);
  }

  it('a recovery that pays someone else', async () => {
    await expectRefused(recoveryRequestFile('hostile-dest.json', { to: STRANGER }).file, /output-not-requested/);
  });

  it('a fee above the maximum', async () => {
    await expectRefused(recoveryRequestFile('hostile-fee.json', { fee: 400_000 }).file, /fee-above-maximum/);
  });

  it('an input value lie (stated value differs from the previous transaction)', async () => {
    const { file } = recoveryRequestFile('hostile-value.json');
    const request = JSON.parse(readFileSync(file, 'utf8'));
    request.inputs[0].value += 50_000;
    writeFileSync(file, JSON.stringify(request));
    await expectRefused(file, /input-value-mismatch/);
  });

  it('an input that is not an account coin', async () => {
    const mine = fund(300_000);
    const foreign = fund(300_000, STRANGER);
    const tx = recoveryTx([mine], 12_000);
    tx.addInput(Buffer.from(foreign.txid, 'hex').reverse(), foreign.vout, SERVER_TX.sequence);
    const file = path.join(dir, 'hostile-input.json');
    writeFileSync(file, JSON.stringify({ network: 'testnet', redeem: account.redeem, tx: tx.toHex(), inputs: [mine, foreign], intent: { kind: 'recovery' } }));
    await expectRefused(file, /input-not-account-utxo/);
  });

  it('a wrong-network request', async () => {
    const { file } = recoveryRequestFile('wrong-network.json');
    const request = JSON.parse(readFileSync(file, 'utf8'));
    request.network = 'bitcoin';
    writeFileSync(file, JSON.stringify(request));
    await expectRefused(file, /wrong-network/);
  });

  it('a file for a multisig that does not hold the user\'s key', async () => {
    const strangerAccount = walletAccount(identity(generateWif('testnet'), serverPub));
    const inputs = [fund(100_000, strangerAccount.accountid)];
    const tx = unsignedTx(inputs, [{ script: outputScript(strangerAccount.userid, 'testnet'), value: 90_000 }], SERVER_TX);
    const file = writeRequest('not-mine.json', createSigningRequest({ account: strangerAccount, tx, inputs }));
    const out = path.join(dir, 'not-mine.out');
    const r = await run(['sign', '--in', file, '--out', out, '--vault', vault]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not contain your key/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('bad input (exit 2)', { timeout: 240_000 }, () => {
  it('malformed, truncated and unknown files', async () => {
    const { file } = recoveryRequestFile('good.json');
    const text = readFileSync(file, 'utf8');
    const cases: [string, string | Buffer, RegExp][] = [
      ['truncated.json', text.slice(0, Math.floor(text.length / 2)), /not valid JSON/],
      ['bad-tx.json', text.replace(/"tx": "([0-9a-f]{20})/, '"tx": "zz$1'), /"tx" is not hex/],
      ['garbage.bin', Buffer.from([0, 1, 2, 3, 255, 254]), /Unrecognised file/],
      ['empty.json', '', /Empty file/],
      ['truncated.psbt', 'cHNidP8BAHUCAAAAAc', /PSBT/],
    ];
    await inPool(
      cases.map(([name, content, message]) => async () => {
        const f = path.join(dir, name);
        writeFileSync(f, content);
        const [r, s] = await Promise.all([
          run(['review', '--in', f, '--vault', vault]),
          run(['sign', '--in', f, '--out', path.join(dir, `${name}.out`), '--vault', vault]),
        ]);
        expect(r.code, name).toBe(2);
        expect(r.stderr, name).toMatch(message);
        expect(s.code, name).toBe(2);
        expect(s.stderr, name).toMatch(message);
        expect(existsSync(path.join(dir, `${name}.out`)), name).toBe(false);
      }),
    );
    const missing = await run(['review', '--in', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No such file/);
  });

  it('bad arguments print the usage', async () => {
    const cases = [[], ['frobnicate'], ['sign', '--in', 'x'], ['sign', '--in', 'x', '--out', 'y'], ['review'], ['review', '--in', 'x', '--bogus'], ['key'], ['key', 'import', '--vault', 'a', '--keychain', 'b']];
    const runs = await inPool(cases.map((args) => () => run(args)));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]!.join(' ')).toBe(2);
      expect(r.stderr, cases[i]!.join(' ')).toMatch(/usage: coinpit-desk/);
    });
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/key import/);
  });
});

describe('apikey create', { timeout: 240_000 }, () => {
  it('writes a trade key file authorized by the vault key, private to the user, without the coin key', async () => {
    const out = path.join(dir, 'trade.key');
    const r = await run(['apikey', 'create', '--out', out, '--vault', vault, '--server-key', serverPub]);
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain(userWif);
    if (process.platform !== 'win32') expect(statSync(out).mode & 0o077).toBe(0);
    const key = importApiKeyFile(text, { userid: account.userid, serverPublicKey: serverPub });
    expect(key.role).toBe('trade');
    const again = await run(['apikey', 'create', '--out', out, '--vault', vault]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });
});

describe('keychain', { timeout: 240_000 }, () => {
  const hasKeyring = ['dbus-run-session', 'gnome-keyring-daemon'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);

  it('key import --keychain and sign --keychain inside a private keyring session', { timeout: 150_000 }, async () => {
    if (!hasKeyring) {
      // no secret service here: the CLI must say so plainly (exit 2), not crash
      const r = await run(['key', 'import', '--keychain', 'cli-test'], { stdin: userWif, env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent', DISPLAY: undefined } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/keychain/i);
      return;
    }
    const { file } = recoveryRequestFile('keychain.json');
    const out = path.join(dir, 'keychain.hex');
    const wifFile = path.join(dir, 'wif.txt');
    writeFileSync(wifFile, userWif, { mode: 0o600 });
    const script = `node "${BIN}" key import --keychain cli-test < "${wifFile}" && node "${BIN}" sign --in "${file}" --out "${out}" --keychain cli-test`;
    const r = spawnSync('bash', [path.join(ROOT, 'test/run-with-keyring.sh'), 'sh', '-c', script], { cwd: dir, encoding: 'utf8', timeout: 140_000 });
    rmSync(wifFile);
    outputs.push(r.stdout, r.stderr);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`keychain profile "cli-test"`);
    const tx = Transaction.fromHex(readFileSync(out, 'utf8').trim());
    expect(() => verifyInput(tx, 0, outputScript(account.accountid, 'testnet'))).not.toThrow();
  });
});

// Drives a command on a real pseudo-terminal (python3's pty module; Node has none built in): waits for each
// prompt, types the answer, and reports everything the terminal showed.
const PTY_DRIVER = `
import json, os, pty, sys, time
cmd, steps, env_unset = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    env = dict(os.environ)
    for k in env_unset: env.pop(k, None)
    os.execve(cmd[0], cmd, env)
out = b''
def read_until(s, limit=20):
    global out
    end = time.time() + limit
    while time.time() < end:
        try:
            d = os.read(fd, 1024)
        except OSError:
            return False
        if not d: return False
        out += d
        if s.encode() in out: return True
    return False
seen = []
for expect, answer in steps:
    seen.append(read_until(expect))
    os.write(fd, answer.encode())
read_until('<never printed: read to the end>', 20)
_, status = os.waitpid(pid, 0)
print(json.dumps({'seen': seen, 'out': out.decode('utf-8', 'replace'), 'exit': os.waitstatus_to_exitcode(status)}))
`;

describe('terminal prompts', { timeout: 240_000 }, () => {
  it('reads the WIF and a new vault passphrase (twice) without echoing them', async () => {
    const file = path.join(dir, 'tty.vault');
    const pass = 'tty passphrase 123';
    const steps = [['input hidden', `${userWif}\r`], ['Passphrase for vault', `${pass}\r`], ['Repeat the passphrase', `${pass}\r`]];
    const r = spawnSync('python3', ['-c', PTY_DRIVER, JSON.stringify([[process.execPath, BIN, 'key', 'import', '--vault', file], steps, ['COINPIT_PASSPHRASE']])], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.error, 'python3 is needed to drive a pseudo-terminal').toBeUndefined();
    const result = JSON.parse(r.stdout) as { seen: boolean[]; out: string; exit: number };
    outputs.push(result.out);
    expect(result.seen).toEqual([true, true, true]);
    expect(result.exit, result.out).toBe(0);
    expect(result.out).toContain(`Imported the testnet key of ${account.userid}`);
    expect(result.out).not.toContain(userWif);
    expect(result.out).not.toContain(pass);
    expect(JSON.parse((await new VaultStore(file, pass).get('default'))!).wif).toBe(userWif);
  });

  it('a mistyped confirmation stores nothing', async () => {
    const file = path.join(dir, 'tty2.vault');
    const steps = [['input hidden', `${userWif}\r`], ['Passphrase for vault', 'one passphrase\r'], ['Repeat the passphrase', 'another one\r']];
    const r = spawnSync('python3', ['-c', PTY_DRIVER, JSON.stringify([[process.execPath, BIN, 'key', 'import', '--vault', file], steps, ['COINPIT_PASSPHRASE']])], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    const result = JSON.parse(r.stdout) as { seen: boolean[]; out: string; exit: number };
    outputs.push(result.out);
    expect(result.exit).toBe(2);
    expect(result.out).toContain('The two passphrases differ');
    expect(existsSync(file)).toBe(false);
  });
});

describe('localnet', { timeout: 240_000 }, () => {
  it('`coinpit-desk localnet` runs the same server: first line is the URL, SIGTERM exits 0', { timeout: 150_000 }, async () => {
    const data = path.join(dir, 'localnet');
    const child = spawn(process.execPath, [BIN, 'localnet', '--port', '0', '--data', data, '--no-bot'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no first line; stderr: ${stderr}`)), RUN_TIMEOUT_MS);
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (stdout.includes('\n')) {
            clearTimeout(timer);
            resolve(stdout.split('\n')[0]!);
          }
        });
      });
      const m = /^localnet listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(firstLine);
      expect(m, firstLine).not.toBeNull();
      expect((await fetch(`${m![1]}/api/v1/all/config`)).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

describe('secrets', { timeout: 240_000 }, () => {
  it('no output of any run above contains the WIF', () => {
    expect(outputs.length).toBeGreaterThan(20);
    for (const o of outputs) expect(o).not.toContain(userWif);
  });
});

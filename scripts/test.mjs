// `npm test`: the whole suite. On Linux the keychain tests need a secret service, so the run
// happens inside a private D-Bus session with an unlocked gnome-keyring (test/run-with-keyring.sh).
import { spawnSync } from 'node:child_process';
import { platform } from 'node:os';

const vitest = ['npx', 'vitest', 'run', ...process.argv.slice(2)];
const command = platform() === 'linux' ? ['bash', 'test/run-with-keyring.sh', ...vitest] : vitest;
const run = spawnSync(command[0], command.slice(1), { stdio: 'inherit' });
if (run.error) {
  console.error(`npm test: could not start ${command[0]}: ${run.error.message}`);
  process.exit(1);
}
process.exit(run.status ?? 1);

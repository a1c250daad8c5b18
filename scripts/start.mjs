#!/usr/bin/env node
// npm start: build with electron-vite, then launch Electron on the built app.
// Electron's binary is fetched from GitHub on first use; where that is impossible this says so plainly instead
// of printing a stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** Path of the Electron executable, or { error } explaining why there is none. */
function findElectron() {
  let modulePath;
  try {
    modulePath = require.resolve('electron');
  } catch {
    return { error: 'the "electron" package is not installed (run npm install)' };
  }
  // require('electron') downloads the binary when it is missing and prints progress and stack traces while doing
  // so; run it in a child process to keep that noise out and keep only the error lines.
  const probe = spawnSync(process.execPath, ['-e', `process.stdout.write(String(require(${JSON.stringify(modulePath)})))`], {
    cwd: root,
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
  });
  if (probe.error) return { error: `checking for Electron failed: ${probe.error.message}` };
  const executable = probe.status === 0 ? probe.stdout.trim() : '';
  if (probe.status !== 0) {
    const errors = `${probe.stdout}\n${probe.stderr}`
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^[A-Za-z]*Error\b.*:/.test(line));
    return { error: errors.length > 0 ? [...new Set(errors)].join('\n  ') : `require('electron') exited with ${probe.status}` };
  }
  if (!executable || !existsSync(executable)) {
    return { error: `the Electron executable is missing (expected at ${executable || 'an unknown path'})` };
  }
  return { executable };
}

function explainMissingElectron(reason) {
  console.error(`
Coinpit Desk cannot start: the Electron binary is not available.

What failed:
  ${reason}

The "electron" npm package is installed, but the Electron executable it needs is downloaded separately on first use
(from GitHub releases), and that download could not be made from this machine.

How to get it:
  - On a machine with internet access: npm install, then "npm start" or "npx electron-vite preview".
  - Behind a proxy or without GitHub access: point the download at a mirror, e.g.
      ELECTRON_MIRROR=https://npmmirror.com/mirrors/electron/ npm start
  - Or use an Electron you already have: ELECTRON_OVERRIDE_DIST_PATH=/path/to/electron/dist npm start

Without Electron you can still use the app in a browser: npm run web
  (builds the interface, starts the local exchange and the web host on 127.0.0.1, and prints the URL to open).
Or run only the local exchange: npm run localnet
`);
}

function build() {
  const cli = fileURLToPath(new URL('../node_modules/electron-vite/bin/electron-vite.js', import.meta.url));
  const result = spawnSync(process.execPath, [cli, 'build'], { cwd: root, stdio: 'inherit' });
  if (result.error) {
    console.error(`The build could not run: ${result.error.message}`);
    return false;
  }
  if (result.status !== 0) {
    console.error('The build failed (see the messages above).');
    return false;
  }
  return true;
}

function launch(executable) {
  const child = spawn(executable, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => forward(signal));
  child.on('error', (error) => {
    console.error(`Electron could not be started: ${error.message}`);
    process.exit(1);
  });
  child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

// Check for Electron first: no point building for a minute only to find nothing can run it.
const electron = findElectron();
if (electron.error) {
  explainMissingElectron(electron.error);
  process.exit(1);
}
if (!build()) process.exit(1);
launch(electron.executable);

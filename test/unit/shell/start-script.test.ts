// scripts/start.mjs (npm start) with a stand-in Electron: ELECTRON_OVERRIDE_DIST_PATH makes require('electron')
// return <dir>/electron without any download, so both outcomes run offline.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const projectDir = fileURLToPath(new URL('../../../', import.meta.url));
const script = path.join(projectDir, 'scripts', 'start.mjs');
const temp = mkdtempSync(path.join(tmpdir(), 'coinpit-start-'));

afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});

function start(env: Record<string, string>) {
  return spawnSync(process.execPath, [script, '--extra-flag'], {
    cwd: projectDir,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
}

describe('npm start', () => {
  it('explains a missing Electron binary in plain words and exits 1, without a stack trace', () => {
    const run = start({ ELECTRON_OVERRIDE_DIST_PATH: path.join(temp, 'no-electron-here') });
    expect(run.status).toBe(1);
    const output = run.stdout + run.stderr;
    expect(output).toContain('the Electron binary is not available');
    expect(output).toContain('What failed');
    expect(output).toContain(path.join(temp, 'no-electron-here', 'electron'));
    expect(output).toContain('could not be made from this machine');
    expect(output).toContain('npx electron-vite preview');
    expect(output).toContain('ELECTRON_MIRROR');
    expect(output).toContain('npm run localnet');
    expect(output).toContain('npm run web');
    expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });

  it('builds the app and launches Electron on it with the extra arguments', () => {
    if (process.platform === 'win32') return; // the stand-in is a shell script
    const dist = path.join(temp, 'fake-dist');
    const record = path.join(temp, 'launched.txt');
    rmSync(dist, { recursive: true, force: true });
    mkdirSync(dist, { recursive: true });
    writeFileSync(path.join(dist, 'electron'), `#!/bin/sh\necho "$PWD|$*" > "${record}"\nexit 7\n`);
    chmodSync(path.join(dist, 'electron'), 0o755);

    const run = start({ ELECTRON_OVERRIDE_DIST_PATH: dist });
    expect(run.stderr).not.toContain('cannot start');
    expect(run.status).toBe(7); // Electron's exit code is passed through
    expect(readFileSync(record, 'utf8').trim()).toBe(`${projectDir.replace(/\/$/, '')}|. --extra-flag`);
    for (const built of ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
      expect(existsSync(path.join(projectDir, built)), built).toBe(true);
    }
  });
});

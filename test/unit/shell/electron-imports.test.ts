// DESIGN "Shape": only main/index.ts, main/window.ts and main/ipc.ts import 'electron' in the main process, plus
// main/dialogs.ts (the native confirmation and file dialogs, wired only by index.ts); everything else there is
// plain Node and testable without Electron.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const projectDir = fileURLToPath(new URL('../../../', import.meta.url));
const ALLOWED = new Set(['main/index.ts', 'main/window.ts', 'main/ipc.ts', 'main/dialogs.ts']);
const IMPORTS_ELECTRON = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]electron(?:\/[^'"]*)?['"]/;

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(projectDir, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(rel);
    return /\.((m|c)?ts|svelte)$/.test(entry.name) ? [rel] : [];
  });
}

describe("who imports 'electron'", () => {
  it('the pattern recognises the import forms it must catch', () => {
    for (const line of [
      "import { app } from 'electron';",
      'import type { Session } from "electron";',
      "import 'electron';",
      "const { shell } = require('electron');",
      "await import('electron')",
      "import x from 'electron/main';",
    ]) {
      expect(IMPORTS_ELECTRON.test(line), line).toBe(true);
    }
    expect(IMPORTS_ELECTRON.test("import x from 'electron-vite';")).toBe(false);
  });

  it('under main/, only index.ts, window.ts, ipc.ts and dialogs.ts do', () => {
    const offenders = sourceFiles('main').filter(
      (file) => !ALLOWED.has(file) && IMPORTS_ELECTRON.test(readFileSync(path.join(projectDir, file), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('only main/index.ts imports dialogs.ts', () => {
    const importers = [...sourceFiles('main'), ...sourceFiles('preload')].filter((file) =>
      /from\s+['"]\.{1,2}\/(?:main\/)?dialogs['"]/.test(readFileSync(path.join(projectDir, file), 'utf8')),
    );
    expect(importers).toEqual(['main/index.ts']);
  });

  it('in preload/, only index.ts does (the contract and the api builder stay Electron-free)', () => {
    const offenders = sourceFiles('preload').filter(
      (file) => file !== 'preload/index.ts' && IMPORTS_ELECTRON.test(readFileSync(path.join(projectDir, file), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('the renderer never does', () => {
    const offenders = sourceFiles('renderer').filter((file) =>
      IMPORTS_ELECTRON.test(readFileSync(path.join(projectDir, file), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});

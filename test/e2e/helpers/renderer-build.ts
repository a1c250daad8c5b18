// Builds the renderer for browser tests and the browser benchmark into a directory of their own, with the app's own
// Vite config (electron.vite.config.ts → renderer), so a concurrent `electron-vite build` into out/ (another test)
// can never empty the directory the web host is serving.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build, type InlineConfig } from 'vite';
import appConfig from '../../../electron.vite.config';

export async function buildRenderer(outDir?: string): Promise<string> {
  const dir = outDir ?? (await mkdtemp(path.join(tmpdir(), 'coinpit-renderer-')));
  const renderer = (appConfig as { renderer?: InlineConfig }).renderer;
  if (!renderer) throw new Error('electron.vite.config.ts has no renderer section');
  await build({
    ...renderer,
    configFile: false,
    logLevel: 'error',
    build: { ...renderer.build, outDir: dir, emptyOutDir: true },
  });
  return dir;
}

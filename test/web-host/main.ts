// npm run web: builds the renderer if needed, starts the local exchange and the web host on 127.0.0.1, prints the
// URL to open (with its token) and opens nothing. Test tooling only: never part of the packaged app.
//
//   npm run web -- [--port N] [--data-dir DIR] [--reject] [--real-keychain] [--rebuild]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startWebHost } from './server';
import { CONTROL_PATH } from './server';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rendererDir = path.join(root, 'out', 'renderer');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(name);

function buildRenderer(): void {
  console.log('Building the app (electron-vite build)…');
  const cli = path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const r = spawnSync(process.execPath, [cli, 'build'], { cwd: root, stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error('The build failed (see above).');
    process.exit(1);
  }
}

async function main(): Promise<void> {
  if (flag('--rebuild') || !existsSync(path.join(rendererDir, 'index.html'))) buildRenderer();
  const portText = arg('--port');
  const port = portText === undefined ? 0 : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0…65535');
  const dataDir = arg('--data-dir');
  const host = await startWebHost({
    rendererDir,
    port,
    ...(dataDir ? { dataDir: path.resolve(dataDir) } : {}),
    approve: !flag('--reject'),
    realKeychain: flag('--real-keychain'),
    log: (line) => console.error(line),
  });
  const localUrl = await host.services.ensureLocal();
  console.log(`Local exchange: ${localUrl}`);
  console.log(`Data dir:       ${host.dataDir}${dataDir ? '' : ' (temporary: removed on exit; use --data-dir to keep it)'}`);
  console.log(`Confirmations:  ${host.confirmer.answer === true ? 'approved' : 'rejected'} automatically (POST ${host.origin}${CONTROL_PATH} {"approve": true|false} with header x-coinpit-token)`);
  console.log(`Coinpit Desk web host: ${host.url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void host.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`The web host could not start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

// Child process running a local exchange for the crash test: prints "listening <url>" and serves until killed.
// Usage: localnet-child.ts <dataDir>
import { startLocalnet } from '../../../main/localnet/index';

const dir = process.argv[2];
if (!dir) throw new Error('usage: localnet-child.ts <dataDir>');
const net = await startLocalnet({ dataDir: dir, seed: 11, indexPrice: 1000, blockIntervalMs: 0 });
process.stdout.write(`listening ${net.url}\n`);
setInterval(() => undefined, 1 << 30);

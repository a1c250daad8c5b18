// Child process running a local exchange for the crash test: prints "listening <url>" and serves until killed.
// Usage: localnet-child.ts <dataDir>
// The rate limit is lifted (the crash test streams as fast as it can; a 429 would end a stream early) and the
// exchange's log goes to stderr, which the test shows when it fails.
import { startLocalnet } from '../../../main/localnet/index';

const dir = process.argv[2];
if (!dir) throw new Error('usage: localnet-child.ts <dataDir>');
const net = await startLocalnet({
  dataDir: dir,
  seed: 11,
  indexPrice: 1000,
  blockIntervalMs: 0,
  rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`listening ${net.url}\n`);
setInterval(() => undefined, 1 << 30);

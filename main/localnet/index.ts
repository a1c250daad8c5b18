// startLocalnet: the complete local exchange (PROTOCOL §8, §9) on one port: REST under /api/v1, socket.io at the
// root, Esplora under /esplora, Insight under /insight-api, local-mode endpoints under /localnet. Used by the CLI
// (main/localnet/cli.ts), by the Electron main process for the default "Local" network, and by the tests.
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Exchange } from './exchange';
import { Dispatcher } from './server/dispatch';
import { createHttp } from './server/http';
import { RateLimiter, DEFAULT_RATE_LIMIT, type RateLimitOptions } from './server/ratelimit';
import { ReplayLog } from './server/replaylog';
import { buildRouter, publicConfig, type RouteDeps } from './server/routes';
import { createSocketServer } from './server/socket';

export { Exchange } from './exchange';
export type { ExchangeEvent } from './exchange';

export interface LocalnetOptions {
  dataDir: string;
  /** default 0 (any free port) */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** fixed seed: server keys, order ids, index walk and bot become reproducible */
  seed?: number;
  /** a block every this many ms, default 30000; 0 = only on demand */
  blockIntervalMs?: number;
  /** start the market-making bot (main/localnet/bot.ts) when it exists; default false */
  bot?: boolean;
  /** local mode: faucet, mine, index, clock and readonly endpoints; default true */
  local?: boolean;
  /** fixed index price; default a seeded random walk from 1000 */
  indexPrice?: number;
  /** random-walk step interval, default 5000 ms */
  indexIntervalMs?: number;
  /** per-user token bucket; default 500/s, burst 1000 */
  rateLimit?: RateLimitOptions;
  /** journal entries between snapshots, default 1000 */
  snapshotEvery?: number;
  log?: (line: string) => void;
}

export interface Localnet {
  /** host root, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  exchange: Exchange;
  close(): Promise<void>;
}

export async function startLocalnet(options: LocalnetOptions): Promise<Localnet> {
  if (!options || typeof options.dataDir !== 'string' || options.dataDir.length === 0) throw new Error('startLocalnet needs a dataDir');
  const log = options.log ?? (() => undefined);
  const host = options.host ?? '127.0.0.1';
  const local = options.local ?? true;
  const exchange = await Exchange.open({
    dataDir: options.dataDir,
    seed: options.seed,
    indexPrice: options.indexPrice,
    snapshotEvery: options.snapshotEvery,
    log,
  });
  // opened after the exchange, whose journal lock makes this process the data dir's only user
  let replay: ReplayLog;
  try {
    replay = ReplayLog.open(join(options.dataDir, 'replay'), { log });
  } catch (err) {
    await exchange.close().catch(() => undefined);
    throw err;
  }
  // commands may take effect only with their requests' replay records on file (replaylog.ts)
  exchange.beforeJournalWrite(() => {
    if (!replay.flush()) throw new Error('the replay log cannot be written');
  });
  let url = '';
  const deps: RouteDeps = { exchange, baseUrl: () => url };
  const dispatcher = new Dispatcher(buildRouter(deps), exchange, {
    local,
    rateLimit: new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT),
    replay,
    log,
  });
  const app = createHttp({ exchange, dispatcher, log });
  let sockets: ReturnType<typeof createSocketServer> | undefined;
  const timers: ReturnType<typeof setInterval>[] = [];
  let stopBot: (() => Promise<void>) | undefined;
  let closing: Promise<void> | undefined;

  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const t of timers) clearInterval(t);
      if (stopBot) await stopBot().catch((err) => log(`bot stop failed: ${errorText(err)}`));
      if (sockets) await sockets.close();
      await app.close().catch((err) => log(`http close failed: ${errorText(err)}`));
      replay.close();
      await exchange.close();
    })();
    return closing;
  };

  try {
    await app.ready();
    sockets = createSocketServer({ exchange, dispatcher, httpServer: app.server, config: () => publicConfig(deps), log });
    await app.listen({ port: options.port ?? 0, host });
    const port = (app.server.address() as AddressInfo).port;
    url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

    // every timer only journals commands through the exchange; a failure is logged, never thrown
    const every = (ms: number, what: string, f: () => Promise<unknown>): void => {
      let busy = false;
      const t = setInterval(() => {
        if (busy || exchange.readonly) return;
        busy = true;
        f()
          .catch((err) => log(`${what} failed: ${errorText(err)}`))
          .finally(() => {
            busy = false;
          });
      }, ms);
      t.unref();
      timers.push(t);
    };
    const blockMs = options.blockIntervalMs ?? 30_000;
    if (blockMs > 0) every(blockMs, 'block', () => exchange.mine(1));
    if (options.indexPrice === undefined) every(options.indexIntervalMs ?? 5000, 'index walk', () => exchange.walkIndex());
    every(1000, 'expiry check', () => exchange.expireDue());
    await exchange.expireDue();

    if (options.bot) stopBot = await startBotIfPresent(url, options.seed ?? 1, log);
    return { url, port, exchange, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** The market-making bot lives in its own module (another helper's); started only when present. */
async function startBotIfPresent(url: string, seed: number, log: (line: string) => void): Promise<(() => Promise<void>) | undefined> {
  let mod: { startBot?: (o: { url: string; seed: number; log?: (line: string) => void }) => Promise<{ stop(): Promise<void> }> };
  try {
    mod = (await import('./bot')) as typeof mod;
  } catch (err) {
    log(`bot not started: ${errorText(err)}`);
    return undefined;
  }
  if (typeof mod.startBot !== 'function') return undefined;
  const bot = await mod.startBot({ url, seed, log });
  return () => bot.stop();
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

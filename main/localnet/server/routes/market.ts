// Public market data (PROTOCOL §3, §8.12): config, instruments, bands, specs, info, book, trades, candles.
import type { Config } from '../../../coinpit/types';
import { HttpError, type Route, type RouteContext } from '../router';
import { durableReply, knownSymbol, type RouteDeps } from './common';

/** The engine's config with the chain API bases pointing at this server (§9). */
export function publicConfig(deps: RouteDeps): Config {
  const cfg = deps.exchange.config();
  const base = deps.baseUrl();
  cfg.blockchainapi = { uri: `${base}/insight-api`, socketuri: `${base}/`, provider: 'insight' };
  cfg.esplora = `${base}/esplora`;
  return cfg;
}

export function marketRoutes(deps: RouteDeps): Route[] {
  const ex = deps.exchange;
  // every read shows only durable state (durableReply)
  const get = (patterns: string[], read: (ctx: RouteContext) => unknown): Route => ({
    method: 'GET',
    patterns,
    access: 'public',
    write: false,
    handler: (ctx) => durableReply(ex, () => read(ctx)),
  });
  return [
    get(['/all/config'], () => ({ config: publicConfig(deps), instruments: ex.engine.instruments() })),
    get(['/all/info'], (ctx) => ex.engine.info(ctx.now)),
    get(['/all/band'], () => ex.engine.bands()),
    get(['/all/spec'], () => ex.engine.spec()),
    get(['/contract/:symbol/orderbook'], (ctx) => {
      const book = ex.engine.orderbook(knownSymbol(ex, ctx.params.symbol));
      if (!book) throw new HttpError(404, `${ctx.params.symbol} is not trading`);
      return book;
    }),
    get(['/contract/:symbol/trade'], (ctx) => ex.engine.trades(knownSymbol(ex, ctx.params.symbol), 100)),
    get(['/contract/:symbol/chart/5'], (ctx) => ex.engine.candles(knownSymbol(ex, ctx.params.symbol), 1000)),
  ];
}

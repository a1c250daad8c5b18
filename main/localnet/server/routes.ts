// The complete route table of the local exchange (PROTOCOL §3, §8), shared by REST and socket.io.
import { Router } from './router';
import { accountRoutes } from './routes/account';
import type { RouteDeps } from './routes/common';
import { keyRoutes } from './routes/keys';
import { localRoutes } from './routes/local';
import { marketRoutes } from './routes/market';
import { moneyRoutes } from './routes/money';
import { orderRoutes } from './routes/orders';

export type { RouteDeps };
export { publicConfig } from './routes/market';

export function buildRouter(deps: RouteDeps): Router {
  const router = new Router();
  for (const r of [
    ...marketRoutes(deps),
    ...keyRoutes(deps),
    ...orderRoutes(deps),
    ...accountRoutes(deps),
    ...moneyRoutes(deps),
    ...localRoutes(deps),
  ]) {
    router.add(r);
  }
  return router;
}

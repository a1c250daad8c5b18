// Local-mode endpoints (PROTOCOL §9): faucet, mine, index, clock and readonly. Refused (403) unless the server was
// started in local mode; served under /localnet/… and /api/v1/localnet/… without authentication (loopback only).
import { HttpError, type Route } from '../router';
import { isObject, type RouteDeps } from './common';

export function localRoutes(deps: RouteDeps): Route[] {
  const ex = deps.exchange;
  const obj = (body: unknown): Record<string, unknown> => {
    if (body === undefined) return {};
    if (!isObject(body)) throw new HttpError(422, 'Expecting a JSON object');
    return body;
  };
  const post = (path: string, write: boolean, handler: Route['handler']): Route => ({
    method: 'POST',
    patterns: [`/localnet/${path}`],
    access: 'public',
    write,
    local: true,
    handler,
  });
  return [
    post('faucet', true, async (ctx) => {
      const b = obj(ctx.body);
      return { body: await ex.faucet(b.address, b.amount) };
    }),
    post('mine', true, async (ctx) => {
      const b = obj(ctx.body);
      const blocks = b.blocks ?? 1;
      if (typeof blocks !== 'number') throw new HttpError(422, 'blocks must be a number');
      const hashes = await ex.mine(blocks);
      return { body: { blocks: hashes, height: ex.chain.tipHeight() } };
    }),
    post('index', true, async (ctx) => {
      const b = obj(ctx.body);
      const price = b.price;
      if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0) throw new HttpError(422, 'price must be a positive number');
      if (b.symbol !== undefined && typeof b.symbol !== 'string') throw new HttpError(422, 'symbol must be a string');
      const bands = await ex.setIndex(typeof b.symbol === 'string' ? { [b.symbol]: price } : price);
      return { body: bands };
    }),
    post('clock', true, async (ctx) => {
      const b = obj(ctx.body);
      const now = await ex.advanceClock(b.advanceMs);
      return { body: { now, unsettled: ex.unsettled } };
    }),
    post('readonly', false, async (ctx) => {
      const b = obj(ctx.body);
      if (typeof b.readonly !== 'boolean') throw new HttpError(422, 'readonly must be a boolean');
      await ex.setReadonly(b.readonly, typeof b.reason === 'string' ? b.reason.slice(0, 200) : undefined);
      return { body: { readonly: ex.readonly } };
    }),
  ];
}

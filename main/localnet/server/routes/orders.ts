// Order routes on both path families (PROTOCOL §3, §4.4, §8.1–8.3, §8.17): the official
// `/contract/:symbol/order/open…` table and the instrument-less `/order…` paths. A user only ever sees and
// touches their own orders: any other uuid is 404.
import { HttpError, type Reply, type Route, type RouteContext } from '../router';
import { caller, cursor, durableReply, isObject, knownSymbol, type RouteDeps } from './common';

export function orderRoutes(deps: RouteDeps): Route[] {
  const ex = deps.exchange;
  const userid = (ctx: RouteContext): string => caller(ctx).userid;
  /** instrument of the /order family: socket params may carry {instrument} */
  const paramSymbol = (ctx: RouteContext): string | undefined => {
    const p = ctx.socketParams;
    return isObject(p) && typeof p.instrument === 'string' ? p.instrument : undefined;
  };
  const ownOrder = (ctx: RouteContext, symbol?: string) => {
    const uuid = ctx.params.uuid ?? '';
    const order = ex.engine.order(userid(ctx), uuid);
    if (!order || (symbol !== undefined && order.instrument !== symbol)) throw new HttpError(404, `No order found with uuid: ${uuid.slice(0, 64)}`);
    return order;
  };
  const updates = (body: unknown): unknown => (Array.isArray(body) ? body : isObject(body) ? body.orders : body);

  const place = async (ctx: RouteContext, symbol?: string): Promise<Reply> => ({
    body: await ex.placeOrders(userid(ctx), ctx.body, { requestid: ctx.requestid, symbol }),
    event: 'order_add',
  });
  const update = async (ctx: RouteContext, symbol?: string): Promise<Reply> => {
    const items = updates(ctx.body);
    if (symbol !== undefined && Array.isArray(items)) {
      for (const it of items) {
        const uuid = isObject(it) ? it.uuid : undefined;
        const o = typeof uuid === 'string' ? ex.engine.order(userid(ctx), uuid) : undefined;
        if (o && o.instrument !== symbol) throw new HttpError(404, `No order found with uuid: ${uuid as string}`);
      }
    }
    return { body: await ex.updateOrders(userid(ctx), items, ctx.requestid), event: 'order_update' };
  };
  /**
   * PATCH through a path naming an instrument (or, on /order, socket params {instrument}) acts on that instrument
   * only, as POST and PUT do: an `add` for another instrument, or a `replace`/`remove`/`merge`/`split` naming an
   * order of another instrument, refuses the whole request (422) before anything changes. Orders of an `add`
   * without an instrument take the path's. Uuids that are not the caller's orders are left to the engine (per-op 404).
   */
  const scopedOps = (ctx: RouteContext, symbol: string): unknown => {
    if (!Array.isArray(ctx.body)) return ctx.body;
    const uid = userid(ctx);
    return ctx.body.map((op: unknown, i) => {
      if (!isObject(op) || !Array.isArray(op.value)) return op;
      const where = `PATCH op ${i} (${String(op.op).slice(0, 20)})`;
      if (op.op === 'add') {
        const value = op.value.map((req: unknown) => {
          if (!isObject(req)) return req;
          if (req.instrument === undefined) return { ...req, instrument: symbol };
          if (req.instrument !== symbol) throw new HttpError(422, `${where}: instrument ${String(req.instrument).slice(0, 40)} does not match ${symbol}`);
          return req;
        });
        return { ...op, value };
      }
      const uuids = op.op === 'replace' ? op.value.map((it: unknown) => (isObject(it) ? it.uuid : undefined)) : ['remove', 'merge', 'split'].includes(op.op as string) ? op.value : [];
      for (const uuid of uuids) {
        const o = typeof uuid === 'string' ? ex.engine.order(uid, uuid) : undefined;
        if (o && o.instrument !== symbol) throw new HttpError(422, `${where}: order ${o.uuid} is in ${o.instrument}, not ${symbol}`);
      }
      return op;
    });
  };
  const patch = async (ctx: RouteContext, symbol?: string): Promise<Reply> => ({
    body: await ex.patchOrders(userid(ctx), symbol === undefined ? ctx.body : scopedOps(ctx, symbol), ctx.requestid),
    event: 'order_patch',
  });
  const cancelOne = async (ctx: RouteContext, symbol?: string): Promise<Reply> => {
    const order = ownOrder(ctx, symbol);
    return { body: await ex.cancelOrders(userid(ctx), [order.uuid], ctx.requestid), event: 'order_del' };
  };
  const cancelAll = async (ctx: RouteContext, symbol?: string): Promise<Reply> => ({
    body: await ex.cancelAll(userid(ctx), symbol, ctx.requestid),
    event: 'order_del_all',
    socketPayload: { requestid: ctx.requestid },
  });
  const sym = (ctx: RouteContext): string => knownSymbol(ex, ctx.params.symbol);

  return [
    // ---- official table
    { method: 'GET', patterns: ['/contract/:symbol/order/open'], access: 'read', write: false, handler: (ctx) => durableReply(ex, () => ex.engine.openOrders(userid(ctx), sym(ctx))) },
    { method: 'POST', patterns: ['/contract/:symbol/order/open'], access: 'trade', write: true, handler: (ctx) => place(ctx, sym(ctx)) },
    { method: 'PUT', patterns: ['/contract/:symbol/order/open'], access: 'trade', write: true, handler: (ctx) => update(ctx, sym(ctx)) },
    { method: 'PATCH', patterns: ['/contract/:symbol/order/open'], access: 'trade', write: true, handler: (ctx) => patch(ctx, sym(ctx)) },
    { method: 'DELETE', patterns: ['/contract/:symbol/order/open'], access: 'trade', write: true, handler: (ctx) => cancelAll(ctx, sym(ctx)) },
    { method: 'DELETE', patterns: ['/contract/:symbol/order/open/:uuid'], access: 'trade', write: true, handler: (ctx) => cancelOne(ctx, sym(ctx)) },
    { method: 'GET', patterns: ['/contract/:symbol/order/closed'], access: 'read', write: false, handler: (ctx) => durableReply(ex, () => ex.engine.closedOrders(userid(ctx), sym(ctx), cursor(ctx))) },
    { method: 'GET', patterns: ['/contract/:symbol/order/cancelled'], access: 'read', write: false, handler: (ctx) => durableReply(ex, () => ex.engine.cancelledOrders(userid(ctx), sym(ctx), cursor(ctx))) },
    { method: 'GET', patterns: ['/contract/:symbol/order/:uuid'], access: 'read', write: false, handler: (ctx) => durableReply(ex, () => ownOrder(ctx, sym(ctx))) },
    // ---- 2017 client paths (instrument inside each order)
    { method: 'GET', patterns: ['/order'], access: 'read', write: false, handler: (ctx) => durableReply(ex, () => ex.engine.openOrders(userid(ctx), paramSymbol(ctx))) },
    { method: 'POST', patterns: ['/order'], access: 'trade', write: true, handler: (ctx) => place(ctx, paramSymbol(ctx)) },
    { method: 'PUT', patterns: ['/order'], access: 'trade', write: true, handler: (ctx) => update(ctx) },
    { method: 'PATCH', patterns: ['/order'], access: 'trade', write: true, handler: (ctx) => patch(ctx, paramSymbol(ctx)) },
    {
      method: 'DELETE',
      patterns: ['/order'],
      access: 'trade',
      write: true,
      // socket clients send [uuid]; without a body every open order goes
      handler: async (ctx) => {
        if (ctx.body === undefined || (Array.isArray(ctx.body) && ctx.body.length === 0) || (isObject(ctx.body) && Object.keys(ctx.body).length === 0)) {
          return cancelAll(ctx, paramSymbol(ctx));
        }
        return { body: await ex.cancelOrders(userid(ctx), ctx.body, ctx.requestid), event: 'order_del' };
      },
    },
    { method: 'DELETE', patterns: ['/order/:uuid'], access: 'trade', write: true, handler: (ctx) => cancelOne(ctx) },
    { method: 'GET', patterns: ['/order/:uuid'], access: 'read', write: false, handler: (ctx) => durableReply(ex, () => ownOrder(ctx)) },
  ];
}

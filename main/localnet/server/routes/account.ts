// Account reads (PROTOCOL §3.3, §8.12): account, positions, P&L, executions, margin.
import type { Route, RouteContext } from '../router';
import { caller, cursor, durableReply, type RouteDeps } from './common';

export function accountRoutes(deps: RouteDeps): Route[] {
  const ex = deps.exchange;
  const get = (pattern: string, f: (userid: string, ctx: RouteContext) => unknown): Route => ({
    method: 'GET',
    patterns: [pattern],
    access: 'read',
    write: false,
    handler: (ctx) => durableReply(ex, () => f(caller(ctx).userid, ctx)),
  });
  return [
    get('/account', (u) => ex.account(u)),
    get('/account/position', (u) => ex.engine.positions(u)),
    get('/account/pnl', (u) => ex.engine.pnl(u, ex.users.get(u)?.accountid ?? '')),
    get('/account/execution', (u, ctx) => ex.engine.executions(u, cursor(ctx))),
    get('/account/margin', (u) => ex.marginInfo(u)),
  ];
}

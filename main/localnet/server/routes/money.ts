// Money movement (PROTOCOL §6, §8.8–8.10) on both path families. HMAC only: an API key (SIGN) gets 403.
import { HttpError, type Route } from '../router';
import { caller, durableReply, type RouteDeps } from './common';

export function moneyRoutes(deps: RouteDeps): Route[] {
  const ex = deps.exchange;
  return [
    {
      method: 'POST',
      patterns: ['/account/margin', '/margin'],
      access: 'hmac',
      write: true,
      handler: async (ctx) => ({ body: await ex.marginIn(caller(ctx).userid, ctx.body) }),
    },
    {
      method: 'DELETE',
      patterns: ['/account/margin/:amount'],
      access: 'hmac',
      write: true,
      handler: async (ctx) => {
        const text = ctx.params.amount ?? '';
        if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) <= 0) {
          throw new HttpError(422, 'Amount must be a positive integer number of satoshi');
        }
        return { body: await ex.marginOut(caller(ctx).userid, Number(text)) };
      },
    },
    {
      method: 'DELETE',
      patterns: ['/margin'],
      access: 'hmac',
      write: true,
      handler: async (ctx) => ({ body: await ex.marginOut(caller(ctx).userid, 'all') }),
    },
    {
      method: 'GET',
      patterns: ['/account/withdrawtx', '/withdrawtx'],
      access: 'hmac',
      write: false,
      handler: (ctx) => durableReply(ex, () => ex.recoveryTx(caller(ctx).userid, 'withdraw')),
    },
    {
      method: 'GET',
      patterns: ['/account/recoverytx'],
      access: 'hmac',
      write: false,
      handler: (ctx) => durableReply(ex, () => ex.recoveryTx(caller(ctx).userid, 'recovery')),
    },
    {
      method: 'POST',
      patterns: ['/tx', '/account/withdraw'],
      access: 'hmac',
      write: true,
      handler: async (ctx) => ({ body: await ex.withdraw(caller(ctx).userid, ctx.body) }),
    },
  ];
}

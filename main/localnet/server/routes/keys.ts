// Key exchange, registration and API keys (PROTOCOL §2.1, §2.2, §8.7, §8.15).
import { p2pkhAddress } from '../../../coinpit/identity';
import { verifyMessage } from '../../../coinpit/message';
import type { ApiKeyRecord } from '../../../coinpit/types';
import { LOCAL_NETWORK } from '../users';
import { HttpError, type Route } from '../router';
import { caller, durableReply, isObject, type RouteDeps } from './common';

const REGISTRATION_WINDOW_MS = 10 * 60_000;

export function keyRoutes(deps: RouteDeps): Route[] {
  const ex = deps.exchange;
  return [
    {
      method: 'GET',
      patterns: ['/auth/:publicKey'],
      access: 'public',
      write: false,
      handler: async (ctx) => {
        const u = await ex.seeUser(ctx.params.publicKey);
        return { body: { userid: u.userid, serverPublicKey: u.serverPublicKey } };
      },
    },
    {
      method: 'POST',
      patterns: ['/auth'],
      access: 'public',
      write: true,
      handler: async (ctx) => {
        const m = /^HMAC ([1-9A-HJ-NP-Za-km-z]{25,40})$/.exec(ctx.authorization ?? '');
        if (!m) throw new HttpError(401, `HMAC authentication needed ${String(ctx.authorization ?? '').slice(0, 80)}`);
        const userid = m[1]!;
        const item = Array.isArray(ctx.body) ? ctx.body[0] : ctx.body;
        if (!isObject(item) || typeof item.message !== 'string' || typeof item.signature !== 'string') {
          throw new HttpError(422, 'Expecting [{"message": "<text>", "signature": "<base64>"}]');
        }
        let msg: unknown;
        try {
          msg = JSON.parse(item.message);
        } catch {
          throw new HttpError(422, 'message must be JSON {"publicKey", "ts"}');
        }
        if (!isObject(msg) || typeof msg.publicKey !== 'string' || typeof msg.ts !== 'number') {
          throw new HttpError(422, 'message must be JSON {"publicKey", "ts"}');
        }
        let derived: string;
        try {
          derived = p2pkhAddress(msg.publicKey, LOCAL_NETWORK);
        } catch (err) {
          throw new HttpError(422, err instanceof Error ? err.message : 'Invalid publicKey');
        }
        if (derived !== userid) throw new HttpError(401, 'Authentication failed. publicKey does not match userid');
        if (!verifyMessage(item.message, userid, item.signature)) throw new HttpError(401, 'Authentication failed. Signature mismatch');
        const drift = Math.abs(Date.now() - msg.ts);
        if (!(drift <= REGISTRATION_WINDOW_MS)) throw new HttpError(401, `Authentication failed. Registration ts stale by ${drift}ms`);
        const u = await ex.register(msg.publicKey);
        return { body: { userid: u.userid, serverPublicKey: u.serverPublicKey } };
      },
    },
    {
      method: 'POST',
      patterns: ['/auth/apikey'],
      access: 'public',
      write: true,
      handler: async (ctx) => {
        const k = await ex.addApiKey(ctx.body);
        return { body: record(k) };
      },
    },
    {
      method: 'GET',
      patterns: ['/account/apikey'],
      access: 'hmac',
      write: false,
      handler: (ctx) => durableReply(ex, () => ex.users.listApiKeys(caller(ctx).userid).filter((k) => k.revokedAt === undefined).map(record)),
    },
    {
      method: 'DELETE',
      patterns: ['/account/apikey/:name'],
      access: 'hmac',
      write: true,
      handler: async (ctx) => {
        const name = ctx.params.name ?? '';
        await ex.revokeApiKey(caller(ctx).userid, name);
        return { body: { name, revoked: true } };
      },
    },
  ];
}

function record(k: { name: string; role: ApiKeyRecord['role']; apiPublicKey: string; userid: string; authorization?: string }): ApiKeyRecord {
  return { name: k.name, role: k.role, apiPublicKey: k.apiPublicKey, userid: k.userid, authorization: k.authorization ?? '' };
}

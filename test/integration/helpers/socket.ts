// Raw socket.io clients for the local-exchange socket tests: connect, sign a request event exactly as the
// reference clients do (§2.7, §4.2), record what comes back, and a barrier (`GET /state`): the server handles
// one socket's requests strictly in order, so once `state` arrives every earlier request has been answered.
import { createHmac } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { socketHmacAuthorization } from '../../../main/coinpit/auth';
import { sharedSecret } from '../../../main/coinpit/ecdh';
import type { TestUser } from './localnet';

export interface SocketReply {
  event: string;
  payload: any;
}

/** Events that answer or refuse a signed socket request, and the private events of a registered socket. */
export const REPLY_EVENTS = ['order_error', 'auth_error', 'account', 'order_add', 'order_update', 'order_del', 'order_del_all', 'order_patch'] as const;

export function connectSocket(url: string, opts: { transports?: string[] } = {}): Promise<Socket> {
  const s = io(url, { transports: opts.transports ?? ['websocket'], forceNew: true, reconnection: false });
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

/**
 * A connected socket that records its replies (`seen`), registered for `user` when given; it is added to `open`
 * so that the test file can disconnect every socket it made.
 */
export async function recordingSocket(url: string, open: Socket[], user?: TestUser): Promise<{ s: Socket; seen: SocketReply[] }> {
  const s = await connectSocket(url);
  open.push(s);
  const seen = record(s);
  if (user) await registerSocket(s, user);
  return { s, seen };
}

/** Records every event of `events` in arrival order. */
export function record(s: Socket, events: readonly string[] = REPLY_EVENTS): SocketReply[] {
  const seen: SocketReply[] = [];
  for (const e of events) s.on(e, (payload: unknown) => seen.push({ event: e, payload }));
  return seen;
}

export function once<T = any>(s: Socket, event: string, pred: (p: T) => boolean = () => true, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.off(event, on);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const on = (p: T): void => {
      if (!pred(p)) return;
      clearTimeout(timer);
      s.off(event, on);
      resolve(p);
    };
    s.on(event, on);
  });
}

/** Every request this socket sent before has been answered once this resolves. */
export async function barrier(s: Socket): Promise<void> {
  const state = once(s, 'state');
  s.emit('GET /state', '');
  await state;
}

export interface SignOptions {
  requestid?: string;
  nonce?: unknown;
  params?: unknown;
  /** replaces the computed Authorization */
  authorization?: string;
  /** signs M with the nonce as a JSON string (§8.4 says: refuse) */
  stringNonce?: boolean;
  retry?: boolean;
}

let counter = 0;

/** The §4.2 payload of a request signed with the user's HMAC key over the socket form of M. */
export function signedPayload(user: TestUser, method: string, uri: string, body: unknown, opts: SignOptions = {}): Record<string, any> {
  const nonce = opts.nonce ?? Date.now() + counter++; // distinct nonces: distinct Authorizations (no replay refusals)
  const params = opts.params ?? {};
  const secret = sharedSecret(user.wif, user.account.serverPublicKey);
  let authorization = opts.authorization;
  if (authorization === undefined && opts.stringNonce) {
    const m = JSON.stringify({ method, uri, body: { body, params }, nonce: String(nonce) });
    authorization = `HMAC ${user.userid}:${createHmac('sha256', Buffer.from(secret, 'hex')).update(m).digest('hex')}`;
  }
  authorization ??= socketHmacAuthorization(user.userid, secret, method, uri, body, params, nonce as number);
  const headers: Record<string, unknown> = { Authorization: authorization, Nonce: nonce };
  if (opts.requestid !== undefined) headers.requestid = opts.requestid;
  return { headers, method, uri, params, body, ...(opts.retry !== undefined ? { retry: opts.retry } : {}) };
}

export function emitSigned(s: Socket, user: TestUser, method: string, uri: string, body: unknown, opts: SignOptions = {}): Record<string, any> {
  const payload = signedPayload(user, method, uri, body, opts);
  s.emit(`${method} ${uri}`, payload);
  return payload;
}

/** GET /register for `user` (no reply of its own: waits on the barrier). */
export async function registerSocket(s: Socket, user: TestUser): Promise<void> {
  emitSigned(s, user, 'GET', '/register', { userid: user.userid, publicKey: user.account.publicKey });
  await barrier(s);
}

export async function unregisterSocket(s: Socket, user: TestUser): Promise<void> {
  emitSigned(s, user, 'GET', '/unregister', { userid: user.userid, publicKey: user.account.publicKey });
  await barrier(s);
}

/** The requestid a reply answers: its own, or for auth_error the one of the echoed request. */
export function replyRequestid(r: SocketReply): string | undefined {
  const p = r.payload;
  if (r.event === 'auth_error') return p?.data?.headers?.requestid;
  return p?.requestid;
}

/** A refusal as the server sends it: an error text and a 4xx status. */
export function isClientError(r: SocketReply): boolean {
  const p = r.payload;
  return ['order_error', 'auth_error', 'account'].includes(r.event) && typeof p?.error === 'string' && p.error.length > 0 && Number.isInteger(p.status) && p.status >= 400 && p.status < 500;
}

import { describe, expect, it } from 'vitest';
import {
  createApiKey,
  hmacAuthorization,
  hmacHex,
  ReplayMemory,
  signAuthorization,
  socketHmacAuthorization,
  verifyRequest,
  type AuthLookup,
  type VerifyInput,
} from '../../../main/coinpit/auth';

// identity of loginless Account.spec (hmac_auth.json derived examples)
const USER = 'msZWAC7xhte1ranSXgWVmatxm7tiBFzhof';
const SECRET = '24db7b7262a102d776dac56950a00ab82848f285c057246fb403b47225359d4d';
const NOW = 1_494_299_047_138;
const key = createApiKey(USER, 'trade');
const readKey = createApiKey(USER, 'read');

const lookup: AuthLookup = {
  hmacSecret: (u) => (u === USER ? SECRET : undefined),
  apiKey: (u, n) => {
    if (u !== USER) return undefined;
    if (n === key.name) return { apiPublicKey: key.apiPublicKey, role: 'trade' };
    if (n === readKey.name) return { apiPublicKey: readKey.apiPublicKey, role: 'read' };
    return undefined;
  },
};

const hmacInput = (over: Partial<VerifyInput> = {}): VerifyInput => ({
  method: 'GET',
  uri: '/account',
  authorization: hmacAuthorization(USER, SECRET, 'GET', '/account', undefined, NOW),
  nonce: String(NOW),
  receivedMs: NOW + 50,
  ...over,
});
const failWith = (error: string) => ({ ok: false, status: 401, error });

describe('verifyRequest: header', () => {
  it('accepts a good HMAC request', () => {
    expect(verifyRequest(hmacInput(), lookup)).toEqual({ ok: true, userid: USER, scheme: 'HMAC' });
  });
  it('missing header', () => {
    expect(verifyRequest(hmacInput({ authorization: undefined }), lookup)).toEqual(failWith('Expecting HMAC or SIGN Authorization'));
    expect(verifyRequest(hmacInput({ authorization: '' }), lookup)).toEqual(failWith('Expecting HMAC or SIGN Authorization'));
    expect(verifyRequest(hmacInput({ authorization: ['x'] as unknown as string }), lookup).ok).toBe(false);
  });
  it('unsupported scheme', () => {
    expect(verifyRequest(hmacInput({ authorization: 'Bearer abc' }), lookup)).toEqual(failWith('Unsupported Authorization method'));
    expect(verifyRequest(hmacInput({ authorization: 'hmac x:y' }), lookup)).toEqual(failWith('Unsupported Authorization method'));
  });
  it('bare HMAC header', () => {
    expect(verifyRequest(hmacInput({ authorization: `HMAC ${USER}` }), lookup)).toEqual(failWith(`HMAC authentication needed HMAC ${USER}`));
  });
  it('HMAC mismatch: other uri, other body, other method, garbage hex, upper-cased hex accepted', () => {
    const auth = hmacInput().authorization!;
    expect(verifyRequest(hmacInput({ uri: '/account/pnl' }), lookup)).toEqual(failWith(`Authentication failed. HMAC mismatch ${auth}`));
    expect(verifyRequest(hmacInput({ body: { a: 1 } }), lookup)).toEqual(failWith(`Authentication failed. HMAC mismatch ${auth}`));
    expect(verifyRequest(hmacInput({ method: 'DELETE' }), lookup).ok).toBe(false);
    expect(verifyRequest(hmacInput({ authorization: `HMAC ${USER}:zz` }), lookup)).toEqual(failWith(`Authentication failed. HMAC mismatch HMAC ${USER}:zz`));
    const [head, hex] = auth.split(':');
    expect(verifyRequest(hmacInput({ authorization: `${head}:${hex!.toUpperCase()}` }), lookup).ok).toBe(true);
  });
  it('HMAC for an unknown user', () => {
    const other = 'mqRKqb2ZqpSgz9C674BELS1NCmcXG92Tn9';
    const r = verifyRequest(hmacInput({ authorization: hmacAuthorization(other, SECRET, 'GET', '/account', undefined, NOW) }), lookup);
    expect(r).toEqual({ ok: false, status: 401, error: `Authentication failed. Unknown user ${other}` });
  });
});

describe('verifyRequest: nonce', () => {
  it('stale nonce (past and future)', () => {
    expect(verifyRequest(hmacInput({ receivedMs: NOW + 10_001 }), lookup)).toEqual(failWith(`Authentication failed. Nonce ${NOW} stale by 10001ms`));
    expect(verifyRequest(hmacInput({ receivedMs: NOW - 10_001 }), lookup)).toEqual(failWith(`Authentication failed. Nonce ${NOW} stale by 10001ms`));
    expect(verifyRequest(hmacInput({ receivedMs: NOW + 10_000 }), lookup).ok).toBe(true);
  });
  it('custom tolerance', () => {
    expect(verifyRequest(hmacInput({ receivedMs: NOW + 2_000 }), lookup, { toleranceMs: 1_000 })).toEqual(
      failWith(`Authentication failed. Nonce ${NOW} stale by 2000ms`),
    );
  });
  it('non-numeric string, fractional, negative and missing nonces are invalid', () => {
    expect(verifyRequest(hmacInput({ nonce: 'abc' }), lookup)).toEqual(failWith('Authentication failed. Invalid Nonce abc'));
    expect(verifyRequest(hmacInput({ nonce: `${NOW}.5` }), lookup)).toEqual(failWith(`Authentication failed. Invalid Nonce ${NOW}.5`));
    expect(verifyRequest(hmacInput({ nonce: NOW + 0.5 }), lookup)).toEqual(failWith(`Authentication failed. Invalid Nonce ${NOW + 0.5}`));
    expect(verifyRequest(hmacInput({ nonce: -1 }), lookup)).toEqual(failWith('Authentication failed. Invalid Nonce -1'));
    expect(verifyRequest(hmacInput({ nonce: undefined }), lookup)).toEqual(failWith('Authentication failed. Invalid Nonce undefined'));
    expect(verifyRequest(hmacInput({ nonce: ' 1' }), lookup).ok).toBe(false);
  });
  it('a nonce that differs from the signed one fails the HMAC', () => {
    expect(verifyRequest(hmacInput({ nonce: NOW + 1 }), lookup).ok).toBe(false);
  });
});

describe('verifyRequest: body canonicalisation (§8.5)', () => {
  const body = { value: 'value', key: 'key' };
  const post = (authBody: unknown, over: Partial<VerifyInput>): VerifyInput => ({
    method: 'POST',
    uri: '/order',
    nonce: NOW,
    receivedMs: NOW,
    authorization: hmacAuthorization(USER, SECRET, 'POST', '/order', authBody, NOW),
    ...over,
  });
  it('parsed body re-stringified', () => {
    expect(verifyRequest(post(body, { body }), lookup).ok).toBe(true);
  });
  it('raw body text: whitespace and key order of the bytes sent', () => {
    const raw = '{ "value": "value",\n  "key": "key" }';
    const M = `{"method":"POST","uri":"/order","body":${raw},"nonce":${NOW}}`;
    const authorization = `HMAC ${USER}:${hmacHex(SECRET, M)}`;
    expect(verifyRequest({ ...post(body, { body }), rawBody: raw, authorization }, lookup).ok).toBe(true);
    // without the raw text that signature cannot verify
    expect(verifyRequest({ ...post(body, { body }), authorization }, lookup).ok).toBe(false);
  });
  it('raw text is ignored when it is not the body the server acts on', () => {
    const raw = '{"value":"other","key":"key"}';
    const M = `{"method":"POST","uri":"/order","body":${raw},"nonce":${NOW}}`;
    const authorization = `HMAC ${USER}:${hmacHex(SECRET, M)}`;
    expect(verifyRequest({ ...post(body, { body }), rawBody: raw, authorization }, lookup).ok).toBe(false);
    expect(verifyRequest({ ...post(body, { body }), rawBody: 'not json', authorization }, lookup).ok).toBe(false);
  });
  it('{} body and absent body are interchangeable', () => {
    expect(verifyRequest(post({}, { body: undefined }), lookup).ok).toBe(true);
    expect(verifyRequest(post(undefined, { body: {} }), lookup).ok).toBe(true);
    expect(verifyRequest(post(undefined, { body: {}, rawBody: '{}' }), lookup).ok).toBe(true);
    expect(verifyRequest(post({}, { body: {}, rawBody: '{}' }), lookup).ok).toBe(true);
    expect(verifyRequest(post(undefined, { body: undefined, rawBody: '' }), lookup).ok).toBe(true);
    // but [] is a real body
    expect(verifyRequest(post(undefined, { body: [] }), lookup).ok).toBe(false);
  });
  it('socket form, with absent and {} inner body and absent params', () => {
    const socketAuth = (b: unknown, params: unknown) => socketHmacAuthorization(USER, SECRET, 'GET', '/state', b, params, NOW);
    const base = { method: 'GET', uri: '/state', nonce: NOW, receivedMs: NOW };
    expect(verifyRequest({ ...base, socket: {}, authorization: socketAuth(undefined, undefined) }, lookup).ok).toBe(true);
    expect(verifyRequest({ ...base, body: {}, socket: {}, authorization: socketAuth(undefined, {}) }, lookup).ok).toBe(true);
    expect(verifyRequest({ ...base, socket: { params: {} }, authorization: socketAuth({}, undefined) }, lookup).ok).toBe(true);
    expect(verifyRequest({ ...base, socket: { params: { a: 1 } }, authorization: socketAuth(undefined, {}) }, lookup).ok).toBe(false);
  });
  it('unusable method/uri gives a 401, not a crash', () => {
    const r = verifyRequest(post(body, { body, method: 42 as unknown as string }), lookup);
    expect(r.ok).toBe(false);
  });
});

describe('verifyRequest: SIGN', () => {
  const input = (k = key, over: Partial<VerifyInput> = {}): VerifyInput => ({
    method: 'GET',
    uri: '/account',
    nonce: NOW,
    receivedMs: NOW,
    authorization: signAuthorization(k, 'GET', '/account', undefined, NOW),
    ...over,
  });
  it('accepts and reports the role', () => {
    expect(verifyRequest(input(), lookup)).toEqual({ ok: true, userid: USER, scheme: 'SIGN', keyName: key.name, role: 'trade' });
    expect(verifyRequest(input(readKey), lookup)).toMatchObject({ ok: true, role: 'read', keyName: readKey.name });
  });
  it('unknown (or revoked) key', () => {
    const unknown = createApiKey(USER, 'trade');
    expect(verifyRequest(input(unknown), lookup)).toEqual(failWith(`Authentication failed. Unknown API key ${USER}.${unknown.name}`));
  });
  it('signature of another key under this key name', () => {
    const other = createApiKey(USER, 'trade');
    const forged = { ...other, name: key.name };
    expect(verifyRequest(input(forged), lookup)).toEqual(failWith('Authentication failed. SIGN mismatch'));
  });
  it('mismatch when the request differs', () => {
    expect(verifyRequest(input(key, { uri: '/account/pnl' }), lookup)).toEqual(failWith('Authentication failed. SIGN mismatch'));
    const auth = input().authorization!;
    const flipped = auth.slice(0, -4) + (auth.slice(-4, -3) === 'A' ? 'B' : 'A') + auth.slice(-3);
    expect(verifyRequest(input(key, { authorization: flipped }), lookup)).toEqual(failWith('Authentication failed. SIGN mismatch'));
    expect(verifyRequest(input(key, { authorization: `SIGN ${USER}.${key.name}:bm90IGEgc2ln` }), lookup)).toEqual(
      failWith('Authentication failed. SIGN mismatch'),
    );
  });
  it('malformed SIGN headers', () => {
    for (const auth of ['SIGN ', `SIGN ${USER}`, `SIGN ${USER}:abc`, `SIGN ${USER}.:abc`, `SIGN .${key.name}:abc`]) {
      expect(verifyRequest(input(key, { authorization: auth }), lookup)).toEqual(failWith(`SIGN authentication needed ${auth}`));
    }
  });
  it('a SIGN key cannot be used as an HMAC user (schemes do not mix)', () => {
    const hmacOnly: AuthLookup = { hmacSecret: lookup.hmacSecret, apiKey: () => undefined };
    expect(verifyRequest(input(), hmacOnly).ok).toBe(false);
  });
});

describe('replay protection (§8.6)', () => {
  it('a second use of the same Authorization is refused', () => {
    const replay = new ReplayMemory();
    expect(verifyRequest(hmacInput(), lookup, { replay }).ok).toBe(true);
    expect(verifyRequest(hmacInput({ receivedMs: NOW + 3_000 }), lookup, { replay })).toEqual(failWith('Authentication failed. Replayed request'));
    // a fresh nonce is a different request
    const next = hmacInput({ nonce: NOW + 1, authorization: hmacAuthorization(USER, SECRET, 'GET', '/account', undefined, NOW + 1) });
    expect(verifyRequest(next, lookup, { replay }).ok).toBe(true);
  });
  it('replayed SIGN requests too', () => {
    const replay = new ReplayMemory();
    const auth = signAuthorization(key, 'DELETE', '/order/1', undefined, NOW);
    const i = { method: 'DELETE', uri: '/order/1', nonce: NOW, receivedMs: NOW, authorization: auth };
    expect(verifyRequest(i, lookup, { replay }).ok).toBe(true);
    expect(verifyRequest(i, lookup, { replay })).toEqual(failWith('Authentication failed. Replayed request'));
  });
  it('rejected requests are not remembered', () => {
    const replay = new ReplayMemory();
    expect(verifyRequest(hmacInput({ receivedMs: NOW + 20_000 }), lookup, { replay }).ok).toBe(false);
    expect(replay.size).toBe(0);
    expect(verifyRequest(hmacInput(), lookup, { replay }).ok).toBe(true);
  });
  it('after the window the replay is stale, and the entry is pruned', () => {
    const replay = new ReplayMemory();
    expect(verifyRequest(hmacInput(), lookup, { replay }).ok).toBe(true);
    expect(replay.size).toBe(1);
    expect(verifyRequest(hmacInput({ receivedMs: NOW + 10_001 }), lookup, { replay }).ok).toBe(false);
    replay.prune(NOW + 10_001);
    expect(replay.size).toBe(0);
  });
  it('ReplayMemory: expiry, per-user and global bounds', () => {
    const m = new ReplayMemory({ maxEntries: 3, maxPerUser: 2 });
    expect(m.accept('a', 'x1', 100, 0)).toBe('accepted');
    expect(m.accept('a', 'x1', 100, 50)).toBe('replayed');
    expect(m.has('a', 'x1', 100)).toBe(true);
    expect(m.has('a', 'x1', 101)).toBe(false);
    expect(m.accept('a', 'x2', 100, 0)).toBe('accepted');
    expect(m.accept('a', 'x3', 100, 0)).toBe('full'); // per-user bound
    expect(m.accept('b', 'x1', 100, 0)).toBe('accepted'); // other users unaffected
    expect(m.accept('c', 'x1', 100, 0)).toBe('full'); // global bound
    expect(m.size).toBe(3);
    // once the window has passed, room is made by pruning
    expect(m.accept('a', 'x3', 300, 101)).toBe('accepted');
    expect(m.size).toBe(1);
    expect(m.accept('a', 'x1', 300, 101)).toBe('accepted'); // old pair expired: acceptable again (nonce check refuses it anyway)
  });
  it('a full memory refuses instead of forgetting', () => {
    const replay = new ReplayMemory({ maxEntries: 1 });
    expect(verifyRequest(hmacInput(), lookup, { replay }).ok).toBe(true);
    const next = hmacInput({ nonce: NOW + 1, authorization: hmacAuthorization(USER, SECRET, 'GET', '/account', undefined, NOW + 1) });
    expect(verifyRequest(next, lookup, { replay })).toEqual(failWith('Authentication failed. Too many recent requests'));
    expect(verifyRequest(hmacInput(), lookup, { replay })).toEqual(failWith('Authentication failed. Replayed request'));
  });
});

describe('ReplayMemory bookkeeping', () => {
  it('re-accepting an expired pair keeps per-user counts right', () => {
    const m = new ReplayMemory({ maxEntries: 10, maxPerUser: 1 });
    expect(m.accept('a', 'x', 100, 0)).toBe('accepted');
    // expired but not yet pruned (prune runs at most every second unless a bound is hit)
    expect(m.accept('a', 'x', 300, 150)).toBe('accepted');
    expect(m.size).toBe(1);
    expect(m.accept('a', 'y', 300, 160)).toBe('full');
    expect(m.accept('a', 'y', 400, 301)).toBe('accepted');
    expect(m.size).toBe(1);
  });
});

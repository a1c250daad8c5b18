import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  canonicalMessage,
  hmacAuthorization,
  socketCanonicalMessage,
  socketHmacAuthorization,
  verifyRequest,
  type AuthLookup,
} from '../../../main/coinpit/auth';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const v: any = JSON.parse(readFileSync(new URL('../../fixtures/vectors/hmac_auth.json', import.meta.url), 'utf8'));

const lookupFor = (userid: string, secret: string | undefined): AuthLookup => ({
  hmacSecret: (u) => (u === userid ? secret : undefined),
  apiKey: () => undefined,
});

describe('loginless HMAC vectors', () => {
  it('has 8 cases', () => expect(v.loginless_auth.cases).toHaveLength(8));
  v.loginless_auth.cases.forEach((c: any, i: number) => {
    it(`case ${i + 1}${c.secret ? '' : ' (no secret: bare header)'}`, () => {
      expect(canonicalMessage(c.method, c.uri, c.body, c.nonce)).toBe(c.derived_canonical_message);
      expect(hmacAuthorization(c.userId, c.secret, c.method, c.uri, c.body, c.nonce)).toBe(c.result);
      // server side, at the fixture's receive time
      const result = verifyRequest(
        { method: c.method, uri: c.uri, body: c.body, authorization: c.result, nonce: c.nonce, receivedMs: c.received },
        lookupFor(c.userId, c.secret),
      );
      if (c.secret) expect(result).toEqual({ ok: true, userid: c.userId, scheme: 'HMAC' });
      else expect(result).toEqual({ ok: false, status: 401, error: `HMAC authentication needed ${c.result}` });
    });
  });
});

describe('loginless must-fail cases', () => {
  const mf = v.loginless_must_fail;
  const run = (c: any) =>
    verifyRequest(
      { method: c.method, uri: c.uri, body: c.body, authorization: c.result, nonce: c.nonce, receivedMs: c.received },
      lookupFor(c.userId, c.secret),
    );
  it('noauthfailure: bare header while the user has a secret', () => {
    expect(run(mf.noauthfailure)).toEqual({
      ok: false,
      status: 401,
      error: `HMAC authentication needed ${mf.noauthfailure.result}`,
    });
  });
  it('badauthfailure: altered HMAC', () => {
    expect(run(mf.badauthfailure)).toEqual({
      ok: false,
      status: 401,
      error: `Authentication failed. HMAC mismatch ${mf.badauthfailure.result}`,
    });
  });
  it('noncefailure: received 20000000088 ms after the nonce', () => {
    const c = mf.noncefailure;
    expect(run(c)).toEqual({
      ok: false,
      status: 401,
      error: `Authentication failed. Nonce ${c.nonce} stale by ${c.received - c.nonce}ms`,
    });
    // the same header is fine inside the window
    expect(run({ ...c, received: c.nonce + 10_000 }).ok).toBe(true);
  });
});

describe('derived REST examples', () => {
  for (const name of ['rest_get_no_body', 'rest_get_with_query', 'rest_post_order']) {
    it(name, () => {
      const c = v.derived_examples[name];
      expect(canonicalMessage(c.method, c.uri, c.body, c.nonce)).toBe(c.canonical_message);
      expect(hmacAuthorization(c.userid, c.secret, c.method, c.uri, c.body, c.nonce)).toBe(c.authorization);
      const rawBody = c.body === undefined ? undefined : JSON.stringify(c.body);
      const result = verifyRequest(
        { method: c.method, uri: c.uri, body: c.body, rawBody, authorization: c.authorization, nonce: String(c.nonce), receivedMs: c.nonce + 1 },
        lookupFor(c.userid, c.secret),
      );
      expect(result).toEqual({ ok: true, userid: c.userid, scheme: 'HMAC' });
    });
  }
});

describe('derived socket examples', () => {
  for (const name of ['socket_register', 'socket_post_order']) {
    it(name, () => {
      const c = v.derived_examples[name];
      expect(socketCanonicalMessage(c.method, c.uri, c.body.body, c.body.params, c.nonce)).toBe(c.canonical_message);
      expect(socketCanonicalMessage(c.method, c.uri, c.body.body, undefined, c.nonce)).toBe(c.canonical_message);
      expect(socketHmacAuthorization(c.userid, c.secret, c.method, c.uri, c.body.body, c.body.params, c.nonce)).toBe(
        c.authorization,
      );
      // the socket form is the REST form over {body, params}
      expect(hmacAuthorization(c.userid, c.secret, c.method, c.uri, c.body, c.nonce)).toBe(c.authorization);
      const result = verifyRequest(
        {
          method: c.method,
          uri: c.uri,
          body: c.body.body,
          socket: { params: c.body.params },
          authorization: c.authorization,
          nonce: c.nonce,
          receivedMs: c.nonce - 9_999,
        },
        lookupFor(c.userid, c.secret),
      );
      expect(result).toEqual({ ok: true, userid: c.userid, scheme: 'HMAC' });
      // a REST check of the same header fails: the signed text differs
      const rest = verifyRequest(
        { method: c.method, uri: c.uri, body: c.body.body, authorization: c.authorization, nonce: c.nonce, receivedMs: c.nonce },
        lookupFor(c.userid, c.secret),
      );
      expect(rest.ok).toBe(false);
    });
  }
  it('socket form drops an undefined inner body', () => {
    expect(socketCanonicalMessage('GET', '/state', undefined, undefined, 5)).toBe(
      '{"method":"GET","uri":"/state","body":{"params":{}},"nonce":5}',
    );
  });
});

describe('canonical message and header construction', () => {
  it('upper-cases the method and keeps the key order', () => {
    expect(canonicalMessage('post', '/x', { b: 1, a: 2 }, 7)).toBe('{"method":"POST","uri":"/x","body":{"b":1,"a":2},"nonce":7}');
  });
  it('refuses a non-integer or string nonce', () => {
    expect(() => canonicalMessage('GET', '/x', undefined, 1.5)).toThrow(/Nonce/);
    expect(() => canonicalMessage('GET', '/x', undefined, '123' as unknown as number)).toThrow(/Nonce/);
    expect(() => canonicalMessage('GET', '', undefined, 1)).toThrow(/URI/);
  });
  it('refuses a malformed secret without echoing it', () => {
    const secret = 'ab'.repeat(31);
    let message = '';
    try {
      hmacAuthorization('msZWAC7xhte1ranSXgWVmatxm7tiBFzhof', secret, 'GET', '/x', undefined, 1);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/64 hex/);
    expect(message).not.toContain(secret);
  });
});

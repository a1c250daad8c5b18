import { readFileSync } from 'node:fs';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import {
  apiKeyAuthorizationMessage,
  apiKeyName,
  authorizeApiKey,
  canonicalMessage,
  createApiKey,
  signAuthorization,
  socketSignAuthorization,
  socketCanonicalMessage,
  verifyApiKeyAuthorization,
  verifyRequest,
  type AuthLookup,
} from '../../../main/coinpit/auth';
import { fromHex, toHex } from '../../../main/coinpit/hash';
import { generateWif, identity, p2pkhAddress } from '../../../main/coinpit/identity';
import { recoverMessagePublicKey, verifyMessage } from '../../../main/coinpit/message';
import { parseApiKeyFile, serializeApiKeyFile } from '../../../main/coinpit/keyfile';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const v: any = JSON.parse(readFileSync(new URL('../../fixtures/vectors/apikey_sign.json', import.meta.url), 'utf8'));

const signLookup = (userid: string, name: string, apiPublicKey: string, role: 'trade' | 'read' = 'trade'): AuthLookup => ({
  hmacSecret: () => undefined,
  apiKey: (u, n) => (u === userid && n === name ? { apiPublicKey, role } : undefined),
});

describe('loginless apiKeys: key pair layout', () => {
  it('secretKey = seed ‖ public key; seed derives the public key; name rule gives the 16-hex prefix', () => {
    const k = v.loginless_apiKeys;
    expect(k.secretKey.slice(64)).toBe(k.apikey);
    expect(toHex(nacl.sign.keyPair.fromSeed(fromHex(k.secretKey.slice(0, 64))).publicKey)).toBe(k.apikey);
    expect(apiKeyName(k.apikey)).toBe(v.loginless_authApikey.apikey.name);
  });
});

describe('loginless authApikey (SIGN header vector)', () => {
  const c = v.loginless_authApikey;
  const apiKey = { name: c.apikey.name, secretKey: c.apikey.secretKey, userid: c.userId };
  it('client signs the exact header', () => {
    expect(canonicalMessage(c.method, c.uri, c.body, c.nonce)).toBe(c.derived_canonical_message);
    expect(signAuthorization(apiKey, c.method, c.uri, c.body, c.nonce)).toBe(c.result);
  });
  it('server accepts it at the fixture receive time and reports key and role', () => {
    const r = verifyRequest(
      { method: c.method, uri: c.uri, body: c.body, authorization: c.result, nonce: String(c.nonce), receivedMs: c.received },
      signLookup(c.userId, c.apikey.name, c.apikey.apikey, 'read'),
    );
    expect(r).toEqual({ ok: true, userid: c.userId, scheme: 'SIGN', keyName: c.apikey.name, role: 'read' });
  });
});

describe('loginless apikeySignature (string nonce)', () => {
  const c = v.loginless_apikeySignature;
  const k = v.loginless_apiKeys;
  const apiKey = { name: apiKeyName(k.apikey), secretKey: k.secretKey, userid: c.userId };
  it('the fixture signature is over the quoted-nonce text', () => {
    const sig = c.result.slice(c.result.indexOf(':') + 1);
    expect(c.result.startsWith(`SIGN ${c.userId}.${apiKey.name}:`)).toBe(true);
    const msg = new TextEncoder().encode(c.derived_canonical_message);
    expect(nacl.sign.detached.verify(msg, Buffer.from(sig, 'base64'), fromHex(k.apikey))).toBe(true);
    expect(c.derived_canonical_message).toBe(JSON.stringify({ method: c.method, uri: c.uri, body: c.body, nonce: c.nonce }));
  });
  it('with a numeric nonce the client produces derived_signature_if_numeric_nonce', () => {
    expect(signAuthorization(apiKey, c.method, c.uri, c.body, Number(c.nonce))).toBe(c.derived_signature_if_numeric_nonce);
  });
  it('server (§8.4): the string-nonce signature is refused, the numeric one accepted', () => {
    const lookup = signLookup(c.userId, apiKey.name, k.apikey);
    const input = { method: c.method, uri: c.uri, body: c.body, nonce: c.nonce, receivedMs: c.received };
    expect(verifyRequest({ ...input, authorization: c.result }, lookup)).toEqual({
      ok: false,
      status: 401,
      error: 'Authentication failed. SIGN mismatch',
    });
    expect(verifyRequest({ ...input, authorization: c.derived_signature_if_numeric_nonce }, lookup).ok).toBe(true);
  });
});

describe('coinpit-common zka-util (explicit key name k4)', () => {
  const c = v.common_zka_util;
  it('public key from the secret key, header, server check', () => {
    expect(c.apikey.secretKey.slice(64)).toBe(c.apikey.publicKey);
    expect(canonicalMessage(c.method, c.uri, c.body, c.nonce)).toBe(c.derived_canonical_message);
    const apiKey = { name: c.apikey.name, secretKey: c.apikey.secretKey, userid: c.apikey.userid };
    expect(signAuthorization(apiKey, c.method, c.uri, c.body, c.nonce)).toBe(c.result);
    const r = verifyRequest(
      { method: c.method, uri: c.uri, body: c.body, rawBody: JSON.stringify(c.body), authorization: c.result, nonce: c.nonce, receivedMs: c.nonce },
      signLookup(c.apikey.userid, 'k4', c.apikey.publicKey),
    );
    expect(r).toEqual({ ok: true, userid: c.apikey.userid, scheme: 'SIGN', keyName: 'k4', role: 'trade' });
  });
});

describe('key authorization messages recover to the stated userid', () => {
  const d = v.derived_key_authorization_messages;
  it('loginless_2017_05 is the authorization of loginless_apiKeys', () => {
    expect(d.loginless_2017_05.signature).toBe(v.loginless_apiKeys.authorization);
    expect(JSON.parse(d.loginless_2017_05.message)).toEqual({
      name: v.loginless_apiKeys.name,
      role: v.loginless_apiKeys.role,
      publicKey: v.loginless_apiKeys.apikey,
      userid: v.loginless_apiKeys.userid,
    });
  });
  it('common_zka_util_2017_05 is the authorization of the k4 key', () => {
    expect(d.common_zka_util_2017_05.signature).toBe(v.common_zka_util.apikey.authorization);
  });
  for (const name of ['common_zka_util_2017_05', 'loginless_2017_05']) {
    it(name, () => {
      const m = d[name];
      const pub = recoverMessagePublicKey(m.message, m.signature);
      expect(pub).toBe(m.recovered_pubkey);
      expect(p2pkhAddress(pub!, 'testnet')).toBe(m.recovered_address_testnet);
      expect(m.recovered_address_testnet).toBe(m.expected_userid);
      expect(verifyMessage(m.message, m.expected_userid, m.signature)).toBe(true);
      expect(verifyMessage(m.message + ' ', m.expected_userid, m.signature)).toBe(false);
    });
  }
});

describe('API key lifecycle (§8.7 format)', () => {
  const wif = generateWif('testnet');
  const id = identity(wif);
  it('createApiKey: 16-hex name, consistent key pair', () => {
    const key = createApiKey(id.userid, 'trade');
    expect(key.name).toBe(key.apiPublicKey.slice(0, 16));
    expect(key.secretKey).toMatch(/^[0-9a-f]{128}$/);
    expect(key.secretKey.slice(64)).toBe(key.apiPublicKey);
    expect(key).toMatchObject({ role: 'trade', userid: id.userid });
    expect(createApiKey(id.userid, 'read').apiPublicKey).not.toBe(key.apiPublicKey);
    expect(() => createApiKey('nope', 'trade')).toThrow(/userid/);
    expect(() => createApiKey(id.userid, 'admin' as 'trade')).toThrow(/role/);
  });
  it('authorization message key order', () => {
    expect(apiKeyAuthorizationMessage({ userid: 'u', apiPublicKey: 'p', role: 'read', name: 'n' })).toBe(
      '{"name":"n","role":"read","apiPublicKey":"p","userid":"u"}',
    );
  });
  it('authorize and verify; tampering breaks it', () => {
    const key = createApiKey(id.userid, 'trade');
    const authorization = authorizeApiKey(key, wif);
    expect(recoverMessagePublicKey(apiKeyAuthorizationMessage(key), authorization)).toBe(id.publicKey);
    expect(verifyApiKeyAuthorization({ ...key, authorization })).toBe(true);
    expect(verifyApiKeyAuthorization({ ...key, authorization, publicKey: id.publicKey })).toBe(true);
    expect(verifyApiKeyAuthorization({ ...key, authorization, role: 'read' })).toBe(false);
    const other = identity(generateWif('testnet'));
    expect(verifyApiKeyAuthorization({ ...key, authorization, userid: other.userid })).toBe(false);
    expect(verifyApiKeyAuthorization({ ...key, authorization, publicKey: other.publicKey })).toBe(false);
    expect(verifyApiKeyAuthorization({ ...key, authorization: 'garbage' })).toBe(false);
  });
  it('authorizeApiKey refuses a WIF of another user', () => {
    const key = createApiKey(id.userid, 'trade');
    expect(() => authorizeApiKey(key, generateWif('testnet'))).toThrow(/does not belong/);
  });
  it('SIGN round trip, REST and socket, through verifyRequest', () => {
    const key = createApiKey(id.userid, 'trade');
    const lookup = signLookup(key.userid, key.name, key.apiPublicKey);
    const body = [{ clientid: 'c1', side: 'buy' }];
    const now = 1_700_000_000_000;
    const rest = signAuthorization(key, 'POST', '/order', body, now);
    expect(rest.startsWith(`SIGN ${key.userid}.${key.name}:`)).toBe(true);
    expect(verifyRequest({ method: 'POST', uri: '/order', body, authorization: rest, nonce: now, receivedMs: now }, lookup).ok).toBe(true);
    const sock = socketSignAuthorization(key, 'POST', '/order', body, undefined, now);
    const msg = socketCanonicalMessage('POST', '/order', body, {}, now);
    expect(nacl.sign.detached.verify(new TextEncoder().encode(msg), Buffer.from(sock.split(':')[1]!, 'base64'), fromHex(key.apiPublicKey))).toBe(true);
    expect(
      verifyRequest({ method: 'POST', uri: '/order', body, socket: {}, authorization: sock, nonce: now, receivedMs: now }, lookup).ok,
    ).toBe(true);
  });
  it('signAuthorization refuses a malformed secret key without echoing it', () => {
    const key = createApiKey(id.userid, 'trade');
    const bad = { ...key, secretKey: key.secretKey.slice(2) };
    expect(() => signAuthorization(bad, 'GET', '/x', undefined, 1)).toThrow(/128 hex/);
    try {
      signAuthorization(bad, 'GET', '/x', undefined, 1);
    } catch (e) {
      expect((e as Error).message).not.toContain(bad.secretKey);
    }
  });
});

describe('API key file', () => {
  const wif = generateWif('testnet');
  const id = identity(wif, '020a5a3a6450924a5571dfa52d00dc3f8d9917030d93d6b166a5784461bfb1e276');
  const key = createApiKey(id.userid, 'trade');
  const full = {
    ...key,
    authorization: authorizeApiKey(key, wif),
    publicKey: id.publicKey,
    serverAddress: id.serverAddress!,
    accountid: id.accountid!,
  };
  it('serializes and parses back', () => {
    const text = serializeApiKeyFile(full);
    expect(Object.keys(JSON.parse(text))).toEqual([
      'name', 'role', 'apiPublicKey', 'userid', 'secretKey', 'authorization', 'serverAddress', 'accountid', 'publicKey',
    ]);
    expect(parseApiKeyFile(text)).toEqual(full);
  });
  it('rejects inconsistent files', () => {
    const other = createApiKey(id.userid, 'trade');
    expect(() => parseApiKeyFile({ ...full, secretKey: other.secretKey })).toThrow(/"secretKey" does not belong/);
    expect(() => parseApiKeyFile({ ...full, name: 'k4' })).toThrow(/"name"/);
    expect(() => parseApiKeyFile({ ...full, role: 'admin' })).toThrow(/"role"/);
    expect(() => parseApiKeyFile({ ...full, userid: 'x' })).toThrow(/"userid"/);
    expect(() => parseApiKeyFile({ ...full, publicKey: identity(generateWif('testnet')).publicKey })).toThrow(/"publicKey" does not match/);
    expect(() => parseApiKeyFile({ ...full, accountid: '3JPzgSjGQCSmedYHVu6w2KYh9kziyJsw2F' })).toThrow(/"accountid"/);
    expect(() => parseApiKeyFile('[]')).toThrow(/expected an object/);
    let message = '';
    try {
      parseApiKeyFile({ ...full, secretKey: 'zz' + full.secretKey.slice(2) });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/128 hex/);
    expect(message).not.toContain(full.secretKey.slice(2));
  });
});

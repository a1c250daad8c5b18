// verifyRequest with `bodyParsedFromRaw` (the server parsed the body from the raw text itself, §8.5): the raw
// text is spliced into M without re-proving it is the same value, both HMAC and SIGN verify over the raw bytes or
// the re-stringified body, and everything else (wrong signature, replay, stale nonce) is refused as before.
import { describe, expect, it } from 'vitest';
import { createApiKey, hmacHex, ReplayMemory, signAuthorizationForMessage, verifyRequest, type AuthLookup, type VerifyInput } from '../../../main/coinpit/auth';

const USER = 'msZWAC7xhte1ranSXgWVmatxm7tiBFzhof';
const SECRET = '24db7b7262a102d776dac56950a00ab82848f285c057246fb403b47225359d4d';
const NOW = 1_494_299_047_138;
const key = createApiKey(USER, 'trade');
const lookup: AuthLookup = {
  hmacSecret: (u) => (u === USER ? SECRET : undefined),
  apiKey: (u, n) => (u === USER && n === key.name ? { apiPublicKey: key.apiPublicKey, role: 'trade' } : undefined),
};

const RAW = '[ {"side": "buy",  "price": 999.50, "quantity": 1e0} ]';
const M_RAW = `{"method":"POST","uri":"/order","body":${RAW},"nonce":${NOW}}`;
const M_PARSED = JSON.stringify({ method: 'POST', uri: '/order', body: JSON.parse(RAW), nonce: NOW });

const input = (authorization: string, over: Partial<VerifyInput> = {}): VerifyInput => ({
  method: 'POST',
  uri: '/order',
  body: JSON.parse(RAW),
  rawBody: RAW,
  bodyParsedFromRaw: true,
  authorization,
  nonce: String(NOW),
  receivedMs: NOW + 5,
  ...over,
});

describe('verifyRequest with a body the server parsed from the raw text', () => {
  it('HMAC over the raw bytes (whitespace, number spelling) or over the re-stringified body', () => {
    expect(M_RAW).not.toBe(M_PARSED);
    expect(verifyRequest(input(`HMAC ${USER}:${hmacHex(SECRET, M_RAW)}`), lookup)).toEqual({ ok: true, userid: USER, scheme: 'HMAC' });
    expect(verifyRequest(input(`HMAC ${USER}:${hmacHex(SECRET, M_PARSED)}`), lookup).ok).toBe(true);
    expect(verifyRequest(input(`HMAC ${USER}:${hmacHex(SECRET, M_RAW.replace('999.50', '999.5'))}`), lookup)).toMatchObject({ ok: false, status: 401 });
  });

  it('SIGN over the raw bytes', () => {
    const auth = signAuthorizationForMessage(key, M_RAW);
    expect(verifyRequest(input(auth), lookup)).toMatchObject({ ok: true, scheme: 'SIGN', role: 'trade' });
    expect(verifyRequest(input(auth, { uri: '/orders' }), lookup)).toMatchObject({ ok: false, error: 'Authentication failed. SIGN mismatch' });
  });

  it('replays, stale nonces and another user are still refused', () => {
    const replay = new ReplayMemory();
    const auth = `HMAC ${USER}:${hmacHex(SECRET, M_RAW)}`;
    expect(verifyRequest(input(auth), lookup, { replay }).ok).toBe(true);
    expect(verifyRequest(input(auth), lookup, { replay })).toMatchObject({ ok: false, error: 'Authentication failed. Replayed request' });
    expect(verifyRequest(input(auth, { receivedMs: NOW + 10_001 }), lookup)).toMatchObject({ ok: false, error: expect.stringMatching(/stale by 10001ms/) });
    expect(verifyRequest(input(`HMAC mOther:${hmacHex(SECRET, M_RAW)}`), lookup)).toMatchObject({ ok: false, error: 'Authentication failed. Unknown user mOther' });
  });

  it('without the flag the raw text must be the same JSON value as the body to be spliced', () => {
    const auth = `HMAC ${USER}:${hmacHex(SECRET, M_RAW)}`;
    expect(verifyRequest(input(auth, { bodyParsedFromRaw: undefined }), lookup).ok).toBe(true);
    expect(verifyRequest(input(auth, { bodyParsedFromRaw: undefined, body: [{ side: 'sell' }] }), lookup).ok).toBe(false);
  });

  it('a bad method or uri verifies nothing, flag or not', () => {
    const auth = `HMAC ${USER}:${hmacHex(SECRET, M_RAW)}`;
    expect(verifyRequest(input(auth, { uri: '' }), lookup).ok).toBe(false);
    expect(verifyRequest(input(auth, { method: '' }), lookup).ok).toBe(false);
  });
});

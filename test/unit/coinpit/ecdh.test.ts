import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedSecret, sharedSecretFromKeys } from '../../../main/coinpit/ecdh';
import { identity, parseWif, generateWif } from '../../../main/coinpit/identity';

const load = (name: string) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  JSON.parse(readFileSync(new URL(`../../fixtures/vectors/${name}.json`, import.meta.url), 'utf8')) as any;
const v = load('ecdh_shared_secret');
const ids = load('identity_multisig');

describe('loginless sharedSecret vectors (both directions)', () => {
  it('has 7 cases', () => expect(v.loginless_sharedSecret.cases).toHaveLength(7));
  v.loginless_sharedSecret.cases.forEach((c: Record<string, string>, i: number) => {
    it(`case ${i + 1}`, () => {
      expect(identity(c.privateKey1!).publicKey).toBe(c.publicKey1);
      expect(identity(c.privateKey2!).publicKey).toBe(c.publicKey2);
      expect(sharedSecret(c.privateKey1!, c.publicKey2!)).toBe(c.result);
      expect(sharedSecret(c.privateKey2!, c.publicKey1!)).toBe(c.result);
      expect(sharedSecretFromKeys(parseWif(c.privateKey2!).privateKey, c.publicKey1!)).toBe(c.result);
    });
  });
});

describe('account secrets', () => {
  it('loginless_account (ecdh file)', () => {
    const a = v.loginless_account;
    expect(sharedSecret(a.privateKey, a.theirPublicKey)).toBe(a.result);
  });
  it('loginless Account.spec account.secret, both sides', () => {
    const a = ids.loginless_Account;
    expect(sharedSecret(a.account.userPrivateKey, a.account.serverPublicKey)).toBe(a.account.secret);
    expect(sharedSecret(a.peer2.privateKey, a.peer1.publicKey)).toBe(a.account.secret);
  });
  for (const name of ['account1', 'account2']) {
    it(`loginless Peer.spec ${name}.secret`, () => {
      const a = ids.loginless_Peer[name];
      expect(sharedSecret(a.user2PrivateKey, a.user1PublicKey)).toBe(a.secret);
    });
  }
});

describe('ECDH properties and bad input', () => {
  it('is symmetric for fresh keys and is 64 hex chars', () => {
    const a = generateWif('testnet');
    const b = generateWif('testnet');
    const s = sharedSecret(a, identity(b).publicKey);
    expect(s).toMatch(/^[0-9a-f]{64}$/);
    expect(sharedSecret(b, identity(a).publicKey)).toBe(s);
  });
  const wif = v.loginless_account.privateKey as string;
  const pub = v.loginless_account.theirPublicKey as string;
  it('wrong-length server key', () => {
    expect(() => sharedSecret(wif, pub.slice(0, 64))).toThrow(/66 hex/);
  });
  it('server key not on the curve', () => {
    expect(() => sharedSecret(wif, '02' + 'ff'.repeat(32))).toThrow(/not a compressed secp256k1 point/);
  });
  it('bad WIF, without echoing it', () => {
    const bad = wif.slice(0, -2) + 'zz';
    expect(() => sharedSecret(bad, pub)).toThrow(/checksum|length/);
    try {
      sharedSecret(bad, pub);
    } catch (e) {
      expect((e as Error).message).not.toContain(bad);
    }
  });
  it('bad private key bytes', () => {
    expect(() => sharedSecretFromKeys(new Uint8Array(32), pub)).toThrow(/Invalid private key/);
    expect(() => sharedSecretFromKeys(new Uint8Array(31).fill(1), pub)).toThrow(/Invalid private key/);
  });
});

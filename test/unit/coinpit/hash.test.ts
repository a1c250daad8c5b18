import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, hash160, hash160Hex, hash256Hex, isHex, sha256Hex, toHex } from '../../../main/coinpit/hash';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const v: any = JSON.parse(readFileSync(new URL('../../fixtures/vectors/hash160.json', import.meta.url), 'utf8'));

describe('hash160 vectors (loginless: publicKey + privateKey + time)', () => {
  it('has all 10 cases', () => expect(v.loginless_hash160.cases).toHaveLength(10));
  for (const c of v.loginless_hash160.cases) {
    it(`hash160 of ${c.publicKey.slice(0, 10)}…`, () => {
      expect(hash160Hex(c.publicKey + c.privateKey + String(c.time))).toBe(c.result);
    });
  }
});

describe('bitcoinutil hash160 / hash256 vectors', () => {
  it('has 10 + 10 cases', () => {
    expect(v.bitcoinutil_hash160.cases).toHaveLength(10);
    expect(v.bitcoinutil_hash256.cases).toHaveLength(10);
  });
  for (const c of v.bitcoinutil_hash160.cases) {
    it(`hash160("${c.input}")`, () => expect(hash160Hex(c.input)).toBe(c.expected));
  }
  for (const c of v.bitcoinutil_hash256.cases) {
    it(`hash256("${c.input}")`, () => expect(hash256Hex(c.input)).toBe(c.expected));
  }
});

describe('hash helpers', () => {
  it('sha256 of "abc" (FIPS 180-2)', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('hashes strings as UTF-8, equal to hashing the bytes', () => {
    expect(toHex(hash160(new TextEncoder().encode('héllo')))).toBe(hash160Hex('héllo'));
  });
  it('fromHex/toHex round-trip and strict validation', () => {
    expect(toHex(fromHex('00ff10'))).toBe('00ff10');
    expect(() => fromHex('abc')).toThrow(/hex/);
    expect(() => fromHex('zz')).toThrow(/hex/);
    expect(() => fromHex('0011', 3)).toThrow(/3 bytes/);
    expect(isHex('00ff', 2)).toBe(true);
    expect(isHex('00ff', 3)).toBe(false);
    expect(isHex(42)).toBe(false);
  });
});

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { identity, parseWif, generateWif } from '../../../main/coinpit/identity';
import { messageHash, recoverMessagePublicKey, signMessage, verifyMessage } from '../../../main/coinpit/message';
import { toHex } from '../../../main/coinpit/hash';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const v: any = JSON.parse(
  readFileSync(new URL('../../fixtures/vectors/bitcoin_message_signatures.json', import.meta.url), 'utf8'),
);

describe('bitcoinutil sign/verify message vectors', () => {
  it('has 5 cases', () => expect(v.cases).toHaveLength(5));
  v.cases.forEach((c: { input: Record<string, string>; expected: Record<string, unknown> }, i: number) => {
    it(`case ${i + 1}`, () => {
      const { message, privateKey, signature, address1, address2 } = c.input as Record<string, string>;
      expect(identity(privateKey!).userid).toBe(address1);
      // RFC 6979: reproducible, from a WIF or from raw key bytes
      expect(signMessage(message!, privateKey!)).toBe(c.expected.signature);
      expect(signMessage(message!, parseWif(privateKey!).privateKey)).toBe(signature);
      expect(verifyMessage(message!, address1!, signature!)).toBe(c.expected.verified1);
      expect(verifyMessage(message!, address2!, signature!)).toBe(c.expected.verified2);
      // the signed text carries the signer's own public key
      expect(recoverMessagePublicKey(message!, signature!)).toBe(JSON.parse(message!).publicKey);
    });
  });
});

describe('message signing edge cases', () => {
  const c = v.cases[0].input as Record<string, string>;
  it('a different text does not verify', () => {
    expect(verifyMessage(c.message + ' ', c.address1!, c.signature!)).toBe(false);
  });
  it('malformed signatures give false/null, not a crash', () => {
    for (const bad of ['', 'abc', c.signature!.slice(4), 'A'.repeat(87) + '=', c.signature! + 'AA']) {
      expect(verifyMessage(c.message!, c.address1!, bad)).toBe(false);
      expect(recoverMessagePublicKey(c.message!, bad)).toBeNull();
    }
  });
  it('a non-P2PKH or invalid address gives false', () => {
    expect(verifyMessage(c.message!, '2N4htmodeibCZVtLKRX9EFg8RGL4xdifi6x', c.signature!)).toBe(false);
    expect(verifyMessage(c.message!, 'nonsense', c.signature!)).toBe(false);
  });
  it('header byte is 31 or 32 (compressed)', () => {
    const sig = Buffer.from(signMessage('hello', generateWif('bitcoin')), 'base64');
    expect(sig).toHaveLength(65);
    expect([31, 32]).toContain(sig[0]);
  });
  it('uncompressed-key headers (27..30) recover the uncompressed key, which has a different address', () => {
    const sig = Buffer.from(c.signature!, 'base64');
    sig[0] = sig[0]! - 4;
    const b64 = sig.toString('base64');
    const pub = recoverMessagePublicKey(c.message!, b64);
    expect(pub).toHaveLength(130);
    expect(verifyMessage(c.message!, c.address1!, b64)).toBe(false);
  });
  it('unicode and long texts (varint length > 252) round-trip', () => {
    const wif = generateWif('testnet');
    const id = identity(wif);
    for (const text of ['ünïcødé ✓', 'x'.repeat(300), 'y'.repeat(70000)]) {
      const sig = signMessage(text, wif);
      expect(verifyMessage(text, id.userid, sig)).toBe(true);
      expect(recoverMessagePublicKey(text, sig)).toBe(id.publicKey);
    }
  });
  it('messageHash = SHA256d(0x18 "Bitcoin Signed Message:\\n" varint(len) text), 1- and 3-byte varints', () => {
    const d = (b: Buffer) => createHash('sha256').update(createHash('sha256').update(b).digest()).digest('hex');
    const prefix = Buffer.concat([Buffer.from([0x18]), Buffer.from('Bitcoin Signed Message:\n')]);
    expect(toHex(messageHash('hello'))).toBe(d(Buffer.concat([prefix, Buffer.from([5]), Buffer.from('hello')])));
    const long = 'z'.repeat(300);
    expect(toHex(messageHash(long))).toBe(d(Buffer.concat([prefix, Buffer.from([0xfd, 0x2c, 0x01]), Buffer.from(long)])));
    // length counts UTF-8 bytes, not UTF-16 units
    expect(toHex(messageHash('é'))).toBe(d(Buffer.concat([prefix, Buffer.from([2]), Buffer.from('é')])));
  });
  it('rejects invalid private keys', () => {
    expect(() => signMessage('x', new Uint8Array(32))).toThrow(/Invalid private key/);
    expect(() => signMessage('x', 'garbage!')).toThrow(/malformed base58/);
  });
});

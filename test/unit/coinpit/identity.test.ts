import { readFileSync } from 'node:fs';
import bs58check from 'bs58check';
import { describe, expect, it } from 'vitest';
import {
  bitcoinjsNetwork,
  generateWif,
  identity,
  isValidAddress,
  multisigRedeem,
  networkOf,
  p2pkhAddress,
  p2shAddress,
  parseWif,
} from '../../../main/coinpit/identity';
import { toHex } from '../../../main/coinpit/hash';
import { parsePrivateKeyFile, serializePrivateKeyFile } from '../../../main/coinpit/keyfile';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const v: any = JSON.parse(readFileSync(new URL('../../fixtures/vectors/identity_multisig.json', import.meta.url), 'utf8'));

describe('loginless Account fixture', () => {
  const acc = v.loginless_Account.account;
  it('derives publicKey, userid, serverAddress, redeem, accountid', () => {
    const id = identity(acc.userPrivateKey, acc.serverPublicKey);
    expect(id).toMatchObject({
      network: 'testnet',
      publicKey: acc.userPublicKey,
      userid: acc.userid,
      serverAddress: acc.serverAddress,
      redeem: acc.redeem,
      accountid: acc.accountid,
    });
  });
  for (const peer of ['peer1', 'peer2']) {
    it(`${peer}: WIF → publicKey and address`, () => {
      const p = v.loginless_Account[peer];
      expect(identity(p.privateKey)).toEqual({ network: 'testnet', publicKey: p.publicKey, userid: p.address });
    });
  }
});

describe('loginless Peer fixture (both sides derive the same account)', () => {
  for (const name of ['account1', 'account2']) {
    it(name, () => {
      const a = v.loginless_Peer[name];
      const id = identity(a.user2PrivateKey, a.user1PublicKey);
      expect(id.publicKey).toBe(a.user2PublicKey);
      expect(id.userid).toBe(a.user2Address);
      expect(id.serverAddress).toBe(a.user1Address);
      expect(id.redeem).toBe(a.redeem);
      expect(id.accountid).toBe(a.accountid);
    });
  }
  for (const peer of ['peer1', 'peer2']) {
    it(`${peer}`, () => {
      const p = v.loginless_Peer[peer];
      expect(identity(p.privateKey).userid).toBe(p.address);
      expect(p2pkhAddress(p.publicKey, 'testnet')).toBe(p.address);
    });
  }
});

describe('bitcoinutil addresses and multisigs', () => {
  const b = v.bitcoinutil_addresses;
  it('address: testnet WIF', () => {
    expect(identity(b.address.privateKey)).toEqual({ network: 'testnet', publicKey: b.address.publicKey, userid: b.address.address });
  });
  it('address1: mainnet WIF, fixture asserts its testnet address', () => {
    const parsed = parseWif(b.address1.privateKey);
    expect(parsed.network).toBe('bitcoin');
    expect(toHex(parsed.publicKey)).toBe(b.address1.publicKey);
    expect(p2pkhAddress(b.address1.publicKey, 'testnet')).toBe(b.address1.address);
  });
  it('address1: derived mainnet address', () => {
    expect(identity(b.address1.privateKey).userid).toBe(b.derived_address1_mainnet);
  });
  it('testnet address of the key', () => {
    expect(p2pkhAddress(b.address.publicKey, 'testnet')).toBe(b.testnet.address);
    expect(networkOf(b.testnet.address)).toBe('testnet');
  });
  it('bitcoin address of the key', () => {
    expect(p2pkhAddress(b.address.publicKey, 'bitcoin')).toBe(b.bitcoin.address);
    expect(networkOf(b.bitcoin.address)).toBe('bitcoin');
  });
  for (const [name, network] of [['multisig_testnet', 'testnet'], ['multisig_mainnet', 'bitcoin']] as const) {
    it(name, () => {
      const m = b[name];
      const [k1, k2] = m.pubkeys;
      expect(multisigRedeem(k1, k2)).toBe(m.redeem);
      expect(multisigRedeem(k2, k1)).toBe(m.redeem); // order of arguments does not matter
      expect(p2shAddress(m.redeem, network)).toBe(m.address);
      expect(networkOf(m.address)).toBe(network);
    });
  }
});

describe('private-key file sample', () => {
  const k = v.key_file_private_key;
  it('parses and cross-checks', () => {
    expect(parsePrivateKeyFile(JSON.stringify({ address: k.address, privateKey: k.privateKey, publicKey: k.publicKey }))).toEqual({
      address: k.address,
      privateKey: k.privateKey,
      publicKey: k.publicKey,
    });
  });
  it('derived_check', () => {
    expect(p2pkhAddress(k.publicKey, 'testnet')).toBe(k.derived_check.address_from_publicKey);
    expect(identity(k.privateKey).publicKey).toBe(k.derived_check.publicKey_from_privateKey);
  });
  it('rejects a file whose address or publicKey does not match', () => {
    const other = v.loginless_Account.peer2;
    expect(() => parsePrivateKeyFile({ ...k, address: other.address })).toThrow(/"address" does not match/);
    expect(() => parsePrivateKeyFile({ ...k, publicKey: other.publicKey })).toThrow(/"publicKey" does not match/);
    expect(() => parsePrivateKeyFile('{not json')).toThrow(/not valid JSON/);
    expect(() => parsePrivateKeyFile({ address: k.address })).toThrow(/"privateKey"/);
  });
  it('serializes a file that parses back', () => {
    const text = serializePrivateKeyFile(k.privateKey);
    expect(parsePrivateKeyFile(text)).toEqual({ address: k.address, privateKey: k.privateKey, publicKey: k.publicKey });
  });
});

describe('invalid WIFs (message says which, never echoes the key)', () => {
  const good = v.loginless_Account.account.userPrivateKey as string;
  const key = parseWif(good).privateKey;
  const cases: Array<[string, string, RegExp]> = [
    ['bad checksum', good.slice(0, -1) + (good.endsWith('y') ? 'z' : 'y'), /wrong checksum/],
    ['uncompressed testnet key', bs58check.encode(Uint8Array.from([0xef, ...key])), /uncompressed/],
    ['uncompressed mainnet key', bs58check.encode(Uint8Array.from([0x80, ...key])), /uncompressed/],
    ['garbage with non-base58 characters', 'not a key 0OIl!', /malformed base58/],
    ['bad length', bs58check.encode(Uint8Array.from([0xef, ...key.slice(0, 20)])), /bad length/],
    ['unknown version byte', bs58check.encode(Uint8Array.from([0x30, ...key, 0x01])), /version byte/],
    ['bad compression flag', bs58check.encode(Uint8Array.from([0xef, ...key, 0x02])), /compression flag/],
    ['zero private key', bs58check.encode(Uint8Array.from([0xef, ...new Uint8Array(32), 0x01])), /out of range/],
    ['empty', '', /empty/],
  ];
  for (const [name, wif, re] of cases) {
    it(name, () => {
      let message = '';
      try {
        parseWif(wif);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(re);
      if (wif.length > 0) expect(message).not.toContain(wif);
      expect(() => identity(wif)).toThrow(re);
    });
  }
  it('uncompressed keys look like §8.16 says (5… mainnet, 9… testnet, 51 chars)', () => {
    const t = bs58check.encode(Uint8Array.from([0xef, ...key]));
    expect(t).toMatch(/^9/);
    expect(t).toHaveLength(51);
  });
  it('rejects a non-string', () => {
    expect(() => parseWif(undefined as unknown as string)).toThrow(/not a string/);
  });
});

describe('invalid server keys', () => {
  const wif = v.loginless_Account.account.userPrivateKey as string;
  const server = v.loginless_Account.account.serverPublicKey as string;
  it('wrong length', () => {
    expect(() => identity(wif, server.slice(0, 64))).toThrow(/server public key.*66 hex/);
    expect(() => identity(wif, server + '00')).toThrow(/66 hex/);
  });
  it('not hex', () => expect(() => identity(wif, 'zz' + server.slice(2))).toThrow(/66 hex/));
  it('not a compressed point', () => {
    expect(() => identity(wif, '04' + server.slice(2))).toThrow(/not a compressed secp256k1 point/);
    expect(() => identity(wif, '02' + 'ff'.repeat(32))).toThrow(/not a compressed secp256k1 point/);
  });
  it('upper-case hex is normalised before sorting', () => {
    expect(identity(wif, server.toUpperCase()).redeem).toBe(v.loginless_Account.account.redeem);
  });
  it('multisigRedeem rejects bad keys', () => {
    expect(() => multisigRedeem(server, 'abcd')).toThrow(/public key/);
  });
});

describe('address helpers', () => {
  const b = v.bitcoinutil_addresses;
  it('networkOf rejects non-addresses', () => {
    expect(() => networkOf('hello')).toThrow(/Invalid address/);
    expect(() => networkOf(b.testnet.address.slice(0, -1) + 'x')).toThrow(/Invalid address/);
  });
  it('isValidAddress checks the network', () => {
    expect(isValidAddress(b.testnet.address, 'testnet')).toBe(true);
    expect(isValidAddress(b.testnet.address, 'bitcoin')).toBe(false);
    expect(isValidAddress(b.multisig_mainnet.address, 'bitcoin')).toBe(true);
    expect(isValidAddress(b.multisig_testnet.address, 'testnet')).toBe(true);
    expect(isValidAddress(b.multisig_testnet.address, 'bitcoin')).toBe(false);
    expect(isValidAddress('', 'bitcoin')).toBe(false);
    expect(isValidAddress('garbage', 'bitcoin')).toBe(false);
    // BIP173 / BIP350 test addresses
    expect(isValidAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'bitcoin')).toBe(true);
    expect(isValidAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'testnet')).toBe(false);
    expect(isValidAddress('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', 'testnet')).toBe(true);
    expect(isValidAddress('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', 'bitcoin')).toBe(true);
    expect(isValidAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', 'bitcoin')).toBe(false); // bad checksum
  });
  it('bitcoinjsNetwork', () => {
    expect(bitcoinjsNetwork('bitcoin').pubKeyHash).toBe(0x00);
    expect(bitcoinjsNetwork('testnet').pubKeyHash).toBe(0x6f);
    expect(() => bitcoinjsNetwork('regtest' as 'bitcoin')).toThrow(/Unknown network/);
  });
  it('p2pkhAddress rejects uncompressed keys', () => {
    expect(() => p2pkhAddress('04' + '11'.repeat(64), 'bitcoin')).toThrow(/66 hex/);
  });
});

describe('generateWif', () => {
  for (const [network, prefix] of [['bitcoin', /^[KL]/], ['testnet', /^c/]] as const) {
    it(network, () => {
      const wif = generateWif(network);
      expect(wif).toMatch(prefix);
      const id = identity(wif);
      expect(id.network).toBe(network);
      expect(networkOf(id.userid)).toBe(network);
      expect(generateWif(network)).not.toBe(wif);
    });
  }
});

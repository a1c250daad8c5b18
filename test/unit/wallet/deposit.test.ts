import { describe, expect, it } from 'vitest';
import ids from '../../fixtures/vectors/identity_multisig.json';
import { bip21Uri, depositRequest, parseBip21 } from '../../../main/wallet/deposit';
import { account, MAINNET_ADDRESS, STRANGER } from './tx-fixtures';

const v = ids.loginless_Account;

describe('deposit address and BIP21 URI', () => {
  it('the deposit address is the multisig accountid of the vector', () => {
    expect(account.accountid).toBe(v.account.accountid);
    const d = depositRequest(account);
    expect(d).toEqual({ address: v.account.accountid, network: 'testnet', amount: null, uri: `bitcoin:${v.account.accountid}` });
  });

  it('amount in satoshi becomes BTC without float error or trailing zeros', () => {
    expect(depositRequest(account, { amount: 150000000 }).uri).toBe(`bitcoin:${account.accountid}?amount=1.5`);
    expect(bip21Uri(account.accountid, 'testnet', { amount: 1 })).toBe(`bitcoin:${account.accountid}?amount=0.00000001`);
    expect(bip21Uri(account.accountid, 'testnet', { amount: 30000000 })).toBe(`bitcoin:${account.accountid}?amount=0.3`);
    expect(bip21Uri(account.accountid, 'testnet', { amount: 2100000000000000 })).toBe(`bitcoin:${account.accountid}?amount=21000000`);
  });

  it('label and message are percent-encoded', () => {
    const uri = bip21Uri(account.accountid, 'testnet', { amount: 10000, label: "Coinpit Desk & co (margin) 'x'", message: 'dépôt #1' });
    expect(uri).toBe(`bitcoin:${account.accountid}?amount=0.0001&label=Coinpit%20Desk%20%26%20co%20%28margin%29%20%27x%27&message=d%C3%A9p%C3%B4t%20%231`);
    expect(parseBip21(uri, 'testnet')).toEqual({ address: account.accountid, amount: 10000, label: "Coinpit Desk & co (margin) 'x'", message: 'dépôt #1' });
  });

  it('an empty label is left out', () => {
    expect(bip21Uri(account.accountid, 'testnet', { label: '' })).toBe(`bitcoin:${account.accountid}`);
  });

  it.each([
    [0, /positive whole number/],
    [-5, /positive whole number/],
    [1.5, /positive whole number/],
    [Number.NaN, /positive whole number/],
    [Number.POSITIVE_INFINITY, /positive whole number/],
    [2100000000000001, /21 million/],
    ['1000' as unknown as number, /positive whole number/],
  ])('amount %s is refused', (amount, msg) => {
    expect(() => depositRequest(account, { amount })).toThrow(msg);
  });

  it('bad labels are refused', () => {
    expect(() => bip21Uri(account.accountid, 'testnet', { label: 'a'.repeat(101) })).toThrow(/longer than 100/);
    expect(() => bip21Uri(account.accountid, 'testnet', { label: 'line\nbreak' })).toThrow(/control characters/);
    expect(() => bip21Uri(account.accountid, 'testnet', { message: 5 as unknown as string })).toThrow(/must be text/);
  });

  it('addresses are validated for the network', () => {
    expect(() => bip21Uri(MAINNET_ADDRESS, 'testnet')).toThrow(/is a bitcoin address, expected testnet/);
    expect(() => bip21Uri(STRANGER, 'bitcoin')).toThrow(/testnet address, expected bitcoin/);
    expect(() => bip21Uri('2NEmYU7U5C2B8WMP7AceBV7KNPTip7C1dY7', 'testnet')).toThrow(/Invalid testnet address/);
    expect(bip21Uri(MAINNET_ADDRESS, 'bitcoin', { amount: 5430 })).toBe(`bitcoin:${MAINNET_ADDRESS}?amount=0.0000543`);
  });

  it('parses payment URIs and refuses bad ones', () => {
    expect(parseBip21(`BITCOIN:${STRANGER}?amount=0.5&foo=bar`, 'testnet')).toEqual({ address: STRANGER, amount: 50000000, label: null, message: null });
    expect(parseBip21(`bitcoin:${STRANGER}?label=a+b`, 'testnet').label).toBe('a b');
    expect(() => parseBip21(`bitcoin:${STRANGER}?amount=1e3`, 'testnet')).toThrow(/decimal number of BTC/);
    expect(() => parseBip21(`bitcoin:${STRANGER}?amount=0.000000001`, 'testnet')).toThrow(/at most 8 decimals/);
    expect(() => parseBip21(`bitcoin:${STRANGER}?amount=0`, 'testnet')).toThrow(/positive/);
    expect(() => parseBip21(`bitcoin:${STRANGER}?req-lightning=1`, 'testnet')).toThrow(/req-lightning/);
    expect(() => parseBip21(`bitcoin:${STRANGER}?label=%E0%A4%A`, 'testnet')).toThrow(/not properly encoded/);
    expect(() => parseBip21(`litecoin:${STRANGER}`, 'testnet')).toThrow(/bitcoin:/);
    expect(() => parseBip21(`bitcoin:${MAINNET_ADDRESS}`, 'testnet')).toThrow(/bitcoin address, expected testnet/);
  });
});

import { describe, expect, it } from 'vitest';
import { Transaction } from 'bitcoinjs-lib';
import vectors from '../../fixtures/vectors/txutil.json';
import { scriptAddress } from '../../../main/wallet/account';
import {
  btcfy,
  buildMarginIn,
  buildWithdraw,
  createTx,
  estimateSize,
  feeForSize,
  filterUnspents,
  recoveryShapeProblems,
  satoshify,
  selectCoins,
  txidFromHex,
  txOutpoints,
} from '../../../main/wallet/txbuild';
import { account, fundAccount, honestRecovery, MAINNET_ADDRESS, outpoints, serverTx, STRANGER } from './tx-fixtures';

const policy = { feePerKB: 50000, dust: 10000 };

describe('txutil vectors', () => {
  const c = vectors.createtx;

  it('createTx reproduces the reference transaction byte for byte', () => {
    const built = createTx({ input: c.input, destination: c.destination, amount: c.amount, unspents: c.unspents, network: 'testnet' });
    expect(built.hex).toBe(c.expected);
    expect(built.inputs).toHaveLength(c.derived_breakdown.inputs_selected);
    expect(built.fee).toBe(c.derived_breakdown.fee);
    const tx = Transaction.fromHex(built.hex);
    expect(tx.version).toBe(c.derived_breakdown.version);
    expect(tx.locktime).toBe(c.derived_breakdown.locktime);
    expect(tx.ins[0]!.sequence.toString(16)).toBe(c.derived_breakdown.sequence);
    expect(tx.ins.every((i) => i.script.length === 0)).toBe(true);
    const decoded = tx.outs.map((o) => ({ address: scriptAddress(o.script, 'testnet'), value: Number(o.value) }));
    expect(decoded).toEqual(c.derived_breakdown.outputs_decoded.map(({ address, value }) => ({ address, value })));
  });

  it('filterUnspents drops unconfirmed, spent and double-spent outputs and keeps order', () => {
    for (const k of vectors.filterUnspents.cases) expect(filterUnspents(k.input)).toEqual(k.output);
  });

  it.each(vectors.satoshify.cases)('satoshify($input) = $expected', ({ input, expected }) => {
    expect(satoshify(input)).toBe(expected);
  });

  it.each(vectors.btcfy.cases)('btcfy($input) = $expected', ({ input, expected }) => {
    expect(btcfy(input)).toBe(expected);
  });

  it.each(vectors.txidFromHex.cases)('txidFromHex', ({ input, expected }) => {
    expect(txidFromHex(input)).toBe(expected);
    expect(Transaction.fromHex(input).getId()).toBe(expected);
  });

  it('size and fee follow the reference formula', () => {
    expect(estimateSize(1, 2, 'p2pkh')).toBe(149 + 68 + 10);
    expect(estimateSize(3, 2)).toBe(750 + 68 + 10);
    expect(feeForSize(227, 50000)).toBe(11350);
  });
});

describe('satoshify / btcfy edge cases', () => {
  it('rounds exactly on decimal text, not on the float product', () => {
    expect(satoshify(0.1 + 0.2)).toBe(30000000); // 0.30000000000000004 BTC
    expect(satoshify('0.000000005')).toBe(1); // half rounds up
    expect(satoshify('0.0000000049')).toBe(0);
    expect(satoshify('1e-8')).toBe(1);
    expect(satoshify(21000000)).toBe(21e14);
    expect(satoshify('-0.000000005')).toBe(0); // Math.round(-0.5) = -0 → 0
  });
  it('rejects non-numbers', () => {
    expect(() => satoshify('abc')).toThrow(/decimal/);
    expect(() => satoshify(Number.NaN)).toThrow(/finite/);
  });
  it('btcfy drops trailing zeros', () => {
    expect(btcfy(100000000)).toBe('1');
    expect(btcfy(150000000)).toBe('1.5');
    expect(btcfy(1)).toBe('0.00000001');
    expect(btcfy(-2500)).toBe('-0.000025');
  });
});

describe('filterUnspents', () => {
  it('understands Esplora status and requires evidence of confirmation', () => {
    const list = [
      { id: 1, status: { confirmed: true } },
      { id: 2, status: { confirmed: false } },
      { id: 3 },
      { id: 4, confirmed: true },
      { id: 5, confirmations: 3, spent: true },
    ];
    expect(filterUnspents(list).map((u) => u.id)).toEqual([1, 4]);
  });
});

describe('selectCoins', () => {
  const utxos = fundAccount([100000, 200000, 300000]).map(({ txid, vout, value }) => ({ txid, vout, value }));

  it('takes UTXOs in order until amount + fee is covered, change above dust', () => {
    const s = selectCoins(utxos, { ...policy, amount: 150000 });
    expect(s.inputs).toHaveLength(2);
    expect(s.fee).toBe(feeForSize(estimateSize(2, 2), 50000));
    expect(s.change).toBe(300000 - 150000 - s.fee);
  });

  it('leaves change at or below dust to the fee (one output)', () => {
    const fee1 = feeForSize(estimateSize(1, 1), 50000);
    const s = selectCoins(utxos, { ...policy, amount: 100000 - fee1 - 5000 });
    expect(s.inputs).toHaveLength(1);
    expect(s.change).toBe(0);
    expect(s.fee).toBe(fee1 + 5000);
    expect(s.size).toBe(estimateSize(1, 1));
  });

  it('"max" spends everything minus the fee, no change', () => {
    const s = selectCoins(utxos, { ...policy, amount: 'max' });
    const fee = feeForSize(estimateSize(3, 1), 50000);
    expect(s).toMatchObject({ amount: 600000 - fee, change: 0, fee });
    expect(s.inputs).toHaveLength(3);
  });

  it('explicit fee is floored and used as is', () => {
    const s = selectCoins(utxos, { ...policy, amount: 150000, fee: 1234.9 });
    expect(s.fee).toBe(1234);
    expect(s.change).toBe(300000 - 150000 - 1234);
  });

  it('minimumFee is a floor', () => {
    const s = selectCoins(utxos, { ...policy, feePerKB: 1, amount: 50000, minimumFee: 7000 });
    expect(s.fee).toBe(7000);
  });

  it('refuses clearly', () => {
    expect(() => selectCoins(utxos, { ...policy, amount: 600000 })).toThrow(/Insufficient confirmed funds/);
    expect(() => selectCoins(utxos, { ...policy, amount: 10000 })).toThrow(/not above dust/);
    expect(() => selectCoins(utxos, { ...policy, amount: 1.5 })).toThrow(/positive integer/);
    expect(() => selectCoins(utxos, { ...policy, amount: 'max', maximumFee: 100 })).toThrow(/above the configured maximum/);
    expect(() => selectCoins([], { ...policy, amount: 'max' })).toThrow(/No confirmed funds/);
    expect(() => selectCoins([{ txid: 'zz', vout: 0, value: 1 }], { ...policy, amount: 'max' })).toThrow(/txid/);
    expect(() => selectCoins(utxos.slice(0, 1), { ...policy, dust: 100000, amount: 'max' })).toThrow(/too small/);
  });
});

describe('buildMarginIn / buildWithdraw', () => {
  const funded = fundAccount([400000, 500000]);
  const unspents = [
    { ...outpoints(funded)[0]!, confirmations: 0 }, // unconfirmed: never spent
    { ...outpoints(funded)[1]!, status: { confirmed: true } },
  ];

  it('margin in: confirmed multisig UTXOs to serverAddress, change to the multisig, §6.2 template', () => {
    const b = buildMarginIn(account, unspents, { ...policy, amount: 200000 });
    const tx = Transaction.fromHex(b.hex);
    expect(txOutpoints(tx)).toEqual([{ txid: funded[1]!.txid, vout: 1 }]);
    expect(tx.version).toBe(1);
    expect(tx.locktime).toBe(0);
    expect(tx.ins[0]!.sequence).toBe(0xffffffff);
    const outs = tx.outs.map((o) => [scriptAddress(o.script, 'testnet'), Number(o.value)]);
    const fee = feeForSize(estimateSize(1, 2), 50000);
    expect(outs).toEqual([
      [account.serverAddress, 200000],
      [account.accountid, 500000 - 200000 - fee],
    ]);
    expect(b.fee).toBe(fee);
    expect(b.outputs.map((o) => o.role)).toEqual(['payment', 'change']);
  });

  it('withdraw to any valid address of the network, including bech32', () => {
    const bech = 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx';
    const b = buildWithdraw(account, unspents, bech, { ...policy, amount: 'max' });
    expect(b.outputs).toEqual([{ address: bech, value: 500000 - feeForSize(estimateSize(1, 1), 50000), role: 'payment' }]);
  });

  it('withdraw refuses other-network and invalid destinations', () => {
    expect(() => buildWithdraw(account, unspents, MAINNET_ADDRESS, { ...policy, amount: 200000 })).toThrow(/bitcoin address, expected testnet/);
    expect(() => buildWithdraw(account, unspents, 'not-an-address', { ...policy, amount: 200000 })).toThrow(/Invalid testnet address/);
    expect(() => buildWithdraw(account, unspents, account.accountid, { ...policy, amount: 200000 })).toThrow(/multisig account itself/);
  });

  it('refuses a UTXO listed twice', () => {
    const u = { ...outpoints(funded)[1]!, confirmations: 1 };
    expect(() => buildMarginIn(account, [u, u], { ...policy, amount: 200000 })).toThrow(/listed twice/);
  });
});

describe('recoveryShapeProblems', () => {
  const funded = fundAccount([300000, 400000]);

  it('accepts the honest shape', () => {
    expect(recoveryShapeProblems(honestRecovery(funded).tx, account, outpoints(funded))).toEqual([]);
  });

  it('flags a foreign output, a second output, an unknown input and a repeated input', () => {
    const tx = serverTx({
      inputs: [...outpoints(funded)],
      outputs: [
        { address: account.userid, value: 300000 },
        { address: STRANGER, value: 390000 },
      ],
    });
    const codes = recoveryShapeProblems(tx, account, outpoints(funded).slice(0, 1)).map((p) => p.code);
    expect(codes).toEqual(['input-not-account-utxo', 'output-not-requested', 'output-not-requested']);
    const dup = serverTx({ inputs: [outpoints(funded)[0]!, outpoints(funded)[0]!], outputs: [{ address: account.userid, value: 1 }], sign: false });
    expect(recoveryShapeProblems(dup, account).map((p) => p.code)).toEqual(['duplicate-input']);
  });
});

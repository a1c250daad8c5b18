// The miner fee of the expiry settlement transaction (settlement.ts): the wallet's §6.2 estimate at feePerKB,
// never below config.minimumFee, paid by the exchange fee address — so the users' margin moves by exactly their
// P&L however small the transfers are. Fixture-style: each case states balances, transfers and the outcome.
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { Chain } from '../../../main/localnet/chain/chain';
import { classifyOutput, p2pkhAddress } from '../../../main/localnet/chain/script';
import { DEFAULT_CONFIG } from '../../../main/localnet/engine/listing';
import { signerOf } from '../../../main/localnet/money';
import { Users, type UserRecord } from '../../../main/localnet/server/users';
import { buildSettlementTx, type SettlementInput } from '../../../main/localnet/settlement';
import { estimateSize, feeForSize } from '../../../main/wallet/txbuild';
import { key, T0 } from './chain-helpers';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const directory = new Users(new Uint8Array(32).fill(9));
const users: UserRecord[] = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'].map((l) => directory.ensure(toHex(key(l).publicKey)));
const feeKey = key('exchange fee');
const FEE_ADDRESS = p2pkhAddress(feeKey.publicKey);
const MIN = DEFAULT_CONFIG.minimumFee; // 50 000
const PER_KB = DEFAULT_CONFIG.feePerKB; // 50 000
const sizeFee = (nIn: number, nOut: number) => feeForSize(estimateSize(nIn, nOut, 'p2pkh'), PER_KB);

interface Case {
  name: string;
  /** margin balance (one UTXO) of users[i]; 0 = none */
  margins: number[];
  /** fee address UTXOs */
  feeFunds: number[];
  /** transfer of users[i] (Σ transfers + fees = 0) */
  transfers: number[];
  fees: number;
  /** undefined = not passed (DEFAULT_CONFIG.minimumFee) */
  minimumFee?: number;
}

function setup(c: Case): { chain: Chain; input: SettlementInput } {
  const chain = new Chain({ genesisTime: T0 });
  let t = T0;
  c.margins.forEach((m, i) => m > 0 && chain.faucet(users[i]!.serverAddress, m, (t += 1000)));
  for (const v of c.feeFunds) chain.faucet(FEE_ADDRESS, v, (t += 1000));
  const transfers = Object.fromEntries(c.transfers.map((v, i) => [users[i]!.userid, v]));
  const input: SettlementInput = {
    chain,
    settlement: { symbol: 'BTCUSD7J28', price: 1000, transfers, fees: c.fees },
    party: (userid) => {
      const u = users.find((x) => x.userid === userid);
      return u ? { address: u.serverAddress, signer: signerOf(u.serverPrivateKey) } : undefined;
    },
    feeAddress: FEE_ADDRESS,
    feeSigner: signerOf(feeKey.privateKey!),
    feePerKB: PER_KB,
  };
  if (c.minimumFee !== undefined) input.minimumFee = c.minimumFee;
  return { chain, input };
}

/** Net satoshi the transaction moves into each address (paid − spent), and the fee it really pays. */
function flows(chain: Chain, hex: string) {
  const tx = Transaction.fromHex(hex);
  const net = new Map<string, number>();
  const add = (a: string, v: number) => net.set(a, (net.get(a) ?? 0) + v);
  let fee = 0;
  for (const i of tx.ins) {
    const prev = chain.tx(toHex(Uint8Array.from(i.hash).reverse()))!.outputs[i.index]!;
    add(prev.address!, -prev.value);
    fee += prev.value;
  }
  for (const o of tx.outs) {
    add(classifyOutput(o.script).address!, Number(o.value));
    fee -= Number(o.value);
  }
  return { tx, fee, net: (a: string) => net.get(a) ?? 0 };
}

const M = 1_000_000;
const VALID: (Case & { fee: number })[] = [
  // 2 inputs (loser, fee address) and 3 outputs: 410 bytes → 20 500 at feePerKB; the floor is paid
  { name: 'small transfers: the miner fee is minimumFee, the users move by exactly their P&L', margins: [M, M], feeFunds: [1e8], transfers: [1000, -1500], fees: 500, fee: MIN },
  { name: 'a single-satoshi P&L', margins: [M, M], feeFunds: [1e8], transfers: [1, -1], fees: 0, fee: MIN },
  { name: 'commission only (no winner)', margins: [M], feeFunds: [1e8], transfers: [-3000], fees: 3000, fee: MIN },
  { name: 'minimumFee passed explicitly', margins: [M, M], feeFunds: [1e8], transfers: [1000, -1500], fees: 500, minimumFee: 80_000, fee: 80_000 },
  { name: 'minimumFee 0: the size fee alone', margins: [M, M], feeFunds: [1e8], transfers: [1000, -1500], fees: 500, minimumFee: 0, fee: sizeFee(2, 3) },
  // the fee address's first UTXO (30 000) does not cover the floor: a second one is added (3 inputs, 3 outputs)
  { name: 'the fee address adds UTXOs until it covers the floor', margins: [M, M], feeFunds: [30_000, 1e8], transfers: [1000, -1500], fees: 500, fee: MIN },
  // a loser short of its loss: the fee address covers the shortfall on top of the fee
  { name: 'shortfall and floor both paid by the fee address', margins: [M, 5000], feeFunds: [1e8], transfers: [8000, -8000], fees: 0, fee: MIN },
  // 6 losers + 1 fee input, 1 winner + 6 changes + fee output: 7×149 + 8×34 + 10 = 1325 bytes → 66 250
  { name: 'many parties: the size fee is above the floor and is paid', margins: [M, M, M, M, M, M, M], feeFunds: [1e8], transfers: [12_000, -2000, -2000, -2000, -2000, -2000, -2000], fees: 0, fee: 66_250 },
];

describe('settlement transaction pays at least config.minimumFee', () => {
  it.each(VALID)('$name', (c) => {
    const { chain, input } = setup(c);
    const built = buildSettlementTx(input)!;
    expect(built).not.toBeNull();
    expect(built.fee).toBe(c.fee);
    expect(built.fee).toBeGreaterThanOrEqual(c.minimumFee ?? MIN);
    const f = flows(chain, built.hex);
    expect(f.fee).toBe(built.fee);
    expect(built.fee).toBe(Math.max(c.minimumFee ?? MIN, sizeFee(f.tx.ins.length, f.tx.outs.length)));
    // each user's margin moves by exactly its transfer (what a short loser lacks is the shortfall)
    c.transfers.forEach((v, i) => {
      const have = c.margins[i] ?? 0;
      expect(f.net(users[i]!.serverAddress)).toBe(v < 0 ? -Math.min(have, -v) : v);
    });
    // the fee address collects the fees and pays the miner fee and the shortfall
    expect(f.net(FEE_ADDRESS)).toBe(c.fees - built.fee - built.shortfall);
    // every input signed, the chain accepts it
    expect(chain.submit(built.hex, T0 + 100_000)).toBe(f.tx.getId());
  });

  it('without minimumFee the floor is the local exchange config value (DEFAULT_CONFIG.minimumFee)', () => {
    const c = VALID[0]!;
    const omitted = buildSettlementTx(setup(c).input)!;
    const given = buildSettlementTx(setup({ ...c, minimumFee: DEFAULT_CONFIG.minimumFee }).input)!;
    expect(omitted.fee).toBe(MIN);
    expect(omitted.hex).toBe(given.hex);
  });

  it('no transfer and no fee: no transaction', () => {
    expect(buildSettlementTx(setup({ name: '', margins: [M], feeFunds: [1e8], transfers: [0], fees: 0 }).input)).toBeNull();
  });
});

const INVALID: (Case & { error: RegExp })[] = [
  // 20 500 − 500 would be payable from 30 000; the 50 000 floor is not
  { name: 'the fee address cannot pay the floor', margins: [M, M], feeFunds: [30_000], transfers: [1000, -1500], fees: 500, error: /the exchange fee address \S+ cannot pay 19500 satoshi/ },
  { name: 'an empty fee address and a fee-less settlement', margins: [M, M], feeFunds: [], transfers: [1000, -1000], fees: 0, error: /cannot pay 50000 satoshi/ },
  { name: 'a negative minimumFee', margins: [M, M], feeFunds: [1e8], transfers: [1000, -1000], fees: 0, minimumFee: -1, error: /minimumFee must be a non-negative integer/ },
];

describe('settlement refusals', () => {
  it.each(INVALID)('$name', (c) => {
    const { chain, input } = setup(c);
    expect(() => buildSettlementTx(input)).toThrow(c.error);
    expect(chain.mempoolTxids()).toEqual([]);
  });

  it('the unfundable cases are unfundable because of the floor (they build with minimumFee 0)', () => {
    const c = INVALID[0]!;
    expect(buildSettlementTx(setup({ ...c, minimumFee: 0 }).input)!.fee).toBe(sizeFee(2, 3));
  });
});

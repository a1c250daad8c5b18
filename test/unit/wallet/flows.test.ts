import { beforeEach, describe, expect, it } from 'vitest';
import { Transaction } from 'bitcoinjs-lib';
import { MoneyOperationRefused } from '../../../main/wallet/apikey-file';
import { scriptAddress } from '../../../main/wallet/account';
import { ConfirmationRejected, replyTxid, WalletFlows, walletPolicy, type ConfirmSubject } from '../../../main/wallet/flows';
import { parseRedeem, verifyTransaction } from '../../../main/wallet/multisig';
import { ReviewRefused, type Review } from '../../../main/wallet/review';
import { CONFIG, FakeExchangeClient, MemoryChain } from './fake-chain';
import { account, countingSigner, fundAccount, MAINNET_ADDRESS, STRANGER, user, type Funded } from './tx-fixtures';

let chain: MemoryChain;
let client: FakeExchangeClient;
let signer: ReturnType<typeof countingSigner>;
let funded: Funded[];
let seen: ConfirmSubject[];
let answer: boolean;

const redeem = parseRedeem(account.redeem);

function flows(extra: Partial<ConstructorParameters<typeof WalletFlows>[0]> = {}): WalletFlows {
  return new WalletFlows({
    account,
    client,
    chain,
    signer,
    confirmer: { confirm: async (s) => (seen.push(s), answer) },
    ...extra,
  });
}

function submitted(): Transaction {
  const call = client.calls.find((c) => c.method === 'marginIn' || c.method === 'withdraw')!;
  const hex = call.method === 'marginIn' ? (call.args[0] as string[])[0]! : (call.args[0] as string);
  return Transaction.fromHex(hex);
}

function outputsOf(tx: Transaction): [string | null, number][] {
  return tx.outs.map((o) => [scriptAddress(o.script, 'testnet'), Number(o.value)]);
}

beforeEach(() => {
  chain = new MemoryChain();
  client = new FakeExchangeClient();
  signer = countingSigner(user);
  funded = fundAccount([300000, 450000]);
  chain.fund(account.accountid, funded);
  seen = [];
  answer = true;
});

describe('margin in', () => {
  it('builds from chain UTXOs, reviews, asks, signs the user half and submits', async () => {
    const r = await flows().marginIn(200000);
    const fee = Math.round((50000 * (250 + 2 * 34 + 10)) / 1000);
    expect(r).toMatchObject({ operation: 'margin-in', amount: 200000, fee, txid: 'cd'.repeat(32) });
    const tx = submitted();
    expect(outputsOf(tx)).toEqual([
      [account.serverAddress, 200000],
      [account.accountid, 300000 - 200000 - fee],
    ]);
    expect(r.signedHex).toBe(tx.toHex());
    // the user's half is valid, the server's is still missing
    const check = verifyTransaction(tx, redeem);
    expect(check.complete).toBe(false);
    expect(check.inputs.every((i) => i.slots.filter((s) => s.valid).length === 1)).toBe(true);
    // the user saw the review of exactly this transaction, with a verified fee
    expect(seen).toHaveLength(1);
    const review = seen[0] as Review;
    expect(review).toMatchObject({ kind: 'margin-in', ok: true, amount: 200000, fee, feeVerified: true });
    expect(client.money()).toEqual(['marginIn']);
    expect(chain.calls).toContain(`txHex ${funded[0]!.txid}`);
  });

  it('max: everything confirmed, one output, no change', async () => {
    chain.fund(account.accountid, fundAccount([77777]), 0); // unconfirmed: not spent
    const r = await flows().marginIn('max');
    const fee = Math.round((50000 * (2 * 250 + 34 + 10)) / 1000);
    expect(outputsOf(submitted())).toEqual([[account.serverAddress, 750000 - fee]]);
    expect(r.amount).toBe(750000 - fee);
    expect(submitted().ins).toHaveLength(2);
  });

  it('a rejected confirmation signs nothing and sends nothing', async () => {
    answer = false;
    let err: unknown;
    try {
      await flows().marginIn(200000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfirmationRejected);
    expect((err as Error).message).toMatch(/margin-in was cancelled; nothing was signed or sent/);
    expect(signer.calls).toBe(0);
    expect(client.money()).toEqual([]);
  });

  it('the key is fetched only after the user confirmed', async () => {
    let fetched = 0;
    answer = false;
    const lazy = () => (fetched++, signer);
    await expect(flows({ signer: lazy }).marginIn(200000)).rejects.toBeInstanceOf(ConfirmationRejected);
    expect(fetched).toBe(0);
    answer = true;
    await flows({ signer: lazy }).marginIn(200000);
    expect(fetched).toBe(1);
  });

  it('a fee above the maximum is refused before the user is asked', async () => {
    await expect(flows({ maximumFee: 1000 }).marginIn(200000)).rejects.toThrow(/above the configured maximum of 1000 sat/);
    expect(seen).toHaveLength(0);
    expect(signer.calls).toBe(0);
  });

  it('previous transactions the chain cannot give: the review says the fee is unverified', async () => {
    chain.txs.clear();
    await flows().marginIn(200000);
    const review = seen[0] as Review;
    expect(review.feeVerified).toBe(false);
    expect(review.feeUnverifiedReason).toMatch(/the chain did not return 1 previous transaction/);
  });

  it('insufficient confirmed funds', async () => {
    await expect(flows().marginIn(800000)).rejects.toThrow(/Insufficient confirmed funds/);
    expect(client.money()).toEqual([]);
  });
});

describe('withdraw', () => {
  it('to any address of the network, with the fee from config', async () => {
    const r = await flows().withdraw(STRANGER, 100000);
    expect(outputsOf(submitted())[0]).toEqual([STRANGER, 100000]);
    expect((seen[0] as Review).kind).toBe('withdraw');
    expect(r.txid).toBe('cd'.repeat(32));
  });

  it('explicit fee, feePerKB and fee estimates', async () => {
    await flows().withdraw(STRANGER, 100000, { fee: 4321.9 });
    expect(Number(submitted().outs[1]!.value)).toBe(300000 - 100000 - 4321);
    client.calls.length = 0;
    await flows().withdraw(STRANGER, 100000, { feeTarget: 6 }); // 10 sat/vB → 10000 sat/kB
    expect(Number(submitted().outs[1]!.value)).toBe(300000 - 100000 - Math.round((10000 * 328) / 1000));
    client.calls.length = 0;
    await flows({ defaultFee: { feePerKB: 20000 } }).withdraw(STRANGER, 100000);
    expect(Number(submitted().outs[1]!.value)).toBe(300000 - 100000 - Math.round((20000 * 328) / 1000));
  });

  it('max', async () => {
    await flows().withdraw(STRANGER, 'max');
    expect(outputsOf(submitted())).toEqual([[STRANGER, 750000 - 27200]]);
  });

  it('bad destinations are refused before any request', async () => {
    await expect(flows().withdraw(MAINNET_ADDRESS, 100000)).rejects.toThrow(/is a bitcoin address, expected testnet/);
    await expect(flows().withdraw('2NEmYU7U5C2B8WMP7AceBV7KNPTip7C1dY7', 100000)).rejects.toThrow(/Invalid testnet address/);
    await expect(flows().withdraw(account.accountid, 100000)).rejects.toThrow(/multisig account itself/);
    await expect(flows().withdraw(STRANGER, 0)).rejects.toThrow(/positive whole number/);
    await expect(flows().withdraw(STRANGER, 1.5)).rejects.toThrow(/positive whole number/);
    expect(client.calls).toEqual([]);
    expect(chain.calls).toEqual([]);
  });

  it('an exchange on another network is refused', async () => {
    client.config_ = { ...CONFIG, network: 'bitcoin' };
    await expect(flows().withdraw(STRANGER, 100000)).rejects.toThrow(/runs on bitcoin/);
    expect(signer.calls).toBe(0);
  });
});

describe('margin out', () => {
  it('asks with what moves where, then calls the exchange', async () => {
    client.reply = { txid: 'ef'.repeat(32), amount: 50000, fee: 11350 };
    const r = await flows().marginOut(50000);
    expect(seen).toEqual([{ kind: 'margin-out', amount: 50000, from: account.serverAddress, to: account.accountid }]);
    expect(r).toEqual({ operation: 'margin-out', amount: 50000, txid: 'ef'.repeat(32), moved: 50000, fee: 11350, reply: client.reply });
    expect(client.calls).toEqual([{ method: 'marginOut', args: [50000] }]);
    client.reply = { ok: true };
    expect(await flows().marginOutAll()).toMatchObject({ amount: 'all', txid: null, moved: null, fee: null });
    expect(seen[1]).toMatchObject({ kind: 'margin-out', amount: 'all' });
    expect(client.money()).toEqual(['marginOut', 'marginOutAll']);
  });

  it('rejected: nothing sent', async () => {
    answer = false;
    await expect(flows().marginOut(50000)).rejects.toBeInstanceOf(ConfirmationRejected);
    await expect(flows().marginOutAll()).rejects.toBeInstanceOf(ConfirmationRejected);
    expect(client.calls).toEqual([]);
  });

  it('bad amounts', async () => {
    await expect(flows().marginOut(-1)).rejects.toThrow(/positive whole number/);
    expect(seen).toEqual([]);
  });
});

describe('API-key mode', () => {
  it('every money operation is refused before any request', async () => {
    const f = flows({ mode: 'api-key' });
    for (const p of [f.marginIn(100000), f.marginIn('max'), f.marginOut(1000), f.marginOutAll(), f.withdraw(STRANGER, 100000)]) {
      await expect(p).rejects.toBeInstanceOf(MoneyOperationRefused);
    }
    await expect(f.withdraw(STRANGER, 'max')).rejects.toThrow(/API key that cannot move coins/);
    expect(client.calls).toEqual([]);
    expect(chain.calls).toEqual([]);
    expect(seen).toEqual([]);
    expect(signer.calls).toBe(0);
  });
});

describe('helpers', () => {
  it('replyTxid finds the txid in the shapes exchanges answer with', () => {
    const t = 'ab'.repeat(32);
    expect(replyTxid({ txid: t })).toBe(t);
    expect(replyTxid([{ txid: t.toUpperCase() }])).toBe(t);
    expect(replyTxid({ txids: [t] })).toBe(t);
    expect(replyTxid({ result: { tx: { txid: t } } })).toBe(t);
    expect(replyTxid({ ok: true })).toBeNull();
    expect(replyTxid('nope')).toBeNull();
  });

  it('walletPolicy checks the config', () => {
    expect(walletPolicy(CONFIG)).toEqual({ network: 'testnet', feePerKB: 50000, recoveryFeePerKB: 25000, dust: 10000, minimumFee: 1000, maximumFee: 100000 });
    expect(walletPolicy(CONFIG, { maximumFee: 5 }).maximumFee).toBe(5);
    expect(() => walletPolicy({ ...CONFIG, feePerKB: -1 })).toThrow(/feePerKB/);
    expect(() => walletPolicy({ ...CONFIG, network: 'regtest' as 'testnet' })).toThrow(/network/);
    expect(() => walletPolicy(undefined)).toThrow(/missing/);
  });

  it('a review refusal is thrown before the user is asked', async () => {
    // a chain that lies about a UTXO value: the previous transaction says otherwise
    chain.utxos.get(account.accountid)![0]!.value = 310000;
    await expect(flows().marginIn(200000)).rejects.toBeInstanceOf(ReviewRefused);
    expect(seen).toEqual([]);
    expect(signer.calls).toBe(0);
  });
});

// Money movement through the real server (PROTOCOL §6, §8.8–8.10) with the wallet modules building and signing
// the user's side: faucet → margin in → margin out → partial withdraw → recovery tx accepted by the chain.
import { Transaction } from 'bitcoinjs-lib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRedeem, signerFromWif, signTransaction, verifyTransaction } from '../../main/wallet/multisig';
import { recoveryShapeProblems, unsignedTx } from '../../main/wallet/txbuild';
import { outputScript } from '../../main/wallet/account';
import { generateWif, identity } from '../../main/coinpit/identity';
import {
  faucet,
  marginInTx,
  mine,
  newUser,
  order,
  rawRequest,
  signedRequest,
  startTestNet,
  stopTestNet,
  unspents,
  withdrawTx,
  type TestNet,
  type TestUser,
} from './helpers/localnet';

let net: TestNet;
let u: TestUser;

beforeEach(async () => {
  net = await startTestNet();
  u = await newUser(net);
});
afterEach(async () => stopTestNet(net));

const balance = (addr: string) => {
  const b = net.exchange.chain.balance(addr);
  return b.confirmed + b.unconfirmed;
};

describe('localnet money movement', () => {
  it('faucet → margin in → margin out → partial withdraw → recovery', async () => {
    await faucet(net, u.account.accountid, 300_000_000);
    let acc = await u.client.account();
    expect(acc.multisig).toBe(300_000_000);
    expect(acc.accountMargin).toBe(0);

    // margin in: user-signed multisig spend, co-signed and broadcast by the server
    const hex = await marginInTx(net, u, 100_000_000);
    const reply = (await u.client.marginIn([hex])) as { txids: string[] };
    expect(reply.txids).toHaveLength(1);
    const submitted = Transaction.fromHex(net.exchange.chain.txHex(reply.txids[0]!)!);
    expect(verifyTransaction(submitted, parseRedeem(u.account.redeem)).complete).toBe(true);
    expect(balance(u.account.serverAddress)).toBe(100_000_000); // counts while unconfirmed
    acc = await u.client.account();
    expect(acc.accountMargin).toBe(100_000_000);
    expect(acc.margin).toBe(100_000_000);
    await mine(net);
    const info = await u.client.marginInfo();
    expect(info).toEqual({ address: u.account.serverAddress, confirmed: 100_000_000, unconfirmed: 0, balance: 100_000_000, available: 100_000_000 });

    // margin out: server-signed spend from the margin address back to the multisig, fee on top
    const out = (await u.client.marginOut(30_000_000)) as { txid: string; amount: number; fee: number };
    expect(out.amount).toBe(30_000_000);
    expect(out.fee).toBe(50_000); // config.minimumFee: the size fee of this 1-in/2-out spend is 11 350
    expect(balance(u.account.serverAddress)).toBe(70_000_000 - out.fee);
    const outTx: any = await (await fetch(`${net.url}/esplora/tx/${out.txid}`)).json();
    expect(outTx.vout.find((o: any) => o.scriptpubkey_address === u.account.accountid).value).toBe(30_000_000);
    await mine(net);

    // partial withdraw to a foreign address, change back to the multisig
    const dest = identity(generateWif('testnet')).userid;
    const multisigBefore = balance(u.account.accountid);
    const w = await u.client.withdraw(await withdrawTx(net, u, dest, 50_000_000));
    expect(balance(dest)).toBe(50_000_000);
    const wTx = net.exchange.chain.tx(w.txid)!;
    expect(wTx.outputs.map((o) => o.address).sort()).toEqual([dest, u.account.accountid].sort());
    expect(balance(u.account.accountid)).toBe(multisigBefore - 50_000_000 - wTx.fee);
    await mine(net);

    // recovery: every confirmed multisig UTXO to the user's own address, server-signed; the user completes it
    const rec = await u.client.recoveryTx();
    const utxos = await unspents(net, u.account.accountid);
    expect(rec.inputs.map((i) => `${i.txid}:${i.vout}`).sort()).toEqual(utxos.map((x) => `${x.txid}:${x.vout}`).sort());
    const tx = Transaction.fromHex(rec.tx);
    expect(tx.version).toBe(2);
    expect(tx.locktime).toBe(0);
    expect(tx.ins.every((i) => i.sequence === 0xfffffffe)).toBe(true);
    expect(recoveryShapeProblems(tx, u.account, rec.inputs)).toEqual([]);
    const total = rec.inputs.reduce((s, i) => s + i.value, 0);
    expect(Number(tx.outs[0]!.value)).toBe(total - rec.fee);
    const signed = signTransaction(tx, parseRedeem(u.account.redeem), signerFromWif(u.wif));
    expect(signed.complete).toBe(true);
    const sent = await rawRequest(`${net.url}/esplora/tx`, 'POST', signed.tx.toHex(), { 'Content-Type': 'text/plain' });
    expect(sent.status).toBe(200);
    expect(balance(u.userid)).toBe(total - rec.fee);
    expect(balance(u.account.accountid)).toBe(0);
  });

  it('withdrawtx pays feePerKB and recoverytx recoveryFeePerKB, both at least minimumFee; both path families; empty or too small multisig → 422', async () => {
    const empty = await signedRequest(net, u, 'GET', '/account/withdrawtx');
    expect(empty.status).toBe(422);
    expect(empty.body.error).toMatch(/No confirmed funds/);
    await faucet(net, u.account.accountid, 100_000_000);
    const w1 = await u.client.withdrawTx();
    const w2 = (await signedRequest(net, u, 'GET', '/withdrawtx')).body;
    const r = await u.client.recoveryTx();
    expect(w2).toEqual(w1);
    // one multisig input, one output: 10 + 250 + 34 bytes → 14 700 / 7 350, both under config.minimumFee
    const cfg = (await u.client.config()).config;
    expect(cfg.minimumFee).toBe(50000);
    expect(w1.fee).toBe(Math.max(cfg.minimumFee, Math.round((50000 * 294) / 1000)));
    expect(r.fee).toBe(Math.max(cfg.minimumFee, Math.round((25000 * 294) / 1000)));
    expect(w1.fee).toBe(50000);
    expect(r.fee).toBe(50000);
    expect(r.fee).toBeLessThanOrEqual(cfg.maximumFee);
    expect(verifyTransaction(Transaction.fromHex(w1.tx), parseRedeem(u.account.redeem)).inputs[0]!.slots.filter((s) => s.valid)).toHaveLength(1);

    // a multisig that cannot pay the minimumFee and keep more than dust: a clear 422, not a crash
    const poor = await newUser(net);
    await faucet(net, poor.account.accountid, 55_000);
    for (const uri of ['/account/recoverytx', '/account/withdrawtx']) {
      const small = await signedRequest(net, poor, 'GET', uri);
      expect(small.status).toBe(422);
      expect(small.body.error).toBe('Cannot build the transaction: Confirmed balance 55000 sat is too small: after the 50000 sat fee nothing above dust (10000 sat) is left');
    }
  });

  it('the /margin family: POST /margin {txs} and DELETE /margin (all free margin); POST /account/withdraw', async () => {
    await faucet(net, u.account.accountid, 300_000_000);
    const hex = await marginInTx(net, u, 100_000_000);
    const r = await signedRequest(net, u, 'POST', '/margin', { txs: [hex] }, { headers: { requestid: 'f5e5a3a2-8f0e-4c1d-9a57-0b8f1f1c2d3e' } });
    expect(r.status).toBe(200);
    expect(r.body.txids).toHaveLength(1);
    await mine(net);
    // an open order holds margin: DELETE /margin leaves it
    const sym = net.symbols[0]!;
    await u.client.createOrders(sym, [order(u, sym, { price: 995, quantity: 10 })]);
    const held = 100_000_000 - (await u.client.account()).margin;
    expect(held).toBeGreaterThan(0);
    // amount + the minimumFee must fit the free margin: 1 satoshi over is refused
    const over = await signedRequest(net, u, 'DELETE', `/account/margin/${100_000_000 - held - 50_000 + 1}`);
    expect(over.status).toBe(422);
    expect(over.body.error).toBe('Insufficient margin');
    const all = await signedRequest(net, u, 'DELETE', '/margin');
    expect(all.status).toBe(200);
    // everything free minus the fee: exactly what the orders hold stays behind
    expect(all.body.fee).toBe(50_000);
    expect(all.body.amount + all.body.fee).toBe(100_000_000 - held);
    expect(balance(u.account.serverAddress)).toBe(held);
    expect((await u.client.account()).margin).toBeGreaterThanOrEqual(0);
    const more = await signedRequest(net, u, 'DELETE', '/account/margin/20000');
    expect(more.status).toBe(422);
    expect(more.body.error).toBe('Insufficient margin');
    await mine(net);
    const dest = identity(generateWif('testnet')).userid;
    const w = await signedRequest(net, u, 'POST', '/account/withdraw', { tx: await withdrawTx(net, u, dest, 20_000_000) });
    expect(w.status).toBe(200);
    expect(balance(dest)).toBe(20_000_000);
  });

  it('refuses bad money requests with 422 and changes nothing', async () => {
    await faucet(net, u.account.accountid, 300_000_000);
    const other = await newUser(net);
    await faucet(net, other.account.accountid, 300_000_000);
    const mempool = () => net.exchange.chain.mempoolTxids().length;
    const before = mempool();

    const noMargin = (await u.client.marginOut(1_000_000).catch((e: unknown) => e)) as { status?: number };
    expect(noMargin.status).toBe(422); // no margin at all
    const tooMuch = await signedRequest(net, u, 'DELETE', '/account/margin/abc');
    expect(tooMuch.status).toBe(422);
    // another user's multisig coins
    const foreign = await marginInTx(net, other, 10_000_000);
    const r1 = await signedRequest(net, u, 'POST', '/account/margin', [{ txs: [foreign] }]);
    expect(r1.status).toBe(422);
    expect(r1.body.error).toMatch(/not an output of your multisig/);
    // unsigned by the user
    const unsigned = Transaction.fromHex(await marginInTx(net, u, 10_000_000));
    unsigned.ins.forEach((_, i) => unsigned.setInputScript(i, new Uint8Array(0)));
    const r2 = await signedRequest(net, u, 'POST', '/account/margin', [{ txs: [unsigned.toHex()] }]);
    expect(r2.status).toBe(422);
    expect(r2.body.error).toMatch(/valid signature/);
    // a "margin" transaction paying somewhere else
    const dest = identity(generateWif('testnet')).userid;
    const r3 = await signedRequest(net, u, 'POST', '/account/margin', [{ txs: [await withdrawTx(net, u, dest, 10_000_000)] }]);
    expect(r3.status).toBe(422);
    // garbage
    for (const body of [[{ txs: ['zz'] }], [{ txs: [] }], { nope: 1 }, [{ txs: ['00'] }]]) {
      const r = await signedRequest(net, u, 'POST', '/account/margin', body);
      expect(r.status).toBe(422);
      expect(typeof r.body.error).toBe('string');
    }
    // a withdraw sending its change elsewhere: two foreign outputs
    const [utxo] = await unspents(net, u.account.accountid);
    const dest2 = identity(generateWif('testnet')).userid;
    const twoWay = unsignedTx([utxo!], [
      { script: outputScript(dest, 'testnet'), value: 10_000_000 },
      { script: outputScript(dest2, 'testnet'), value: utxo!.value - 10_100_000 },
    ]);
    const signed = signTransaction(twoWay, parseRedeem(u.account.redeem), signerFromWif(u.wif)).tx;
    const r4 = await signedRequest(net, u, 'POST', '/tx', { tx: signed.toHex() });
    expect(r4.status).toBe(422);
    expect(r4.body.error).toMatch(/Change must return/);
    expect(mempool()).toBe(before);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildP2pkhSpend } from '../../../main/localnet/chain/build';
import { Chain } from '../../../main/localnet/chain/chain';
import { btc, btcString, handleInsight, insightTxEvent } from '../../../main/localnet/chain/insight';
import { addressToScript, toHex } from '../../../main/localnet/chain/script';
import { alice, aliceAddr, bobAddr, BTC, funded, multisigAddr, T0 } from './chain-helpers';

const vectors = JSON.parse(readFileSync('test/fixtures/vectors/insight.json', 'utf8'));
const txutil = JSON.parse(readFileSync('test/fixtures/vectors/txutil.json', 'utf8'));

function getJson(chain: Chain, path: string): any {
  const r = handleInsight(chain, 'GET', path);
  expect(r.status, r.body).toBe(200);
  expect(r.contentType).toBe('application/json');
  return JSON.parse(r.body);
}

/** insight-util's normalisation of a utxo amount (PROTOCOL §6.7). */
const toSat = (amount: number): number => Number((amount * 1e8).toFixed(0));

function scenario() {
  const { chain, utxo } = funded(aliceAddr);
  chain.faucet(multisigAddr, 79_790_000, T0 + 1500);
  const spend = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 1_000_000 }], keys: [alice] });
  const r = handleInsight(chain, 'POST', '/tx/send', { rawtx: spend.hex }, T0 + 2000);
  return { chain, utxo, spend, txid: JSON.parse(r.body).txid as string };
}

describe('Insight subset', () => {
  it('GET /sync has the fixture shape with status "finished"', () => {
    const chain = new Chain();
    chain.mine(4, 1);
    const sync = getJson(chain, '/sync');
    expect(Object.keys(sync).sort()).toEqual(Object.keys(vectors.sync_response).sort());
    expect(sync).toEqual({ ...vectors.sync_response, blockChainHeight: 4, height: 4 });
  });

  it('GET /addrs/:a1,a2/utxo has the fixture keys, BTC amounts that normalise back, and confirmations', () => {
    const { chain, txid, spend } = scenario();
    const list = getJson(chain, `/addrs/${multisigAddr},${bobAddr}/utxo`);
    const fixtureKeys = Object.keys(vectors.utxo_response_first2_raw[0]);
    for (const u of list) expect(Object.keys(u)).toEqual(expect.arrayContaining(fixtureKeys));
    const ms = list.find((u: { address: string }) => u.address === multisigAddr);
    expect(ms).toMatchObject({ vout: 0, amount: 0.7979, satoshis: 79_790_000, confirmations: 1, scriptPubKey: toHex(addressToScript(multisigAddr)), ts: T0 + 1500, height: 2 });
    const bob = list.find((u: { address: string }) => u.address === bobAddr);
    expect(bob).toMatchObject({ txid, vout: 0, amount: 0.01, confirmations: 0, ts: T0 + 2000 });
    expect(bob.height).toBeUndefined();

    // the client's balance rule: confirmations ≠ 0 → confirmed, else unconfirmed (vector: 79790000 confirmed)
    const ms2 = getJson(chain, `/addrs/${multisigAddr}/utxo`);
    const confirmed = ms2.filter((u: any) => u.confirmations !== 0).reduce((s: number, u: any) => s + toSat(u.amount), 0);
    expect(confirmed).toBe(vectors.balance.value.confirmed);
    const alice = getJson(chain, `/addr/${aliceAddr}/utxo`);
    expect(alice.map((u: any) => toSat(u.amount))).toEqual([spend.change]);
    expect(chain.balance(aliceAddr)).toEqual({ confirmed: 0, unconfirmed: spend.change });
  });

  it('POST /addrs/utxo takes {addrs} as JSON or form data', () => {
    const { chain } = scenario();
    const viaJson = handleInsight(chain, 'POST', '/addrs/utxo', JSON.stringify({ addrs: `${bobAddr},${multisigAddr}` }));
    const viaForm = handleInsight(chain, 'POST', '/addrs/utxo', `addrs=${bobAddr}%2C${multisigAddr}`);
    expect(viaJson.status).toBe(200);
    expect(JSON.parse(viaJson.body)).toHaveLength(2);
    expect(viaForm.body).toBe(viaJson.body);
  });

  it('POST /tx/send answers {txid}; refusals are 400 text with the reason and RPC code', () => {
    const { chain, utxo, spend, txid } = scenario();
    expect(txid).toBe(spend.tx.getId());
    const asText = handleInsight(chain, 'POST', '/tx/send', JSON.stringify({ rawtx: spend.hex }), T0 + 2100);
    expect(JSON.parse(asText.body)).toEqual({ txid });
    const asForm = handleInsight(chain, 'POST', '/tx/send', `rawtx=${spend.hex}`, T0 + 2100);
    expect(JSON.parse(asForm.body)).toEqual({ txid });

    const conflict = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: multisigAddr, value: 1_000_000 }], keys: [alice] });
    const r = handleInsight(chain, 'POST', '/tx/send', { rawtx: conflict.hex }, T0 + 3000);
    expect(r).toMatchObject({ status: 400, contentType: 'text/plain' });
    expect(r.body).toMatch(/double spend.*Code:-26$/);
    expect(handleInsight(chain, 'POST', '/tx/send', { rawtx: vectors.send.rawtx }, T0).body).toMatch(/missing input.*Code:-25$/);
    expect(handleInsight(chain, 'POST', '/tx/send', { rawtx: 'xyz' }, T0).body).toMatch(/Code:-22$/);
    expect(handleInsight(chain, 'POST', '/tx/send', {}, T0)).toMatchObject({ status: 400, body: 'Missing parameter: rawtx' });
    expect(handleInsight(chain, 'POST', '/tx/send', '{not json', T0).status).toBe(400);
    expect(handleInsight(chain, 'POST', '/tx/send', { rawtx: 42 }, T0).status).toBe(400);
  });

  it('GET /tx/:txid and /rawtx/:txid', () => {
    const { chain, utxo, spend, txid } = scenario();
    expect(getJson(chain, `/rawtx/${txid}`)).toEqual({ rawtx: spend.hex });
    const tx = getJson(chain, `/tx/${txid}`);
    expect(tx).toMatchObject({
      txid,
      version: 1,
      locktime: 0,
      blockheight: -1,
      confirmations: 0,
      time: Math.floor((T0 + 2000) / 1000),
      valueOut: btc(BTC - spend.fee),
      valueIn: 1,
      fees: btc(spend.fee),
      size: spend.hex.length / 2,
    });
    expect(tx.vin[0]).toMatchObject({ txid: utxo.txid, vout: 0, n: 0, addr: aliceAddr, valueSat: BTC, value: 1, doubleSpentTxID: null });
    expect(tx.vout[0]).toEqual({
      value: '0.01000000',
      n: 0,
      scriptPubKey: { hex: toHex(addressToScript(bobAddr)), asm: expect.stringMatching(/^OP_DUP/), addresses: [bobAddr], type: 'pubkeyhash' },
      spentTxId: null,
      spentIndex: null,
      spentHeight: null,
    });
    const [hash] = chain.mine(1, T0 + 5000);
    const mined = getJson(chain, `/tx/${txid}`);
    expect(mined).toMatchObject({ blockhash: hash, blockheight: 3, confirmations: 1 });
    const cb = getJson(chain, `/tx/${utxo.txid}`);
    expect(cb.isCoinBase).toBe(true);
    expect(cb.vin[0].coinbase).toMatch(/^[0-9a-f]+$/);
    expect(cb.vout[0]).toMatchObject({ value: '1.00000000', spentTxId: txid, spentIndex: 0, spentHeight: 3 });
  });

  it('GET /utils/estimatefee answers BTC/kB that the client turns into sat/kB', () => {
    const chain = new Chain({ feeRate: 232.802 });
    const r = getJson(chain, '/utils/estimatefee');
    expect(Object.keys(r)).toEqual(Object.keys(vectors.estimatefee_response));
    expect(Math.round(r['2'] * 1e8)).toBe(vectors.estimatefee_expected_satoshi_per_kB);
    expect(Object.keys(getJson(chain, '/utils/estimatefee?nbBlocks=2,6'))).toEqual(['2', '6']);
    expect(handleInsight(chain, 'GET', '/utils/estimatefee?nbBlocks=abc').status).toBe(400);
  });

  it('GET /addrs/:addr/txs pages newest first with from/to', () => {
    const { chain, utxo, txid } = scenario();
    const page = getJson(chain, `/addrs/${aliceAddr}/txs`);
    expect(page).toMatchObject({ totalItems: 2, from: 0, to: 2 });
    expect(page.items.map((t: { txid: string }) => t.txid)).toEqual([txid, utxo.txid]);
    const second = getJson(chain, `/addrs/${aliceAddr},${bobAddr}/txs?from=1&to=2`);
    expect(second).toMatchObject({ totalItems: 2, from: 1, to: 2 });
    expect(second.items.map((t: { txid: string }) => t.txid)).toEqual([utxo.txid]);
    expect(handleInsight(chain, 'GET', `/addrs/${aliceAddr}/txs?from=0&to=51`)).toMatchObject({ status: 400 });
    expect(handleInsight(chain, 'GET', `/addrs/${aliceAddr}/txs?from=-1`)).toMatchObject({ status: 400 });
    expect(JSON.parse(handleInsight(chain, 'POST', '/addrs/txs', { addrs: aliceAddr, from: 0, to: 1 }).body).items).toHaveLength(1);
  });

  it('formats BTC like bitcoinutil btcfy and survives satoshify', () => {
    for (const c of txutil.btcfy.cases) {
      const sat = Math.round(c.input);
      expect(String(btc(sat))).toBe(c.expected);
      expect(btcString(sat)).toBe(c.expected);
    }
    for (const c of txutil.satoshify.cases) expect(toSat(btc(c.expected))).toBe(c.expected);
    expect(btcString(1)).toBe('0.00000001');
    expect(btcString(0)).toBe('0.00000000');
    expect(btc(1_000_000)).toBe(vectors.utxo_response_first2_raw[0].amount);
  });

  it('builds the socket `tx` event payload', () => {
    const { chain, txid, spend } = scenario();
    expect(insightTxEvent(chain.tx(txid)!)).toEqual({
      txid,
      valueOut: btc(BTC - spend.fee),
      vout: [{ [bobAddr]: 1_000_000 }, { [aliceAddr]: spend.change }],
      isRBF: false,
    });
  });

  it('answers bad input with 4xx text and never throws', () => {
    const { chain } = scenario();
    const cases: [string, string, number, RegExp?][] = [
      ['GET', '/addrs/notanaddress/utxo', 400, /Invalid address: notanaddress/],
      ['GET', `/addrs/${aliceAddr},1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2/utxo`, 400, /Invalid address/],
      ['GET', `/addrs/${Array.from({ length: 101 }, (_, i) => aliceAddr + i).join(',')}/utxo`, 400, /Too many/],
      ['GET', '/addrs/,,/utxo', 400, /Missing parameter/],
      ['GET', `/addr/${aliceAddr},${bobAddr}/utxo`, 400],
      ['GET', '/tx/abc', 400, /Invalid txid/],
      ['GET', `/tx/${'1'.repeat(64)}`, 404, /Not found/],
      ['GET', `/rawtx/${'1'.repeat(64)}`, 404],
      ['GET', '/nothing', 404],
      ['GET', '/%zz', 400],
      ['PUT', '/tx/send', 405],
      ['POST', '/addrs/utxo', 400, /Missing parameter: addrs/],
      ['POST', '/sync', 404],
    ];
    for (const [method, path, status, body] of cases) {
      const r = handleInsight(chain, method, path, undefined, T0);
      expect(r.status, `${method} ${path}`).toBe(status);
      if (body) expect(r.body).toMatch(body);
    }
    expect(handleInsight(chain, 'GET', null as unknown as string).status).toBe(400);
    expect(handleInsight(chain, 'GET', '/insight-api/sync').status).toBe(200);
  });
});

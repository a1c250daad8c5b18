import { describe, expect, it } from 'vitest';
import { buildP2pkhSpend } from '../../../main/localnet/chain/build';
import { Chain } from '../../../main/localnet/chain/chain';
import { handleEsplora } from '../../../main/localnet/chain/esplora';
import { addressToScript, toHex } from '../../../main/localnet/chain/script';
import { alice, aliceAddr, bobAddr, BTC, funded, multisigAddr, T0 } from './chain-helpers';

function get(chain: Chain, path: string) {
  return handleEsplora(chain, 'GET', path);
}

function getJson(chain: Chain, path: string): any {
  const r = get(chain, path);
  expect(r.status).toBe(200);
  expect(r.contentType).toBe('application/json');
  return JSON.parse(r.body);
}

/** Alice funded (confirmed, block 1) and a mempool payment of 0.3 BTC to Bob. */
function scenario() {
  const { chain, utxo } = funded(aliceAddr);
  const spend = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: bobAddr, value: 30_000_000 }], keys: [alice] });
  const txid = handleEsplora(chain, 'POST', '/tx', spend.hex, T0 + 2000).body;
  return { chain, utxo, spend, txid };
}

describe('Esplora subset', () => {
  it('serves the tip height and hash as text', () => {
    const chain = new Chain({ genesisTime: T0 });
    chain.mine(3, T0 + 1000);
    expect(get(chain, '/blocks/tip/height')).toEqual({ status: 200, body: '3', contentType: 'text/plain' });
    expect(get(chain, '/blocks/tip/hash').body).toBe(chain.tipHash());
    expect(get(chain, '/block-height/2').body).toBe(chain.block(2)!.hash);
    expect(get(chain, '/block-height/9').status).toBe(404);
    // the mount prefix and a query string are tolerated
    expect(get(chain, '/esplora/blocks/tip/height?x=1').body).toBe('3');
  });

  it('POST /tx takes raw hex (string or bytes) and answers the txid as text', () => {
    const { chain, spend, txid } = scenario();
    expect(txid).toBe(spend.tx.getId());
    const again = handleEsplora(chain, 'POST', '/tx', new TextEncoder().encode(spend.hex + '\n'), T0 + 2100);
    expect(again).toEqual({ status: 200, body: txid, contentType: 'text/plain' });
  });

  it('POST /tx refuses invalid transactions with 400 and the reason', () => {
    const { chain, utxo } = scenario();
    const conflict = buildP2pkhSpend({ utxos: [utxo], outputs: [{ address: aliceAddr, value: 1_000_000 }], keys: [alice] });
    const cases: [unknown, RegExp][] = [
      [conflict.hex, /"code":-26.*double spend/],
      ['zz', /"code":-22.*not valid hex/],
      ['', /"code":-22.*empty/],
      [undefined, /"code":-22/],
      ['0100', /"code":-22.*TX decode failed/],
      [{ tx: conflict.hex }, /"code":-22/],
    ];
    for (const [body, re] of cases) {
      const r = handleEsplora(chain, 'POST', '/tx', body, T0 + 3000);
      expect(r.status).toBe(400);
      expect(r.contentType).toBe('text/plain');
      expect(r.body).toMatch(/^sendrawtransaction RPC error: /);
      expect(r.body).toMatch(re);
    }
    expect(chain.mempoolTxids()).toHaveLength(1);
  });

  it('GET /address/:a reports chain_stats and mempool_stats', () => {
    const { chain, spend } = scenario();
    expect(getJson(chain, `/address/${aliceAddr}`)).toEqual({
      address: aliceAddr,
      chain_stats: { funded_txo_count: 1, funded_txo_sum: BTC, spent_txo_count: 0, spent_txo_sum: 0, tx_count: 1 },
      mempool_stats: { funded_txo_count: 1, funded_txo_sum: spend.change, spent_txo_count: 1, spent_txo_sum: BTC, tx_count: 1 },
    });
    const bob = getJson(chain, `/address/${bobAddr}`);
    expect(bob.chain_stats.tx_count).toBe(0);
    expect(bob.mempool_stats.funded_txo_sum).toBe(30_000_000);
    const empty = getJson(chain, `/address/${multisigAddr}`);
    expect(empty.chain_stats).toEqual({ funded_txo_count: 0, funded_txo_sum: 0, spent_txo_count: 0, spent_txo_sum: 0, tx_count: 0 });
  });

  it('GET /address/:a/utxo lists unspent outputs with confirmation status', () => {
    const { chain, txid } = scenario();
    expect(getJson(chain, `/address/${bobAddr}/utxo`)).toEqual([{ txid, vout: 0, status: { confirmed: false }, value: 30_000_000 }]);
    expect(getJson(chain, `/address/${aliceAddr}/utxo`)).toEqual([{ txid, vout: 1, status: { confirmed: false }, value: expect.any(Number) }]);
    const [hash] = chain.mine(1, T0 + 60_500);
    expect(getJson(chain, `/address/${bobAddr}/utxo`)).toEqual([
      { txid, vout: 0, status: { confirmed: true, block_height: 2, block_hash: hash, block_time: Math.floor((T0 + 60_500) / 1000) }, value: 30_000_000 },
    ]);
  });

  it('GET /tx/:txid, /hex and /status', () => {
    const { chain, utxo, spend, txid } = scenario();
    const tx = getJson(chain, `/tx/${txid}`);
    expect(tx).toMatchObject({ txid, version: 1, locktime: 0, size: spend.hex.length / 2, weight: spend.hex.length * 2, fee: spend.fee, status: { confirmed: false } });
    expect(tx.vin).toHaveLength(1);
    expect(tx.vin[0]).toMatchObject({
      txid: utxo.txid,
      vout: 0,
      is_coinbase: false,
      sequence: 0xffffffff,
      prevout: { scriptpubkey: toHex(addressToScript(aliceAddr)), scriptpubkey_type: 'p2pkh', scriptpubkey_address: aliceAddr, value: BTC },
    });
    expect(tx.vin[0].scriptsig_asm).toMatch(/^[0-9a-f]+ [0-9a-f]{66}$/);
    expect(tx.vout).toEqual([
      { scriptpubkey: toHex(addressToScript(bobAddr)), scriptpubkey_asm: expect.stringMatching(/^OP_DUP OP_HASH160 [0-9a-f]{40} OP_EQUALVERIFY OP_CHECKSIG$/), scriptpubkey_type: 'p2pkh', scriptpubkey_address: bobAddr, value: 30_000_000 },
      { scriptpubkey: toHex(addressToScript(aliceAddr)), scriptpubkey_asm: expect.any(String), scriptpubkey_type: 'p2pkh', scriptpubkey_address: aliceAddr, value: spend.change },
    ]);
    expect(get(chain, `/tx/${txid}/hex`)).toEqual({ status: 200, body: spend.hex, contentType: 'text/plain' });
    expect(getJson(chain, `/tx/${txid}/status`)).toEqual({ confirmed: false });
    const coinbase = getJson(chain, `/tx/${utxo.txid}`);
    expect(coinbase.vin[0]).toMatchObject({ is_coinbase: true, prevout: null, vout: 0xffffffff });
    expect(coinbase.fee).toBe(0);
    const [hash] = chain.mine(1, T0 + 9000);
    expect(getJson(chain, `/tx/${txid.toUpperCase()}/status`)).toEqual({ confirmed: true, block_height: 2, block_hash: hash, block_time: Math.floor((T0 + 9000) / 1000) });
  });

  it('GET /address/:a/txs lists mempool then confirmed transactions', () => {
    const { chain, utxo, txid } = scenario();
    expect(getJson(chain, `/address/${aliceAddr}/txs`).map((t: { txid: string }) => t.txid)).toEqual([txid, utxo.txid]);
    expect(getJson(chain, `/address/${aliceAddr}/txs/chain`).map((t: { txid: string }) => t.txid)).toEqual([utxo.txid]);
    expect(getJson(chain, `/address/${aliceAddr}/txs/chain/${utxo.txid}`)).toEqual([]);
  });

  it('GET /fee-estimates maps targets to sat/vB', () => {
    const chain = new Chain({ feeRate: 20 });
    const est = getJson(chain, '/fee-estimates');
    expect(est['1']).toBe(20);
    expect(est['6']).toBe(20);
    expect(Object.keys(est).length).toBeGreaterThan(5);
  });

  it('answers bad input with 4xx text and never throws', () => {
    const { chain } = scenario();
    const expectStatus = (method: string, path: string, status: number, body?: RegExp) => {
      const r = handleEsplora(chain, method, path, undefined, T0);
      expect(r.status, `${method} ${path}`).toBe(status);
      expect(typeof r.body).toBe('string');
      if (body) expect(r.body).toMatch(body);
    };
    expectStatus('GET', '/address/notanaddress', 400, /Invalid Bitcoin address/);
    expectStatus('GET', '/address/1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2/utxo', 400, /Invalid Bitcoin address/);
    expectStatus('GET', `/address/${aliceAddr}/nope`, 404);
    expectStatus('GET', '/tx/1234', 400, /Invalid hex/);
    expectStatus('GET', `/tx/${'0'.repeat(64)}`, 404, /Transaction not found/);
    expectStatus('GET', `/tx/${'0'.repeat(64)}/hex`, 404);
    expectStatus('GET', `/tx/${'0'.repeat(64)}/status`, 404);
    expectStatus('GET', '/nothing/here', 404);
    expectStatus('GET', '/', 404);
    expectStatus('GET', '/%E0%A4%A', 400);
    expectStatus('GET', '/block-height/-1', 404);
    expectStatus('DELETE', '/tx', 405);
    expectStatus('POST', '/address/x', 404);
    for (const weird of ['', '//', '/tx//hex', '/address//utxo', `/tx/${'g'.repeat(64)}`, '/blocks/tip', '/address/' + 'a'.repeat(5000)]) {
      const r = handleEsplora(chain, 'GET', weird);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    expect(handleEsplora(chain, 'GET', undefined as unknown as string).status).toBe(400);
  });
});

// Esplora-compatible subset (PROTOCOL §9) over the simulated chain, framework-free:
// the server mounts it under /esplora and passes method, path (relative to the mount), body and `now`.
// Shapes and error texts follow Blockstream's Esplora: JSON for objects, plain text for heights, hex and txids.
import type { Chain, TxInfo, TxStatus } from './chain';
import { ChainError, rpcErrorCode } from './errors';
import { bodyText, errorStatus, json, parsePath, text, type ChainResponse } from './http';
import { isTxid, isValidAddress, scriptAsm } from './script';

const MEMPOOL_TXS = 50;
const CHAIN_TXS = 25;

export interface EsploraStatus {
  confirmed: boolean;
  block_height?: number;
  block_hash?: string;
  /** seconds */
  block_time?: number;
}

export function esploraStatus(s: TxStatus): EsploraStatus {
  if (!s.confirmed) return { confirmed: false };
  return { confirmed: true, block_height: s.height!, block_hash: s.blockHash!, block_time: Math.floor(s.blockTime! / 1000) };
}

/** Esplora `GET /tx/:txid` JSON for a transaction. */
export function esploraTx(t: TxInfo): Record<string, unknown> {
  return {
    txid: t.txid,
    version: t.version,
    locktime: t.locktime,
    vin: t.inputs.map((i) => ({
      txid: i.txid,
      vout: i.vout,
      prevout: i.prevout
        ? {
            scriptpubkey: i.prevout.script,
            scriptpubkey_asm: scriptAsm(Buffer.from(i.prevout.script, 'hex')),
            scriptpubkey_type: i.prevout.type,
            ...(i.prevout.address ? { scriptpubkey_address: i.prevout.address } : {}),
            value: i.prevout.value,
          }
        : null,
      scriptsig: i.scriptSig,
      scriptsig_asm: scriptAsm(Buffer.from(i.scriptSig, 'hex')),
      is_coinbase: t.coinbase,
      sequence: i.sequence,
    })),
    vout: t.outputs.map((o) => ({
      scriptpubkey: o.script,
      scriptpubkey_asm: scriptAsm(Buffer.from(o.script, 'hex')),
      scriptpubkey_type: o.type,
      ...(o.address ? { scriptpubkey_address: o.address } : {}),
      value: o.value,
    })),
    size: t.size,
    weight: t.weight,
    fee: t.fee,
    status: esploraStatus(t.status),
  };
}

export function handleEsplora(chain: Chain, method: string, path: string, body?: unknown, now: number = Date.now()): ChainResponse {
  try {
    return route(chain, String(method).toUpperCase(), path, body, now);
  } catch (err) {
    const { status, message } = errorStatus(err);
    return text(status, message);
  }
}

function route(chain: Chain, method: string, path: string, body: unknown, now: number): ChainResponse {
  const parsed = parsePath(path, '/esplora');
  if (!parsed) return text(400, 'Invalid path');
  const s = parsed.segments;
  const [a, b, c, d] = s;

  if (method === 'POST') {
    if (s.length === 1 && a === 'tx') {
      try {
        return text(200, chain.submit(bodyText(body).trim(), now));
      } catch (err) {
        if (!(err instanceof ChainError)) throw err;
        return text(400, `sendrawtransaction RPC error: ${JSON.stringify({ code: rpcErrorCode(err), message: err.message })}`);
      }
    }
    return text(404, 'Not Found');
  }
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'Method Not Allowed');

  if (a === 'blocks' && b === 'tip' && s.length === 3) {
    if (c === 'height') return text(200, String(chain.tipHeight()));
    if (c === 'hash') return text(200, chain.tipHash());
  }
  if (a === 'block-height' && s.length === 2) {
    const h = /^\d{1,10}$/.test(b!) ? Number(b) : NaN;
    const block = Number.isInteger(h) ? chain.block(h) : undefined;
    return block ? text(200, block.hash) : text(404, 'Block not found');
  }
  if (a === 'fee-estimates' && s.length === 1) return json(200, chain.feeEstimates());

  if (a === 'address' && b !== undefined) {
    if (!isValidAddress(b)) return text(400, 'Invalid Bitcoin address');
    if (s.length === 2) {
      const st = chain.addressStats(b);
      return json(200, { address: b, chain_stats: st.chain, mempool_stats: st.mempool });
    }
    if (s.length === 3 && c === 'utxo') {
      return json(
        200,
        chain.utxos(b).map((u) => ({
          txid: u.txid,
          vout: u.vout,
          status: esploraStatus({ confirmed: u.height !== null, height: u.height, blockHash: u.blockHash, blockTime: u.blockTime, confirmations: u.confirmations }),
          value: u.value,
        })),
      );
    }
    if (c === 'txs' && (s.length === 3 || (d === 'chain' && s.length <= 5))) {
      const all = chain.addressTxs(b).map((id) => chain.tx(id)!);
      const mempool = all.filter((t) => !t.status.confirmed);
      let confirmed = all.filter((t) => t.status.confirmed);
      if (s.length === 5) {
        if (!isTxid(s[4]!)) return text(400, 'Invalid hex string');
        const at = confirmed.findIndex((t) => t.txid === s[4]!.toLowerCase());
        confirmed = at >= 0 ? confirmed.slice(at + 1) : [];
      }
      const page = s.length === 3 ? [...mempool.slice(0, MEMPOOL_TXS), ...confirmed.slice(0, CHAIN_TXS)] : confirmed.slice(0, CHAIN_TXS);
      return json(200, page.map(esploraTx));
    }
    return text(404, 'Not Found');
  }

  if (a === 'tx' && b !== undefined && s.length <= 3) {
    if (!isTxid(b)) return text(400, 'Invalid hex string');
    const info = chain.tx(b);
    if (!info) return text(404, 'Transaction not found');
    if (s.length === 2) return json(200, esploraTx(info));
    if (c === 'hex') return text(200, info.hex);
    if (c === 'status') return json(200, esploraStatus(info.status));
    return text(404, 'Not Found');
  }
  return text(404, 'Not Found');
}

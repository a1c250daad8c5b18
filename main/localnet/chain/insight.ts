// Insight API subset (PROTOCOL §6.7) over the simulated chain, for the legacy Coinpit clients (insight-util).
// Framework-free: the server mounts it under /insight-api. Amounts are BTC numbers as Insight sends them
// (utxo `amount`, `valueOut`) or 8-decimal strings (`vout[].value`); errors are plain text like insight-api.
import type { Chain, TxInfo } from './chain';
import { ChainError, rpcErrorCode } from './errors';
import { bodyText, errorStatus, json, parsePath, text, type ChainResponse } from './http';
import { isTxid, isValidAddress, scriptAsm, type OutputType } from './script';

const MAX_ADDRS = 100;
const MAX_TX_RANGE = 50;

/** satoshi → BTC as a JSON number (n / 1e8 is the double nearest the exact decimal). */
export function btc(sat: number): number {
  return sat / 1e8;
}

/** satoshi → "0.01000000" without binary rounding. */
export function btcString(sat: number): string {
  const neg = sat < 0 ? '-' : '';
  const a = Math.abs(sat);
  return `${neg}${Math.floor(a / 1e8)}.${String(a % 1e8).padStart(8, '0')}`;
}

const INSIGHT_TYPE: Record<OutputType, string> = {
  p2pkh: 'pubkeyhash',
  p2sh: 'scripthash',
  v0_p2wpkh: 'witness_v0_keyhash',
  v0_p2wsh: 'witness_v0_scripthash',
  v1_p2tr: 'witness_v1_taproot',
  op_return: 'nulldata',
  nonstandard: 'nonstandard',
};

/** insight-api `GET /tx/:txid` JSON. */
export function insightTx(t: TxInfo): Record<string, unknown> {
  const st = t.status;
  const time = Math.floor((st.blockTime ?? t.firstSeen) / 1000);
  const valueOut = t.outputs.reduce((s, o) => s + o.value, 0);
  const vin = t.coinbase
    ? t.inputs.map((i, n) => ({ coinbase: i.scriptSig, sequence: i.sequence, n }))
    : t.inputs.map((i, n) => ({
        txid: i.txid,
        vout: i.vout,
        sequence: i.sequence,
        n,
        scriptSig: { hex: i.scriptSig, asm: scriptAsm(Buffer.from(i.scriptSig, 'hex')) },
        addr: i.prevout?.address ?? null,
        valueSat: i.prevout?.value ?? 0,
        value: btc(i.prevout?.value ?? 0),
        doubleSpentTxID: null,
      }));
  const out: Record<string, unknown> = {
    txid: t.txid,
    version: t.version,
    locktime: t.locktime,
    vin,
    vout: t.outputs.map((o) => ({
      value: btcString(o.value),
      n: o.n,
      scriptPubKey: {
        hex: o.script,
        asm: scriptAsm(Buffer.from(o.script, 'hex')),
        ...(o.address ? { addresses: [o.address] } : {}),
        type: INSIGHT_TYPE[o.type],
      },
      spentTxId: o.spentBy?.txid ?? null,
      spentIndex: o.spentBy?.vin ?? null,
      spentHeight: o.spentBy ? (o.spentBy.height ?? -1) : null,
    })),
    blockhash: st.blockHash ?? undefined,
    blockheight: st.height ?? -1,
    confirmations: st.confirmations,
    time,
    blocktime: time,
    valueOut: btc(valueOut),
    size: t.size,
  };
  if (t.coinbase) out.isCoinBase = true;
  else {
    out.valueIn = btc(valueOut + t.fee);
    out.fees = btc(t.fee);
  }
  return out;
}

/** Payload of the Insight socket.io `tx` event for the `inv` room: vout values in satoshi. */
export function insightTxEvent(t: TxInfo): { txid: string; valueOut: number; vout: Record<string, number>[]; isRBF: boolean } {
  return {
    txid: t.txid,
    valueOut: btc(t.outputs.reduce((s, o) => s + o.value, 0)),
    vout: t.outputs.filter((o) => o.address).map((o) => ({ [o.address!]: o.value })),
    isRBF: t.inputs.some((i) => i.sequence < 0xfffffffe),
  };
}

export function handleInsight(chain: Chain, method: string, path: string, body?: unknown, now: number = Date.now()): ChainResponse {
  try {
    return route(chain, String(method).toUpperCase(), path, body, now);
  } catch (err) {
    const { status, message } = errorStatus(err);
    return text(status, message);
  }
}

/** Body fields from JSON (object or text) or a urlencoded form, the two encodings insight-api accepts. */
function bodyFields(body: unknown): Record<string, unknown> {
  if (body && typeof body === 'object' && !(body instanceof Uint8Array)) return body as Record<string, unknown>;
  const raw = bodyText(body).trim();
  if (raw.startsWith('{')) {
    try {
      const v: unknown = JSON.parse(raw);
      return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

function splitAddrs(list: unknown): string[] | ChainResponse {
  if (typeof list !== 'string' || list.length === 0) return text(400, 'Missing parameter: addrs');
  const addrs = [...new Set(list.split(',').map((a) => a.trim()).filter((a) => a.length > 0))];
  if (addrs.length === 0) return text(400, 'Missing parameter: addrs');
  if (addrs.length > MAX_ADDRS) return text(400, `Too many addresses (at most ${MAX_ADDRS})`);
  const bad = addrs.find((a) => !isValidAddress(a));
  if (bad !== undefined) return text(400, `Invalid address: ${bad.slice(0, 100)}. Code:1`);
  return addrs;
}

function utxoList(chain: Chain, addrs: string[]): ChainResponse {
  const list = addrs.flatMap((a) =>
    chain.utxos(a).map((u) => ({
      address: u.address,
      txid: u.txid,
      vout: u.vout,
      ts: u.firstSeen,
      scriptPubKey: u.script,
      amount: btc(u.value),
      satoshis: u.value,
      ...(u.height !== null ? { height: u.height } : {}),
      confirmations: u.confirmations,
    })),
  );
  return json(200, list);
}

function intParam(v: unknown, dflt: number): number | null {
  if (v === undefined || v === null || v === '') return dflt;
  const s = String(v);
  if (!/^\d{1,9}$/.test(s)) return null;
  return Number(s);
}

function txList(chain: Chain, addrs: string[], fromRaw: unknown, toRaw: unknown): ChainResponse {
  const from = intParam(fromRaw, 0);
  const toReq = intParam(toRaw, from === null ? 0 : from + 10);
  if (from === null || toReq === null || toReq < from) return text(400, 'Invalid "from" or "to" parameter');
  if (toReq - from > MAX_TX_RANGE) return text(400, `"from" (${from}) and "to" (${toReq}) range should be less than or equal to ${MAX_TX_RANGE}`);
  const ids = new Set<string>();
  for (const a of addrs) for (const id of chain.addressTxs(a)) ids.add(id);
  // newest first across all addresses: mempool (by first seen) then by height
  const txs = [...ids].map((id) => chain.tx(id)!);
  const height = (t: TxInfo): number => t.status.height ?? Number.MAX_SAFE_INTEGER;
  txs.sort((x, y) => height(y) - height(x) || y.firstSeen - x.firstSeen);
  const to = Math.min(toReq, txs.length);
  return json(200, { totalItems: txs.length, from, to, items: txs.slice(from, to).map(insightTx) });
}

function route(chain: Chain, method: string, path: string, body: unknown, now: number): ChainResponse {
  const parsed = parsePath(path, '/insight-api');
  if (!parsed) return text(400, 'Invalid path');
  const s = parsed.segments;
  const q = parsed.query;
  const [a, b, c] = s;

  if (method === 'POST') {
    const f = bodyFields(body);
    if (a === 'tx' && b === 'send' && s.length === 2) {
      if (typeof f.rawtx !== 'string') return text(400, 'Missing parameter: rawtx');
      try {
        return json(200, { txid: chain.submit(f.rawtx, now) });
      } catch (err) {
        if (!(err instanceof ChainError)) throw err;
        return text(400, `${err.message}. Code:${rpcErrorCode(err)}`);
      }
    }
    if (a === 'addrs' && s.length === 2 && (b === 'utxo' || b === 'txs')) {
      const addrs = splitAddrs(f.addrs);
      if (!Array.isArray(addrs)) return addrs;
      return b === 'utxo' ? utxoList(chain, addrs) : txList(chain, addrs, f.from, f.to);
    }
    return text(404, 'Not found');
  }
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'Method not allowed');

  if (a === 'sync' && s.length === 1) {
    const h = chain.tipHeight();
    return json(200, { status: 'finished', blockChainHeight: h, syncPercentage: 100, height: h, error: null, type: 'bitcore node' });
  }
  if (a === 'utils' && b === 'estimatefee' && s.length === 2) {
    const targets = (q.get('nbBlocks') ?? '2').split(',').filter((t) => t.length > 0);
    if (targets.length === 0 || targets.length > 20 || !targets.every((t) => /^\d{1,4}$/.test(t) && Number(t) > 0)) {
      return text(400, 'Invalid parameter: nbBlocks');
    }
    const rates = chain.feeEstimates();
    const result: Record<string, number> = {};
    for (const t of targets) {
      const n = Number(t);
      const key = Object.keys(rates).map(Number).filter((k) => k <= n).pop() ?? 1;
      result[String(n)] = Math.round(rates[String(key)]! * 1000) / 1e8; // sat/vB → BTC/kB
    }
    return json(200, result);
  }
  if ((a === 'addrs' || a === 'addr') && b !== undefined && s.length === 3 && (c === 'utxo' || c === 'txs')) {
    const addrs = splitAddrs(b);
    if (!Array.isArray(addrs)) return addrs;
    if (a === 'addr' && addrs.length !== 1) return text(400, `Invalid address: ${b.slice(0, 100)}. Code:1`);
    return c === 'utxo' ? utxoList(chain, addrs) : txList(chain, addrs, q.get('from') ?? undefined, q.get('to') ?? undefined);
  }
  if ((a === 'tx' || a === 'rawtx') && b !== undefined && s.length === 2) {
    if (!isTxid(b)) return text(400, 'Invalid txid');
    const info = chain.tx(b);
    if (!info) return text(404, 'Not found');
    return a === 'tx' ? json(200, insightTx(info)) : json(200, { rawtx: info.hex });
  }
  return text(404, 'Not found');
}

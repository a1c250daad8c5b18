// The Esplora (/esplora) and Insight (/insight-api) subsets over the simulated chain (PROTOCOL §9). Reads go
// straight to the chain handlers; broadcasts go through the exchange so they are journaled like any command.
import { ChainError, rpcErrorCode } from '../chain/errors';
import { handleEsplora } from '../chain/esplora';
import { json, text, type ChainResponse } from '../chain/http';
import { handleInsight } from '../chain/insight';
import type { Exchange } from '../exchange';
import { HttpError } from './router';

export const ESPLORA_MOUNT = '/esplora';
export const INSIGHT_MOUNT = '/insight-api';

function submitError(err: unknown, format: (e: ChainError) => string): ChainResponse {
  if (err instanceof ChainError) return text(400, format(err));
  if (err instanceof HttpError) return text(err.status, err.message);
  return text(500, 'internal error');
}

/** `url` is the request path with query, starting with the mount. */
export async function chainApi(ex: Exchange, mount: string, method: string, url: string, body: string | undefined): Promise<ChainResponse> {
  const m = method.toUpperCase();
  const path = url.split('?')[0]!;
  if (mount === ESPLORA_MOUNT && m === 'POST' && path.replace(/\/+$/, '') === `${ESPLORA_MOUNT}/tx`) {
    try {
      return text(200, await ex.submitTx((body ?? '').trim()));
    } catch (err) {
      return submitError(err, (e) => `sendrawtransaction RPC error: ${JSON.stringify({ code: rpcErrorCode(e), message: e.message })}`);
    }
  }
  if (mount === INSIGHT_MOUNT && m === 'POST' && path.replace(/\/+$/, '') === `${INSIGHT_MOUNT}/tx/send`) {
    const rawtx = rawtxOf(body);
    if (typeof rawtx !== 'string') return text(400, 'Missing parameter: rawtx');
    try {
      return json(200, { txid: await ex.submitTx(rawtx) });
    } catch (err) {
      return submitError(err, (e) => `${e.message}. Code:${rpcErrorCode(e)}`);
    }
  }
  return ex.durableRead(() =>
    mount === ESPLORA_MOUNT ? handleEsplora(ex.chain, m, url, body, ex.now()) : handleInsight(ex.chain, m, url, body, ex.now()),
  );
}

/** Insight accepts {rawtx} as JSON or as a urlencoded form. */
function rawtxOf(body: string | undefined): unknown {
  const raw = (body ?? '').trim();
  if (raw.startsWith('{')) {
    try {
      const v = JSON.parse(raw) as { rawtx?: unknown };
      return v && typeof v === 'object' ? v.rawtx : undefined;
    } catch {
      return undefined;
    }
  }
  return new URLSearchParams(raw).get('rawtx') ?? undefined;
}

// Benchmark: review and co-sign a server-signed recovery transaction with 1, 50 and 500 inputs.
// Prints the median of several runs in milliseconds. Run: `npx tsx bench/wallet.ts` (or via bench/run.ts).
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Transaction } from 'bitcoinjs-lib';
import { identity } from '../main/coinpit/identity';
import { fromHex } from '../main/coinpit/hash';
import { signMultisigInput } from '../main/localnet/chain';
import { outputScript, walletAccount } from '../main/wallet/account';
import { signReviewed } from '../main/wallet/cosign';
import { signerFromWif } from '../main/wallet/multisig';
import { review, type ReviewContext } from '../main/wallet/review';
import { SERVER_TX, unsignedTx } from '../main/wallet/txbuild';

// the loginless Account vector's keys (test keys, testnet)
const USER_WIF = 'cQhxRVxkBpTrwUHZmnv5M7ZvPcgp4cZ8csnenAfFLyoFgEVvN8yy';
const SERVER_WIF = 'cRR2wSqGYBn8GtN5DQCb6mD8T1BBHRuLBzQXxB1bkUjm3oQnkYTe';
const SERVER_PUB = '020a5a3a6450924a5571dfa52d00dc3f8d9917030d93d6b166a5784461bfb1e276';

export interface WalletBenchRow {
  inputs: number;
  runs: number;
  reviewMs: number;
  /** review + sign + post-sign verification (signReviewed) */
  signMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fixture(nInputs: number): { tx: Transaction; context: ReviewContext } {
  const account = walletAccount(identity(USER_WIF, SERVER_PUB));
  const server = signerFromWif(SERVER_WIF);
  const msScript = outputScript(account.accountid, account.network);
  const prevTxs: Record<string, string> = {};
  const utxos = Array.from({ length: nInputs }, (_, i) => {
    const prev = new Transaction();
    const h = new Uint8Array(32);
    new DataView(h.buffer).setUint32(0, i + 1);
    prev.addInput(h, 0);
    prev.addOutput(msScript, BigInt(100000 + i));
    prevTxs[prev.getId()] = prev.toHex();
    return { txid: prev.getId(), vout: 0, value: 100000 + i };
  });
  const total = utxos.reduce((s, u) => s + u.value, 0);
  const fee = Math.round((25000 * (nInputs * 250 + 34 + 10)) / 1000);
  const tx = unsignedTx(utxos, [{ script: outputScript(account.userid, account.network), value: total - fee }], SERVER_TX);
  const redeem = fromHex(account.redeem);
  for (let i = 0; i < tx.ins.length; i++) signMultisigInput(tx, i, redeem, server);
  const context: ReviewContext = { account, intent: { kind: 'recovery' }, maximumFee: fee + 1, prevTxs, accountUtxos: utxos, claimedInputs: utxos };
  return { tx, context };
}

export function benchWallet(sizes: readonly number[] = [1, 50, 500]): WalletBenchRow[] {
  const user = signerFromWif(USER_WIF);
  return sizes.map((n) => {
    const { tx, context } = fixture(n);
    const runs = n >= 500 ? 5 : 9;
    const reviewTimes: number[] = [];
    const signTimes: number[] = [];
    review(tx, context); // warm-up (WASM, JIT)
    for (let r = 0; r < runs; r++) {
      let t = performance.now();
      const rv = review(tx, context);
      reviewTimes.push(performance.now() - t);
      if (!rv.ok) throw new Error(`bench fixture refused: ${rv.refusals.map((x) => x.message).join('; ')}`);
      t = performance.now();
      const signed = signReviewed(tx, context, user);
      signTimes.push(performance.now() - t);
      if (!signed.complete) throw new Error('bench: signed recovery is not complete');
    }
    return { inputs: n, runs, reviewMs: median(reviewTimes), signMs: median(signTimes) };
  });
}

export function printWalletBench(rows: readonly WalletBenchRow[]): void {
  console.log('wallet: review / review+sign of a server-signed recovery tx (median ms)');
  for (const r of rows) {
    console.log(`  ${String(r.inputs).padStart(4)} inputs  review ${r.reviewMs.toFixed(2).padStart(9)} ms   sign ${r.signMs.toFixed(2).padStart(9)} ms   (${r.runs} runs)`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printWalletBench(benchWallet());
}

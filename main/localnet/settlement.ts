// How the local exchange settles P&L on the chain
// ------------------------------------------------
// Trading P&L is realized in the engine as fills happen, but the coins stay where they are until the
// instrument expires: every user's margin sits at their own margin address (`serverAddress`, P2PKH of the
// per-user server key), and the engine counts the unsettled P&L of the week in `pnl` (available margin =
// margin balance − order margin + pnl − commission). At expiry the engine closes every position at the index
// and reports one transfer per user (`Settlement.transfers`, net of fees) plus the fees the exchange earned;
// the transfers and fees sum to zero.
//
// The exchange then builds ONE real transaction for the instrument and mines it like any other:
//   inputs   the margin UTXOs of every loser (oldest first, just enough to cover the loss), plus UTXOs of the
//            exchange fee address (a P2PKH key derived from the server seed, funded by the faucet at first
//            start) to pay the miner fee;
//   outputs  each winner's margin address receives exactly its gain; each loser gets the change of its inputs
//            back at its margin address; the fee address receives the exchange's fees plus its own change.
// Every input is signed with the server key of the margin address it spends (the server controls margin
// addresses, PROTOCOL §6.1); nothing touches the users' 2-of-2 multisig wallets. The miner fee is paid by the
// exchange (feePerKB × the §6.2 size estimate, never below config.minimumFee, like every transaction the exchange
// builds), so each user's margin balance moves by exactly the P&L the engine reported, and `settlePnl` then
// clears that P&L: available margin is the same before and after settlement, only its location changes.
// Why on chain and at expiry: it is what the reference exchange did (whitepaper: "settlement moves coins between
// margin addresses"), it keeps every satoshi of margin provable from the chain alone, and batching a week into
// one transaction per instrument keeps the chain small.
// If a loser's margin address holds less than its loss (a gap through the stop), the exchange fee address covers
// the shortfall (it acts as the insurance fund). If even that is not possible the settlement is retried after
// the next chain change and the P&L stays pending in the engine meanwhile.
import { Transaction } from 'bitcoinjs-lib';
import type { Chain } from './chain/chain';
import { addressToScript, fromHex } from './chain/script';
import { signP2pkhInput, type Signer } from './chain/sign';
import type { Settlement } from './engine/engine';
import { DEFAULT_CONFIG } from './engine/listing';
import { estimateSize, feeForSize } from '../wallet/txbuild';

export interface SettlementParty {
  /** margin address of the user */
  address: string;
  signer: Signer;
}

export interface SettlementInput {
  chain: Chain;
  settlement: Settlement;
  party(userid: string): SettlementParty | undefined;
  feeAddress: string;
  feeSigner: Signer;
  /** satoshi per 1000 bytes */
  feePerKB: number;
  /**
   * config.minimumFee: the miner fee is never below it (the rule every exchange transaction follows, see
   * money.ts exchangeFeePolicy). Defaults to the local exchange's DEFAULT_CONFIG value.
   */
  minimumFee?: number;
}

export interface BuiltSettlement {
  hex: string;
  /** miner fee paid by the exchange fee address */
  fee: number;
  /** loss the fee address covered because a loser's margin was short */
  shortfall: number;
}

interface In {
  txid: string;
  vout: number;
  value: number;
  signer: Signer;
}

/** The settlement transaction, or null when no coins need to move. Throws when it cannot be funded. */
export function buildSettlementTx(input: SettlementInput): BuiltSettlement | null {
  const { chain, settlement } = input;
  const minimumFee = input.minimumFee ?? DEFAULT_CONFIG.minimumFee;
  if (!Number.isSafeInteger(minimumFee) || minimumFee < 0) throw new Error('settlement: minimumFee must be a non-negative integer');
  if (!Number.isFinite(input.feePerKB) || input.feePerKB < 0) throw new Error('settlement: feePerKB must be a non-negative number');
  const entries = Object.entries(settlement.transfers)
    .filter(([, v]) => v !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0 && settlement.fees === 0) return null;

  const ins: In[] = [];
  const outs = new Map<string, number>();
  const pay = (address: string, value: number): void => {
    if (value > 0) outs.set(address, (outs.get(address) ?? 0) + value);
  };
  let shortfall = 0;
  for (const [userid, transfer] of entries) {
    const party = input.party(userid);
    if (!party) throw new Error(`settlement: unknown user ${userid}`);
    if (transfer > 0) {
      pay(party.address, transfer);
      continue;
    }
    const need = -transfer;
    let sum = 0;
    for (const u of chain.utxos(party.address)) {
      if (sum >= need) break;
      ins.push({ txid: u.txid, vout: u.vout, value: u.value, signer: party.signer });
      sum += u.value;
    }
    if (sum < need) shortfall += need - sum;
    pay(party.address, sum - Math.min(sum, need));
  }

  // the fee address pays the miner fee and any shortfall, and collects the fees (Σ transfers + fees = 0)
  const feeUtxos = chain.utxos(input.feeAddress);
  let feeIn = 0;
  let used = 0;
  for (;;) {
    const nIn = ins.length; // the fee address's inputs are in `ins` already
    const nOut = outs.size + (outs.has(input.feeAddress) ? 0 : 1);
    // the wallet's §6.2 size estimate and rate (every input is P2PKH), floored at minimumFee as in selectCoins
    const fee = Math.max(minimumFee, feeForSize(estimateSize(nIn, nOut, 'p2pkh'), input.feePerKB));
    const feeOut = feeIn + settlement.fees - fee - shortfall;
    if (feeOut >= 0 && nIn > 0) {
      pay(input.feeAddress, feeOut);
      return { hex: assemble(ins, outs), fee, shortfall };
    }
    const next = feeUtxos[used];
    if (!next) throw new Error(`settlement of ${settlement.symbol}: the exchange fee address ${input.feeAddress} cannot pay ${fee + shortfall - feeIn - settlement.fees} satoshi`);
    ins.push({ txid: next.txid, vout: next.vout, value: next.value, signer: input.feeSigner });
    feeIn += next.value;
    used++;
  }
}

function assemble(ins: In[], outs: Map<string, number>): string {
  const tx = new Transaction();
  tx.version = 2;
  tx.locktime = 0;
  for (const i of ins) tx.addInput(fromHex(i.txid).reverse(), i.vout, 0xffffffff);
  for (const [address, value] of outs) tx.addOutput(addressToScript(address), BigInt(value));
  ins.forEach((i, n) => signP2pkhInput(tx, n, i.signer));
  return tx.toHex();
}

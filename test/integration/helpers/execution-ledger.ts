// What a user's executions imply, computed here from PROTOCOL §5 independently of the engine: positions
// (signed quantity, inverse entryAmount, open commission, average price), realized P&L and total commission,
// and the fee each execution should have carried. Partial closes realize round(entryAmount × closed / open),
// the rule the engine documents ("exact partial closes"), so the figures must match to the satoshi.
import type { Account, Execution, Instrument } from '../../../main/coinpit/types';

export interface LedgerPosition {
  quantity: number;
  entryAmount: number;
  commission: number;
  averagePrice: number;
}

/** The comparable money state of an account: open positions by symbol, P&L and commission. */
export interface LedgerState {
  positions: Record<string, LedgerPosition>;
  pnl: number;
  commission: number;
}

type Inst = Pick<Instrument, 'type' | 'contractusdvalue' | 'commission' | 'reward'>;

/** §5.2 normalized price (satoshi per contract for inverse contracts). */
function normalized(price: number, inst: Inst): number {
  if (inst.type === 'quanto') return price;
  return Math.round(((inst.contractusdvalue ?? 0) * 1e8) / price);
}

/** §5.3: taker pays `commission`, maker gets `reward` (fraction of np × qty, or absolute per contract). */
export function expectedFee(e: Pick<Execution, 'liquidity' | 'price' | 'quantity'>, inst: Inst): number {
  const rate = (e.liquidity === 'taker' ? inst.commission : inst.reward) ?? 0;
  const v = rate > -1 && rate <= 1 ? Math.round(normalized(e.price, inst) * e.quantity * rate) : Math.round(e.quantity * rate);
  return v || 0;
}

/** Harmonic mean of the fills (the price whose np × quantity is the entryAmount), to 4 decimals. */
function averagePrice(quantity: number, entryAmount: number, inst: Inst): number {
  if (quantity === 0 || entryAmount === 0) return 0;
  const perContract = Math.abs(entryAmount) / Math.abs(quantity);
  const price = inst.type === 'quanto' ? perContract : ((inst.contractusdvalue ?? 0) * 1e8) / perContract;
  return Math.round(price * 1e4) / 1e4;
}

interface Pos {
  quantity: number;
  entryAmount: number;
  commission: number;
}

export class Ledger {
  private readonly pos = new Map<string, Pos>();
  private pnl = 0;
  private commission = 0;

  constructor(private readonly instruments: Record<string, Inst>) {}

  /** Books one execution (oldest first). */
  apply(e: Execution): void {
    const inst = this.instruments[e.instrument];
    if (!inst) throw new Error(`execution ${e.uuid} of unknown instrument ${e.instrument}`);
    let p = this.pos.get(e.instrument);
    if (!p) this.pos.set(e.instrument, (p = { quantity: 0, entryAmount: 0, commission: 0 }));
    const signed = e.side === 'buy' ? e.quantity : -e.quantity;
    const n = normalized(e.price, inst);
    const fee = e.commission;
    if (p.quantity === 0 || Math.sign(p.quantity) === Math.sign(signed)) {
      // opens or extends
      p.quantity += signed;
      p.entryAmount -= signed * n;
      p.commission += fee;
    } else {
      // closes (part of) the position, and opens the rest the other way
      const open = Math.abs(p.quantity);
      const closing = Math.min(e.quantity, open);
      const portion = closing === open ? p.entryAmount : Math.round((p.entryAmount * closing) / open);
      const commissionPortion = closing === open ? p.commission : Math.round((p.commission * closing) / open);
      this.pnl += -(portion + Math.sign(p.quantity) * closing * n) || 0;
      p.entryAmount -= portion;
      p.commission -= commissionPortion;
      p.quantity += Math.sign(signed) * closing;
      const rest = e.quantity - closing;
      if (rest > 0) {
        p.quantity += Math.sign(signed) * rest;
        p.entryAmount -= Math.sign(signed) * rest * n;
        p.commission += Math.round((fee * rest) / e.quantity);
      }
    }
    this.pnl -= fee;
    this.commission += fee;
  }

  state(): LedgerState {
    const positions: Record<string, LedgerPosition> = {};
    for (const symbol of [...this.pos.keys()].sort()) {
      const p = this.pos.get(symbol)!;
      if (p.quantity === 0) continue;
      positions[symbol] = { quantity: p.quantity, entryAmount: p.entryAmount, commission: p.commission, averagePrice: averagePrice(p.quantity, p.entryAmount, this.instruments[symbol]!) };
    }
    return { positions, pnl: this.pnl || 0, commission: this.commission || 0 };
  }
}

/** The ledger state after each prefix of `oldestFirst`: element k is the state after the first k executions. */
export function prefixStates(oldestFirst: Execution[], instruments: Record<string, Inst>): LedgerState[] {
  const ledger = new Ledger(instruments);
  const out = [ledger.state()];
  for (const e of oldestFirst) {
    ledger.apply(e);
    out.push(ledger.state());
  }
  return out;
}

/** The same comparable state as reported by the server in an Account (GET /account). */
export function accountState(account: Pick<Account, 'positions' | 'pnl'>): LedgerState {
  const positions: Record<string, LedgerPosition> = {};
  for (const symbol of Object.keys(account.positions).sort()) {
    const p = account.positions[symbol]!;
    if (p.quantity === 0) continue;
    positions[symbol] = { quantity: p.quantity, entryAmount: p.entryAmount, commission: p.commission, averagePrice: p.averagePrice };
  }
  return { positions, pnl: account.pnl?.pnl || 0, commission: account.pnl?.commission || 0 };
}

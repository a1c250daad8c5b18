// The journal entries of the local exchange: every state change is one of these, applied by Exchange.apply()
// both live and at start-up replay. `now` is the exchange's market clock (ms) when the command ran.
import type { Role } from '../coinpit/auth';

export type Entry =
  | { t: 'genesis'; now: number; engineSeed: number; walkSeed: number; index: number }
  /** first key exchange of a user public key */
  | { t: 'user'; now: number; pub: string }
  | { t: 'register'; now: number; pub: string }
  | {
      t: 'apikey';
      now: number;
      key: { name: string; role: Role; apiPublicKey: string; userid: string; publicKey: string; authorization: string };
    }
  | { t: 'revoke'; now: number; userid: string; name: string }
  | { t: 'place'; now: number; userid: string; orders: unknown; symbol?: string }
  | { t: 'update'; now: number; userid: string; items: unknown }
  | { t: 'cancel'; now: number; userid: string; uuids: unknown }
  | { t: 'cancelAll'; now: number; userid: string; symbol?: string }
  | { t: 'patch'; now: number; userid: string; ops: unknown }
  /** `walk`: the random-walk step this price came from */
  | { t: 'index'; now: number; prices: number | Record<string, number>; walk?: number }
  /** `settled`: settlement tx hex per symbol ('' = nothing to move); `failed`: symbols left unsettled */
  | { t: 'expire'; now: number; settled?: Record<string, string>; failed?: string[] }
  /** retry of an unsettled expiry */
  | { t: 'settle'; now: number; symbol: string; tx?: string }
  /** a fully signed transaction entering the mempool */
  | { t: 'tx'; now: number; hex: string }
  | { t: 'mine'; now: number; blocks: number }
  | { t: 'faucet'; now: number; address: string; amount: number }
  | { t: 'clock'; now: number; advanceMs: number }
  | { t: 'readonly'; now: number; readonly: boolean; reason?: string };

export type EntryType = Entry['t'];

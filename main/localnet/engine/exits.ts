// Links between an entry and its exit orders, and between the two orders of an STP/TGT pair.

import { newOrd, type Ord } from './types';

/** Links an STP and its TGT as one-cancels-other partners. */
export function pairUp(stp: Ord, tgt: Ord): void {
  stp.oco = tgt.uuid;
  stp._ocoRef = tgt;
  tgt.oco = stp.uuid;
  tgt._ocoRef = stp;
}

/** The STP an entry created for its fills at `tick`, if any. */
export function exitAt(entry: Ord, tick: number): Ord | undefined {
  if (entry._x1 !== null && entry._x1Tick === tick) return entry._x1;
  return entry._xMore?.get(tick);
}

export function setExitAt(entry: Ord, tick: number, stp: Ord): void {
  if (entry._x1 === null || entry._x1Tick === tick) {
    entry._x1Tick = tick;
    entry._x1 = stp;
  } else {
    (entry._xMore ??= new Map()).set(tick, stp);
  }
}

/** Stand-in for a snapshot clientid whose order the snapshot does not have (a lookup finds it forgotten). */
export function forgotten(uuid: string): Ord {
  const o = newOrd();
  o.uuid = uuid;
  o._gone = true;
  return o;
}

// The scratch of the running command: its work queue and what it changed, turned into events at the end.

import type { Market } from './market';
import type { EngineEvent, Ord, OrderGroup } from './types';

/**
 * A list reused by every command: reset() only sets the count. (Setting an array's length to 0 frees its backing
 * store, and every command would then grow it again.) Items past `n` are stale.
 */
export class Scratch<T> {
  readonly a: T[] = [];
  n = 0;

  push(x: T): void {
    this.a[this.n++] = x;
  }
}

export const JOB_PLACE = 0;
export const JOB_TRIGGER = 1;

/**
 * Per-command scratch: work queue and what changed, turned into events at the end. One Ctx per engine, reset at
 * the start of each command (commands do not nest). Membership ("touched in this command", "created", "reported",
 * "account changed", "book changed", "traded") is a mark on the record holding the command's epoch, so a command
 * allocates no Maps or Sets; the lists keep first-touch order, as the Maps and Sets did.
 */
export class Ctx {
  now = 0;
  requestid: string | undefined = undefined;
  epoch = 0;
  /** Order sequence at the start of the command: orders with a higher _seq were created in it. */
  seq0 = 0;
  /** Work queue: orders and what to do with them (JOB_PLACE / JOB_TRIGGER), consumed from qi. */
  readonly queue = new Scratch<Ord>();
  readonly kinds = new Scratch<number>();
  qi = 0;
  readonly touched = new Scratch<Ord>();
  /** Users whose account changed (an `account` event each), in first-change order. */
  readonly users = new Scratch<string>();
  /** Markets that traded in this command, with their new trades in m.cmdTrades. */
  readonly traded = new Scratch<Market>();
  /** Markets whose book may have changed (difforderbook), in first-touch order. */
  readonly books = new Scratch<Market>();
  readonly head = new Scratch<EngineEvent>();
  /** finish(): the events being assembled and the users' order groups. */
  readonly out = new Scratch<EngineEvent>();
  readonly groups = new Scratch<OrderGroup>();
  readonly tail = new Scratch<EngineEvent>();

  reset(now: number, requestid: string | undefined, epoch: number): void {
    this.now = now;
    this.requestid = requestid;
    this.epoch = epoch;
    this.qi = 0;
    this.queue.n = 0;
    this.kinds.n = 0;
    this.touched.n = 0;
    this.users.n = 0;
    this.traded.n = 0;
    this.books.n = 0;
    this.head.n = 0;
    this.tail.n = 0;
  }

  push(kind: number, o: Ord): void {
    this.queue.push(o);
    this.kinds.push(kind);
  }
}

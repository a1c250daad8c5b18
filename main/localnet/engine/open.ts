// A user's open orders: creation order and lookup by uuid, without a string-keyed Map.
// A Map<uuid, order> hashes each new 36-character uuid and compares key strings on lookups, and with thousands of
// open orders per user its probes and its table rebuilds under constant insert/delete churn cost. Here the orders
// form an intrusive doubly linked list (creation order, what the Map's insertion order gave) and a small
// open-addressing table keyed by an integer taken from the uuid (its first 8 hex digits, which are random) finds
// them; orders whose keys collide chain through `_hnext`, and every lookup compares the full uuid.

/** The fields an open order carries for this structure. */
export interface OpenLinks {
  uuid: string;
  _onext: OpenLinks | null;
  _oprev: OpenLinks | null;
  _hnext: OpenLinks | null;
  /** uuidKey(uuid), kept while open (the uuid text is not read again to remove the order). */
  _okey: number;
}

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = i;

/** Integer key of a uuid: its first 8 hex digits as an int32 (any other text gets a plain string hash). */
export function uuidKey(uuid: string): number {
  let k = 0;
  if (uuid.length >= 8) {
    for (let i = 0; i < 8; i++) {
      const c = uuid.charCodeAt(i);
      const v = c < 128 ? (HEX[c] as number) : -1;
      if (v < 0) return textKey(uuid);
      k = (k << 4) | v;
    }
    return k;
  }
  return textKey(uuid);
}

function textKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

/**
 * Integer key → value, linear probing in a power-of-two table (the key's low 32 bits masked are the slot: uuid keys
 * are random bits, book ticks consecutive), deletion by shifting the following run back (no tombstones, so constant
 * churn never rebuilds the table). The keys sit in a Float64Array (any safe integer): a probe reads one cache line
 * of keys, then the value.
 */
export class IntIndex<V> {
  // (slots whose value is null are free)
  private keys = new Float64Array(16);
  private vals: (V | null)[] = new Array<V | null>(16).fill(null);
  private mask = 15;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(k: number): V | undefined {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    for (let i = k & mask; ; i = (i + 1) & mask) {
      const v = vals[i] as V | null;
      if (v === null) return undefined;
      if (keys[i] === k) return v;
    }
  }

  set(k: number, v: V): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = k & mask;
    while (vals[i] !== null && keys[i] !== k) i = (i + 1) & mask;
    if (vals[i] === null) this.count++;
    keys[i] = k;
    vals[i] = v;
  }

  delete(k: number): boolean {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = k & mask;
    for (;;) {
      if (vals[i] === null) return false;
      if (keys[i] === k) break;
      i = (i + 1) & mask;
    }
    // shift back every later entry of the run whose home slot is not in (i, j]
    for (let j = (i + 1) & mask; vals[j] !== null; j = (j + 1) & mask) {
      const home = (keys[j] as number) & mask;
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        keys[i] = keys[j] as number;
        vals[i] = vals[j] as V;
        i = j;
      }
    }
    vals[i] = null;
    this.count--;
    return true;
  }

  clear(): void {
    this.vals.fill(null);
    this.count = 0;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const cap = (this.mask + 1) * 2;
    this.keys = new Float64Array(cap);
    this.vals = new Array<V | null>(cap).fill(null);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < oldVals.length; i++) {
      const v = oldVals[i] as V | null;
      if (v !== null) this.set(oldKeys[i] as number, v);
    }
  }
}

export class OpenOrders<T extends OpenLinks> {
  private readonly index = new IntIndex<T>();
  private head: T | null = null;
  private tail: T | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(uuid: string): T | undefined {
    for (let o = this.index.get(uuidKey(uuid)) ?? null; o !== null; o = o._hnext as T | null) {
      if (o.uuid === uuid) return o;
    }
    return undefined;
  }

  /** Appends a new open order (its uuid must not be open already). */
  add(o: T): void {
    const k = uuidKey(o.uuid);
    o._okey = k;
    const first = this.index.get(k);
    if (first === undefined) {
      o._hnext = null;
      this.index.set(k, o);
    } else {
      // collision (rare): chain behind the first, the Map entry stays
      o._hnext = first._hnext;
      first._hnext = o;
    }
    o._onext = null;
    o._oprev = this.tail;
    if (this.tail) this.tail._onext = o;
    else this.head = o;
    this.tail = o;
    this.count++;
  }

  /** Removes an order if it is open here; returns whether it was. */
  delete(o: T): boolean {
    const k = o._okey;
    const first = this.index.get(k);
    if (first === undefined) return false;
    if (first === o) {
      const next = o._hnext as T | null;
      if (next === null) this.index.delete(k);
      else this.index.set(k, next);
    } else {
      let p: OpenLinks = first;
      while (p._hnext !== null && p._hnext !== o) p = p._hnext;
      if (p._hnext !== o) return false;
      p._hnext = o._hnext;
    }
    o._hnext = null;
    if (o._oprev) o._oprev._onext = o._onext;
    else this.head = o._onext as T | null;
    if (o._onext) o._onext._oprev = o._oprev;
    else this.tail = o._oprev as T | null;
    o._onext = o._oprev = null;
    this.count--;
    return true;
  }

  /** Open orders, oldest first (do not add or remove while iterating). */
  *values(): Generator<T> {
    for (let o = this.head; o !== null; o = o._onext as T | null) yield o;
  }

  *keys(): Generator<string> {
    for (let o = this.head; o !== null; o = o._onext as T | null) yield o.uuid;
  }
}

// Seeded generator for everything random in the engine (uuids), so a journal replay produces the same ids.
// sfc32: 128-bit state, fast, good enough statistically; the state is plain numbers for toJSON().

const HEX_CODES = Array.from('0123456789abcdef', (ch) => ch.charCodeAt(0));
const UUID_CODES: number[] = new Array<number>(36).fill(48);

/** Writes the hex digits of x from bit `from` down to bit `to` (multiples of 4) into c at j. */
function hex(c: number[], j: number, x: number, from: number, to: number): void {
  for (let shift = from; shift >= to; shift -= 4) c[j++] = HEX_CODES[(x >>> shift) & 15] as number;
}

export type RngState = [number, number, number, number];

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seedOrState: number | RngState) {
    if (typeof seedOrState === 'number') {
      if (!Number.isFinite(seedOrState)) throw new Error('Rng seed must be a finite number');
      // splitmix32 expands one seed into the four state words
      let s = seedOrState >>> 0;
      const next = (): number => {
        s = (s + 0x9e3779b9) >>> 0;
        let z = s;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        return (z ^ (z >>> 16)) >>> 0;
      };
      this.a = next() | 0;
      this.b = next() | 0;
      this.c = next() | 0;
      this.d = next() | 0;
      for (let i = 0; i < 12; i++) this.u32();
    } else {
      if (!Array.isArray(seedOrState) || seedOrState.length !== 4) throw new Error('Rng state must be 4 numbers');
      [this.a, this.b, this.c, this.d] = seedOrState.map((x) => x | 0) as RngState;
    }
  }

  /**
   * The next draw as a signed 32-bit integer (the same bits as u32()). The state words are kept as int32 too:
   * values ≥ 2^31 would be boxed heap numbers, and every draw would allocate several of them.
   */
  i32(): number {
    const t = (this.a + this.b + this.d) | 0;
    this.d = (this.d + 1) | 0;
    const b = this.b;
    this.a = b ^ (b >>> 9);
    const c = this.c;
    this.b = (c + (c << 3)) | 0;
    this.c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t;
  }

  u32(): number {
    return this.i32() >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** RFC 4122 version-4 uuid text (four draws). */
  uuid(): string {
    return Rng.formatUuid(this.i32(), this.i32(), this.i32(), this.i32());
  }

  /**
   * The uuid text of four successive draws d1..d4 (uuid() = formatUuid of its draws), so a caller may draw now and
   * build the text only when someone reads it. Built as one flat string (concatenation would leave a rope of 16
   * pieces).
   */
  static formatUuid(d1: number, d2: number, d3: number, d4: number): string {
    const w1 = (d1 & 0xffff0fff) | 0x4000; // version 4
    const w2 = (d2 & 0x3fffffff) | 0x80000000; // variant 10xx
    const c = UUID_CODES;
    hex(c, 0, d3, 28, 0);
    c[8] = 45; // '-'
    hex(c, 9, w1, 28, 16);
    c[13] = 45;
    hex(c, 14, w1, 12, 0);
    c[18] = 45;
    hex(c, 19, w2, 28, 16);
    c[23] = 45;
    hex(c, 24, w2, 12, 0);
    hex(c, 28, d4, 28, 0);
    return String.fromCharCode.apply(null, c);
  }

  state(): RngState {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }
}

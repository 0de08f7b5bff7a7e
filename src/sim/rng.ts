// Seeded pseudo-random generator (sfc32 seeded by splitmix32) with forkable independent streams.
import { invariant } from "../core/errors.ts";

const TWO_POW_32 = 0x1_0000_0000;

/** One step of splitmix32: a well-mixed 32-bit value for seeding and hashing. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of `s`: a stable 32-bit hash of a fork label. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A deterministic pseudo-random generator. The whole simulation derives from one 32-bit seed;
 * each component takes its own stream with {@link Rng.fork} so that adding a random draw in one
 * component does not shift the draws of any other (runs stay comparable across code changes).
 */
export class Rng {
  /** The 32-bit unsigned seed this generator was created from (print it to replay a run). */
  readonly seed: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Creates a generator from an integer seed; it is reduced modulo 2^32. */
  constructor(seed: number) {
    invariant(Number.isInteger(seed), `Rng seed must be an integer, got ${seed}`);
    this.seed = seed >>> 0;
    // splitmix32 spreads a small or structured seed (0, 1, 2, ...) over the whole state.
    let s = this.seed;
    s = splitmix32(s);
    this.a = s;
    s = splitmix32(s);
    this.b = s;
    s = splitmix32(s);
    this.c = s;
    s = splitmix32(s);
    this.d = s;
    // sfc32's authors recommend discarding the first outputs so nearby seeds decorrelate.
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniformly distributed unsigned 32-bit integer (one sfc32 step). */
  u32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** A float uniformly distributed in [0, 1), with 32 bits of resolution. */
  next(): number {
    return this.u32() / TWO_POW_32;
  }

  /** An integer uniformly distributed in [0, n); `n` must be a positive integer ≤ 2^32. */
  int(n: number): number {
    invariant(
      Number.isInteger(n) && n > 0 && n <= TWO_POW_32,
      `Rng.int needs an integer in [1, 2^32], got ${n}`,
    );
    // Multiply-shift instead of modulo: the bias is below 2^-32 · n, negligible for a simulator.
    return Math.floor(this.next() * n);
  }

  /** An integer uniformly distributed in [lo, hi], both inclusive. */
  range(lo: number, hi: number): number {
    invariant(
      Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi,
      `Rng.range needs integers lo <= hi, got ${lo}, ${hi}`,
    );
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p` (0 never, 1 always). */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(arr: readonly T[]): T {
    invariant(arr.length > 0, "Rng.pick from an empty array");
    return arr[this.int(arr.length)] as T;
  }

  /** Shuffles `arr` in place (Fisher–Yates) and returns it. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i] as T;
      arr[i] = arr[j] as T;
      arr[j] = tmp;
    }
    return arr;
  }

  /** An exponentially distributed float with the given mean (≥ 0); 0 when the mean is 0. */
  exponential(mean: number): number {
    // The message only on failure: this runs for every simulated message.
    if (!(mean >= 0)) invariant(false, `Rng.exponential needs a mean >= 0, got ${mean}`);
    // 1 - next() lies in (0, 1], so the logarithm is finite; `+ 0` turns a -0 into 0.
    return -mean * Math.log(1 - this.next()) + 0;
  }

  /**
   * An independent generator derived from this generator's seed and `label`. It draws nothing
   * from this generator, so forks taken in any order, or new forks added later, leave this
   * stream and every other fork unchanged. Equal labels give equal streams.
   */
  fork(label: string): Rng {
    return new Rng(splitmix32(splitmix32(this.seed ^ 0x5bd1e995) ^ fnv1a(label)));
  }
}

// Weighted sampling over index ranges with cumulative sums, plus Zipf weights.
import { invariant } from "../core/errors.ts";
import type { Rng } from "../sim/rng.ts";

/**
 * Zipf weights for `n` items: the item at rank r (0-based, from `ranks`) weighs 1 / (r + 1)^s.
 * Ranks come from the caller so that popularity can be shuffled over the items.
 */
export function zipfWeights(ranks: readonly number[], exponent: number): Float64Array {
  invariant(exponent >= 0, `Zipf exponent must be >= 0, got ${exponent}`);
  const w = new Float64Array(ranks.length);
  for (let i = 0; i < ranks.length; i++) w[i] = (ranks[i]! + 1) ** -exponent;
  return w;
}

/**
 * Samples indices with probability proportional to fixed positive weights. Cumulative sums make
 * a draw one binary search, and let a draw be restricted to a contiguous range of indices (a
 * community) or to everything outside one.
 */
export class WeightedSampler {
  /** cum[i] = sum of the weights of indices below i; cum[n] is the total. */
  private readonly cum: Float64Array;
  readonly size: number;

  constructor(weights: ArrayLike<number>) {
    this.size = weights.length;
    this.cum = new Float64Array(weights.length + 1);
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      invariant(w > 0 && Number.isFinite(w), `weight ${i} must be positive, got ${w}`);
      this.cum[i + 1] = this.cum[i]! + w;
    }
  }

  /** The total weight of indices in [lo, hi). */
  weight(lo = 0, hi = this.size): number {
    return this.cum[hi]! - this.cum[lo]!;
  }

  /** An index in [lo, hi) (non-empty), drawn by weight. */
  pickIn(rng: Rng, lo = 0, hi = this.size): number {
    invariant(lo < hi, `empty range [${lo}, ${hi})`);
    return this.find(this.cum[lo]! + rng.next() * this.weight(lo, hi), lo, hi);
  }

  /** An index outside [lo, hi), drawn by weight; the outside must be non-empty. */
  pickOutside(rng: Rng, lo: number, hi: number): number {
    const below = this.weight(0, lo);
    const above = this.weight(hi, this.size);
    invariant(lo > 0 || hi < this.size, "nothing outside the range");
    const x = rng.next() * (below + above);
    return x < below || hi === this.size
      ? this.find(Math.min(x, below), 0, lo)
      : this.find(this.cum[hi]! + (x - below), hi, this.size);
  }

  /** The index i in [lo, hi) whose interval [cum[i], cum[i+1]) holds x (clamped into range). */
  private find(x: number, lo: number, hi: number): number {
    let a = lo;
    let b = hi - 1;
    while (a < b) {
      const mid = (a + b + 1) >>> 1;
      if (this.cum[mid]! <= x) a = mid;
      else b = mid - 1;
    }
    return a;
  }
}

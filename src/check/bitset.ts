// A fixed-size bitset of operation indices whose key stays short for the sets the search builds.

/** A set of integers in [0, size), stored in a Uint32Array. */
export class Bitset {
  private readonly words: Uint32Array;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  /** Adds `i` to the set. */
  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }

  /** Removes `i` from the set. */
  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
  }

  /** True when `i` is in the set. */
  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /** A copy of the set's words, for {@link Bitset.containsAll}. */
  snapshot(): Uint32Array {
    return this.words.slice();
  }

  /** True when every element of `other` (a snapshot of a bitset of the same size) is in this set. */
  containsAll(other: Uint32Array): boolean {
    return containsAll(this.words, other);
  }

  /**
   * A string that is equal exactly for equal sets. Leading all-ones words and trailing zero
   * words are left implicit: the checker numbers operations by call time, so its sets are a dense
   * prefix plus a few concurrent operations, and the key stays a handful of characters however
   * long the history is (which keeps the memoisation cache small).
   */
  key(): string {
    const w = this.words;
    let lo = 0;
    while (lo < w.length && w[lo] === 0xffffffff) lo++;
    let hi = w.length;
    while (hi > lo && w[hi - 1] === 0) hi--;
    // The explicit length makes the key self-delimiting, so callers may append to it.
    let s = `${lo}:${hi - lo}:`;
    for (let i = lo; i < hi; i++) {
      const x = w[i]!;
      s += String.fromCharCode(x & 0xffff, x >>> 16);
    }
    return s;
  }
}

/** True when every bit set in `b` is set in `a` (snapshots of bitsets of the same size). */
export function containsAll(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < b.length; i++) if ((b[i]! & ~a[i]!) !== 0) return false;
  return true;
}

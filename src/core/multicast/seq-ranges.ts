// A bounded set of sequence numbers kept as disjoint inclusive ranges: the holes of an abandoned chain.

/**
 * A set of positive integers stored as sorted, disjoint, non-adjacent inclusive ranges `[lo, hi]`.
 * A range costs the same whatever its width, so a client that skipped a million sequence numbers
 * costs one range. At most `maxRanges` ranges are kept: beyond that the lowest range is
 * forgotten (its members are no longer in the set).
 *
 * Invariants: `ranges` is sorted by `lo`; for consecutive ranges a, b: a.hi + 1 < b.lo; every
 * range has lo <= hi; ranges.length <= maxRanges.
 */
export class SeqRanges {
  private readonly ranges: [number, number][] = [];
  private readonly maxRanges: number;

  constructor(maxRanges: number) {
    this.maxRanges = maxRanges;
  }

  /** Number of ranges held (the bounded quantity). */
  get size(): number {
    return this.ranges.length;
  }

  /** True when `seq` is in the set. */
  has(seq: number): boolean {
    return this.indexOf(seq) >= 0;
  }

  /** Adds every integer of [lo, hi] (nothing when lo > hi), merging with what touches it. */
  add(lo: number, hi: number): void {
    if (lo > hi) return;
    let i = 0;
    while (i < this.ranges.length && this.ranges[i]![1] < lo - 1) i++;
    let j = i;
    while (j < this.ranges.length && this.ranges[j]![0] <= hi + 1) {
      lo = Math.min(lo, this.ranges[j]![0]);
      hi = Math.max(hi, this.ranges[j]![1]);
      j++;
    }
    this.ranges.splice(i, j - i, [lo, hi]);
    this.trim();
  }

  /** Removes `seq` (a range around it splits in two). True when it was in the set. */
  delete(seq: number): boolean {
    const i = this.indexOf(seq);
    if (i < 0) return false;
    const [lo, hi] = this.ranges[i]!;
    const parts: [number, number][] = [];
    if (lo < seq) parts.push([lo, seq - 1]);
    if (seq < hi) parts.push([seq + 1, hi]);
    this.ranges.splice(i, 1, ...parts);
    this.trim();
    return true;
  }

  /** The ranges, ascending (a copy, for snapshots). */
  toArray(): [number, number][] {
    return this.ranges.map(([lo, hi]) => [lo, hi]);
  }

  private indexOf(seq: number): number {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.ranges[mid]!;
      if (seq < r[0]) hi = mid - 1;
      else if (seq > r[1]) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  private trim(): void {
    if (this.ranges.length > this.maxRanges) {
      this.ranges.splice(0, this.ranges.length - this.maxRanges);
    }
  }
}

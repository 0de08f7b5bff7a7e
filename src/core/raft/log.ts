// The in-memory Raft log: a snapshot position followed by an array of entries, indexed with an offset.
import { invariant } from "../errors.ts";
import type { Entry } from "./types.ts";

/**
 * The replica's view of its log: everything up to `snapshotIndex` is summarised by a snapshot
 * (only its last index and term are kept here), then `entries[k]` holds index
 * `snapshotIndex + 1 + k`.
 *
 * Invariants (checked on every mutation):
 * - indices are contiguous from `snapshotIndex + 1` to `lastIndex`;
 * - terms never decrease along the log, and no entry's term is below `snapshotTerm`;
 * - index 0 is the empty prefix and has term 0: every log matches every other one there.
 *
 * The log knows nothing about durability or commitment; the Raft state machine tracks those.
 */
export class RaftLog<C> {
  private entries: Entry<C>[] = [];
  private snapIndex = 0;
  private snapTerm = 0;

  /** Index of the last entry the snapshot covers (0 without a snapshot). */
  get snapshotIndex(): number {
    return this.snapIndex;
  }

  /** Term of the entry at `snapshotIndex` (0 without a snapshot). */
  get snapshotTerm(): number {
    return this.snapTerm;
  }

  /** Index of the last entry, or the snapshot index when no entry follows the snapshot. */
  get lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  /** Term of the last entry (or of the snapshot). */
  get lastTerm(): number {
    const last = this.entries[this.entries.length - 1];
    return last === undefined ? this.snapTerm : last.term;
  }

  /** The entry at `index`, or undefined if it is compacted or beyond the end. */
  entry(index: number): Entry<C> | undefined {
    return this.entries[index - this.snapIndex - 1];
  }

  /**
   * Term of the entry at `index`: 0 for index 0, the snapshot's term at the snapshot index, and
   * undefined when the index is compacted away or beyond the end.
   */
  termAt(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    if (index === 0) return 0;
    return this.entries[index - this.snapIndex - 1]?.term;
  }

  /** Appends one entry at `lastIndex + 1`. */
  append(e: Entry<C>): void {
    // Conditions first: the messages are only built on failure (this runs for every entry).
    if (e.index !== this.lastIndex + 1) {
      invariant(false, `log: append ${e.index} after ${this.lastIndex}`);
    }
    if (e.term < this.lastTerm) invariant(false, `log: term ${e.term} after ${this.lastTerm}`);
    this.entries.push(e);
  }

  /** Drops every entry at or after `index` (which must be after the snapshot). */
  truncateFrom(index: number): void {
    invariant(index > this.snapIndex, `log: truncate ${index} into snapshot ${this.snapIndex}`);
    if (index <= this.lastIndex) this.entries.length = index - this.snapIndex - 1;
  }

  /**
   * A copy of the entries in [lo, hi] (inclusive), clamped to what the log holds. The caller
   * must not ask for compacted entries.
   */
  slice(lo: number, hi: number): Entry<C>[] {
    if (lo <= this.snapIndex) {
      invariant(false, `log: slice from ${lo} is compacted (${this.snapIndex})`);
    }
    const end = Math.min(hi, this.lastIndex);
    if (end < lo) return [];
    return this.entries.slice(lo - this.snapIndex - 1, end - this.snapIndex);
  }

  /**
   * The snapshot now covers everything up to `index` (held by this log with term `term`): the
   * entries up to it are dropped. O(remaining entries), but compaction is rare.
   */
  compact(index: number, term: number): void {
    invariant(index > this.snapIndex, `log: compact ${index} not after ${this.snapIndex}`);
    invariant(index <= this.lastIndex, `log: compact ${index} beyond ${this.lastIndex}`);
    invariant(this.termAt(index) === term, `log: compact ${index} with a foreign term ${term}`);
    this.entries = this.entries.slice(index - this.snapIndex);
    this.snapIndex = index;
    this.snapTerm = term;
  }

  /** Replaces the whole log by a snapshot ending at (index, term): no entry survives. */
  restore(index: number, term: number): void {
    this.entries = [];
    this.snapIndex = index;
    this.snapTerm = term;
  }

  /**
   * The largest index `j <= index` (clamped to the log) whose term is at most `term`, never
   * looking below the snapshot: returns `snapshotIndex - 1` when even the snapshot's term is
   * higher (the caller then needs the snapshot). Because terms never decrease along a log,
   * every index above the result has a term above `term` and cannot match an entry of
   * term `term` or less. Used on both sides of a rejected append to skip a whole conflicting
   * term in one round trip.
   */
  lastIndexWithTermAtMost(index: number, term: number): number {
    let j = Math.min(index, this.lastIndex);
    while (j > this.snapIndex) {
      const t = this.entries[j - this.snapIndex - 1]?.term;
      invariant(t !== undefined, "log: hole in the entries");
      if (t <= term) return j;
      j--;
    }
    if (j < this.snapIndex) return j; // the caller asked below the snapshot: nothing to check
    return this.snapTerm <= term || j === 0 ? j : j - 1;
  }
}

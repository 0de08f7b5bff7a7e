// The state a write-ahead log describes, rebuilt by applying its records in order.
import type { Entry, HardState, SnapshotMeta } from "../core/raft/types.ts";

/**
 * Hard state, snapshot position and the entries after it. Applying the log's records in order
 * rebuilds it, on recovery and (for `load`) after every sync.
 *
 * Recovery may start in the middle of history, because segments wholly covered by a snapshot
 * are deleted: an entry batch that does not connect to the entries held (a gap) therefore starts
 * the entries afresh. The snapshot record that made those segments deletable comes later in the
 * log (segment headers repeat it), so by the end the entries are again contiguous after the
 * snapshot; {@link consistent} checks that.
 */
export class LogImage<C> {
  hardState: HardState = { term: 0, vote: null };
  snapshot: SnapshotMeta | null = null;
  private arr: Entry<C>[] = [];
  private start = 0;

  get snapshotIndex(): number {
    return this.snapshot?.index ?? 0;
  }

  /** Index of the first entry held, when any. */
  get firstIndex(): number | undefined {
    return this.arr[this.start]?.index;
  }

  /** Index of the last entry held, or the snapshot index when none. */
  get lastIndex(): number {
    const last = this.arr[this.arr.length - 1];
    return this.arr.length > this.start && last !== undefined ? last.index : this.snapshotIndex;
  }

  /** The entry at `index`, when held. */
  entryAt(index: number): Entry<C> | undefined {
    const first = this.firstIndex;
    if (first === undefined || index < first) return undefined;
    return this.arr[this.start + index - first];
  }

  /** The entries held (a copy of the array; the entries are shared). */
  entries(): Entry<C>[] {
    return this.arr.slice(this.start);
  }

  /** True when the entries start right after the snapshot (or there are none). */
  consistent(): boolean {
    const first = this.firstIndex;
    return first === undefined || first === this.snapshotIndex + 1;
  }

  /** The snapshot replaces the stored one; it drops the entries it covers, or all of them. */
  applySnapshot(meta: SnapshotMeta): void {
    if (meta.index < this.snapshotIndex) return; // an older one repeated: already superseded
    const first = this.firstIndex;
    const at = this.entryAt(meta.index);
    const holds = at !== undefined && at.index === meta.index && at.term === meta.term;
    if (holds) {
      this.start += meta.index - first! + 1;
      // Reclaim the compacted prefix once it dominates, keeping this amortised O(1).
      if (this.start > 1024 && this.start * 2 > this.arr.length) {
        this.arr = this.arr.slice(this.start);
        this.start = 0;
      }
    } else if (first === undefined || meta.index >= first) {
      // The log does not hold the snapshot's last entry (or holds another term's): it all goes.
      // (A snapshot below the first entry held keeps them: it is the one they follow, or, in
      // recovery after deleted segments, an older one repeated by a segment header.)
      this.arr = [];
      this.start = 0;
    }
    this.snapshot = { index: meta.index, term: meta.term };
  }

  /** Entries overwrite the log from the first one's index (truncating what followed), then append. */
  applyEntries(entries: readonly Entry<C>[]): void {
    const head = entries[0];
    if (head === undefined) return;
    const first = this.firstIndex;
    if (first === undefined || head.index < first || head.index > this.lastIndex + 1) {
      this.arr = entries.slice();
      this.start = 0;
      return;
    }
    this.arr.length = this.start + (head.index - first);
    for (const e of entries) this.arr.push(e);
  }
}

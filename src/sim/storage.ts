// Simulated disk of one replica: ordered pending writes, fsync, and crashes that lose unsynced ones.
import { InvariantError } from "../core/errors.ts";
import type { Entry, HardState, RaftStorageState, Snapshot } from "../core/raft/types.ts";
import type { Rng } from "./rng.ts";

/** Counters of what was written, for reports. */
export interface StorageStats {
  /** `save` calls that wrote something. */
  saves: number;
  /** `fsync` calls. */
  fsyncs: number;
  /** Entries handed to `save`. */
  entriesWritten: number;
  /** Crashes simulated. */
  crashes: number;
  /** Pending write units (a hard state, a snapshot, or one entry) lost to crashes. */
  unitsLost: number;
}

/** Options of a simulated disk. */
export interface SimStorageOptions<S> {
  /**
   * Copies snapshot data on save, so later mutation by the replica cannot reach the disk. The
   * default keeps the reference: snapshot data is then treated as immutable.
   */
  readonly cloneSnapshotData?: (data: S) => S;
}

/** One pending write, in the order the replica issued it. */
type Op<C, S> =
  | { readonly kind: "hard"; readonly hardState: HardState }
  | { readonly kind: "snap"; readonly snapshot: Snapshot<S> }
  | { readonly kind: "entries"; readonly entries: readonly Entry<C>[] };

const initialHardState: HardState = Object.freeze({ term: 0, vote: null });

/**
 * A log with its snapshot and hard state. Entries live in `arr` from `start` on, with
 * `arr[start]` at index `snapshotIndex + 1`; compaction only moves `start` (and occasionally
 * copies) so that the common case, appending, is O(1).
 */
class LogState<C, S> {
  hardState: HardState = initialHardState;
  snapshot: Snapshot<S> | null = null;
  arr: Entry<C>[] = [];
  start = 0;

  get snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.arr.length - this.start;
  }

  /** The stored entry at `index`, if it is after the snapshot and not beyond the end. */
  entry(index: number): Entry<C> | undefined {
    const i = index - this.snapshotIndex - 1;
    return i < 0 ? undefined : this.arr[this.start + i];
  }

  clone(): LogState<C, S> {
    const c = new LogState<C, S>();
    c.hardState = this.hardState;
    c.snapshot = this.snapshot;
    c.arr = this.arr.slice(this.start);
    return c;
  }

  /** Throws InvariantError, changing nothing, if applying `ops` in order would break the log. */
  check(ops: readonly Op<C, S>[]): void {
    let snapIndex = this.snapshotIndex;
    let last = this.lastIndex;
    for (const op of ops) {
      if (op.kind === "snap") {
        const { index, term } = op.snapshot.meta;
        if (index < snapIndex) {
          throw new InvariantError(
            `storage: snapshot at ${index} is older than the stored one at ${snapIndex}`,
          );
        }
        // Only the first snapshot of a batch can look at stored entries; a save has at most one.
        const at = this.entry(index);
        last = index > last || (at !== undefined && at.term !== term) ? index : last;
        snapIndex = index;
      } else if (op.kind === "entries") {
        const first = op.entries[0];
        if (first === undefined) continue;
        if (first.index <= snapIndex) {
          throw new InvariantError(
            `storage: entry ${first.index} rewrites the log at or before the snapshot at ${snapIndex}`,
          );
        }
        if (first.index > last + 1) {
          throw new InvariantError(`storage: gap in the log, entry ${first.index} after ${last}`);
        }
        last = first.index + op.entries.length - 1;
      }
    }
  }

  /** Applies the first `units` units of `op` (all of them by default). */
  apply(op: Op<C, S>, units = Number.POSITIVE_INFINITY): void {
    switch (op.kind) {
      case "hard":
        this.hardState = op.hardState;
        return;
      case "snap":
        this.applySnapshot(op.snapshot);
        return;
      case "entries":
        this.applyEntries(op.entries, Math.min(units, op.entries.length));
        return;
    }
  }

  private applySnapshot(snap: Snapshot<S>): void {
    const index = snap.meta.index;
    const old = this.snapshotIndex;
    if (index < old) throw new InvariantError(`storage: snapshot ${index} older than ${old}`);
    const at = this.entry(index);
    if (index > this.lastIndex || (at !== undefined && at.term !== snap.meta.term)) {
      // The log does not contain the snapshot's last entry: everything after it may conflict
      // with the snapshot, so the whole log goes (Raft §7, as InstallSnapshot does).
      this.arr = [];
      this.start = 0;
    } else {
      this.start += index - old;
      // Reclaim the compacted prefix once it dominates, keeping compaction amortised O(1).
      if (this.start > 1024 && this.start * 2 > this.arr.length) {
        this.arr = this.arr.slice(this.start);
        this.start = 0;
      }
    }
    this.snapshot = snap;
  }

  private applyEntries(entries: readonly Entry<C>[], count: number): void {
    const first = entries[0];
    if (first === undefined || count <= 0) return;
    const snapIndex = this.snapshotIndex;
    // check() rejected these before the write was queued; asserting again is cheap.
    if (first.index <= snapIndex || first.index > this.lastIndex + 1) {
      throw new InvariantError(`storage: entry ${first.index} does not fit the log`);
    }
    // Overwriting from `first.index` truncates whatever followed: a conflicting suffix.
    this.arr.length = this.start + (first.index - snapIndex - 1);
    for (let i = 0; i < count; i++) this.arr.push(entries[i] as Entry<C>);
  }
}

/** Number of crash-granularity units in an operation: each entry can be torn off separately. */
function unitsOf<C, S>(op: Op<C, S>): number {
  return op.kind === "entries" ? op.entries.length : 1;
}

/**
 * The simulated disk of one replica. `save` queues the writes of one Ready in order; `fsync`
 * makes everything queued durable; `crash` keeps the durable state plus a random prefix of the
 * queued writes (the OS may have flushed some of them) and loses the rest; `load` is what a
 * restarting replica reads. Stored values are frozen copies, so neither the running replica nor
 * a restarted one can change the disk behind its back.
 */
export class SimStorage<C, S> {
  /** Counters since construction. */
  readonly stats: StorageStats = {
    saves: 0,
    fsyncs: 0,
    entriesWritten: 0,
    crashes: 0,
    unitsLost: 0,
  };
  private readonly cloneData: (data: S) => S;
  /** What survives any crash. */
  private durable = new LogState<C, S>();
  /** Durable state plus the pending writes: what the running replica believes it wrote. */
  private view = new LogState<C, S>();
  private pending: Op<C, S>[] = [];

  /** An empty disk. */
  constructor(options: SimStorageOptions<S> = {}) {
    this.cloneData = options.cloneSnapshotData ?? ((d) => d);
  }

  /**
   * Queues the writes of one Ready, in the order the contract gives: the hard state replaces the
   * stored one; the snapshot replaces the stored one and drops the entries it covers; the
   * entries truncate the log from the first one's index when that is not past the end, then
   * append. Throws InvariantError, writing nothing, when the entries are not contiguous with
   * themselves or the log.
   */
  save(
    hardState: HardState | null,
    snapshot: Snapshot<S> | null,
    entries: readonly Entry<C>[],
  ): void {
    const ops: Op<C, S>[] = [];
    if (hardState !== null) {
      ops.push({
        kind: "hard",
        hardState: Object.freeze({ term: hardState.term, vote: hardState.vote }),
      });
    }
    if (snapshot !== null) {
      ops.push({
        kind: "snap",
        snapshot: Object.freeze({
          meta: Object.freeze({ index: snapshot.meta.index, term: snapshot.meta.term }),
          data: this.cloneData(snapshot.data),
        }),
      });
    }
    if (entries.length > 0) {
      const copies: Entry<C>[] = [];
      let prev: number | undefined;
      for (const e of entries) {
        if (prev !== undefined && e.index !== prev + 1) {
          throw new InvariantError(`storage: entries not contiguous, ${e.index} after ${prev}`);
        }
        prev = e.index;
        copies.push(
          Object.freeze({ term: e.term, index: e.index, cmds: Object.freeze(e.cmds.slice()) }),
        );
      }
      ops.push({ kind: "entries", entries: copies });
    }
    if (ops.length === 0) return;
    // Check first so that a rejected save leaves the disk untouched.
    this.view.check(ops);
    for (const op of ops) this.view.apply(op);
    for (const op of ops) this.pending.push(op);
    this.stats.saves++;
    this.stats.entriesWritten += entries.length;
  }

  /** Makes every pending write durable. */
  fsync(): void {
    this.stats.fsyncs++;
    for (const op of this.pending) this.durable.apply(op);
    this.pending = [];
  }

  /** Number of writes saved but not yet fsynced. */
  get pendingWrites(): number {
    return this.pending.length;
  }

  /**
   * A crash: durable state survives; of the pending writes a random prefix survives, counted in
   * units of a hard state, a snapshot or a single entry (possibly none, possibly all) and the
   * rest is lost. Afterwards the disk holds exactly what {@link load} returns.
   */
  crash(rng: Rng): void {
    this.stats.crashes++;
    let total = 0;
    for (const op of this.pending) total += unitsOf(op);
    let keep = total === 0 ? 0 : rng.int(total + 1);
    this.stats.unitsLost += total - keep;
    for (const op of this.pending) {
      if (keep <= 0) break;
      this.durable.apply(op, keep);
      keep -= unitsOf(op);
    }
    this.pending = [];
    this.view = this.durable.clone();
  }

  /**
   * What a restarting replica finds: the durable state (term 0, no vote, no snapshot, no entries
   * on a fresh disk). The entry array is a new array of frozen entries; pending writes are not
   * included, so call it after {@link crash} (or {@link fsync}).
   */
  load(): RaftStorageState<C, S> {
    const d = this.durable;
    return {
      hardState: d.hardState,
      snapshot: d.snapshot,
      entries: d.arr.slice(d.start),
    };
  }

  /** Index of the last entry the replica has saved (pending writes included). */
  get lastIndex(): number {
    return this.view.lastIndex;
  }

  /** Index of the last entry the replica's snapshot covers (pending writes included). */
  get snapshotIndex(): number {
    return this.view.snapshotIndex;
  }

  /** Index of the last entry that is durable. */
  get durableLastIndex(): number {
    return this.durable.lastIndex;
  }
}

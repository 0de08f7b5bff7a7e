// The storage contract the runtime drives: buffered saves, a shared durable sync, and load.
import type { Entry, HardState, RaftStorageState, Snapshot } from "../core/raft/types.ts";

/**
 * Durable storage of one consensus replica (the same contract as the simulator's SimStorage).
 *
 * - `save` buffers the writes of one Ready in order: the hard state replaces the stored one;
 *   the snapshot replaces the stored one and drops the entries it covers (the whole log when
 *   the log does not hold the snapshot's last entry); the entries truncate the log from the
 *   first one's index when that is not past the end, then append. A save that would leave a
 *   gap or rewrite the snapshot throws InvariantError and writes nothing.
 * - `sync` resolves once every save made before the call is durable. Calls made while a sync
 *   is running share the next one (group commit).
 * - `load` returns the durable state (what a restart would find).
 * - `close` releases files; saves not yet synced are discarded, as a crash would.
 */
export interface RaftStore<C, S> {
  save(
    hardState: HardState | null,
    snapshot: Snapshot<S> | null,
    entries: readonly Entry<C>[],
  ): void;
  sync(): Promise<void>;
  load(): RaftStorageState<C, S>;
  close(): Promise<void>;
  /** Counters for metrics. */
  readonly stats: StoreStats;
}

/** Counters every store keeps. */
export interface StoreStats {
  saves: number;
  /** Durable flushes (fdatasync calls for the disk log). */
  fsyncs: number;
  entriesWritten: number;
  /** Bytes of torn tail cut off when the store was opened (disk stores only). */
  bytesTruncatedOnRecovery?: number;
}

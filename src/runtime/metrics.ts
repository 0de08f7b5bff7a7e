// Counters of a node runtime, as one plain object.
import type { GroupId, ReplicaId } from "../core/ids.ts";
import type { Role } from "../core/raft/types.ts";
import type { TransportStats } from "../net/stats.ts";
import type { StoreStats } from "../storage/raft-store.ts";

/** Counters the driver loop keeps. */
export interface DriverCounters {
  /** Network inputs handed to the replica (ticks not included). */
  inputs: number;
  ticks: number;
  /** Ready cycles (ready → persist → send → advance). */
  cycles: number;
  /** Most inputs handled in one cycle: the coalescing at work. */
  maxInputsPerCycle: number;
  /** Cycles that persisted something and waited for a sync. */
  persistCycles: number;
  entriesSaved: number;
  entriesCommitted: number;
  commandsCommitted: number;
  delivered: number;
  raftMessagesOut: number;
  interGroupOut: number;
  clientOut: number;
  statusAnswered: number;
  /** Messages dropped as malformed or from a sender not allowed to send them. */
  rejectedIn: number;
  /** Client requests refused on receipt, before the log (too large, malformed command). */
  refusedRequests: number;
  /** Time spent waiting for storage syncs, ms. */
  syncWaitMs: number;
}

/** Everything a node reports: where it stands, what its driver, storage and transport did. */
export interface RuntimeMetrics extends DriverCounters {
  readonly group: GroupId;
  readonly replica: ReplicaId;
  readonly role: Role;
  readonly term: number;
  readonly leader: ReplicaId | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly storage: StoreStats;
  readonly transport: TransportStats;
}

/** Driver counters at zero. */
export const emptyDriverCounters = (): DriverCounters => ({
  inputs: 0,
  ticks: 0,
  cycles: 0,
  maxInputsPerCycle: 0,
  persistCycles: 0,
  entriesSaved: 0,
  entriesCommitted: 0,
  commandsCommitted: 0,
  delivered: 0,
  raftMessagesOut: 0,
  interGroupOut: 0,
  clientOut: 0,
  statusAnswered: 0,
  rejectedIn: 0,
  refusedRequests: 0,
  syncWaitMs: 0,
});

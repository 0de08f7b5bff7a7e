// The consensus core's public contract: log entries, messages, the Ready batch and options.
import type { ReplicaId } from "../ids.ts";

/**
 * One log entry. `cmds` is a batch of opaque commands proposed together (batching: one entry,
 * one fsync, many commands). A new leader appends an entry with an empty batch (a no-op) so that
 * it can commit entries of earlier terms.
 */
export interface Entry<C> {
  readonly term: number;
  readonly index: number;
  readonly cmds: readonly C[];
}

/** What must be durable about the replica itself before it sends any message of the same Ready. */
export interface HardState {
  readonly term: number;
  readonly vote: ReplicaId | null;
}

/** Position of the last entry a snapshot covers. */
export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
}

/** A snapshot of the replicated state up to `meta.index`; `data` is the state machine's, opaque. */
export interface Snapshot<S> {
  readonly meta: SnapshotMeta;
  readonly data: S;
}

/** Fields every consensus message carries. */
interface Header {
  readonly from: ReplicaId;
  readonly to: ReplicaId;
  readonly term: number;
}

/**
 * Consensus messages (a discriminated union on `type`). PreVote messages carry the term the
 * candidate would move to, and do not change anyone's term.
 */
export type RaftMessage<C, S> =
  | (Header & { readonly type: "prevote"; readonly lastIndex: number; readonly lastTerm: number })
  | (Header & { readonly type: "prevote-reply"; readonly granted: boolean })
  | (Header & { readonly type: "vote"; readonly lastIndex: number; readonly lastTerm: number })
  | (Header & { readonly type: "vote-reply"; readonly granted: boolean })
  | (Header & {
      readonly type: "append";
      readonly prevIndex: number;
      readonly prevTerm: number;
      readonly entries: readonly Entry<C>[];
      readonly commit: number;
    })
  | (Header & {
      readonly type: "append-reply";
      /** True when the follower's log now matches the leader's up to `index`. */
      readonly success: boolean;
      /** On success: last index known to match. On failure: a hint where to retry from. */
      readonly index: number;
      /**
       * On failure: the term of the follower's entry at `index`, so that the leader can skip a
       * whole conflicting term in one round trip. Optional: without it the leader backs up to
       * `index`, which is slower but still correct (the hint is always below the rejected index).
       */
      readonly hintTerm?: number;
    })
  | (Header & { readonly type: "snapshot"; readonly snapshot: Snapshot<S> })
  | (Header & { readonly type: "snapshot-reply"; readonly index: number });

/**
 * Everything the caller must do after a batch of inputs, in this order:
 * 1. persist `hardState` (if present), `snapshot` (if present: storage then drops entries it
 *    covers), and `entries` (if the first has an index at or below the stored last index,
 *    storage first truncates from that index), then make them durable (fsync);
 * 2. if `restore` is true, load the state machine from `snapshot.data`;
 * 3. send `messages`;
 * 4. apply `committed` in order (they are already durable on a majority);
 * 5. call `advance()`.
 * `messages` must never leave before step 1 is durable: that is the persistence contract that
 * keeps votes and acknowledged entries from being forgotten across a crash. `eager` messages may
 * leave at once, before step 1: they are a leader's appends (its term and vote already durable),
 * which claim nothing about the leader's own disk; the leader counts its own entries toward a
 * commit only once they are durable, so it can write to its disk while its followers write to
 * theirs (Raft thesis §10.2.1).
 */
export interface Ready<C, S> {
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot<S> | null;
  readonly restore: boolean;
  readonly entries: readonly Entry<C>[];
  readonly messages: readonly RaftMessage<C, S>[];
  /** Messages that may be sent before the Ready's writes are durable (see above). */
  readonly eager: readonly RaftMessage<C, S>[];
  readonly committed: readonly Entry<C>[];
}

/** What a replica finds in its storage when it (re)starts. */
export interface RaftStorageState<C, S> {
  readonly hardState: HardState;
  readonly snapshot: Snapshot<S> | null;
  /** Entries after the snapshot (if any), contiguous and in order. */
  readonly entries: readonly Entry<C>[];
}

/** Tunables of one consensus replica. Time is counted in ticks the caller delivers. */
export interface RaftOptions {
  /** Ticks without hearing from a leader before a follower starts a (pre-)election; randomised in [n, 2n). */
  readonly electionTicks: number;
  /** Ticks between a leader's heartbeats. */
  readonly heartbeatTicks: number;
  /** Most commands packed into one log entry. */
  readonly maxBatch: number;
  /** Most entries carried by one append message. */
  readonly maxEntriesPerAppend: number;
  /** Most append messages in flight, unacknowledged, per follower (the pipelining window). */
  readonly maxInflight: number;
  /** PreVote: a candidate first checks that it could win before disturbing the term. */
  readonly preVote: boolean;
  /** CheckQuorum: a leader that has not heard from a majority for an election timeout steps down. */
  readonly checkQuorum: boolean;
}

/** Sensible defaults for the options. */
export const defaultRaftOptions: RaftOptions = {
  electionTicks: 10,
  heartbeatTicks: 2,
  maxBatch: 256,
  maxEntriesPerAppend: 64,
  maxInflight: 8,
  preVote: true,
  checkQuorum: true,
};

/** Identity, membership and injected services of one replica. */
export interface RaftIdentity {
  readonly id: ReplicaId;
  /** Every member of the group, this replica included; fixed for the group's life. */
  readonly members: readonly ReplicaId[];
  /** Injected randomness in [0, 1), used only to randomise election timeouts. */
  readonly random: () => number;
}

/** Role of a replica in its current term. */
export type Role = "follower" | "precandidate" | "candidate" | "leader";

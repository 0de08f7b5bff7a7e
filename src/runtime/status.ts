// A tiny status request any node answers at once, outside the log: for tests, tools and clients.
import type { GroupId, ReplicaId } from "../core/ids.ts";
import type { Role } from "../core/raft/types.ts";

/** Asks a replica where it stands; `id` is echoed to match the answer. */
export interface StatusRequest {
  readonly type: "status";
  readonly id: number;
}

/** A replica's answer to a status request. */
export interface StatusReply {
  readonly type: "status-reply";
  readonly id: number;
  readonly group: GroupId;
  readonly replica: ReplicaId;
  readonly role: Role;
  readonly term: number;
  readonly leader: ReplicaId | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  /** Atomic multicast deliveries handed to the app so far (the group's delivery position). */
  readonly delivered: number;
  /** The answering process's id (meaningful to a caller on the same host). */
  readonly pid: number;
  /** What the app says about its state (e.g. variables held), when the runtime was told how. */
  readonly app: AppStatus | null;
}

/** A summary of a replica's application state, for status tools. */
export interface AppStatus {
  /** Variables this replica holds (a partition) or maps (the oracle). */
  readonly variables?: number;
  /** Short name of the application. */
  readonly name?: string;
  /**
   * For each community of the cluster's demo social graph, how many of its users this partition
   * holds (`communities[c]`); absent without a demo graph and on the oracle.
   */
  readonly communities?: readonly number[];
}

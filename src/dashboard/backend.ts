// What the dashboard shows and controls: the snapshot types and the backend interface behind the routes.
import { DssmrError, InputError } from "../core/errors.ts";

/** One replica as the dashboard shows it; fields are null when the replica does not answer. */
export interface ReplicaView {
  /** The replica's id, unique in the cluster (what kill and restart take). */
  id: number;
  /** host:port of its replica-to-replica and client listener. */
  address: string;
  /** Operating-system process id, when the backend started the process. */
  pid: number | null;
  /** Whether the replica answered its last status request (or its process is alive). */
  up: boolean;
  /** Raft role ("leader", "follower", "candidate", ...). */
  role: string | null;
  term: number | null;
  commitIndex: number | null;
  /**
   * Atomic multicast deliveries the replica has handed to its application: the group's command
   * count, from which the dashboard draws per-partition throughput. Optional (an extension of
   * the design's ReplicaView); the dashboard falls back to the commit index when it is missing.
   */
  delivered?: number | null;
}

/** One replicated group: the oracle (group 0) or a partition. */
export interface GroupView {
  id: number;
  kind: "oracle" | "partition";
  replicas: ReplicaView[];
  /** Variables the group holds (users, for Chirper), or null when unknown. */
  variables: number | null;
}

/** Latency percentiles in milliseconds. */
export interface LatencyView {
  p50: number;
  p95: number;
  p99: number;
}

/**
 * Cumulative counters of the dashboard-started workload's clients (they restart at zero when a
 * new workload starts). `latencyMs` covers the commands completed recently (about the last
 * second), or is null when none completed.
 */
export interface WorkloadView {
  running: boolean;
  /** The running or last workload's name. */
  name: string | null;
  /** Commands completed. */
  completed: number;
  /** Moves the clients sent. */
  moves: number;
  /** Retries the clients made (a partition answered retry). */
  retries: number;
  /** Commands that fell back to S-SMR execution. */
  fallbacks: number;
  /** First attempts served from the client's location cache. */
  cacheHits: number;
  /** First attempts that had to consult the oracle. */
  cacheMisses: number;
  /** Commands whose variables were in more than one partition when first sent. */
  multiPartition: number;
  /** Oracle consults. */
  consults: number;
  latencyMs: LatencyView | null;
}

/**
 * Where the users of the demo social graph live: `matrix[c][i]` counts the users of community c
 * stored in partition `partitions[i]`.
 */
export interface PlacementView {
  communities: number;
  partitions: number[];
  matrix: number[][];
}

/** Everything the dashboard draws, sent once per interval over server-sent events. */
export interface ClusterSnapshot {
  /** When the snapshot was taken, in ms since the epoch; rates divide by differences of it. */
  time: number;
  mode: "dssmr" | "ssmr";
  app: string;
  groups: GroupView[];
  workload: WorkloadView;
  placement: PlacementView | null;
}

/** The workloads the dashboard can start (the paper's Chirper workloads). */
export const WORKLOAD_NAMES = ["timeline", "post", "follow", "mix"] as const;
/** A workload the dashboard can start. */
export type DashboardWorkloadName = (typeof WORKLOAD_NAMES)[number];

/** What POST /control/workload asks for. */
export interface WorkloadRequest {
  workload: DashboardWorkloadName;
  /** Concurrent closed-loop clients. */
  clients: number;
  /** How long the workload runs before it stops by itself. */
  durationMs: number;
}

/** Limits of a workload request. */
export const WORKLOAD_LIMITS = {
  maxClients: 256,
  minDurationMs: 1_000,
  maxDurationMs: 3_600_000,
} as const;

/** The data source and controls behind the dashboard routes: a real cluster or a fake. */
export interface DashboardBackend {
  /** The cluster as it is now. Rejects only when nothing can be said at all. */
  snapshot(): Promise<ClusterSnapshot>;
  /** Starts a workload; rejects with a DashboardError (409) while one runs. */
  startWorkload(opts: WorkloadRequest): Promise<void>;
  /** Stops the running workload; resolves at once when none runs. */
  stopWorkload(): Promise<void>;
  /** Kills a replica's process (SIGKILL); a DashboardError (404) for an unknown id. */
  kill(replica: number): Promise<void>;
  /** Starts a killed replica again from its data directory; a no-op when it runs. */
  restart(replica: number): Promise<void>;
}

/** A refusal the routes turn into an HTTP status: 404 for unknown replicas, 409 for conflicts. */
export class DashboardError extends DssmrError {
  readonly status: 404 | 409;
  constructor(status: 404 | 409, message: string) {
    super(status === 404 ? "E_NOT_FOUND" : "E_CONFLICT", message);
    this.status = status;
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Checks a workload request from outside; throws an InputError naming the bad field. Unknown
 * fields are refused too, so that a typo does not silently fall back to a default.
 */
export function parseWorkloadRequest(body: unknown): WorkloadRequest {
  if (!isRecord(body)) throw new InputError("expected a JSON object");
  for (const key of Object.keys(body)) {
    if (key !== "workload" && key !== "clients" && key !== "durationMs") {
      throw new InputError(`unknown field ${JSON.stringify(key)}`);
    }
  }
  const { workload, clients, durationMs } = body;
  const names: readonly unknown[] = WORKLOAD_NAMES;
  if (typeof workload !== "string" || !names.includes(workload)) {
    throw new InputError(`workload must be one of ${WORKLOAD_NAMES.join(", ")}`);
  }
  if (
    typeof clients !== "number" ||
    !Number.isInteger(clients) ||
    clients < 1 ||
    clients > WORKLOAD_LIMITS.maxClients
  ) {
    throw new InputError(`clients must be an integer in [1, ${WORKLOAD_LIMITS.maxClients}]`);
  }
  if (
    typeof durationMs !== "number" ||
    !Number.isInteger(durationMs) ||
    durationMs < WORKLOAD_LIMITS.minDurationMs ||
    durationMs > WORKLOAD_LIMITS.maxDurationMs
  ) {
    throw new InputError(
      `durationMs must be an integer in [${WORKLOAD_LIMITS.minDurationMs}, ${WORKLOAD_LIMITS.maxDurationMs}]`,
    );
  }
  return { workload: workload as DashboardWorkloadName, clients, durationMs };
}

/** Parses a replica id from a path segment: a positive decimal integer, else an InputError. */
export function parseReplicaId(text: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) throw new InputError(`bad replica id ${JSON.stringify(text)}`);
  return Number(text);
}

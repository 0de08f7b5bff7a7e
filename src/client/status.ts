// Cluster status: asks every replica where it stands and folds the answers into one object per group.
import { networkInterfaces } from "node:os";
import type { LoadedConfig } from "../cluster/config.ts";
import { addressesOf, groupsOf, transportOptionsOf } from "../cluster/topology.ts";
import { ORACLE } from "../core/dssmr/types.ts";
import { replicaId } from "../core/ids.ts";
import type { Role } from "../core/raft/types.ts";
import { McastClient } from "../runtime/mcast-client.ts";
import type { StatusReply } from "../runtime/status.ts";
import { randomClientId } from "./client-id.ts";

/** One replica as status sees it; every field but the address is null when it did not answer. */
export interface ReplicaStatus {
  readonly id: number;
  /** `host:port` */
  readonly address: string;
  readonly up: boolean;
  /** The process id, when the replica runs on this host and answered. */
  readonly pid: number | null;
  readonly role: Role | null;
  readonly term: number | null;
  /** The leader this replica knows of. */
  readonly leader: number | null;
  readonly commitIndex: number | null;
  readonly appliedIndex: number | null;
  /** Variables held (a partition) or mapped (the oracle). */
  readonly variables: number | null;
  /** Atomic multicast deliveries handed to the app so far (the group's command count). */
  readonly delivered: number | null;
  /**
   * Users of each community of the demo graph that this replica's partition holds (null: no
   * demo graph, the oracle, or no answer).
   */
  readonly communities: readonly number[] | null;
}

/** One group: its leader (if any replica is leader) and its replicas. */
export interface GroupStatus {
  readonly id: number;
  readonly kind: "oracle" | "partition";
  readonly leader: number | null;
  readonly term: number | null;
  /** The leader's commit index (or the highest answered, without a leader). */
  readonly commitIndex: number | null;
  /** Variables of the partition (oracle: variables mapped), from the most advanced replica. */
  readonly variables: number | null;
  /** Users of each demo-graph community in the partition, from the most advanced replica. */
  readonly communities: readonly number[] | null;
  readonly replicas: readonly ReplicaStatus[];
}

/** The whole cluster. */
export interface ClusterStatus {
  readonly app: string;
  readonly mode: string;
  readonly config: string | null;
  /** Every group has a leader. */
  readonly ready: boolean;
  readonly groups: readonly GroupStatus[];
}

/** Options of {@link clusterStatus}. */
export interface StatusOptions {
  /** How long to wait for each replica. Default 500 ms. */
  readonly timeoutMs?: number;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "0.0.0.0", "::"]);

/** True when `host` names this machine (loopback or one of its interface addresses). */
export function isLocalHost(host: string): boolean {
  if (LOOPBACK.has(host) || host.startsWith("127.")) return true;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.address === host) return true;
  }
  return false;
}

/** Asks every replica of the cluster for its status, in parallel. */
export async function clusterStatus(
  loaded: LoadedConfig,
  opts: StatusOptions = {},
): Promise<ClusterStatus> {
  const { config } = loaded;
  const client = new McastClient<unknown, unknown>(
    { id: randomClientId(), groups: groupsOf(config), addresses: addressesOf(config) },
    { transport: { ...transportOptionsOf(config), connectTimeoutMs: opts.timeoutMs ?? 500 } },
  );
  try {
    const ids = config.groups.flatMap((g) => g.replicas.map((r) => r.id));
    const replies = await Promise.all(
      ids.map((id) => client.status(replicaId(id), opts.timeoutMs ?? 500)),
    );
    const byId = new Map<number, StatusReply | null>(ids.map((id, i) => [id, replies[i] ?? null]));
    const groups = config.groups.map((g): GroupStatus => {
      const replicas = g.replicas.map((r): ReplicaStatus => {
        const s = byId.get(r.id) ?? null;
        return {
          id: r.id,
          address: `${r.host}:${r.port}`,
          up: s !== null,
          pid: s !== null && isLocalHost(r.host) ? s.pid : null,
          role: s?.role ?? null,
          term: s?.term ?? null,
          leader: s?.leader ?? null,
          commitIndex: s?.commitIndex ?? null,
          appliedIndex: s?.appliedIndex ?? null,
          variables: s?.app?.variables ?? null,
          delivered: s?.delivered ?? null,
          communities: s?.app?.communities ?? null,
        };
      });
      // Two leaders can coexist briefly (an old term's): the higher term wins.
      const leaders = replicas
        .filter((r) => r.role === "leader")
        .sort((a, b) => (b.term ?? 0) - (a.term ?? 0));
      const leader = leaders[0] ?? null;
      const answered = replicas.filter((r) => r.up);
      const advanced = [...answered].sort((a, b) => (b.appliedIndex ?? 0) - (a.appliedIndex ?? 0));
      const best = leader ?? advanced[0] ?? null;
      return {
        id: g.id,
        kind: g.id === ORACLE && config.mode === "dssmr" ? "oracle" : "partition",
        leader: leader?.id ?? null,
        term: best?.term ?? null,
        commitIndex: best?.commitIndex ?? null,
        variables: (advanced[0] ?? null)?.variables ?? null,
        communities: (advanced[0] ?? null)?.communities ?? null,
        replicas,
      };
    });
    return {
      app: config.app,
      mode: config.mode,
      config: loaded.file,
      ready: groups.every((g) => g.leader !== null),
      groups,
    };
  } finally {
    await client.close();
  }
}

// What the runtime and clients need from a cluster config: groups, addresses, deployment, transport options.
import type { DsDeployment } from "../core/dssmr/partition.ts";
import { ORACLE, type PartitionId } from "../core/dssmr/types.ts";
import { ConfigError } from "../core/errors.ts";
import { type GroupId, groupId, type ReplicaId, replicaId } from "../core/ids.ts";
import type { PeerAddress, TransportOptions } from "../net/transport.ts";
import type { ClusterConfig, GroupConfig, ReplicaConfig } from "./config.ts";

/** Replicas of every group, by group id (the oracle's included in dssmr mode). */
export function groupsOf(config: ClusterConfig): Map<GroupId, ReplicaId[]> {
  return new Map(config.groups.map((g) => [groupId(g.id), g.replicas.map((r) => replicaId(r.id))]));
}

/** Every replica's listening address. */
export function addressesOf(config: ClusterConfig): Map<ReplicaId, PeerAddress> {
  const out = new Map<ReplicaId, PeerAddress>();
  for (const g of config.groups) {
    for (const r of g.replicas) out.set(replicaId(r.id), { host: r.host, port: r.port });
  }
  return out;
}

/** The partitions (every group but the oracle), ascending. */
export function partitionsOf(config: ClusterConfig): PartitionId[] {
  return config.groups.map((g) => groupId(g.id)).filter((g) => g !== ORACLE);
}

/** What every group and client of the cluster agrees on. */
export function deploymentOf(config: ClusterConfig): DsDeployment {
  return { mode: config.mode, partitions: partitionsOf(config) };
}

/** A replica and its group. */
export interface Located {
  readonly group: GroupConfig;
  readonly replica: ReplicaConfig;
}

/** Finds replica `id`; throws ConfigError naming the known ids when it is not in the config. */
export function findReplica(config: ClusterConfig, id: number): Located {
  for (const group of config.groups) {
    const replica = group.replicas.find((r) => r.id === id);
    if (replica !== undefined) return { group, replica };
  }
  const known = config.groups.flatMap((g) => g.replicas.map((r) => r.id)).join(", ");
  throw new ConfigError(`--id: no replica ${id} in the config (replicas: ${known})`);
}

/**
 * Transport options for every connection of the cluster (nodes and clients): with a shared
 * `secret`, every connection must pass the authenticated handshake.
 */
export function transportOptionsOf(config: ClusterConfig): TransportOptions {
  return config.secret === undefined ? {} : { secret: config.secret };
}

// The JSON configuration of one node process, parsed and checked into runtime types.
import { ConfigError } from "../core/errors.ts";
import { type GroupId, groupId, type ReplicaId, replicaId } from "../core/ids.ts";
import type { PeerAddress } from "../net/transport.ts";
import type { NodeRuntimeConfig } from "./node-runtime.ts";

/** What a node process is started with (plain JSON). */
export interface NodeProcessConfig {
  readonly group: number;
  readonly replica: number;
  /** [group, [replica, ...]] for every group. */
  readonly groups: readonly (readonly [number, readonly number[]])[];
  /** [replica, host, port] for every replica. */
  readonly addresses: readonly (readonly [number, string, number])[];
  /** Directory of the write-ahead log (ignored with `memory`). */
  readonly dataDir: string;
  /** Keep the log in memory: nothing survives a restart. */
  readonly memory?: boolean;
  readonly tickMs?: number;
  readonly snapshotEvery?: number;
  readonly segmentBytes?: number;
}

const int = (v: unknown, what: string): number => {
  if (!Number.isSafeInteger(v))
    throw new ConfigError(`${what} must be an integer, got ${String(v)}`);
  return v as number;
};
const optInt = (v: unknown, what: string): number | undefined =>
  v === undefined ? undefined : int(v, what);

/** Parses and checks a node process configuration from JSON text. */
export function parseNodeConfig(text: string): NodeProcessConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`node config is not JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null)
    throw new ConfigError("node config must be an object");
  const r = raw as Record<string, unknown>;
  if (!Array.isArray(r.groups) || !Array.isArray(r.addresses)) {
    throw new ConfigError("node config needs groups and addresses arrays");
  }
  const groups = r.groups.map((g, i): [number, number[]] => {
    if (!Array.isArray(g) || !Array.isArray(g[1]))
      throw new ConfigError(`groups[${i}] must be [group, [replicas]]`);
    return [int(g[0], `groups[${i}][0]`), g[1].map((x, j) => int(x, `groups[${i}][1][${j}]`))];
  });
  const addresses = r.addresses.map((a, i): [number, string, number] => {
    if (!Array.isArray(a) || typeof a[1] !== "string") {
      throw new ConfigError(`addresses[${i}] must be [replica, host, port]`);
    }
    return [int(a[0], `addresses[${i}][0]`), a[1], int(a[2], `addresses[${i}][2]`)];
  });
  if (typeof r.dataDir !== "string") throw new ConfigError("dataDir must be a string");
  const tickMs = optInt(r.tickMs, "tickMs");
  const snapshotEvery = optInt(r.snapshotEvery, "snapshotEvery");
  const segmentBytes = optInt(r.segmentBytes, "segmentBytes");
  return {
    group: int(r.group, "group"),
    replica: int(r.replica, "replica"),
    groups,
    addresses,
    dataDir: r.dataDir,
    memory: r.memory === true,
    ...(tickMs === undefined ? {} : { tickMs }),
    ...(snapshotEvery === undefined ? {} : { snapshotEvery }),
    ...(segmentBytes === undefined ? {} : { segmentBytes }),
  };
}

/** The runtime's view of a process configuration. */
export function runtimeConfig(c: NodeProcessConfig): NodeRuntimeConfig {
  const groups = new Map<GroupId, readonly ReplicaId[]>(
    c.groups.map(([g, ids]) => [groupId(g), ids.map(replicaId)]),
  );
  const addresses = new Map<ReplicaId, PeerAddress>(
    c.addresses.map(([id, host, port]) => [replicaId(id), { host, port }]),
  );
  return { group: groupId(c.group), replica: replicaId(c.replica), groups, addresses };
}

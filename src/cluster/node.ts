// One replica of a configured cluster: the DS-SMR group app over a NodeRuntime, WAL or in-memory storage.
import { join } from "node:path";
import type { PartitionedApp } from "../core/dssmr/app.ts";
import {
  createDsGroupApp,
  type DsGroupApp,
  type DsGroupSnapshot,
  type InitialState,
} from "../core/dssmr/group-app.ts";
import { OracleApp } from "../core/dssmr/oracle.ts";
import type { DsPayload, DsRelay, DsReply } from "../core/dssmr/types.ts";
import { defaultGroupReplicaOptions, type GroupSnapshot } from "../core/group/group-replica.ts";
import { groupId, replicaId } from "../core/ids.ts";
import type { McastCommand } from "../core/multicast/types.ts";
import { defaultRaftOptions } from "../core/raft/types.ts";
import type { OracleStats, PartitionStats } from "../http/collect.ts";
import type { PeerAddress } from "../net/transport.ts";
import type { RuntimeMetrics } from "../runtime/metrics.ts";
import { NodeRuntime } from "../runtime/node-runtime.ts";
import type { AppStatus } from "../runtime/status.ts";
import { MemoryStore } from "../storage/memory-store.ts";
import type { RaftStore } from "../storage/raft-store.ts";
import { WalStorage } from "../storage/wal.ts";
import { dsAdmission } from "./admission.ts";
import { demoGraph, loadAppSetup } from "./app-setup.ts";
import { dataDirOf, type LoadedConfig, type ReplicaConfig } from "./config.ts";
import {
  addressesOf,
  deploymentOf,
  findReplica,
  groupsOf,
  transportOptionsOf,
} from "./topology.ts";

/** Hooks of a running node. */
export interface ClusterNodeHooks {
  /** The replica cannot go on (storage failure, broken invariant); it has stopped. */
  readonly onFatal?: (err: unknown) => void;
}

/** A running replica. */
export interface ClusterNode {
  readonly replica: ReplicaConfig;
  readonly group: number;
  /** The application's identity in handshakes (`kv`, `chirper`, or `name@hash` of a module). */
  readonly app: string;
  /** Where it listens. */
  readonly address: PeerAddress;
  /** The data directory (null with in-memory storage). */
  readonly dataDir: string | null;
  /** Where the replica stands and what its layers counted. */
  metrics(): RuntimeMetrics;
  /** The app's summary (variables held or mapped). */
  appStatus(): AppStatus | null;
  /** The oracle's or the partition's replicated counters, for metrics. */
  dsStats(): OracleStats | PartitionStats | null;
  /** Stops taking inputs, finishes the cycle in progress, closes sockets and files. */
  stop(): Promise<void>;
}

/** Starts replica `id` of the loaded config; resolves once it listens. */
export async function startClusterNode(
  loaded: LoadedConfig,
  id: number,
  hooks: ClusterNodeHooks = {},
): Promise<ClusterNode> {
  const setup = await loadAppSetup(loaded);
  const graph = demoGraph(loaded.config);
  const communities: CommunityIndex | null =
    graph === null
      ? null
      : {
          count: graph.communities,
          of: new Map(graph.users.map((u, i) => [u, graph.community[i]!])),
        };
  // One call per kind: each narrows the app's types for startWith.
  if (setup.kind === "chirper") {
    return startWith(loaded, id, setup.app, setup.initial, setup.identity, communities, hooks);
  }
  if (setup.kind === "kv") {
    return startWith(loaded, id, setup.app, setup.initial, setup.identity, communities, hooks);
  }
  return startWith(loaded, id, setup.app, setup.initial, setup.identity, communities, hooks);
}

/** The community of every demo-graph user, computed once per node (status counts with it). */
interface CommunityIndex {
  readonly count: number;
  readonly of: ReadonlyMap<string, number>;
}

/** Users of each community among `variables` (names outside the graph are not counted). */
function countCommunities(index: CommunityIndex, variables: Iterable<string>): number[] {
  const counts = new Array<number>(index.count).fill(0);
  for (const v of variables) {
    const c = index.of.get(v);
    if (c !== undefined) counts[c]!++;
  }
  return counts;
}

async function startWith<Cmd, Res, Val>(
  loaded: LoadedConfig,
  id: number,
  app: PartitionedApp<Cmd, Res, Val>,
  initial: InitialState<Val>,
  identity: string,
  communities: CommunityIndex | null,
  hooks: ClusterNodeHooks,
): Promise<ClusterNode> {
  type Payload = DsPayload<Cmd>;
  type Relay = DsRelay<Val>;
  type Snap = GroupSnapshot<Payload, Relay, DsReply<Res>, DsGroupSnapshot<Cmd, Val>>;
  const { config } = loaded;
  const { group, replica } = findReplica(config, id);
  const g = groupId(group.id);
  const deployment = deploymentOf(config);
  const tunables = config.tunables;
  const dataDir = tunables.memory ? null : dataDirOf(loaded, replica);
  const storage: RaftStore<McastCommand<Payload, Relay>, Snap> = dataDir === null
    ? new MemoryStore<McastCommand<Payload, Relay>, Snap>()
    : await WalStorage.open<McastCommand<Payload, Relay>, Snap>(join(dataDir, "wal"));
  // The replica may rebuild its app (on a snapshot install): status reads the latest one.
  let current: DsGroupApp<Cmd, Res, Val> | null = null;
  const describe = (): AppStatus | null => {
    const inner = current?.inner;
    if (inner === undefined) return null;
    if (inner instanceof OracleApp) return { name: app.name, variables: inner.mapping().size };
    return {
      name: app.name,
      variables: inner.size,
      ...(communities === null
        ? {}
        : { communities: countCommunities(communities, inner.variables().keys()) }),
    };
  };
  const runtime = new NodeRuntime(
    {
      group: g,
      replica: replicaId(replica.id),
      groups: groupsOf(config),
      addresses: addressesOf(config),
    },
    {
      makeApp: () => {
        current = createDsGroupApp(g, app, deployment, initial);
        return current;
      },
      storage,
      admit: dsAdmission(app, g, tunables),
      describeApp: () => describe() ?? {},
      ...(hooks.onFatal === undefined ? {} : { onFatal: hooks.onFatal }),
    },
    {
      tickMs: tunables.tickMs,
      replica: {
        ...defaultGroupReplicaOptions(defaultRaftOptions),
        snapshotEvery: tunables.snapshotEvery,
        abandonTicks: tunables.abandonTicks,
      },
      // Clients and other replicas running another app module are refused at the handshake.
      transport: { ...transportOptionsOf(config), app: identity },
    },
  );
  let address: PeerAddress | null;
  try {
    address = await runtime.start();
  } catch (err) {
    await runtime.stop().catch(() => {});
    throw err;
  }
  return {
    replica,
    group: group.id,
    app: identity,
    address: address ?? { host: replica.host, port: replica.port },
    dataDir,
    metrics: () => runtime.metrics(),
    appStatus: describe,
    dsStats: () => {
      const inner = current?.inner;
      if (inner === undefined) return null;
      return inner instanceof OracleApp ? inner.stats : { ...inner.stats, variables: inner.size };
    },
    stop: () => runtime.stop(),
  };
}

// A whole DS-SMR (or S-SMR) deployment and its clients in one process, from one seed, under faults.

import type { Operation } from "../check/history.ts";
import { checkLinearizable } from "../check/linearizability.ts";
import type { Model } from "../check/model.ts";
import { MulticastChecker } from "../check/multicast-checker.ts";
import { checkOwnership } from "../check/ownership.ts";
import type { PartitionedApp } from "../core/dssmr/app.ts";
import { createDsGroupApp, type DsGroupSnapshot } from "../core/dssmr/group-app.ts";
import { LocationCache } from "../core/dssmr/location-cache.ts";
import { OracleApp } from "../core/dssmr/oracle.ts";
import { type DsBugName, type DsDeployment, PartitionApp } from "../core/dssmr/partition.ts";
import type { DestinationPolicy } from "../core/dssmr/policy.ts";
import {
  addProxyStats,
  ClientProxy,
  defaultProxyOptions,
  emptyProxyStats,
  type ProxyStats,
} from "../core/dssmr/proxy.ts";
import {
  type DsPayload,
  type DsRelay,
  type DsReply,
  type Mode,
  ORACLE,
  type PartitionId,
  type VarId,
} from "../core/dssmr/types.ts";
import {
  defaultGroupReplicaOptions,
  GroupReplica,
  type GroupSnapshot,
} from "../core/group/group-replica.ts";
import { clientId, type GroupId, groupId, type ReplicaId } from "../core/ids.ts";
import type { McastCommand } from "../core/multicast/types.ts";
import { defaultRaftOptions, type RaftOptions } from "../core/raft/types.ts";
import { type CostModel, defaultCostModel } from "./cost.ts";
import { DrivenGroupReplica } from "./driven-group.ts";
import type { FaultKind } from "./faults.ts";
import {
  FAULTS_START,
  GroupConsensusChecks,
  groupTopology,
  standardFaults,
} from "./group-checks.ts";
import {
  type GroupNode,
  type GroupTraffic,
  type GroupWire,
  groupHandlers,
} from "./group-handlers.ts";
import { defaultNetworkOptions, type NetworkOptions } from "./network.ts";
import { Rng } from "./rng.ts";
import { SimNode } from "./sim-node.ts";
import type { SimStorage } from "./storage.ts";
import { SimWorld } from "./world.ts";

/** What a DS-SMR simulation runs: an application, its boot state and its clients' commands. */
export interface DsWorkload<Cmd, Res, Val> {
  readonly app: PartitionedApp<Cmd, Res, Val>;
  /** Variables at boot, with their partitions. */
  initial(
    partitions: readonly PartitionId[],
    rng: Rng,
  ): readonly (readonly [VarId, PartitionId, Val])[];
  /** Client `client`'s next command. */
  next(rng: Rng, client: number): Cmd;
  /** A sequential model of the application, to check the history's linearizability. */
  readonly model?: Model<unknown, Cmd, Res>;
}

/** Everything that defines one run. */
export interface DsSimOptions {
  readonly seed: number;
  readonly mode: Mode;
  readonly partitions: number;
  readonly replicas: number;
  readonly clients: number;
  /**
   * Clients per client process: the clients of one process share one location cache (as the
   * commands of one DsClient do). Default 1: every client alone.
   */
  readonly clientsPerProcess?: number;
  /** Commands in total. */
  readonly ops: number;
  readonly policy: DestinationPolicy;
  readonly retryThreshold: number;
  readonly faults: ReadonlySet<FaultKind>;
  readonly raft: RaftOptions;
  readonly snapshotEvery: number;
  readonly network: NetworkOptions;
  readonly cost: CostModel;
  readonly tickMs: number;
  readonly thinkMs: number;
  /** A client resends an unanswered message after this many ticks. */
  readonly clientTimeoutTicks: number;
  readonly settleMs: number;
  readonly catchUpMs: number;
  readonly checkHistory: boolean;
  readonly bug: DsBugName | null;
  /**
   * Benchmark mode: clients issue commands without limit until this simulated time, then the run
   * stops (no liveness or history checks). Null: correctness mode, `ops` commands in total.
   */
  readonly durationMs: number | null;
  /** Width of the windows of the time series (benchmark mode). */
  readonly windowMs: number;
}

/** What happened during one window of simulated time (benchmark mode). */
export interface DsWindow {
  /** End of the window, simulated ms. */
  readonly t: number;
  readonly completed: number;
  readonly moves: number;
  readonly retries: number;
  readonly fallbacks: number;
  readonly consults: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly multiPartition: number;
  readonly submitted: number;
  /** Location queries sent to oracle replicas (outside the log). */
  readonly queries: number;
}

/** Defaults for a quick correctness run. */
export const defaultDsSimOptions: DsSimOptions = {
  seed: 1,
  mode: "dssmr",
  partitions: 2,
  replicas: 3,
  clients: 4,
  ops: 200,
  policy: "most",
  retryThreshold: defaultProxyOptions.retryThreshold,
  faults: new Set(),
  raft: defaultRaftOptions,
  snapshotEvery: 32,
  network: { ...defaultNetworkOptions, minLatency: 0.1, meanExtraLatency: 0.2 },
  cost: defaultCostModel,
  tickMs: 10,
  thinkMs: 10,
  clientTimeoutTicks: 20,
  settleMs: 30_000,
  catchUpMs: 1_000,
  checkHistory: true,
  bug: null,
  durationMs: null,
  windowMs: 100,
};

/** Counters of one run. */
export interface DsSimStats extends ProxyStats {
  readonly simulatedMs: number;
  readonly commandsCompleted: number;
  readonly oracleConsults: number;
  readonly movesApplied: number;
  readonly staleMoves: number;
  readonly raftMessages: number;
  readonly interGroupMessages: number;
  readonly clientMessages: number;
  readonly fsyncs: number;
  readonly faultsInjected: number;
  /** Variables per partition at the end. */
  readonly variables: readonly number[];
}

/** The outcome of one run. */
export interface DsSimResult<Cmd, Res> {
  readonly seed: number;
  readonly violations: readonly string[];
  readonly stats: DsSimStats;
  readonly history: readonly Operation<Cmd, Res>[];
  /** Per-window counters (benchmark mode; empty otherwise). */
  readonly series: readonly DsWindow[];
}

const CLIENT_BASE = 1000;

type ClientEvent =
  | { readonly kind: "next"; readonly client: number }
  | { readonly kind: "tick"; readonly client: number }
  | { readonly kind: "sample" };

interface OpRecord<Cmd, Res> {
  id: number;
  client: number;
  input: Cmd;
  output: Res | undefined;
  call: number;
  ret: number;
}

/**
 * Runs one seed of a DS-SMR deployment: the oracle and partitions as groups of replicas, clients
 * with their proxies, the seed's faults. Then checks consensus in every group, atomic multicast
 * order, that every variable has one owner where the oracle says, liveness, and the history's
 * linearizability against the workload's model.
 */
export function runDsSimulation<Cmd, Res, Val>(
  opts: DsSimOptions,
  workload: DsWorkload<Cmd, Res, Val>,
): DsSimResult<Cmd, Res> {
  type Payload = DsPayload<Cmd>;
  type Relay = DsRelay<Val>;
  type Reply = DsReply<Res>;
  type Snap = DsGroupSnapshot<Cmd, Val>;
  type Node = GroupNode<Payload, Relay, Reply, Snap>;
  type Wire = GroupWire<Payload, Relay, Reply, Snap>;

  const root = new Rng(opts.seed);
  const world = new SimWorld<Wire, ClientEvent, Node>(root, opts.network, opts.tickMs);
  const partitions = Array.from({ length: opts.partitions }, (_, i) => groupId(i + 1));
  const groups = opts.mode === "dssmr" ? [ORACLE, ...partitions] : partitions;
  const deployment: DsDeployment = {
    mode: opts.mode,
    partitions,
    bugs: new Set(opts.bug === null ? [] : [opts.bug]),
  };
  const { members, groupOf } = groupTopology(groups, opts.replicas);
  // S-SMR partitions statically: every variable starts (and stays) at its home partition.
  const boot = workload.initial(partitions, root.fork("initial"));
  const initial = {
    variables:
      opts.mode === "ssmr"
        ? boot.map(([v, , value]) => [v, workload.app.place(v, partitions), value] as const)
        : boot,
  };
  const options = { ...defaultGroupReplicaOptions(opts.raft), snapshotEvery: opts.snapshotEvery };
  const checks = new GroupConsensusChecks(members);
  const mcastChecker = new MulticastChecker();
  for (const [g, ids] of members) {
    for (const id of ids) {
      const rng = root.fork(`replica-${id}`);
      const build = (
        storage: SimStorage<
          McastCommand<Payload, Relay>,
          GroupSnapshot<Payload, Relay, Reply, Snap>
        >,
      ) =>
        new DrivenGroupReplica(
          new GroupReplica<Payload, Relay, Reply, Snap>(
            { group: g, replica: id, groups: members, random: () => rng.next() },
            options,
            () => createDsGroupApp(g, workload.app, deployment, initial),
            storage.load(),
          ),
        );
      world.add(new SimNode(id, build, rng, opts.cost));
    }
  }

  const traffic: GroupTraffic = { raftMessages: 0, interGroupMessages: 0, clientMessages: 0 };
  let lastCompletion = 0;
  const history: OpRecord<Cmd, Res>[] = [];
  const seenMessages = new Set<string>();

  const bench = opts.durationMs !== null;
  const perClient = bench ? Number.POSITIVE_INFINITY : Math.ceil(opts.ops / opts.clients);
  const faultEnd = bench
    ? (opts.durationMs ?? 0)
    : FAULTS_START + Math.max(300, perClient * (opts.thinkMs + 10));
  const allReplicas = [...groupOf.keys()];
  const schedule = standardFaults(
    root.fork("faults"),
    opts.faults,
    [...members.values()],
    Array.from({ length: opts.clients }, (_, i) => CLIENT_BASE + i),
    faultEnd,
  );
  world.inject(schedule);

  const checkAllLogs = (): void =>
    checks.checkLogs((id) => world.nodes.get(id)?.replica?.core.raft);

  // Clients.
  interface SimClient {
    readonly rng: Rng;
    readonly proxy: ClientProxy<Cmd, Res>;
    remaining: number;
    current: number;
  }
  const clients = new Map<number, SimClient>();
  const caches = new Map<number, LocationCache>();
  for (let i = 0; i < opts.clients; i++) {
    const process = Math.floor(i / Math.max(1, opts.clientsPerProcess ?? 1));
    let cache = caches.get(process);
    if (cache === undefined) {
      cache = new LocationCache();
      caches.set(process, cache);
    }
    const addr = CLIENT_BASE + i;
    const rng = root.fork(`client-${i}`);
    const proxyRng = root.fork(`proxy-${i}`);
    const proxy = new ClientProxy<Cmd, Res>(
      {
        ...defaultProxyOptions,
        client: clientId(addr),
        groups: members,
        deployment,
        retryThreshold: opts.retryThreshold,
        policy: opts.policy,
        timeoutTicks: opts.clientTimeoutTicks,
        cache,
      },
      workload.app as PartitionedApp<Cmd, Res, unknown>,
      () => proxyRng.next(),
    );
    clients.set(addr, {
      rng,
      proxy,
      remaining: bench ? perClient : Math.min(perClient, Math.max(0, opts.ops - i * perClient)),
      current: -1,
    });
    world.after(rng.exponential(opts.thinkMs), { kind: "next", client: addr });
    world.after(rng.next() * opts.tickMs, { kind: "tick", client: addr });
  }
  const flushClient = (addr: number): void => {
    const c = clients.get(addr)!;
    for (const { to, msg } of c.proxy.takeSends()) {
      if (msg.type === "mcast") {
        const m = msg.msg;
        const key = `${m.client}.${m.seq}`;
        if (!seenMessages.has(key)) {
          seenMessages.add(key);
          mcastChecker.onSend(key, addr, m.seq, m.dests);
        }
      }
      traffic.clientMessages++;
      world.send(addr, to, msg);
    }
    for (const r of c.proxy.takeResults()) {
      const rec = history[c.current];
      if (rec === undefined) continue;
      // An invalid command never happens in these workloads; record it as a failure to notice.
      rec.output = r.ok ? r.result : undefined;
      rec.ret = r.ok ? world.now : Number.POSITIVE_INFINITY;
      lastCompletion = world.now;
      c.current = -1;
      if (c.remaining > 0)
        world.after(c.rng.exponential(opts.thinkMs), { kind: "next", client: addr });
    }
  };

  const handlers = groupHandlers(world, checks, traffic, {
    response(to, from, msg) {
      const c = clients.get(to);
      if (c === undefined) return;
      c.proxy.receive(msg, from as ReplicaId);
      flushClient(to);
    },
    applied(node, _rd, adv) {
      const g = groupOf.get(node.id)!;
      for (const ev of adv.events) {
        if (ev.kind === "deliver") {
          mcastChecker.onDeliver(g, node.id, ev.position, `${ev.msg.client}.${ev.msg.seq}`);
        }
      }
    },
    restored(node, data) {
      mcastChecker.onRestore(node.id, data?.delivered ?? 0);
    },
    own(ev) {
      if (ev.kind === "sample") {
        sample();
        world.after(opts.windowMs, ev);
        return;
      }
      const c = clients.get(ev.client)!;
      if (ev.kind === "tick") {
        c.proxy.tick();
        flushClient(ev.client);
        world.after(opts.tickMs, ev);
        return;
      }
      if (c.remaining === 0 || c.current !== -1) return;
      c.remaining--;
      const cmd = workload.next(c.rng, ev.client - CLIENT_BASE);
      c.current = history.length;
      history.push({
        id: history.length,
        client: ev.client,
        input: cmd,
        output: undefined,
        call: world.now,
        ret: Number.POSITIVE_INFINITY,
      });
      c.proxy.submit(cmd);
      flushClient(ev.client);
    },
  });

  // Benchmark time series: counters summed over all proxies, sampled per window.
  const series: DsWindow[] = [];
  let last = { ...sumStats() };
  const sample = (): void => {
    const now = sumStats();
    series.push({
      t: world.now,
      completed: now.completed - last.completed,
      moves: now.moves - last.moves,
      retries: now.retries - last.retries,
      fallbacks: now.fallbacks - last.fallbacks,
      consults: now.consults - last.consults,
      cacheHits: now.cacheHits - last.cacheHits,
      cacheMisses: now.cacheMisses - last.cacheMisses,
      multiPartition: now.multiPartition - last.multiPartition,
      submitted: now.submitted - last.submitted,
      queries: now.queries - last.queries,
    });
    last = now;
  };
  // The most advanced replica of each group stands for the group's state.
  const groupApp = (g: GroupId) => {
    let best: GroupReplica<Payload, Relay, Reply, Snap> | null = null;
    for (const id of members.get(g)!) {
      const r = world.nodes.get(id)?.replica?.core;
      if (r && (best === null || r.raft.appliedIndex > best.raft.appliedIndex)) best = r;
    }
    return best === null
      ? null
      : (best.application as ReturnType<typeof createDsGroupApp<Cmd, Res, Val>>).inner;
  };
  if (bench) {
    world.after(opts.windowMs, { kind: "sample" });
    world.run(handlers, () => false, opts.durationMs ?? 0);
    // Where the variables ended up, by the most advanced oracle replica's map.
    const oracleApp = opts.mode === "dssmr" ? groupApp(ORACLE) : null;
    const counts = oracleApp instanceof OracleApp ? [...oracleApp.counts().values()] : [];
    const o = oracleApp instanceof OracleApp ? oracleApp.stats : null;
    return {
      seed: opts.seed,
      violations: checks.violations(),
      stats: finalStats(
        o === null ? undefined : { consults: o.consults, moves: o.moves, staleMoves: o.staleMoves },
        counts,
      ),
      history,
      series,
    };
  }
  const allDone = (): boolean => {
    for (const c of clients.values()) if (c.remaining > 0 || c.current !== -1) return false;
    return true;
  };
  const completed = world.run(handlers, allDone, faultEnd + opts.settleMs);
  // Clients stop; replicas finish moves in flight and lagging ones catch up.
  const quiet = (): boolean => [...clients.values()].every((c) => c.proxy.idle);
  world.run(handlers, quiet, world.now + opts.settleMs);
  world.run(handlers, () => false, world.now + opts.catchUpMs);
  checkAllLogs();

  const violations = checks.violations();
  const correct = new Set(allReplicas.filter((id) => world.nodes.get(id)?.up));
  violations.push(
    ...mcastChecker.finish({ replicasByGroup: members, correct, checkLiveness: completed }),
  );
  if (!completed) {
    const open = history.filter((h) => h.output === undefined).length;
    violations.push(
      `liveness: ${open} commands incomplete ${opts.settleMs} ms after the faults healed`,
    );
  }

  const held = new Map<number, VarId[]>();
  const variables: number[] = [];
  for (const p of partitions) {
    const inner = groupApp(p);
    const vars = inner instanceof PartitionApp ? [...inner.variables().keys()] : [];
    held.set(p, vars);
    variables.push(vars.length);
  }
  const oracleCounts = { consults: 0, moves: 0, staleMoves: 0 };
  if (opts.mode === "dssmr") {
    const oracle = groupApp(ORACLE);
    if (oracle instanceof OracleApp) {
      violations.push(...checkOwnership(oracle.mapping(), held));
      oracleCounts.consults = oracle.stats.consults;
      oracleCounts.moves = oracle.stats.moves;
      oracleCounts.staleMoves = oracle.stats.staleMoves;
    }
  } else {
    const homes = new Map<string, number>();
    for (const [p, vars] of held)
      for (const v of vars) homes.set(v, workload.app.place(v, partitions) === p ? p : -1);
    violations.push(...checkOwnership(homes, held));
  }
  if (opts.checkHistory && workload.model !== undefined) {
    const verdict = checkLinearizable(workload.model, history);
    if (verdict.ok === false) violations.push(`linearizability: ${verdict.explanation}`);
    else if (verdict.ok === "unknown")
      violations.push(`linearizability: undecided (${verdict.reason})`);
  }

  return {
    seed: opts.seed,
    violations,
    stats: finalStats(oracleCounts, variables),
    history,
    series,
  };

  function sumStats(): ProxyStats {
    const totals = emptyProxyStats();
    for (const c of clients.values()) addProxyStats(totals, c.proxy.stats);
    return totals;
  }

  function finalStats(
    oracle = { consults: 0, moves: 0, staleMoves: 0 },
    variables: readonly number[] = [],
  ): DsSimStats {
    let fsyncs = 0;
    for (const node of world.nodes.values()) fsyncs += node.storage.stats.fsyncs;
    return {
      ...sumStats(),
      simulatedMs: lastCompletion,
      commandsCompleted: history.filter((h) => h.output !== undefined).length,
      oracleConsults: oracle.consults,
      movesApplied: oracle.moves,
      staleMoves: oracle.staleMoves,
      ...traffic,
      fsyncs,
      faultsInjected: schedule.length,
      variables,
    };
  }
}

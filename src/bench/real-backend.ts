// Real processes as a benchmark back end: a LocalCluster of replica processes driven by DsClients, wall-clock time.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { ChirperCmd, ChirperResult } from "../apps/chirper/types.ts";
import { DsClient } from "../client/ds-client.ts";
import { appSetup, demoGraph } from "../cluster/app-setup.ts";
import { type ClusterConfig, loadClusterConfig, parseClusterConfig } from "../cluster/config.ts";
import { LocalCluster } from "../cluster/launcher.ts";
import {
  buildLocalConfig,
  defaultLocalClusterOptions,
  writeClusterConfig,
} from "../cluster/local-config.ts";
import { addProxyStats, emptyProxyStats, type ProxyStats } from "../core/dssmr/proxy.ts";
import { ConfigError } from "../core/errors.ts";
import { Rng } from "../sim/rng.ts";
import { ChirperWorkload } from "../workload/chirper-workload.ts";
import type {
  BenchBackend,
  PaperRunSpec,
  RunObservation,
  Timing,
  WindowCounters,
} from "./paper-bench.ts";

/** Options of the real-process back end. */
export interface RealBackendOptions {
  /** In-memory Raft logs (no fsync) instead of the write-ahead log on disk. */
  readonly memory: boolean;
  /** Replicas per group (the oracle's included). Default 3. */
  readonly replicas?: number;
  /** Closed-loop clients sharing one DsClient (one connection set, one cache). Default 16. */
  readonly clientsPerConnection?: number;
  /** Progress lines (cluster start, stop). */
  readonly log?: (line: string) => void;
}

/** A process's CPU time (user + system) in ms, from /proc/PID/stat; null if unreadable. */
export function procCpuMs(pid: number, ticksPerS: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return ((utime + stime) * 1000) / ticksPerS;
  } catch {
    return null;
  }
}

let ticks: number | null = null;
/** Clock ticks per second of /proc times (getconf CLK_TCK; 100 if that fails). */
export function clockTicks(): number {
  if (ticks === null) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/**
 * The cluster.json of a benchmark run: a local cluster of the spec's mode and partitions, the
 * Chirper app with a demo graph of `spec.users` users (one community per partition, placed by
 * community), the spec's destination policy and retry threshold. `basePort` null asks the OS for
 * free ports (a real run); a number builds the same config without touching sockets.
 */
export async function benchClusterConfig(
  spec: PaperRunSpec,
  memory: boolean,
  replicas: number,
  basePort: number | null,
): Promise<ClusterConfig> {
  const built = await buildLocalConfig({
    ...defaultLocalClusterOptions,
    app: "chirper",
    mode: spec.mode,
    partitions: spec.partitions,
    replicas,
    memory,
    httpPort: null,
    metrics: false,
    secret: true,
    demoUsers: spec.users,
    basePort,
  });
  return parseClusterConfig({
    ...built,
    tunables: { ...built.tunables, policy: spec.policy, retryThreshold: spec.retryThreshold },
    demo: { users: spec.users, seed: spec.graphSeed },
  });
}

type Client = DsClient<ChirperCmd, ChirperResult>;

/**
 * Runs each spec on real processes of this host: starts a LocalCluster (3 replicas per group,
 * the oracle included in DS-SMR; WAL with fsync, or memory), waits for leaders, then runs
 * `partitions * clientsPerPartition` closed-loop clients (one command outstanding each, no think
 * time) over DsClients in this process for `durationMs` of wall time, sampling the proxies'
 * counters every `windowMs`. Only strong locality: the demo graph has no crossing edges, and
 * its users start in their community's partition (unlike the simulator's random placement).
 * CPU time of every replica process (from /proc) and of this process is measured over the
 * measured part (after warm-up) and reported in `extra`, per completed command.
 */
export function realBackend(opts: RealBackendOptions): BenchBackend {
  return {
    name: "real",
    simulated: false,
    label: `REAL (wall clock, this machine, ${opts.memory ? "memory logs, no fsync" : "WAL with fsync"})`,
    run: (spec) => runReal(spec, opts),
  };
}

async function runReal(spec: PaperRunSpec, opts: RealBackendOptions): Promise<RunObservation> {
  if (spec.locality !== "strong") {
    throw new ConfigError("the real back end runs strong locality only (the demo graph)");
  }
  const log = opts.log ?? (() => {});
  const replicas = opts.replicas ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "dssmr-bench-"));
  const file = join(dir, "cluster.json");
  writeClusterConfig(file, await benchClusterConfig(spec, opts.memory, replicas, null));
  const loaded = loadClusterConfig(file);
  const tStart = performance.now();
  const cluster = await LocalCluster.start(loaded, { startTimeoutMs: 60_000 });
  const clients: Client[] = [];
  try {
    await cluster.waitReady(60_000);
    const startupMs = performance.now() - tStart;
    log(`cluster of ${cluster.ids.length} replicas ready in ${(startupMs / 1000).toFixed(1)} s`);
    const setup = appSetup(loaded.config);
    const graph = demoGraph(loaded.config);
    if (setup.kind !== "chirper" || graph === null) throw new ConfigError("expected Chirper");
    const n = spec.partitions * spec.clientsPerPartition;
    const perConn = opts.clientsPerConnection ?? 16;
    for (let i = 0; i < Math.ceil(n / perConn); i++) {
      clients.push(
        await DsClient.connect(loaded, setup.app, {
          timeoutMs: 30_000,
          maxInFlight: perConn,
          lanes: 1,
        }),
      );
    }
    return await drive(spec, cluster, clients, graph, startupMs);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const sumStats = (clients: readonly Client[]): ProxyStats =>
  clients.reduce((a, c) => addProxyStats(a, c.stats()), emptyProxyStats());

async function drive(
  spec: PaperRunSpec,
  cluster: LocalCluster,
  clients: readonly Client[],
  graph: NonNullable<ReturnType<typeof demoGraph>>,
  startupMs: number,
): Promise<RunObservation> {
  const hz = clockTicks();
  const nWindows = Math.floor(spec.durationMs / spec.windowMs);
  const skip = Math.floor(nWindows * spec.warmupFraction);
  const pids = cluster.ids.map((id) => ({ id, pid: cluster.pid(id) }));
  const cpuNow = (): { replicas: number; oracle: number; self: number } => {
    let replicas = 0;
    let oracle = 0;
    for (const { id, pid } of pids) {
      const ms = pid === null ? null : procCpuMs(pid, hz);
      if (ms === null) continue;
      replicas += ms;
      // Local replica ids are group*100 + i: group 0 is DS-SMR's oracle.
      if (spec.mode === "dssmr" && Math.floor(id / 100) === 0) oracle += ms;
    }
    const u = process.cpuUsage();
    return { replicas, oracle, self: (u.user + u.system) / 1000 };
  };

  const timings: Timing[] = [];
  const windows: WindowCounters[] = [];
  let errors = 0;
  let running = true;
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const n = spec.partitions * spec.clientsPerPartition;
  const loops = Array.from({ length: n }, async (_, i) => {
    const client = clients[i % clients.length]!;
    const gen = new ChirperWorkload(graph, { mix: spec.workload });
    const rng = new Rng(spec.seed * 100_003 + i + 1);
    while (running) {
      const cmd = gen.next(rng);
      const call = now();
      try {
        await client.execute(cmd);
        if (running) timings.push({ call, ret: now() });
      } catch {
        errors++;
      }
    }
  });

  let prev = sumStats(clients);
  let cpuFrom = cpuNow();
  let cpuTo = cpuFrom;
  let measuredFrom = 0;
  for (let w = 1; w <= nWindows; w++) {
    const due = w * spec.windowMs;
    await new Promise((r) => setTimeout(r, Math.max(0, due - now())));
    const s = sumStats(clients);
    windows.push({
      t: now(),
      completed: s.completed - prev.completed,
      moves: s.moves - prev.moves,
      retries: s.retries - prev.retries,
      fallbacks: s.fallbacks - prev.fallbacks,
      consults: s.consults - prev.consults,
      cacheHits: s.cacheHits - prev.cacheHits,
      cacheMisses: s.cacheMisses - prev.cacheMisses,
      multiPartition: s.multiPartition - prev.multiPartition,
      submitted: s.submitted - prev.submitted,
    });
    prev = s;
    if (w === skip) {
      cpuFrom = cpuNow();
      measuredFrom = s.completed;
    }
    if (w === nWindows) cpuTo = cpuNow();
  }
  running = false;
  const measured = prev.completed - measuredFrom;
  const tEnd = now();
  // Let in-flight commands finish (or time out) so the clients close cleanly.
  await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 5_000))]);
  const measuredS = (tEnd - (skip === 0 ? 0 : windows[skip - 1]!.t)) / 1000;
  const perCmd = (ms: number): number => (measured > 0 ? ms / measured : 0);
  return {
    windows,
    timings,
    extra: {
      startupMs: Math.round(startupMs),
      /** The host's 1-minute load average at the end (other work on the machine shows here). */
      loadAvg1: loadavg()[0] ?? 0,
      errors,
      replicaProcesses: pids.length,
      loadGenerators: clients.length,
      retransmissions: prev.retransmissions,
      /** Location queries answered outside the oracle's log (DS-SMR clients, whole run). */
      locationQueries: prev.queries,
      clientMessages: prev.messages,
      /** CPU ms per completed command, summed over every replica process. */
      replicaCpuMsPerCmd: perCmd(cpuTo.replicas - cpuFrom.replicas),
      oracleCpuMsPerCmd: perCmd(cpuTo.oracle - cpuFrom.oracle),
      partitionCpuMsPerCmd: perCmd(
        cpuTo.replicas - cpuTo.oracle - (cpuFrom.replicas - cpuFrom.oracle),
      ),
      clientCpuMsPerCmd: perCmd(cpuTo.self - cpuFrom.self),
      /** Cores busy on average: replicas, and this process (clients). */
      replicaCores: (cpuTo.replicas - cpuFrom.replicas) / 1000 / measuredS,
      clientCores: (cpuTo.self - cpuFrom.self) / 1000 / measuredS,
    },
  };
}

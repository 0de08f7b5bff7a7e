// The dashboard over a real cluster: status from every replica, a Chirper workload of DsClients, kill and restart.
import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";
import type { ChirperCmd, ChirperResult } from "../apps/chirper/types.ts";
import { DsClient } from "../client/ds-client.ts";
import { type ClusterStatus, clusterStatus, type GroupStatus } from "../client/status.ts";
import { appSetup, demoGraph } from "../cluster/app-setup.ts";
import type { LoadedConfig } from "../cluster/config.ts";
import type { LocalCluster } from "../cluster/launcher.ts";
import { addProxyStats, emptyProxyStats, type ProxyStats } from "../core/dssmr/proxy.ts";
import { Rng } from "../sim/rng.ts";
import { ChirperWorkload } from "../workload/chirper-workload.ts";
import type { SocialGraph } from "../workload/social-graph.ts";
import {
  type ClusterSnapshot,
  type DashboardBackend,
  DashboardError,
  type GroupView,
  type LatencyView,
  type PlacementView,
  WORKLOAD_LIMITS,
  type WorkloadRequest,
} from "./backend.ts";

/** Options of {@link ClusterBackend}. */
export interface ClusterBackendOptions {
  /** The launcher's handle on the replica processes; without it kill and restart answer 409. */
  cluster?: LocalCluster;
  /** How long a status request waits for each replica (default 400 ms). */
  statusTimeoutMs?: number;
  /**
   * Where the users of the demo graph live. Default: the community counts each partition reports
   * in its status ({@link placementOf}); another source can be plugged in here.
   */
  placement?: () => Promise<PlacementView | null>;
  /** Seed of the workload's command streams (default: from the clock). */
  seed?: number;
}

/** Closed-loop clients sharing one DsClient (its proxy pipelines up to 16 commands). */
const LOOPS_PER_CLIENT = 16;
/** Latencies of the commands completed in this many recent milliseconds make the percentiles. */
const LATENCY_WINDOW_MS = 1_000;
/** Time limit of one workload command. */
const COMMAND_TIMEOUT_MS = 5_000;

/** Recent latencies in a window of time, with percentiles. */
class LatencyWindow {
  private times: number[] = [];
  private values: number[] = [];

  add(now: number, ms: number): void {
    this.times.push(now);
    this.values.push(ms);
    if (this.times.length > 4096 && this.times[0]! < now - LATENCY_WINDOW_MS) this.prune(now);
  }

  percentiles(now: number): LatencyView | null {
    this.prune(now);
    if (this.values.length === 0) return null;
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }

  private prune(now: number): void {
    let i = 0;
    while (i < this.times.length && this.times[i]! < now - LATENCY_WINDOW_MS) i++;
    this.times = this.times.slice(i);
    this.values = this.values.slice(i);
  }
}

/** One dashboard-started workload: closed-loop clients issuing ChirperWorkload commands. */
class WorkloadRun {
  readonly name: WorkloadRequest["workload"];
  readonly latency = new LatencyWindow();
  private readonly abort = new AbortController();
  private readonly clients: DsClient<ChirperCmd, ChirperResult>[];
  /** Counters of clients already closed by an earlier stop (none: one run, one set). */
  private loops: Promise<void>[] = [];
  private finished: Promise<void> | null = null;
  running = true;

  constructor(name: WorkloadRequest["workload"], clients: DsClient<ChirperCmd, ChirperResult>[]) {
    this.name = name;
    this.clients = clients;
    // Every loop's command in flight listens on the one stop signal.
    setMaxListeners(WORKLOAD_LIMITS.maxClients + 16, this.abort.signal);
  }

  /** Starts `loops` closed loops drawing commands from `gen`; the run ends at `endsAt`. */
  start(loops: number, gen: ChirperWorkload, rng: Rng, endsAt: number): void {
    const signal = this.abort.signal;
    const loop = async (client: DsClient<ChirperCmd, ChirperResult>): Promise<void> => {
      while (!signal.aborted && Date.now() < endsAt) {
        const cmd = gen.next(rng);
        const t0 = performance.now();
        try {
          await client.execute(cmd, { signal, timeoutMs: COMMAND_TIMEOUT_MS });
          const t1 = performance.now();
          this.latency.add(t1, t1 - t0);
        } catch {
          // Timeouts while a group elects a leader are expected in a demonstration: go on.
          if (!signal.aborted) await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    this.loops = Array.from({ length: loops }, (_, i) =>
      loop(this.clients[Math.floor(i / LOOPS_PER_CLIENT)]!),
    );
    void this.finish();
  }

  /** Cumulative counters of the run's clients. */
  stats(): ProxyStats {
    const sum = emptyProxyStats();
    for (const c of this.clients) addProxyStats(sum, c.stats());
    return sum;
  }

  /** Stops the loops (at once: pending commands are abandoned) and closes the clients. */
  stop(): Promise<void> {
    this.abort.abort(new Error("workload stopped"));
    return this.finish();
  }

  private finish(): Promise<void> {
    this.finished ??= (async () => {
      await Promise.allSettled(this.loops);
      this.running = false;
      await Promise.allSettled(this.clients.map((c) => c.close()));
    })();
    return this.finished;
  }
}

function groupView(g: GroupStatus, cluster: LocalCluster | undefined): GroupView {
  return {
    id: g.id,
    kind: g.kind,
    variables: g.variables,
    replicas: g.replicas.map((r) => ({
      id: r.id,
      address: r.address,
      pid: r.pid ?? cluster?.pid(r.id) ?? null,
      up: r.up,
      role: r.role,
      term: r.term,
      commitIndex: r.commitIndex,
      delivered: r.delivered,
    })),
  };
}

/**
 * The community × partition matrix from the partitions' status (each reports, from its most
 * advanced replica, how many users of each community it holds); a partition that did not answer
 * counts zero. Null when no partition reported communities (no demo graph, or none answered).
 */
export function placementOf(status: ClusterStatus): PlacementView | null {
  const parts = status.groups.filter((g) => g.kind === "partition");
  const reported = parts.flatMap((g) => (g.communities === null ? [] : [g.communities.length]));
  if (reported.length === 0) return null;
  const communities = Math.max(...reported);
  return {
    communities,
    partitions: parts.map((g) => g.id),
    matrix: Array.from({ length: communities }, (_, c) =>
      parts.map((g) => g.communities?.[c] ?? 0),
    ),
  };
}

/**
 * The dashboard backend of a running cluster. Status comes from asking every replica
 * (clusterStatus); workloads run the paper's Chirper mixes over the config's demo graph with
 * DsClients in this process; kill and restart go through the launcher's process handles.
 */
export class ClusterBackend implements DashboardBackend {
  private readonly loaded: LoadedConfig;
  private readonly opts: ClusterBackendOptions;
  private readonly graph: SocialGraph | null;
  private run: WorkloadRun | null = null;
  private runs = 0;
  private pending: Promise<ClusterSnapshot> | null = null;

  constructor(loaded: LoadedConfig, opts: ClusterBackendOptions = {}) {
    this.loaded = loaded;
    this.opts = opts;
    this.graph = demoGraph(loaded.config);
  }

  /** One status round at a time: concurrent viewers share it. */
  snapshot(): Promise<ClusterSnapshot> {
    this.pending ??= this.takeSnapshot().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async takeSnapshot(): Promise<ClusterSnapshot> {
    const source = this.opts.placement;
    const [status, placement] = await Promise.all([
      clusterStatus(this.loaded, { timeoutMs: this.opts.statusTimeoutMs ?? 400 }),
      source === undefined ? Promise.resolve(undefined) : source(),
    ]);
    const run = this.run;
    const s = run?.stats() ?? emptyProxyStats();
    const now = performance.now();
    return {
      time: Date.now(),
      mode: this.loaded.config.mode,
      app: this.loaded.config.app,
      groups: status.groups.map((g) => groupView(g, this.opts.cluster)),
      workload: {
        running: run?.running ?? false,
        name: run?.name ?? null,
        completed: s.completed,
        moves: s.moves,
        retries: s.retries,
        fallbacks: s.fallbacks,
        cacheHits: s.cacheHits,
        cacheMisses: s.cacheMisses,
        multiPartition: s.multiPartition,
        consults: s.consults,
        latencyMs: run?.running ? run.latency.percentiles(now) : null,
      },
      placement: placement === undefined ? placementOf(status) : placement,
    };
  }

  async startWorkload(opts: WorkloadRequest): Promise<void> {
    if (this.run?.running) throw new DashboardError(409, "a workload is already running");
    const setup = this.loaded.config.app === "chirper" ? appSetup(this.loaded.config) : null;
    if (setup?.kind !== "chirper" || this.graph === null) {
      throw new DashboardError(409, "workloads need a Chirper cluster with a demo graph");
    }
    const n = Math.ceil(opts.clients / LOOPS_PER_CLIENT);
    const clients = await Promise.all(
      Array.from({ length: n }, () => DsClient.connect(this.loaded, setup.app)),
    );
    const gen = new ChirperWorkload(this.graph, { mix: opts.workload });
    const rng = new Rng((this.opts.seed ?? Date.now()) + this.runs++);
    const run = new WorkloadRun(opts.workload, clients);
    this.run = run;
    run.start(opts.clients, gen, rng, Date.now() + opts.durationMs);
  }

  async stopWorkload(): Promise<void> {
    await this.run?.stop();
  }

  async kill(replica: number): Promise<void> {
    await this.launcher(replica).kill(replica);
  }

  async restart(replica: number): Promise<void> {
    await this.launcher(replica).startReplica(replica);
  }

  /** Stops the workload and its clients (the cluster keeps running). */
  async close(): Promise<void> {
    await this.stopWorkload();
  }

  private launcher(replica: number): LocalCluster {
    if (!this.loaded.config.groups.some((g) => g.replicas.some((r) => r.id === replica))) {
      throw new DashboardError(404, `no replica ${replica}`);
    }
    const cluster = this.opts.cluster;
    if (cluster === undefined) {
      throw new DashboardError(
        409,
        "this dashboard did not start the cluster: it cannot kill or restart replicas",
      );
    }
    return cluster;
  }
}

// The simulator as a benchmark back end: one DS-SMR or S-SMR deployment per run, in simulated time.
import { createChirper } from "../apps/chirper/chirper.ts";
import type { ChirperCmd, ChirperResult, ChirperUser } from "../apps/chirper/types.ts";
import { demoGraph } from "../cluster/app-setup.ts";
import { type CostModel, defaultCostModel } from "../sim/cost.ts";
import { dsChirperWorkload } from "../sim/ds-chirper-workload.ts";
import { type DsWorkload, defaultDsSimOptions, runDsSimulation } from "../sim/ds-sim.ts";
import { chirperInitialVars } from "../workload/chirper-init.ts";
import { ChirperWorkload } from "../workload/chirper-workload.ts";
import { placeByCommunity } from "../workload/graph-placement.ts";
import type { BenchBackend, PaperRunSpec, RunObservation } from "./paper-bench.ts";
import { benchClusterConfig } from "./real-backend.ts";

/** Options of the simulated back end. */
export interface SimBackendOptions {
  /** Replicas per group (the oracle's included). Default 3. */
  readonly replicas?: number;
  /** Default: the simulator's defaultCostModel (uncalibrated). */
  readonly cost?: CostModel;
  /**
   * "paper" (default): the paper's setup, users placed at random. "cluster-demo": the graph and
   * placement a real benchmark cluster boots with (its config's demo block: 5 follows per user,
   * users in their community's partition), to compare the simulator with the real back end.
   */
  readonly workload?: "paper" | "cluster-demo";
  /** Label of every figure (default: SIMULATED, uncalibrated cost model). */
  readonly label?: string;
}

/**
 * Runs each spec in the simulator: Chirper over a generated graph with one community per
 * partition (strong locality: no edge crosses; weak: `crossFraction` of them do), users placed
 * at random independently of communities (DS-SMR must discover the locality; S-SMR keeps that
 * placement as its static one), closed-loop clients without think time, no faults.
 */
export function simBackend(opts: SimBackendOptions = {}): BenchBackend {
  return {
    name: "sim",
    simulated: true,
    ...(opts.label === undefined ? {} : { label: opts.label }),
    async run(spec: PaperRunSpec): Promise<RunObservation> {
      const workload =
        opts.workload === "cluster-demo" ? await clusterDemoWorkload(spec) : paperWorkload(spec);
      return runSim(spec, opts, workload);
    },
  };
}

type ChirperSimWorkload = DsWorkload<ChirperCmd, ChirperResult, ChirperUser>;

/**
 * The workload of a real benchmark cluster (src/bench/real-backend.ts) in the simulator: the
 * same demo graph and community placement; each simulated client has its own generator.
 */
async function clusterDemoWorkload(spec: PaperRunSpec): Promise<ChirperSimWorkload> {
  const config = await benchClusterConfig(spec, true, 3, 20_000);
  const graph = demoGraph(config);
  if (graph === null) throw new Error("benchmark config without a demo graph");
  const place = placeByCommunity(graph);
  const vars = chirperInitialVars(graph);
  const generators = new Map<number, ChirperWorkload>();
  return {
    app: createChirper({ place }),
    initial: (partitions) => vars.map(([v, value]) => [v, place(v, partitions), value] as const),
    next(rng, client) {
      let g = generators.get(client);
      if (g === undefined) {
        g = new ChirperWorkload(graph, { mix: spec.workload });
        generators.set(client, g);
      }
      return g.next(rng);
    },
  };
}

function paperWorkload(spec: PaperRunSpec): ChirperSimWorkload {
  return dsChirperWorkload({
    graph: {
      users: spec.users,
      communities: spec.partitions,
      crossFraction: spec.partitions > 1 ? spec.crossFraction : 0,
    },
    mix: spec.workload,
    graphSeed: spec.graphSeed,
  });
}

function runSim(
  spec: PaperRunSpec,
  opts: SimBackendOptions,
  workload: ChirperSimWorkload,
): RunObservation {
  // Wall time of the simulation alone (not the graph's generation): the simulator's own speed.
  const t0 = performance.now();
  const r = runDsSimulation(
    {
      ...defaultDsSimOptions,
      seed: spec.seed,
      mode: spec.mode,
      partitions: spec.partitions,
      replicas: opts.replicas ?? 3,
      clients: spec.partitions * spec.clientsPerPartition,
      // One client process per partition's worth of clients, sharing its location cache.
      clientsPerProcess: spec.clientsPerPartition,
      policy: spec.policy,
      retryThreshold: spec.retryThreshold,
      cost: opts.cost ?? defaultCostModel,
      thinkMs: 0,
      checkHistory: false,
      durationMs: spec.durationMs,
      // What a real cluster does (cluster.json's default): the correctness runs snapshot every 32
      // entries to exercise snapshots, which at 10,000 users costs more than the commands.
      snapshotEvery: 256,
      windowMs: spec.windowMs,
    },
    workload,
  );
  const wallS = (performance.now() - t0) / 1000;
  const s = r.stats;
  return {
    windows: r.series,
    timings: r.history.map((h) => ({ call: h.call, ret: h.ret })),
    extra: {
      raftMessages: s.raftMessages,
      interGroupMessages: s.interGroupMessages,
      clientMessages: s.clientMessages,
      retransmissions: s.retransmissions,
      fsyncs: s.fsyncs,
      submitted: s.submitted,
      completedTotal: s.completed,
      /** Consults ordered through the oracle's log, and location queries answered outside it. */
      oracleConsults: s.oracleConsults,
      locationQueries: s.queries,
      placementGuesses: s.placementGuesses,
      wrongGuesses: s.wrongGuesses,
      forwardingHints: s.hints,
      discoveries: s.discoveries,
      staleMoves: s.staleMoves,
      movesApplied: s.movesApplied,
      // Variables each partition holds at the end of the run (variablesP1, variablesP2, …).
      ...Object.fromEntries(s.variables.map((n, i) => [`variablesP${i + 1}`, n])),
      // Balance at the end of the run: the fullest partition's variables over an even share.
      fullestPartitionShare:
        s.variables.length === 0
          ? 0
          : Math.max(...s.variables) /
            (s.variables.reduce((a, b) => a + b, 0) / s.variables.length || 1),
      /**
       * Simulator speed: commands completed in the whole run (warm-up included) per second of
       * wall time. The one figure here that depends on the machine, not on the seed.
       */
      simCommandsPerWallSecond: Math.round(s.completed / Math.max(1e-9, wallS)),
    },
  };
}

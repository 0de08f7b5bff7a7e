// The simulator as a benchmark back end: one DS-SMR or S-SMR deployment per run, in simulated time.
import { type CostModel, defaultCostModel } from "../sim/cost.ts";
import { dsChirperWorkload } from "../sim/ds-chirper-workload.ts";
import { defaultDsSimOptions, runDsSimulation } from "../sim/ds-sim.ts";
import type { BenchBackend, PaperRunSpec, RunObservation } from "./paper-bench.ts";

/** Options of the simulated back end. */
export interface SimBackendOptions {
  /** Replicas per group (the oracle's included). Default 3. */
  readonly replicas?: number;
  /** Default: the simulator's defaultCostModel (uncalibrated). */
  readonly cost?: CostModel;
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
    run(spec: PaperRunSpec): Promise<RunObservation> {
      return Promise.resolve(runSim(spec, opts));
    },
  };
}

function runSim(spec: PaperRunSpec, opts: SimBackendOptions): RunObservation {
  const workload = dsChirperWorkload({
    graph: {
      users: spec.users,
      communities: spec.partitions,
      crossFraction: spec.partitions > 1 ? spec.crossFraction : 0,
    },
    mix: spec.workload,
    graphSeed: spec.graphSeed,
  });
  const r = runDsSimulation(
    {
      ...defaultDsSimOptions,
      seed: spec.seed,
      mode: spec.mode,
      partitions: spec.partitions,
      replicas: opts.replicas ?? 3,
      clients: spec.partitions * spec.clientsPerPartition,
      policy: spec.policy,
      retryThreshold: spec.retryThreshold,
      cost: opts.cost ?? defaultCostModel,
      thinkMs: 0,
      checkHistory: false,
      durationMs: spec.durationMs,
      windowMs: spec.windowMs,
    },
    workload,
  );
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
    },
  };
}

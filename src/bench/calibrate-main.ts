// The simulator's prediction of each real run (default cost model) and the CPU factor: `npx tsx src/bench/calibrate-main.ts [--calibrated] REAL.json...`.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type CostModel, defaultCostModel } from "../sim/cost.ts";
import { calibratedCostModel, modeledCpuMsPerCommand } from "./calibrated-cost.ts";
import { type PaperRunResult, type PaperRunSpec, runPaperSpec } from "./paper-bench.ts";
import { simBackend } from "./sim-backend.ts";

/** One real run and the simulator's prediction of it. */
export interface Prediction {
  readonly real: PaperRunResult;
  readonly sim: PaperRunResult;
  /** CPU ms per command the default model charges in the simulated run (all replicas). */
  readonly modeledCpuMs: number;
}

/**
 * Simulates each real run's spec (same mode, workload, partitions, clients, graph and placement;
 * `simDurationMs` of simulated time, 40% warm-up) with `model` (default: the default cost
 * model), fsync included for disk runs and left out for memory runs.
 */
export async function predict(
  reals: readonly PaperRunResult[],
  simDurationMs: number,
  model: CostModel = defaultCostModel,
): Promise<Prediction[]> {
  const out: Prediction[] = [];
  for (const real of reals) {
    const memory = real.label?.includes("no fsync") === true;
    const cost = memory ? { ...model, fsyncLatency: 0 } : model;
    const spec: PaperRunSpec = {
      mode: real.mode,
      workload: real.workload,
      partitions: real.partitions,
      locality: real.locality,
      crossFraction: real.crossFraction,
      users: real.users,
      clientsPerPartition: real.clientsPerPartition,
      durationMs: simDurationMs,
      windowMs: 100,
      warmupFraction: 0.4,
      policy: real.policy,
      retryThreshold: real.retryThreshold,
      seed: real.seed,
      graphSeed: real.graphSeed,
    };
    const sim = await runPaperSpec(spec, simBackend({ workload: "cluster-demo", cost }));
    const e = sim.extra;
    const modeledCpuMs = modeledCpuMsPerCommand(model, {
      raftMessages: e.raftMessages ?? 0,
      interGroupMessages: e.interGroupMessages ?? 0,
      clientMessages: e.clientMessages ?? 0,
      completed: e.completedTotal ?? 0,
      consults: (sim.consults * (e.completedTotal ?? 0)) / Math.max(1, sim.completed),
      replicas: 3,
    });
    out.push({ real, sim, modeledCpuMs });
  }
  return out;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(files: readonly string[]): Promise<number> {
  const reals = files
    .filter((f) => !f.startsWith("--"))
    .flatMap((f) => (JSON.parse(readFileSync(f, "utf8")) as { results: PaperRunResult[] }).results);
  const calibrated = files.includes("--calibrated");
  const rows = await predict(
    reals,
    Number(process.env.SIM_DURATION_MS ?? "1000"),
    calibrated ? calibratedCostModel : defaultCostModel,
  );
  process.stdout.write(`cost model: ${calibrated ? "calibrated" : "default"}\n`);
  const line = (xs: readonly (string | number)[]): string => xs.join("\t");
  process.stdout.write(
    `${line(["system", "workload", "P", "storage", "real cmd/s", "sim cmd/s", "sim/real", "real cpu ms/cmd", "model cpu ms/cmd", "real/model", "real p50", "sim p50"])}\n`,
  );
  const factors: number[] = [];
  for (const { real, sim, modeledCpuMs } of rows) {
    const realCpu = real.extra.replicaCpuMsPerCmd ?? 0;
    factors.push(realCpu / modeledCpuMs);
    process.stdout.write(
      `${line([
        real.mode,
        real.workload,
        real.partitions,
        real.label?.includes("no fsync") === true ? "memory" : "disk",
        real.throughput.toFixed(0),
        sim.throughput.toFixed(0),
        (sim.throughput / real.throughput).toFixed(2),
        realCpu.toFixed(3),
        modeledCpuMs.toFixed(3),
        (realCpu / modeledCpuMs).toFixed(2),
        (real.p50Ms ?? 0).toFixed(1),
        (sim.p50Ms ?? 0).toFixed(1),
      ])}\n`,
    );
  }
  process.stdout.write(`median real/model CPU factor: ${median(factors).toFixed(2)}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}

// Real-process paper sweep and the simulator calibration check: `npx tsx src/bench/real-sweep.ts [flags]`.
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Mode } from "../core/dssmr/types.ts";
import { defaultCostModel } from "../sim/cost.ts";
import type { ChirperWorkloadName } from "../workload/chirper-workload.ts";
import { calibratedCostModel } from "./calibrated-cost.ts";
import {
  PAPER_WORKLOADS,
  type PaperRunResult,
  type PaperRunSpec,
  runPaperSpec,
  type SweepPlan,
} from "./paper-bench.ts";
import { runPaperSweep } from "./paper-run.ts";
import { realBackend } from "./real-backend.ts";
import { simBackend } from "./sim-backend.ts";

/** One real run beside the simulator's prediction of it (same spec, graph and placement). */
export interface CalibrationRow {
  readonly real: PaperRunResult;
  readonly simDefault: PaperRunResult;
  readonly simCalibrated: PaperRunResult;
}

/** Simulated / real throughput; null when the real run completed nothing. */
export const predictionRatio = (sim: PaperRunResult, real: PaperRunResult): number | null =>
  real.throughput > 0 ? sim.throughput / real.throughput : null;

/** The calibration table: real figures, then each cost model's prediction and its ratio. */
export function formatCalibration(rows: readonly CalibrationRow[]): string[] {
  const f = (x: number | null, d = 0): string => (x === null ? "-" : x.toFixed(d));
  const lines = [
    "Calibration: REAL run vs the simulator's prediction (same clients, partitions, graph, placement)",
    "system  workload  P  storage   real cmd/s  p50 ms  cpu ms/cmd | sim default cmd/s  ratio  p50 ms | sim calibrated cmd/s  ratio  p50 ms",
  ];
  for (const { real, simDefault, simCalibrated } of rows) {
    lines.push(
      [
        (real.mode === "dssmr" ? "DS-SMR" : "S-SMR").padEnd(6),
        real.workload.padEnd(8),
        String(real.partitions).padStart(2),
        (real.label?.includes("fsync") === true && !real.label.includes("no fsync")
          ? "disk"
          : "memory"
        ).padEnd(8),
        f(real.throughput).padStart(11),
        f(real.p50Ms, 1).padStart(7),
        f(real.extra.replicaCpuMsPerCmd ?? null, 3).padStart(11),
        "|",
        f(simDefault.throughput).padStart(17),
        f(predictionRatio(simDefault, real), 2).padStart(6),
        f(simDefault.p50Ms, 1).padStart(7),
        "|",
        f(simCalibrated.throughput).padStart(20),
        f(predictionRatio(simCalibrated, real), 2).padStart(6),
        f(simCalibrated.p50Ms, 1).padStart(7),
      ].join(" "),
    );
  }
  return lines;
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      storage: { type: "string", default: "memory,disk" },
      workload: { type: "string", default: "timeline,mix" },
      systems: { type: "string", default: "dssmr,ssmr" },
      partitions: { type: "string", default: "1,2" },
      users: { type: "string", default: "10000" },
      "clients-per-partition": { type: "string", default: "64" },
      duration: { type: "string", default: "13000" },
      warmup: { type: "string", default: "3000" },
      window: { type: "string", default: "1000" },
      policy: { type: "string", default: "most" },
      seed: { type: "string", default: "1" },
      tag: { type: "string", default: "real" },
      out: { type: "string", default: "bench/results" },
      calibrate: { type: "boolean", default: false },
      "sim-duration": { type: "string", default: "3000" },
    },
  });
  const list = (s: string): string[] => s.split(",").filter((x) => x !== "");
  const workloads = list(values.workload).map((w) => {
    const found = PAPER_WORKLOADS.find((x) => x === w);
    if (found === undefined) throw new Error(`unknown workload ${w}`);
    return found as ChirperWorkloadName;
  });
  const modes = list(values.systems).map((m): Mode => (m === "ssmr" ? "ssmr" : "dssmr"));
  const durationMs = Number(values.duration);
  const policy = values.policy === "random" ? "random" : "most";
  const plan = (): SweepPlan => ({
    base: {
      locality: "strong",
      crossFraction: 0,
      users: Number(values.users),
      clientsPerPartition: Number(values["clients-per-partition"]),
      durationMs,
      windowMs: Number(values.window),
      warmupFraction: Number(values.warmup) / durationMs,
      policy,
      retryThreshold: 3,
      seed: Number(values.seed),
      graphSeed: Number(values.seed),
    },
    modes,
    workloads,
    partitions: list(values.partitions).map(Number),
  });
  const err = (l: string): void => {
    process.stderr.write(`${l}\n`);
  };
  const out = (l: string): void => {
    process.stdout.write(`${l}\n`);
  };
  const rows: CalibrationRow[] = [];
  const simDefault = simBackend({ workload: "cluster-demo" });
  const simCal = simBackend({
    workload: "cluster-demo",
    cost: calibratedCostModel,
    label: "SIMULATED, calibrated",
  });
  for (const storage of list(values.storage)) {
    const memory = storage === "memory";
    const tag = `${values.tag}-${storage}`;
    const { results } = await runPaperSweep(plan(), realBackend({ memory, log: err }), {
      out,
      progress: err,
      series: false,
      dir: values.out,
      tag,
      charts: false,
      command: `npx tsx src/bench/real-sweep.ts ${argv.join(" ")}`.trim(),
    });
    for (const r of results) {
      out(
        `  [REAL ${storage}] ${r.mode} ${r.workload} P=${r.partitions}: cpu ms/cmd replicas ${r.extra.replicaCpuMsPerCmd?.toFixed(3)} (oracle ${r.extra.oracleCpuMsPerCmd?.toFixed(3)}), clients ${r.extra.clientCpuMsPerCmd?.toFixed(3)}; cores busy: replicas ${r.extra.replicaCores?.toFixed(2)}, clients ${r.extra.clientCores?.toFixed(2)}; errors ${r.extra.errors}`,
      );
      if (!values.calibrate) continue;
      // The prediction: the same deployment and clients, a shorter simulated run (no moves to
      // wait for: users start in their community's partition).
      const spec: PaperRunSpec = {
        ...r,
        durationMs: Number(values["sim-duration"]),
        windowMs: 100,
        warmupFraction: 0.4,
      };
      const a = await runPaperSpec(
        spec,
        memory
          ? simBackend({
              workload: "cluster-demo",
              cost: { ...defaultCostModel, fsyncLatency: 0 },
              label: "SIMULATED, default cost model (no fsync)",
            })
          : simDefault,
      );
      // The calibrated model has a memory variant (no fsync) and a disk one.
      const b = await runPaperSpec(
        spec,
        memory
          ? simBackend({
              workload: "cluster-demo",
              cost: { ...calibratedCostModel, fsyncLatency: 0 },
              label: "SIMULATED, calibrated (no fsync)",
            })
          : simCal,
      );
      rows.push({ real: r, simDefault: a, simCalibrated: b });
      err(
        `  calibration: sim default ${a.throughput.toFixed(0)}, calibrated ${b.throughput.toFixed(0)} cmd/s`,
      );
    }
  }
  if (rows.length > 0) for (const l of ["", ...formatCalibration(rows)]) out(l);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}

// Real-process paper sweeps, and calibrated simulated ones: `npx tsx src/bench/real-sweep.ts [--backend real|sim-calibrated] [flags]`.
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Mode } from "../core/dssmr/types.ts";
import type { ChirperWorkloadName } from "../workload/chirper-workload.ts";
import { calibratedCostModel } from "./calibrated-cost.ts";
import { PAPER_WORKLOADS, type PaperRunResult, type SweepPlan } from "./paper-bench.ts";
import { runPaperSweep } from "./paper-run.ts";
import { realBackend } from "./real-backend.ts";
import { simBackend } from "./sim-backend.ts";

/** Label of the simulated figures that use the calibrated cost model. */
export const CALIBRATED_LABEL = "SIMULATED, calibrated (src/bench/calibrated-cost.ts)";

/** CPU time per command of real runs: replicas (the oracle's share), clients, busy cores. */
export function formatCpu(results: readonly PaperRunResult[]): string[] {
  const f = (x: number | undefined, d: number): string => (x === undefined ? "-" : x.toFixed(d));
  const lines = [
    "CPU per completed command (ms, measured part; /proc utime+stime of every replica process):",
    "system  workload  P   replicas  (oracle)  clients  busy cores: replicas + clients",
  ];
  for (const r of results) {
    const e = r.extra;
    lines.push(
      [
        (r.mode === "dssmr" ? "DS-SMR" : "S-SMR").padEnd(6),
        r.workload.padEnd(8),
        String(r.partitions).padStart(2),
        f(e.replicaCpuMsPerCmd, 3).padStart(9),
        f(e.oracleCpuMsPerCmd, 3).padStart(9),
        f(e.clientCpuMsPerCmd, 3).padStart(8),
        `${f(e.replicaCores, 2)} + ${f(e.clientCores, 2)}`.padStart(14),
      ].join(" "),
    );
  }
  return lines;
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      backend: { type: "string", default: "real" },
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
    },
  });
  const list = (s: string): string[] => s.split(",").filter((x) => x !== "");
  const workloads = list(values.workload).map((w): ChirperWorkloadName => {
    const found = PAPER_WORKLOADS.find((x) => x === w);
    if (found === undefined) throw new Error(`unknown workload ${w}`);
    return found;
  });
  const modes = list(values.systems).map((m): Mode => (m === "ssmr" ? "ssmr" : "dssmr"));
  const durationMs = Number(values.duration);
  const plan: SweepPlan = {
    base: {
      locality: "strong",
      crossFraction: 0,
      users: Number(values.users),
      clientsPerPartition: Number(values["clients-per-partition"]),
      durationMs,
      windowMs: Number(values.window),
      warmupFraction: Number(values.warmup) / durationMs,
      policy: values.policy === "random" ? "random" : "most",
      retryThreshold: 3,
      seed: Number(values.seed),
      graphSeed: Number(values.seed),
    },
    modes,
    workloads,
    partitions: list(values.partitions).map(Number),
  };
  const io = {
    out: (l: string): void => {
      process.stdout.write(`${l}\n`);
    },
    progress: (l: string): void => {
      process.stderr.write(`${l}\n`);
    },
  };
  const command = `npx tsx src/bench/real-sweep.ts ${argv.join(" ")}`.trim();
  if (values.backend === "sim-calibrated") {
    // The paper's setup (users placed at random) in the simulator, calibrated cost model.
    await runPaperSweep(plan, simBackend({ cost: calibratedCostModel, label: CALIBRATED_LABEL }), {
      ...io,
      series: false,
      dir: values.out,
      tag: values.tag,
      charts: true,
      command,
    });
    return 0;
  }
  for (const storage of list(values.storage)) {
    const memory = storage === "memory";
    const { results } = await runPaperSweep(plan, realBackend({ memory, log: io.progress }), {
      ...io,
      series: false,
      dir: values.out,
      tag: `${values.tag}-${storage}`,
      charts: false,
      command,
    });
    for (const l of formatCpu(results)) io.out(l);
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}

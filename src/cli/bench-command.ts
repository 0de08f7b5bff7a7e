// `dssmr bench`: the consensus and multicast baselines, printed as tables (or JSON).
import {
  benchCore,
  benchSim,
  type CoreBenchResult,
  type SimBenchResult,
} from "../bench/core-bench.ts";
import { formatMcastBench, runMcastBenchSuite } from "../bench/mcast-bench.ts";
import { InputError } from "../core/errors.ts";
import type { CommandIo } from "./sim-command.ts";

/** Which benchmarks `dssmr bench` runs. */
export const BENCH_LAYERS = ["consensus", "multicast", "all"] as const;
/** consensus: one group (the default); multicast: many groups; all: both. */
export type BenchLayer = (typeof BENCH_LAYERS)[number];

/** Validates a `--layer` value of `dssmr bench`. */
export function parseBenchLayer(raw: string): BenchLayer {
  const layer = BENCH_LAYERS.find((l) => l === raw);
  if (layer === undefined) {
    throw new InputError(`--layer: unknown layer "${raw}"; use ${BENCH_LAYERS.join(", ")}`);
  }
  return layer;
}

/** Options of `dssmr bench`. */
export interface BenchCommandOptions {
  readonly json: boolean;
  readonly quick: boolean;
  /** Default "consensus". */
  readonly layer?: BenchLayer;
}

/**
 * Runs the benchmarks of `layer`; `quick` shrinks them for smoke tests. With `json` it prints one
 * JSON object: `{core, sim}` for consensus, `{multicast}` for multicast, all three keys for all.
 */
export function runBenchCommand(opts: BenchCommandOptions, io: CommandIo): number {
  const layer = opts.layer ?? "consensus";
  if (layer === "multicast") {
    const multicast = runMcastBenchSuite(opts.quick);
    if (opts.json) io.out(JSON.stringify({ multicast }));
    else for (const line of formatMcastBench(multicast)) io.out(line);
    return 0;
  }
  if (layer === "all" && opts.json) {
    const { core, sim } = consensusBench(opts.quick);
    io.out(JSON.stringify({ core, sim, multicast: runMcastBenchSuite(opts.quick) }));
    return 0;
  }
  printConsensusBench(opts, io);
  if (layer === "all") {
    io.out("");
    for (const line of formatMcastBench(runMcastBenchSuite(opts.quick))) io.out(line);
  }
  return 0;
}

/** The consensus baselines: in-process core (medians of rounds) and the one-group simulator. */
function consensusBench(quick: boolean): {
  readonly core: CoreBenchResult[];
  readonly sim: SimBenchResult[];
} {
  const n = quick ? 2_000 : 50_000;
  const rounds = quick ? 1 : 5;
  const core = [1, 64, 256].map((batch) => {
    // Medians of several rounds: this machine is noisy.
    const runs = Array.from({ length: rounds }, () => benchCore(batch === 1 ? n / 5 : n, batch));
    runs.sort((a, b) => a.commandsPerSecond - b.commandsPerSecond);
    return runs[Math.floor(runs.length / 2)]!;
  });
  const simOps = quick ? 2_000 : 20_000;
  const sim = [benchSim(1, 64, simOps), benchSim(64, 64, simOps), benchSim(256, 256, simOps)];
  return { core, sim };
}

function printConsensusBench(opts: BenchCommandOptions, io: CommandIo): void {
  const { core, sim } = consensusBench(opts.quick);
  if (opts.json) {
    io.out(JSON.stringify({ core, sim }));
    return;
  }
  io.out("In-process consensus core, 3 replicas, no I/O (wall clock, median of rounds):");
  io.out("batch  commands/s  entries/s  msgs/cmd");
  for (const r of core) {
    io.out(
      `${String(r.batch).padStart(5)}  ${r.commandsPerSecond.toFixed(0).padStart(10)}  ${r.entriesPerSecond.toFixed(0).padStart(9)}  ${r.messagesPerCommand.toFixed(2).padStart(8)}`,
    );
  }
  io.out("");
  io.out("Simulator, 3 replicas, cost model defaults (SIMULATED time):");
  io.out("maxBatch  clients  cmds/sim-s  raft-msgs/cmd  fsyncs/cmd  cmds/entry");
  for (const r of sim) {
    io.out(
      `${String(r.maxBatch).padStart(8)}  ${String(r.clients).padStart(7)}  ${r.commandsPerSimSecond.toFixed(0).padStart(10)}  ${r.raftMessagesPerCommand.toFixed(3).padStart(13)}  ${r.fsyncsPerCommand.toFixed(3).padStart(10)}  ${r.commandsPerEntry.toFixed(1).padStart(10)}`,
    );
  }
}

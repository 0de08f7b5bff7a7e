// `dssmr bench`: the consensus core and simulator baselines, printed as tables (or JSON).
import { benchCore, benchSim } from "../bench/core-bench.ts";
import type { CommandIo } from "./sim-command.ts";

/** Runs the baseline benchmarks; `quick` shrinks them for smoke tests. */
export function runBenchCommand(
  opts: { readonly json: boolean; readonly quick: boolean },
  io: CommandIo,
): number {
  const n = opts.quick ? 2_000 : 50_000;
  const rounds = opts.quick ? 1 : 5;
  const core = [1, 64, 256].map((batch) => {
    // Medians of several rounds: this machine is noisy.
    const runs = Array.from({ length: rounds }, () => benchCore(batch === 1 ? n / 5 : n, batch));
    runs.sort((a, b) => a.commandsPerSecond - b.commandsPerSecond);
    return runs[Math.floor(runs.length / 2)]!;
  });
  const simOps = opts.quick ? 2_000 : 20_000;
  const sim = [benchSim(1, 64, simOps), benchSim(64, 64, simOps), benchSim(256, 256, simOps)];
  if (opts.json) {
    io.out(JSON.stringify({ core, sim }));
    return 0;
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
  return 0;
}

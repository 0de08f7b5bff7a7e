// `dssmr bench`: the consensus and multicast baselines, and the paper's Chirper experiment (--paper).
import {
  benchCore,
  benchSim,
  type CoreBenchResult,
  type SimBenchResult,
} from "../bench/core-bench.ts";
import { formatMcastBench, runMcastBenchSuite } from "../bench/mcast-bench.ts";
import {
  type BackendName,
  type Locality,
  PAPER_WORKLOADS,
  type SweepPlan,
} from "../bench/paper-bench.ts";
import { compact, runPaperSweep } from "../bench/paper-run.ts";
import { simBackend } from "../bench/sim-backend.ts";
import type { DestinationPolicy } from "../core/dssmr/policy.ts";
import { defaultProxyOptions } from "../core/dssmr/proxy.ts";
import type { Mode } from "../core/dssmr/types.ts";
import { InputError } from "../core/errors.ts";
import type { ChirperWorkloadName } from "../workload/chirper-workload.ts";
import { parseIntFlag } from "./parse.ts";
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

/** Options of `dssmr bench --paper` (the simulated paper experiment; see docs/evaluation.md). */
export interface PaperBenchOptions {
  readonly backend: BackendName;
  readonly workloads: readonly ChirperWorkloadName[];
  readonly partitions: readonly number[];
  readonly modes: readonly Mode[];
  readonly users: number;
  readonly durationMs: number;
  readonly windowMs: number;
  readonly warmupFraction: number;
  readonly clientsPerPartition: number;
  readonly locality: Locality;
  readonly crossFraction: number;
  readonly policy: DestinationPolicy;
  readonly retryThreshold: number;
  readonly seed: number;
  readonly json: boolean;
  readonly series: boolean;
  /** Output directory (JSON and SVG); null writes nothing. */
  readonly out: string | null;
  readonly tag: string;
  readonly charts: boolean;
  readonly command: string;
}

/** Defaults of `dssmr bench --paper` (sized for a 2-core machine; the paper had 100,000 users). */
export const paperBenchDefaults = {
  workloads: "all",
  partitions: "1,2,4,8",
  systems: "dssmr,ssmr",
  users: "10000",
  durationMs: "2000",
  windowMs: "100",
  warmup: "0.4",
  clientsPerPartition: "64",
  locality: "strong",
  policy: "random",
  retryThreshold: String(defaultProxyOptions.retryThreshold),
  seed: "1",
  out: "bench/results",
  tag: "paper",
} as const;

/** Parses the raw `--paper` flags (strings, as commander gives them). */
export function parsePaperBenchOptions(raw: {
  readonly backend?: string | undefined;
  readonly workload?: string | undefined;
  readonly partitions?: string | undefined;
  readonly systems?: string | undefined;
  readonly users?: string | undefined;
  readonly duration?: string | undefined;
  readonly window?: string | undefined;
  readonly warmup?: string | undefined;
  readonly clientsPerPartition?: string | undefined;
  readonly locality?: string | undefined;
  readonly cross?: string | undefined;
  readonly policy?: string | undefined;
  readonly retryThreshold?: string | undefined;
  readonly seed?: string | undefined;
  readonly json?: boolean | undefined;
  readonly series?: boolean | undefined;
  readonly out?: string | false | undefined;
  readonly tag?: string | undefined;
  readonly charts?: boolean | undefined;
  readonly command?: string | undefined;
}): PaperBenchOptions {
  const d = paperBenchDefaults;
  const backend = raw.backend ?? "sim";
  if (backend !== "sim" && backend !== "real") {
    throw new InputError(`--backend: unknown back end "${backend}"; use sim or real`);
  }
  const list = (s: string): string[] =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x !== "");
  const wl = raw.workload ?? d.workloads;
  const workloads =
    wl === "all"
      ? [...PAPER_WORKLOADS]
      : list(wl).map((w) => {
          const found = PAPER_WORKLOADS.find((x) => x === w);
          if (found === undefined) {
            throw new InputError(
              `--workload: unknown workload "${w}"; use ${PAPER_WORKLOADS.join(", ")} or all`,
            );
          }
          return found;
        });
  const modes = list(raw.systems ?? d.systems).map((m): Mode => {
    if (m !== "dssmr" && m !== "ssmr") {
      throw new InputError(`--systems: unknown system "${m}"; use dssmr, ssmr`);
    }
    return m;
  });
  const partitions = list(raw.partitions ?? d.partitions).map((p) =>
    parseIntFlag("--partitions", p, 1, 64),
  );
  if (workloads.length === 0 || modes.length === 0 || partitions.length === 0) {
    throw new InputError("--workload, --systems and --partitions need at least one value each");
  }
  const locality = raw.locality ?? d.locality;
  if (locality !== "strong" && locality !== "weak") {
    throw new InputError(`--locality: use strong or weak, got "${locality}"`);
  }
  let crossFraction = 0;
  if (locality === "weak") {
    crossFraction = parseFraction("--cross", raw.cross ?? "0.2");
    if (crossFraction <= 0) throw new InputError("--cross: weak locality needs a fraction > 0");
  } else if (raw.cross !== undefined && parseFraction("--cross", raw.cross) !== 0) {
    throw new InputError("--cross: only with --locality weak");
  }
  const policy = raw.policy ?? d.policy;
  if (policy !== "random" && policy !== "most") {
    throw new InputError(`--policy: unknown policy "${policy}"; use random or most`);
  }
  const warmupFraction = parseFraction("--warmup", raw.warmup ?? d.warmup);
  if (warmupFraction >= 1) throw new InputError("--warmup: must be below 1");
  const durationMs = parseIntFlag("--duration", raw.duration ?? d.durationMs, 1, 3_600_000);
  const windowMs = parseIntFlag("--window", raw.window ?? d.windowMs, 1, 3_600_000);
  if (windowMs > durationMs) throw new InputError("--window: must not exceed --duration");
  const users = parseIntFlag("--users", raw.users ?? d.users, 2, 1_000_000);
  if (users < Math.max(...partitions)) throw new InputError("--users: need one user per partition");
  return {
    backend,
    workloads,
    partitions,
    modes,
    users,
    durationMs,
    windowMs,
    warmupFraction,
    clientsPerPartition: parseIntFlag(
      "--clients-per-partition",
      raw.clientsPerPartition ?? d.clientsPerPartition,
      1,
      4096,
    ),
    locality,
    crossFraction,
    policy,
    retryThreshold: parseIntFlag(
      "--retry-threshold",
      raw.retryThreshold ?? d.retryThreshold,
      0,
      1000,
    ),
    seed: parseIntFlag("--seed", raw.seed ?? d.seed, 0, 2 ** 32 - 1),
    json: raw.json === true,
    series: raw.series === true,
    out: raw.out === false ? null : (raw.out ?? d.out),
    tag: raw.tag ?? d.tag,
    charts: raw.charts !== false,
    command: raw.command ?? "dssmr bench --paper",
  };
}

function parseFraction(flag: string, raw: string): number {
  const x = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(x) || x < 0 || x > 1) {
    throw new InputError(`${flag}: expected a number in [0, 1], got "${raw}"`);
  }
  return x;
}

/**
 * `dssmr bench --paper`: the paper's Chirper experiment on the chosen back end. Human-readable
 * report on stdout (with `json`, the last line is `{ "results": [ … ] }`), progress on stderr,
 * results and charts in `out`. Every simulated figure is labelled SIMULATED.
 */
export async function runPaperBenchCommand(
  opts: PaperBenchOptions,
  io: CommandIo,
): Promise<number> {
  if (opts.backend === "real") {
    io.err("error: --backend real is not available yet (needs the process runtime); use sim");
    return 2;
  }
  const plan: SweepPlan = {
    base: {
      locality: opts.locality,
      crossFraction: opts.crossFraction,
      users: opts.users,
      clientsPerPartition: opts.clientsPerPartition,
      durationMs: opts.durationMs,
      windowMs: opts.windowMs,
      warmupFraction: opts.warmupFraction,
      policy: opts.policy,
      retryThreshold: opts.retryThreshold,
      seed: opts.seed,
      graphSeed: opts.seed,
    },
    modes: opts.modes,
    workloads: opts.workloads,
    partitions: opts.partitions,
  };
  const { results } = await runPaperSweep(plan, simBackend(), {
    out: opts.json ? io.err : io.out,
    progress: io.err,
    series: opts.series,
    dir: opts.out,
    tag: opts.tag,
    charts: opts.charts,
    command: opts.command,
  });
  if (opts.json) io.out(JSON.stringify({ results: results.map(compact) }));
  return 0;
}

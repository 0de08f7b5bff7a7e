// `dssmr bench`: the consensus and multicast baselines (--layer), and the paper's Chirper experiment (--backend sim|real, --paper).
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
import { barProgress } from "../bench/progress.ts";
import { realBackend } from "../bench/real-backend.ts";
import { formatCpu } from "../bench/real-sweep.ts";
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

/** Options of the Chirper experiment of `dssmr bench` (see docs/results.md and docs/evaluation.md). */
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
  /** Real back end: in-memory Raft logs (no fsync) instead of the WAL on disk. */
  readonly memory: boolean;
  readonly json: boolean;
  readonly series: boolean;
  /** Output directory (JSON, CSV, Markdown, SVG and PNG); null writes nothing. */
  readonly out: string | null;
  readonly tag: string;
  readonly charts: boolean;
  readonly command: string;
}

/**
 * Defaults of the simulated Chirper experiment, sized so that the done-when sweep (Mix
 * and Post, both systems, 1 to 8 partitions: 16 runs) takes about nine minutes on this 2-core
 * machine: 2,000 users (the paper had 100,000) and 6 simulated seconds per run let DS-SMR
 * gather the communities (at about 3 s) and then measure its steady state (docs/results.md).
 */
export const paperBenchDefaults = {
  workloads: "all",
  partitions: "1,2,4,8",
  systems: "dssmr,ssmr",
  users: "2000",
  durationMs: "6000",
  warmup: "0.4",
  clientsPerPartition: "64",
  locality: "strong",
  policy: "most",
  retryThreshold: String(defaultProxyOptions.retryThreshold),
  seed: "1",
  out: "bench/results",
} as const;

/**
 * Defaults that differ for `--backend real` (wall-clock runs; docs/evaluation.md's real sweep):
 * 10,000 users, 11 s per run in 1 s windows, the first 3 s warm-up.
 */
export const realBenchDefaults = {
  users: "10000",
  durationMs: "11000",
  windowMs: "1000",
  warmup: "0.3",
} as const;

/** Windows per run when `--window` is not given: the run's length / 20. */
export const DEFAULT_WINDOWS_PER_RUN = 20;

/** Raw flags of the Chirper experiment, as commander gives them (strings; undefined: not given). */
export interface RawPaperFlags {
  readonly paper?: boolean | undefined;
  readonly backend?: string | undefined;
  readonly workload?: string | undefined;
  readonly partitions?: string | undefined;
  readonly systems?: string | undefined;
  /** Alias of `systems`. */
  readonly mode?: string | undefined;
  readonly users?: string | undefined;
  readonly duration?: string | undefined;
  readonly window?: string | undefined;
  readonly warmup?: string | undefined;
  readonly clientsPerPartition?: string | undefined;
  /** Alias of `clientsPerPartition`. */
  readonly clients?: string | undefined;
  readonly locality?: string | undefined;
  readonly cross?: string | undefined;
  readonly policy?: string | undefined;
  readonly retryThreshold?: string | undefined;
  readonly seed?: string | undefined;
  readonly memory?: boolean | undefined;
  readonly json?: boolean | undefined;
  readonly series?: boolean | undefined;
  readonly out?: string | false | undefined;
  readonly tag?: string | undefined;
  readonly charts?: boolean | undefined;
  readonly command?: string | undefined;
}

const list = (s: string): string[] =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");

/** The one value of two aliased flags (`--mode`/`--systems`); both given must agree. */
function alias(a: string, av: string | undefined, b: string, bv: string | undefined) {
  if (av !== undefined && bv !== undefined && av !== bv) {
    throw new InputError(`${a} and ${b} are aliases; give one (got "${av}" and "${bv}")`);
  }
  return av ?? bv;
}

/** Parses the raw Chirper-experiment flags; a bad value throws InputError (exit status 2). */
export function parsePaperBenchOptions(raw: RawPaperFlags): PaperBenchOptions {
  const d = paperBenchDefaults;
  const backend = raw.backend ?? "sim";
  if (backend !== "sim" && backend !== "real") {
    throw new InputError(`--backend: unknown back end "${backend}"; use sim or real`);
  }
  const real = backend === "real";
  if (raw.memory === true && !real) throw new InputError("--memory: only with --backend real");
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
  const modes = list(alias("--mode", raw.mode, "--systems", raw.systems) ?? d.systems).map(
    (m): Mode => {
      if (m !== "dssmr" && m !== "ssmr") {
        throw new InputError(`--mode: unknown mode "${m}"; use dssmr, ssmr (or both: dssmr,ssmr)`);
      }
      return m;
    },
  );
  const partitions = list(raw.partitions ?? d.partitions).map((p) =>
    parseIntFlag("--partitions", p, 1, 64),
  );
  if (workloads.length === 0 || modes.length === 0 || partitions.length === 0) {
    throw new InputError("--workload, --mode and --partitions need at least one value each");
  }
  const locality = raw.locality ?? d.locality;
  if (locality !== "strong" && locality !== "weak") {
    throw new InputError(`--locality: unknown locality "${locality}"; use strong or weak`);
  }
  if (real && locality !== "strong") {
    throw new InputError("--locality: the real back end runs strong locality only");
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
    throw new InputError(`--policy: unknown policy "${policy}"; use most or random`);
  }
  const warmupFraction = parseFraction(
    "--warmup",
    raw.warmup ?? (real ? realBenchDefaults.warmup : d.warmup),
  );
  if (warmupFraction >= 1) throw new InputError("--warmup: must be below 1");
  const durationMs = parseIntFlag(
    "--duration",
    raw.duration ?? (real ? realBenchDefaults.durationMs : d.durationMs),
    1,
    3_600_000,
  );
  const defaultWindow = real
    ? Number(realBenchDefaults.windowMs)
    : Math.max(1, Math.floor(durationMs / DEFAULT_WINDOWS_PER_RUN));
  const windowMs =
    raw.window === undefined
      ? Math.min(durationMs, defaultWindow)
      : parseIntFlag("--window", raw.window, 1, 3_600_000);
  if (windowMs > durationMs) throw new InputError("--window: must not exceed --duration");
  const users = parseIntFlag(
    "--users",
    raw.users ?? (real ? realBenchDefaults.users : d.users),
    2,
    1_000_000,
  );
  if (users < Math.max(...partitions)) throw new InputError("--users: need one user per partition");
  const clients = alias(
    "--clients",
    raw.clients,
    "--clients-per-partition",
    raw.clientsPerPartition,
  );
  const memory = raw.memory === true;
  const defaultTag =
    raw.paper === true && raw.backend === undefined
      ? "paper"
      : real
        ? `bench-real-${memory ? "memory" : "disk"}`
        : "bench-sim";
  return {
    backend,
    workloads,
    partitions,
    modes,
    users,
    durationMs,
    windowMs,
    warmupFraction,
    clientsPerPartition: parseIntFlag("--clients", clients ?? d.clientsPerPartition, 1, 4096),
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
    memory,
    json: raw.json === true,
    series: raw.series === true,
    out: raw.out === false ? null : (raw.out ?? d.out),
    tag: raw.tag ?? defaultTag,
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
 * `dssmr bench --backend sim|real …` (or `--paper`): the paper's Chirper experiment on the chosen
 * back end. Human-readable report on stdout (with `json`, on stderr, and the last line of stdout
 * is `{ "results": [ … ] }`); progress on stderr: a bar when `tty` is a terminal stream, else one
 * line per finished run. Results (JSON, CSV) and charts (SVG, PNG) go to `out`. Every simulated
 * figure is labelled SIMULATED, every real one REAL.
 */
export async function runPaperBenchCommand(
  opts: PaperBenchOptions,
  io: CommandIo,
  tty: NodeJS.WriteStream | null = null,
): Promise<number> {
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
  const backend =
    opts.backend === "real"
      ? realBackend({ memory: opts.memory, ...(tty === null ? { log: io.err } : {}) })
      : simBackend();
  const { results } = await runPaperSweep(plan, backend, {
    out: opts.json ? io.err : io.out,
    progress: io.err,
    ...(tty === null ? {} : { bar: barProgress(tty) }),
    series: opts.series,
    dir: opts.out,
    tag: opts.tag,
    charts: opts.charts,
    command: opts.command,
  });
  if (opts.backend === "real") for (const l of formatCpu(results)) (opts.json ? io.err : io.out)(l);
  if (opts.json) io.out(JSON.stringify({ results: results.map(compact) }));
  return 0;
}

// The paper's evaluation (Chirper, DS-SMR vs S-SMR): run specs, back ends, and the figures of a run.

import type { DestinationPolicy } from "../core/dssmr/policy.ts";
import type { Mode } from "../core/dssmr/types.ts";
import { ConfigError } from "../core/errors.ts";
import type { ChirperWorkloadName } from "../workload/chirper-workload.ts";

/** The paper's workloads, in the order of its Table I. */
export const PAPER_WORKLOADS = [
  "timeline",
  "post",
  "follow",
  "mix",
] as const satisfies readonly ChirperWorkloadName[];

/** Back ends a run can use: the simulator, or real replica processes on this host. */
export type BackendName = "sim" | "real";

/** Strong locality: communities never cross (crossFraction 0). Weak: some edges cross. */
export type Locality = "strong" | "weak";

/** Everything that defines one benchmark run, whatever the back end. */
export interface PaperRunSpec {
  readonly mode: Mode;
  readonly workload: ChirperWorkloadName;
  readonly partitions: number;
  readonly locality: Locality;
  /** Fraction of follow edges across communities (0 for strong locality). */
  readonly crossFraction: number;
  readonly users: number;
  /** Closed-loop clients per partition, one command outstanding each, no think time. */
  readonly clientsPerPartition: number;
  /** Length of the run (simulated ms for the simulator, wall ms for real processes). */
  readonly durationMs: number;
  /** Width of the time-series windows. */
  readonly windowMs: number;
  /** Fraction of the run (whole windows) excluded from the figures as warm-up. */
  readonly warmupFraction: number;
  /** Where DS-SMR gathers a command's variables (ignored by S-SMR). */
  readonly policy: DestinationPolicy;
  /** Retries before a DS-SMR command falls back to S-SMR execution. */
  readonly retryThreshold: number;
  readonly seed: number;
  /** Seed of the social graph (the same graph for every run of a sweep). */
  readonly graphSeed: number;
}

/** Counters of one window, summed over all clients (the simulator's DsWindow has this shape). */
export interface WindowCounters {
  /** End of the window (ms since the start of the run). */
  readonly t: number;
  readonly completed: number;
  readonly moves: number;
  readonly retries: number;
  readonly fallbacks: number;
  readonly consults: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly multiPartition: number;
  readonly submitted: number;
  /** Location queries sent to oracle replicas (outside the log); absent when not counted. */
  readonly queries?: number;
}

/** One command's call and return times (ms); ret is Infinity if it never completed. */
export interface Timing {
  readonly call: number;
  readonly ret: number;
}

/** What a back end observed during one run: the raw material of the figures. */
export interface RunObservation {
  readonly windows: readonly WindowCounters[];
  readonly timings: readonly Timing[];
  /** Back-end specific extras (counters), reported as they are. */
  readonly extra: Readonly<Record<string, number>>;
}

/** A back end: runs one spec and reports what it saw. The real back end plugs in here. */
export interface BenchBackend {
  readonly name: BackendName;
  /** True when time is simulated (every figure is then labelled SIMULATED). */
  readonly simulated: boolean;
  /** How every figure of this back end is labelled (default: SIMULATED or REAL, generic). */
  readonly label?: string;
  run(spec: PaperRunSpec): Promise<RunObservation>;
}

/** One point of a run's time series (rates per second of the window). */
export interface SeriesPoint {
  readonly t: number;
  readonly throughput: number;
  readonly movesPerS: number;
  readonly retriesPerS: number;
  readonly fallbacksPerS: number;
  readonly consultsPerS: number;
  /** Cache hits / (hits + misses) among commands routed in the window; null if none. */
  readonly cacheHitRate: number | null;
  /** Commands spanning partitions at first routing / commands submitted; null if none. */
  readonly multiPartitionShare: number | null;
}

/** The figures of one run. Counts and rates cover the measured part (after warm-up). */
export interface PaperRunResult extends PaperRunSpec {
  readonly backend: BackendName;
  readonly simulated: boolean;
  /** The back end's label (cost model, storage), when it gives one. */
  readonly label?: string;
  readonly clients: number;
  /** Start of the measured part (end of warm-up), ms. */
  readonly warmupMs: number;
  /** Commands completed per second. */
  readonly throughput: number;
  readonly completed: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly moves: number;
  readonly retries: number;
  readonly fallbacks: number;
  readonly consults: number;
  readonly movesPerS: number;
  readonly retriesPerS: number;
  readonly fallbacksPerS: number;
  readonly consultsPerS: number;
  readonly cacheHitRate: number | null;
  readonly multiPartitionShare: number | null;
  /** Moves per completed command. */
  readonly movesPerCommand: number;
  readonly convergence: Convergence;
  /**
   * The steady state: the windows after convergence (at least STEADY_MIN_WINDOWS of them), or
   * null when the run never converged or converged too late to measure it.
   */
  readonly steady: SteadyState | null;
  /** Wall-clock time the run took, ms. */
  readonly wallMs: number;
  readonly series: readonly SeriesPoint[];
  readonly extra: Readonly<Record<string, number>>;
}

/** When moves (and retries) per second fell, and stayed, under 1% of throughput. */
export interface Convergence {
  /** End of the first window from which on the moving average stays under the bound; null: never. */
  readonly convergedAtMs: number | null;
  /** The claim under test: converged within the first fifth of the run. */
  readonly withinFirstFifth: boolean;
  /** Moves in the first fifth and in the last fifth of the run, per second. */
  readonly movesPerSFirstFifth: number;
  readonly movesPerSLastFifth: number;
}

/** The figures of a run's windows after it converged. */
export interface SteadyState {
  /** Commands completed per second after convergence. */
  readonly throughput: number;
  /** End of the window from which on the run stayed converged (Convergence.convergedAtMs). */
  readonly convergedAtMs: number;
  /** Start of the steady part: convergence or the end of warm-up, whichever is later. */
  readonly fromMs: number;
  /** Length of the steady part, ms. */
  readonly spanMs: number;
  readonly movesPerS: number;
  readonly retriesPerS: number;
  readonly fallbacksPerS: number;
  /** First attempts routed without asking the oracle; null when none was routed. */
  readonly cacheHitRate: number | null;
  /** Oracle location queries plus ordered consults per completed command; null if unknown. */
  readonly oracleQueriesPerCommand: number | null;
}

/** Fewer windows than this after convergence are not a steady state worth a figure. */
export const STEADY_MIN_WINDOWS = 2;

/** Bound of the convergence claim: moves per second under this share of throughput. */
export const CONVERGED_SHARE = 0.01;

/** Validates a spec; throws ConfigError naming the bad field. */
export function validateSpec(s: PaperRunSpec): void {
  const int = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
    }
  };
  int("partitions", s.partitions, 1, 64);
  int("users", s.users, 2, 1_000_000);
  int("clientsPerPartition", s.clientsPerPartition, 1, 4096);
  int("retryThreshold", s.retryThreshold, 0, 1000);
  if (!(s.windowMs > 0) || !(s.durationMs >= s.windowMs)) {
    throw new ConfigError(`need 0 < windowMs <= durationMs, got ${s.windowMs}, ${s.durationMs}`);
  }
  if (!(s.warmupFraction >= 0 && s.warmupFraction < 1)) {
    throw new ConfigError(`warmupFraction must be in [0, 1), got ${s.warmupFraction}`);
  }
  if (!(s.crossFraction >= 0 && s.crossFraction <= 1)) {
    throw new ConfigError(`crossFraction must be in [0, 1], got ${s.crossFraction}`);
  }
  if ((s.locality === "strong") !== (s.crossFraction === 0)) {
    throw new ConfigError("strong locality means crossFraction 0; weak needs crossFraction > 0");
  }
  if (s.users < s.partitions) throw new ConfigError("need at least one user per partition");
}

/** Nearest-rank percentile of sorted values; null when empty. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/** Per-second rates of one window. */
export function seriesPoint(w: WindowCounters, widthMs: number): SeriesPoint {
  const perS = (n: number): number => (n * 1000) / widthMs;
  return {
    t: w.t,
    throughput: perS(w.completed),
    movesPerS: perS(w.moves),
    retriesPerS: perS(w.retries),
    fallbacksPerS: perS(w.fallbacks),
    consultsPerS: perS(w.consults),
    cacheHitRate: ratio(w.cacheHits, w.cacheHits + w.cacheMisses),
    multiPartitionShare: ratio(w.multiPartition, w.submitted),
  };
}

/**
 * Convergence of a run: the first window from which on the 3-window moving averages of moves and
 * of retries stay under CONVERGED_SHARE of the moving average of completions (which must be positive: a stalled
 * system has not converged). A run that completes commands and never moves anything has
 * converged at its first window.
 */
export function convergence(windows: readonly WindowCounters[], durationMs: number): Convergence {
  const n = windows.length;
  const avg = (i: number, k: keyof WindowCounters): number => {
    let s = 0;
    let c = 0;
    for (let j = Math.max(0, i - 1); j <= Math.min(n - 1, i + 1); j++) {
      s += windows[j]![k] ?? 0;
      c++;
    }
    return c === 0 ? 0 : s / c;
  };
  let from: number | null = null;
  for (let i = n - 1; i >= 0; i--) {
    // A stalled window (nothing completed) is not converged, even if nothing moved.
    const done = avg(i, "completed");
    // Retries count too: a proxy stuck behind its own moves requests no new ones, yet retries.
    const ok =
      done > 0 &&
      avg(i, "moves") <= CONVERGED_SHARE * done &&
      avg(i, "retries") <= CONVERGED_SHARE * done;
    if (!ok) break;
    from = i;
  }
  const fifth = durationMs / 5;
  const rate = (lo: number, hi: number): number => {
    let moves = 0;
    for (const w of windows) if (w.t > lo && w.t <= hi) moves += w.moves;
    return hi > lo ? (moves * 1000) / (hi - lo) : 0;
  };
  const convergedAtMs = from === null ? null : (windows[from]?.t ?? null);
  return {
    convergedAtMs,
    // Converged from the first window on counts even when windows are wider than a fifth.
    withinFirstFifth: convergedAtMs !== null && (from === 0 || convergedAtMs <= fifth + 1e-9),
    movesPerSFirstFifth: rate(0, fifth),
    movesPerSLastFifth: rate(durationMs - fifth, durationMs),
  };
}

/** The steady state of a run (see PaperRunResult.steady). */
export function steadyState(
  windows: readonly WindowCounters[],
  conv: Convergence,
  warmupMs: number,
): SteadyState | null {
  if (conv.convergedAtMs === null) return null;
  // Never before the warm-up ends: a run converged from its first window still starts cold.
  const at = Math.max(conv.convergedAtMs, warmupMs);
  const after = windows.filter((w) => w.t > at);
  if (after.length < STEADY_MIN_WINDOWS) return null;
  const spanMs = after.at(-1)!.t - at;
  const sum = (k: keyof WindowCounters): number => after.reduce((a, w) => a + (w[k] ?? 0), 0);
  const perS = (n: number): number => (n * 1000) / spanMs;
  const completed = sum("completed");
  const counted = after.every((w) => w.queries !== undefined);
  return {
    throughput: perS(completed),
    convergedAtMs: conv.convergedAtMs,
    fromMs: at,
    spanMs,
    movesPerS: perS(sum("moves")),
    retriesPerS: perS(sum("retries")),
    fallbacksPerS: perS(sum("fallbacks")),
    cacheHitRate: ratio(sum("cacheHits"), sum("cacheHits") + sum("cacheMisses")),
    oracleQueriesPerCommand:
      counted && completed > 0 ? (sum("queries") + sum("consults")) / completed : null,
  };
}

/**
 * The figures of a run from what a back end observed. Warm-up is the first
 * `warmupFraction` of the windows (rounded down to whole windows): throughput, counters and rates
 * cover the later windows; latency covers commands completing after warm-up ends.
 */
export function summarise(
  spec: PaperRunSpec,
  obs: RunObservation,
  backend: BenchBackend,
  wallMs: number,
): PaperRunResult {
  const windows = obs.windows;
  const skip = Math.floor(windows.length * spec.warmupFraction);
  const warmupMs = skip === 0 ? 0 : windows[skip - 1]!.t;
  const measured = windows.slice(skip);
  const endMs = measured.at(-1)?.t ?? warmupMs;
  const spanS = Math.max(1e-9, (endMs - warmupMs) / 1000);
  const sum = (k: keyof WindowCounters): number => measured.reduce((a, w) => a + (w[k] ?? 0), 0);
  const latencies = obs.timings
    .filter((x) => Number.isFinite(x.ret) && x.ret > warmupMs && x.ret <= endMs)
    .map((x) => x.ret - x.call)
    .sort((a, b) => a - b);
  const completed = sum("completed");
  const moves = sum("moves");
  const retries = sum("retries");
  const fallbacks = sum("fallbacks");
  const consults = sum("consults");
  const conv = convergence(windows, spec.durationMs);
  let prev = 0;
  const series = windows.map((w) => {
    const p = seriesPoint(w, w.t - prev);
    prev = w.t;
    return p;
  });
  return {
    ...spec,
    backend: backend.name,
    simulated: backend.simulated,
    ...(backend.label === undefined ? {} : { label: backend.label }),
    clients: spec.clientsPerPartition * spec.partitions,
    warmupMs,
    throughput: completed / spanS,
    completed,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    p99Ms: percentile(latencies, 0.99),
    moves,
    retries,
    fallbacks,
    consults,
    movesPerS: moves / spanS,
    retriesPerS: retries / spanS,
    fallbacksPerS: fallbacks / spanS,
    consultsPerS: consults / spanS,
    cacheHitRate: ratio(sum("cacheHits"), sum("cacheHits") + sum("cacheMisses")),
    multiPartitionShare: ratio(sum("multiPartition"), sum("submitted")),
    movesPerCommand: completed > 0 ? moves / completed : 0,
    convergence: conv,
    steady: steadyState(windows, conv, warmupMs),
    wallMs,
    series,
    extra: obs.extra,
  };
}

/** Runs one spec on a back end and summarises it, timing the wall clock. */
export async function runPaperSpec(
  spec: PaperRunSpec,
  backend: BenchBackend,
): Promise<PaperRunResult> {
  validateSpec(spec);
  const t0 = performance.now();
  const obs = await backend.run(spec);
  return summarise(spec, obs, backend, performance.now() - t0);
}

/** A sweep: the cross product of systems, workloads and partition counts over a base spec. */
export interface SweepPlan {
  readonly base: Omit<PaperRunSpec, "mode" | "workload" | "partitions">;
  readonly modes: readonly Mode[];
  readonly workloads: readonly ChirperWorkloadName[];
  readonly partitions: readonly number[];
}

/** The specs of a sweep, workload by workload, then system, then partitions. */
export function sweepSpecs(plan: SweepPlan): PaperRunSpec[] {
  const specs: PaperRunSpec[] = [];
  for (const workload of plan.workloads) {
    for (const mode of plan.modes) {
      for (const partitions of plan.partitions) {
        specs.push({ ...plan.base, mode, workload, partitions });
      }
    }
  }
  return specs;
}

/** Runs a sweep one spec after another, announcing each run and reporting each result as it arrives. */
export async function runSweep(
  plan: SweepPlan,
  backend: BenchBackend,
  onResult: (r: PaperRunResult, index: number, total: number) => void = () => {},
  onStart: (spec: PaperRunSpec, index: number, total: number) => void = () => {},
): Promise<PaperRunResult[]> {
  const specs = sweepSpecs(plan);
  for (const s of specs) validateSpec(s);
  const out: PaperRunResult[] = [];
  for (const [i, spec] of specs.entries()) {
    onStart(spec, i, specs.length);
    const r = await runPaperSpec(spec, backend);
    out.push(r);
    onResult(r, i, specs.length);
  }
  return out;
}

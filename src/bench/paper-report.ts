// Text reports of paper-benchmark runs: per-run figures, time series, and Table I beside the paper's.
import type { Mode } from "../core/dssmr/types.ts";
import type { ChirperWorkloadName } from "../workload/chirper-workload.ts";
import type { PaperRunResult } from "./paper-bench.ts";

/**
 * The DS-SMR paper's Table I (DSN 2016): strong locality, commands per second, each partition 2
 * replicas + 3 Paxos acceptors on 2008-era 8-core servers with a gigabit network (DESIGN.md §6).
 */
export const PAPER_TABLE_I: Readonly<
  Record<ChirperWorkloadName, Readonly<Record<Mode, Readonly<Record<number, number>>>>>
> = {
  timeline: {
    ssmr: { 1: 31_757, 2: 60_699, 4: 71_274, 8: 84_065 },
    dssmr: { 1: 28_882, 2: 55_925, 4: 57_900, 8: 86_685 },
  },
  post: {
    ssmr: { 1: 32_151, 2: 2_884, 4: 1_894, 8: 1_200 },
    dssmr: { 1: 14_874, 2: 23_295, 4: 35_188, 8: 54_250 },
  },
  follow: {
    ssmr: { 1: 32_541, 2: 11_476, 4: 8_580, 8: 3_371 },
    dssmr: { 1: 30_215, 2: 48_976, 4: 54_025, 8: 83_880 },
  },
  mix: {
    ssmr: { 1: 32_151, 2: 22_803, 4: 16_822, 8: 10_657 },
    dssmr: { 1: 27_101, 2: 45_686, 4: 50_671, 8: 74_257 },
  },
};

const SYSTEM: Record<Mode, string> = { dssmr: "DS-SMR", ssmr: "S-SMR" };
const WORKLOAD: Record<ChirperWorkloadName, string> = {
  timeline: "Timeline",
  post: "Post",
  follow: "Follow/unfollow",
  mix: "Mix",
};

/** Display name of a system. */
export const systemName = (m: Mode): string => SYSTEM[m];
/** Display name of a workload. */
export const workloadName = (w: ChirperWorkloadName): string => WORKLOAD[w];

const num = (x: number | null, digits = 0): string => (x === null ? "-" : x.toFixed(digits));
const pct = (x: number | null): string => (x === null ? "-" : `${(100 * x).toFixed(1)}%`);

/** A label for every figure: whether it is simulated, and on what. */
export function label(r: PaperRunResult): string {
  if (r.label !== undefined) return r.label;
  return r.simulated
    ? "SIMULATED (simulated time, uncalibrated cost model)"
    : "REAL (wall clock, this machine)";
}

/** One line per run: throughput, latency, protocol counters (rates over the measured part). */
export function formatRunLine(r: PaperRunResult): string {
  const loc = r.locality === "strong" ? "strong" : `weak ${r.crossFraction}`;
  return [
    `${r.simulated ? "[SIM]" : "[REAL]"} ${systemName(r.mode).padEnd(6)} ${r.workload.padEnd(8)}`,
    `P=${String(r.partitions).padStart(2)} ${loc}:`,
    `${num(r.throughput).padStart(7)} cmd/s`,
    `p50/95/99 ${num(r.p50Ms, 1)}/${num(r.p95Ms, 1)}/${num(r.p99Ms, 1)} ms,`,
    `moves/s ${num(r.movesPerS)}, retries/s ${num(r.retriesPerS)}, fallbacks/s ${num(r.fallbacksPerS)},`,
    `consults/s ${num(r.consultsPerS)}, hit ${pct(r.cacheHitRate)}, multi ${pct(r.multiPartitionShare)},`,
    r.mode === "dssmr"
      ? `steady ${r.steady === null ? "never" : `${num(r.steady.throughput)} cmd/s from ${num(r.steady.fromMs)} ms`},`
      : "",
    `wall ${(r.wallMs / 1000).toFixed(1)} s`,
  ]
    .filter((x) => x !== "")
    .join(" ");
}

/** Per-run table with every figure of the measured part. */
export function formatRunsTable(results: readonly PaperRunResult[]): string[] {
  if (results.length === 0) return [];
  const lines = [
    `Per run (${label(results[0]!)}; warm-up excluded: first ${Math.round(results[0]!.warmupFraction * 100)}% of windows):`,
    "system  workload  locality    P   cmd/s    p50 ms  p95 ms  p99 ms  moves/s  retries/s  fallb/s  consults/s  hit%    multi%  mv/cmd  converged@ms  wall s",
  ];
  for (const r of results) {
    const loc = r.locality === "strong" ? "strong" : `weak ${r.crossFraction}`;
    lines.push(
      [
        systemName(r.mode).padEnd(6),
        r.workload.padEnd(8),
        loc.padEnd(9),
        String(r.partitions).padStart(3),
        num(r.throughput).padStart(7),
        num(r.p50Ms, 1).padStart(7),
        num(r.p95Ms, 1).padStart(7),
        num(r.p99Ms, 1).padStart(7),
        num(r.movesPerS).padStart(8),
        num(r.retriesPerS).padStart(10),
        num(r.fallbacksPerS).padStart(8),
        num(r.consultsPerS).padStart(11),
        pct(r.cacheHitRate).padStart(6),
        pct(r.multiPartitionShare).padStart(8),
        num(r.movesPerCommand, 3).padStart(7),
        (r.mode !== "dssmr"
          ? "-"
          : r.convergence.convergedAtMs === null
            ? "never"
            : num(r.convergence.convergedAtMs)
        ).padStart(13),
        (r.wallMs / 1000).toFixed(1).padStart(7),
      ].join(" "),
    );
  }
  return lines;
}

/**
 * Table I layout: one row per (workload, system), one column per partition count, ours with the
 * paper's figure beside it where the paper has one. Only strong-locality runs belong here.
 */
export function formatTableI(results: readonly PaperRunResult[]): string[] {
  const strong = results.filter((r) => r.locality === "strong");
  if (strong.length === 0) return [];
  const parts = [...new Set(strong.map((r) => r.partitions))].sort((a, b) => a - b);
  const lines = [
    `Table I, strong locality, commands/s: ours (${label(strong[0]!)}) / the paper's (real, 2016 hardware)`,
    `${"workload".padEnd(16)} ${"system".padEnd(6)} ${parts.map((p) => `${p} part.`.padStart(17)).join(" ")}  ${"scaling".padStart(8)}`,
  ];
  const workloads = [...new Set(strong.map((r) => r.workload))];
  for (const w of workloads) {
    for (const m of ["ssmr", "dssmr"] as const) {
      const row = strong.filter((r) => r.workload === w && r.mode === m);
      if (row.length === 0) continue;
      const cells = parts.map((p) => {
        const ours = row.find((r) => r.partitions === p);
        const paper = PAPER_TABLE_I[w][m][p];
        const o = ours === undefined ? "-" : num(ours.throughput);
        return `${o} / ${paper === undefined ? "-" : String(paper)}`.padStart(17);
      });
      const first = row.find((r) => r.partitions === parts[0]);
      const last = row.find((r) => r.partitions === parts.at(-1));
      const scaling =
        first !== undefined && last !== undefined && first.throughput > 0 && first !== last
          ? `${(last.throughput / first.throughput).toFixed(2)}x`
          : "-";
      lines.push(
        `${workloadName(w).padEnd(16)} ${systemName(m).padEnd(6)} ${cells.join(" ")}  ${scaling.padStart(8)}`,
      );
    }
  }
  lines.push("");
  lines.push("DS-SMR / S-SMR throughput ratio (ours; the paper's in brackets):");
  for (const w of workloads) {
    const cells = parts.map((p) => {
      const d = strong.find((r) => r.workload === w && r.mode === "dssmr" && r.partitions === p);
      const s = strong.find((r) => r.workload === w && r.mode === "ssmr" && r.partitions === p);
      const pd = PAPER_TABLE_I[w].dssmr[p];
      const ps = PAPER_TABLE_I[w].ssmr[p];
      const ours =
        d !== undefined && s !== undefined && s.throughput > 0 ? d.throughput / s.throughput : null;
      const paper = pd !== undefined && ps !== undefined ? pd / ps : null;
      return `${num(ours, 2)} [${num(paper, 2)}]`.padStart(17);
    });
    lines.push(`${workloadName(w).padEnd(23)} ${cells.join(" ")}`);
  }
  return lines;
}

/** The convergence claim for every DS-SMR run with moves: held or not, and when. */
export function formatConvergence(results: readonly PaperRunResult[]): string[] {
  const ds = results.filter((r) => r.mode === "dssmr");
  if (ds.length === 0) return [];
  const lines = [
    "Convergence (DS-SMR): moves/s and retries/s under 1% of throughput (3-window moving averages) from some window on, within the first fifth of the run?",
    "workload  locality    P  converged@ms  first-fifth  moves/s 1st fifth  moves/s last fifth",
  ];
  for (const r of ds) {
    const c = r.convergence;
    const loc = r.locality === "strong" ? "strong" : `weak ${r.crossFraction}`;
    lines.push(
      [
        r.workload.padEnd(9),
        loc.padEnd(9),
        String(r.partitions).padStart(3),
        (c.convergedAtMs === null ? "never" : num(c.convergedAtMs)).padStart(13),
        (c.withinFirstFifth ? "yes" : "NO").padStart(12),
        num(c.movesPerSFirstFifth).padStart(18),
        num(c.movesPerSLastFifth).padStart(19),
      ].join(" "),
    );
  }
  return lines;
}

/**
 * The steady state of every run beside its whole-run figure, and DS-SMR's scaling from its own
 * one-partition steady state (Markdown). Runs that never converged show "never".
 */
export function formatSteadyMarkdown(results: readonly PaperRunResult[]): string[] {
  if (results.length === 0) return [];
  const lines = [
    "Steady state (after convergence and warm-up) beside the whole measured run:",
    "",
    "| system | workload | locality | P | whole run cmd/s | converged at ms | steady cmd/s | steady ÷ own 1 P | moves/s | retries/s | fallbacks/s | cache hits | oracle queries/cmd |",
    "| --- | --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
  ];
  const one = (r: PaperRunResult) =>
    results.find(
      (x) =>
        x.partitions === 1 &&
        x.mode === r.mode &&
        x.workload === r.workload &&
        x.locality === r.locality,
    )?.steady?.throughput;
  for (const r of results) {
    const st = r.steady;
    const base = one(r);
    const loc = r.locality === "strong" ? "strong" : `weak ${r.crossFraction}`;
    lines.push(
      `| ${[
        systemName(r.mode),
        r.workload,
        loc,
        String(r.partitions),
        num(r.throughput),
        st === null ? "never" : num(st.convergedAtMs),
        st === null ? "-" : num(st.throughput),
        st === null || base === undefined || base <= 0
          ? "-"
          : `${(st.throughput / base).toFixed(2)}×`,
        st === null ? "-" : num(st.movesPerS),
        st === null ? "-" : num(st.retriesPerS),
        st === null ? "-" : num(st.fallbacksPerS, 1),
        st === null ? "-" : pct(st.cacheHitRate),
        st === null || st.oracleQueriesPerCommand === null
          ? "-"
          : st.oracleQueriesPerCommand.toFixed(4),
      ].join(" | ")} |`,
    );
  }
  return lines;
}

/** Time series of one run, window by window. */
export function formatSeries(r: PaperRunResult): string[] {
  const lines = [
    `${systemName(r.mode)} ${r.workload} P=${r.partitions} time series (${label(r)}):`,
    "   t ms    cmd/s  moves/s  retries/s  fallb/s  consults/s   hit%  multi%",
  ];
  for (const p of r.series) {
    lines.push(
      [
        num(p.t).padStart(7),
        num(p.throughput).padStart(8),
        num(p.movesPerS).padStart(8),
        num(p.retriesPerS).padStart(10),
        num(p.fallbacksPerS).padStart(8),
        num(p.consultsPerS).padStart(11),
        pct(p.cacheHitRate).padStart(6),
        pct(p.multiPartitionShare).padStart(7),
      ].join(" "),
    );
  }
  return lines;
}

/**
 * Table I in Markdown (strong-locality runs): one row per (workload, system), a column per
 * partition count holding "ours / the paper's", the scaling from the first to the last count,
 * then the DS-SMR / S-SMR ratio per workload, and a per-run table of latency and counters.
 */
export function formatTableIMarkdown(results: readonly PaperRunResult[]): string[] {
  const strong = results.filter((r) => r.locality === "strong");
  if (strong.length === 0) return [];
  const parts = [...new Set(strong.map((r) => r.partitions))].sort((a, b) => a - b);
  const workloads = [...new Set(strong.map((r) => r.workload))];
  const fmt = (x: number | undefined): string =>
    x === undefined ? "–" : Math.round(x).toLocaleString("en-US");
  const lines = [
    `Commands/s, strong locality: **ours** / the paper's (${label(strong[0]!)} / real, 2016 hardware).`,
    "",
    `| workload | system | ${parts.map((p) => `${p} part.`).join(" | ")} | scaling ${parts[0]}→${parts.at(-1)} (paper) |`,
    `|---|---|${parts.map(() => "---:").join("|")}|---:|`,
  ];
  for (const w of workloads) {
    for (const m of ["ssmr", "dssmr"] as const) {
      const row = strong.filter((r) => r.workload === w && r.mode === m);
      if (row.length === 0) continue;
      const at = (p: number | undefined): number | undefined =>
        row.find((r) => r.partitions === p)?.throughput;
      const cells = parts.map((p) => `**${fmt(at(p))}** / ${fmt(PAPER_TABLE_I[w][m][p])}`);
      const a = at(parts[0]);
      const b = at(parts.at(-1));
      const pa = PAPER_TABLE_I[w][m][parts[0]!];
      const pb = PAPER_TABLE_I[w][m][parts.at(-1)!];
      const ours = a !== undefined && b !== undefined && a > 0 ? `${(b / a).toFixed(2)}×` : "–";
      const paper = pa !== undefined && pb !== undefined ? ` (${(pb / pa).toFixed(2)}×)` : "";
      lines.push(
        `| ${workloadName(w)} | ${systemName(m)} | ${cells.join(" | ")} | ${ours}${paper} |`,
      );
    }
  }
  lines.push("", "DS-SMR / S-SMR throughput: **ours** (the paper's).", "");
  lines.push(`| workload | ${parts.map((p) => `${p} part.`).join(" | ")} |`);
  lines.push(`|---|${parts.map(() => "---:").join("|")}|`);
  for (const w of workloads) {
    const cells = parts.map((p) => {
      const d = strong.find((r) => r.workload === w && r.mode === "dssmr" && r.partitions === p);
      const s = strong.find((r) => r.workload === w && r.mode === "ssmr" && r.partitions === p);
      const pd = PAPER_TABLE_I[w].dssmr[p];
      const ps = PAPER_TABLE_I[w].ssmr[p];
      const ours = d && s && s.throughput > 0 ? (d.throughput / s.throughput).toFixed(2) : "–";
      const paper = pd !== undefined && ps !== undefined ? (pd / ps).toFixed(2) : "–";
      return `**${ours}** (${paper})`;
    });
    lines.push(`| ${workloadName(w)} | ${cells.join(" | ")} |`);
  }
  lines.push(
    "",
    "Per run (measured part, after warm-up):",
    "",
    "| system | workload | P | cmd/s | p50 ms | p99 ms | moves | retries | fallbacks | cache hits | multi-partition |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const r of strong) {
    lines.push(
      `| ${systemName(r.mode)} | ${r.workload} | ${r.partitions} | ${fmt(r.throughput)} | ${num(r.p50Ms, 1)} | ${num(r.p99Ms, 1)} | ${r.moves} | ${r.retries} | ${r.fallbacks} | ${pct(r.cacheHitRate)} | ${pct(r.multiPartitionShare)} |`,
    );
  }
  return lines;
}

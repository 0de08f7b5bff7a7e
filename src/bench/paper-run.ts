// Runs a paper-benchmark sweep end to end: progress, the report, JSON results and SVG charts on disk.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { convergenceChart, renderSvg, throughputChart } from "./charts.ts";
import {
  type BenchBackend,
  type PaperRunResult,
  runSweep,
  type SweepPlan,
  sweepSpecs,
} from "./paper-bench.ts";
import {
  formatConvergence,
  formatRunLine,
  formatRunsTable,
  formatSeries,
  formatTableI,
} from "./paper-report.ts";

/** Where and how a sweep reports. */
export interface PaperOutput {
  /** Human-readable lines (stdout). */
  out(line: string): void;
  /** Progress lines (stderr). */
  progress(line: string): void;
  /** Print the time series of every run. */
  readonly series: boolean;
  /** Directory for `<tag>.json` and the SVG charts; null: write nothing. */
  readonly dir: string | null;
  /** Prefix of the files written. */
  readonly tag: string;
  /** Draw charts (SVG). */
  readonly charts: boolean;
  /** The command line that produced the results, recorded in the JSON file. */
  readonly command: string;
}

/** The outcome of a sweep: results and the files written. */
export interface PaperSweepOutcome {
  readonly results: PaperRunResult[];
  readonly wallMs: number;
  readonly files: string[];
}

/**
 * Runs every spec of `plan` on `backend`, printing one progress line per run (with its wall
 * time), then the per-run table, Table I beside the paper's, the convergence check and
 * (optionally) the time series; writes `<tag>.json` and `<tag>-throughput.svg`,
 * `<tag>-convergence.svg` into `output.dir`.
 */
export async function runPaperSweep(
  plan: SweepPlan,
  backend: BenchBackend,
  output: PaperOutput,
): Promise<PaperSweepOutcome> {
  const total = sweepSpecs(plan).length;
  output.progress(
    `${backend.simulated ? "SIMULATED" : "REAL"} sweep: ${total} runs (${plan.workloads.join(",")} x ${plan.modes.join(",")} x P=${plan.partitions.join(",")}), ${plan.base.users} users, ${plan.base.clientsPerPartition} clients/partition, ${plan.base.durationMs} ms each`,
  );
  const t0 = performance.now();
  const results = await runSweep(plan, backend, (r, i, n) => {
    const elapsed = (performance.now() - t0) / 1000;
    output.progress(`[${i + 1}/${n}] ${elapsed.toFixed(0)} s  ${formatRunLine(r)}`);
  });
  const wallMs = performance.now() - t0;
  const lines = [
    ...formatRunsTable(results),
    "",
    ...formatTableI(results),
    "",
    ...formatConvergence(results),
  ];
  if (output.series) for (const r of results) lines.push("", ...formatSeries(r));
  lines.push("", `Sweep wall time: ${(wallMs / 1000).toFixed(1)} s for ${results.length} runs.`);
  for (const l of lines) output.out(l);

  const files: string[] = [];
  if (output.dir !== null) {
    mkdirSync(output.dir, { recursive: true });
    const json = join(output.dir, `${output.tag}.json`);
    // One result per line: small, and diffs stay readable.
    const head = JSON.stringify({
      command: output.command,
      simulated: backend.simulated,
      wallMs: Math.round(wallMs),
    }).slice(0, -1);
    const body = results.map((r) => JSON.stringify(compact(r))).join(",\n");
    writeFileSync(json, `${head},"results":[\n${body}\n]}\n`);
    files.push(json);
    if (output.charts) {
      for (const [name, spec] of [
        ["throughput", throughputChart(results)],
        ["convergence", convergenceChart(results)],
      ] as const) {
        if (spec === null) continue;
        const file = join(output.dir, `${output.tag}-${name}.svg`);
        writeFileSync(file, await renderSvg(spec));
        files.push(file);
      }
    }
    for (const f of files) output.progress(`wrote ${f}`);
  }
  return { results, wallMs, files };
}

/** Rounds a result's figures so the committed JSON stays small and diffable. */
export function compact(r: PaperRunResult): PaperRunResult {
  const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
  const opt = (x: number | null, d = 2): number | null => (x === null ? null : round(x, d));
  return {
    ...r,
    throughput: round(r.throughput, 1),
    p50Ms: opt(r.p50Ms, 3),
    p95Ms: opt(r.p95Ms, 3),
    p99Ms: opt(r.p99Ms, 3),
    movesPerS: round(r.movesPerS, 1),
    retriesPerS: round(r.retriesPerS, 1),
    fallbacksPerS: round(r.fallbacksPerS, 1),
    consultsPerS: round(r.consultsPerS, 1),
    cacheHitRate: opt(r.cacheHitRate, 4),
    multiPartitionShare: opt(r.multiPartitionShare, 4),
    movesPerCommand: round(r.movesPerCommand, 4),
    wallMs: Math.round(r.wallMs),
    convergence: {
      ...r.convergence,
      movesPerSFirstFifth: round(r.convergence.movesPerSFirstFifth, 1),
      movesPerSLastFifth: round(r.convergence.movesPerSLastFifth, 1),
    },
    series: r.series.map((p) => ({
      t: round(p.t, 1),
      throughput: round(p.throughput, 0),
      movesPerS: round(p.movesPerS, 0),
      retriesPerS: round(p.retriesPerS, 0),
      fallbacksPerS: round(p.fallbacksPerS, 0),
      consultsPerS: round(p.consultsPerS, 0),
      cacheHitRate: opt(p.cacheHitRate, 3),
      multiPartitionShare: opt(p.multiPartitionShare, 3),
    })),
  };
}

// Runs a paper-benchmark sweep end to end: progress, the report, JSON and CSV results, SVG and PNG charts on disk.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { convergenceChart, renderSvg, svgToPng, throughputChart } from "./charts.ts";
import {
  type BenchBackend,
  type PaperRunResult,
  runSweep,
  type SweepPlan,
  sweepSpecs,
} from "./paper-bench.ts";
import { resultsCsv, seriesCsv } from "./paper-csv.ts";
import {
  formatConvergence,
  formatRunLine,
  formatRunsTable,
  formatSeries,
  formatSteadyMarkdown,
  formatTableI,
  formatTableIMarkdown,
  label,
} from "./paper-report.ts";
import { lineProgress, type SweepProgress } from "./progress.ts";

/** Where and how a sweep reports. */
export interface PaperOutput {
  /** Human-readable lines (stdout). */
  out(line: string): void;
  /** Progress lines (stderr). */
  progress(line: string): void;
  /** How finished runs are shown (default: one `progress` line per run). */
  readonly bar?: SweepProgress;
  /** Print the time series of every run. */
  readonly series: boolean;
  /** Directory for `<tag>.json` and the SVG charts; null: write nothing. */
  readonly dir: string | null;
  /** Prefix of the files written. */
  readonly tag: string;
  /** Draw charts (SVG, and PNG unless `png` is false). */
  readonly charts: boolean;
  /** Also render each chart to PNG (default true; skipped with a note if resvg cannot load). */
  readonly png?: boolean;
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
 * Runs every spec of `plan` on `backend`, showing progress per run (a bar, or one line with its
 * wall time), then prints the per-run table, Table I beside the paper's, the convergence check
 * and (optionally) the time series; writes into `output.dir` `<tag>.json`, `<tag>.csv` (one row
 * per run), `<tag>-series.csv` (one row per window), `<tag>.md` (the tables in Markdown) and the
 * charts `<tag>-throughput` and `<tag>-convergence` as SVG and PNG.
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
  const bar = output.bar ?? lineProgress((l) => output.progress(l));
  bar.start(total);
  let results: PaperRunResult[];
  try {
    results = await runSweep(
      plan,
      backend,
      (r, i) => bar.finish(i, formatRunLine(r)),
      (s, i) => bar.begin(i, `${s.mode} ${s.workload} P=${s.partitions}`),
    );
  } finally {
    bar.stop();
  }
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
    const rounded = results.map(compact);
    const text = (name: string, content: string): void => {
      const file = join(output.dir!, `${output.tag}${name}`);
      writeFileSync(file, content);
      files.push(file);
    };
    text(".csv", resultsCsv(rounded));
    text("-series.csv", seriesCsv(rounded));
    text(".md", markdownReport(results, output.command, wallMs));
    if (output.charts) {
      let pngMissing = false;
      for (const [name, spec] of [
        ["throughput", throughputChart(results)],
        ["convergence", convergenceChart(results)],
      ] as const) {
        if (spec === null) continue;
        const svg = await renderSvg(spec);
        text(`-${name}.svg`, svg);
        if (output.png === false || pngMissing) continue;
        const png = await svgToPng(svg);
        if (png === null) pngMissing = true;
        else {
          const file = join(output.dir, `${output.tag}-${name}.png`);
          writeFileSync(file, png);
          files.push(file);
        }
      }
      if (pngMissing) output.progress("no PNG charts: @resvg/resvg-js could not be loaded");
    }
    for (const f of files) output.progress(`wrote ${f}`);
  }
  return { results, wallMs, files };
}

/** The Markdown report of a sweep: how it was made, Table I beside the paper's, convergence. */
export function markdownReport(
  results: readonly PaperRunResult[],
  command: string,
  wallMs: number,
): string {
  const first = results[0];
  const lines = [
    `<!-- generated by: ${command} -->`,
    "",
    `${first === undefined ? "" : label(first)}; ${results.length} runs, sweep wall time ${(wallMs / 1000).toFixed(0)} s.`,
    "",
    ...formatTableIMarkdown(results),
    "",
    ...formatSteadyMarkdown(results),
    "",
    "```",
    ...formatConvergence(results),
    "```",
  ];
  return `${lines.join("\n")}\n`;
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
    steady:
      r.steady === null
        ? null
        : {
            ...r.steady,
            throughput: round(r.steady.throughput, 1),
            movesPerS: round(r.steady.movesPerS, 1),
            retriesPerS: round(r.steady.retriesPerS, 1),
            fallbacksPerS: round(r.steady.fallbacksPerS, 1),
            cacheHitRate: opt(r.steady.cacheHitRate, 4),
            oracleQueriesPerCommand: opt(r.steady.oracleQueriesPerCommand, 4),
          },
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

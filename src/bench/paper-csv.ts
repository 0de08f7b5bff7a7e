// CSV files of paper-benchmark results: one row per run, and one row per window of every run's time series.
import type { PaperRunResult } from "./paper-bench.ts";

/** Columns of the per-run CSV, in order (the `--json` contract's fields first). */
export const RESULT_COLUMNS = [
  "backend",
  "mode",
  "workload",
  "locality",
  "partitions",
  "throughput",
  "p50Ms",
  "p99Ms",
  "moves",
  "retries",
  "fallbacks",
  "cacheHitRate",
  "multiPartitionShare",
  "label",
  "crossFraction",
  "users",
  "clientsPerPartition",
  "clients",
  "durationMs",
  "windowMs",
  "warmupMs",
  "policy",
  "retryThreshold",
  "seed",
  "completed",
  "p95Ms",
  "consults",
  "movesPerS",
  "retriesPerS",
  "fallbacksPerS",
  "consultsPerS",
  "movesPerCommand",
  "convergedAtMs",
  "convergedWithinFirstFifth",
  "wallMs",
] as const;

/** One CSV field: numbers and booleans as they are, null as empty, strings quoted when needed. */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v !== "string") return String(v);
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/**
 * The per-run CSV: RESULT_COLUMNS, then every back-end extra seen in any run (e.g. the real back
 * end's CPU per command) as `extra.<name>`.
 */
export function resultsCsv(results: readonly PaperRunResult[]): string {
  const extras = [...new Set(results.flatMap((r) => Object.keys(r.extra)))].sort();
  const rows = [[...RESULT_COLUMNS, ...extras.map((k) => `extra.${k}`)].join(",")];
  for (const r of results) {
    const cell = (c: (typeof RESULT_COLUMNS)[number]): string | number | boolean | null => {
      switch (c) {
        case "convergedAtMs":
          return r.convergence.convergedAtMs;
        case "convergedWithinFirstFifth":
          return r.convergence.withinFirstFifth;
        case "label":
          return r.label ?? (r.simulated ? "SIMULATED" : "REAL");
        default:
          return r[c];
      }
    };
    rows.push(
      [
        ...RESULT_COLUMNS.map((c) => csvField(cell(c))),
        ...extras.map((k) => csvField(r.extra[k])),
      ].join(","),
    );
  }
  return `${rows.join("\n")}\n`;
}

/** The time series of every run, one row per window (rates per second of the window). */
export function seriesCsv(results: readonly PaperRunResult[]): string {
  const rows = [
    "backend,mode,workload,locality,partitions,t,throughput,movesPerS,retriesPerS,fallbacksPerS,consultsPerS,cacheHitRate,multiPartitionShare",
  ];
  for (const r of results) {
    const key = [r.backend, r.mode, r.workload, r.locality, r.partitions].map(csvField).join(",");
    for (const p of r.series) {
      const vals = [
        p.t,
        p.throughput,
        p.movesPerS,
        p.retriesPerS,
        p.fallbacksPerS,
        p.consultsPerS,
        p.cacheHitRate,
        p.multiPartitionShare,
      ];
      rows.push(`${key},${vals.map(csvField).join(",")}`);
    }
  }
  return `${rows.join("\n")}\n`;
}

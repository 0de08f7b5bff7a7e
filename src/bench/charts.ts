// Charts of paper-benchmark results, drawn with vega-lite, rendered to SVG by vega in Node and to PNG by resvg.
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { PaperRunResult } from "./paper-bench.ts";
import { systemName, workloadName } from "./paper-report.ts";

/** Renders a vega-lite spec to an SVG document (no browser, no fonts needed). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Font of the PNG renderings (the SVGs name none; Debian ships DejaVu). */
export const PNG_FONT = "DejaVu Sans";

/**
 * Renders an SVG document to PNG with resvg (twice the SVG's size, white background); null when
 * @resvg/resvg-js (a native binary) cannot be loaded on this machine.
 */
export async function svgToPng(svg: string): Promise<Buffer | null> {
  let mod: typeof import("@resvg/resvg-js");
  try {
    mod = await import("@resvg/resvg-js");
  } catch {
    return null;
  }
  const resvg = new mod.Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: 2 },
    font: { defaultFontFamily: PNG_FONT, loadSystemFonts: true },
  });
  return resvg.render().asPng();
}

const simTag = (rs: readonly PaperRunResult[]): string =>
  rs.some((r) => r.simulated) ? "SIMULATED: " : "";

/**
 * Throughput against partitions, one panel per workload, one line per system (log scale: S-SMR
 * Post and DS-SMR Post differ by orders of magnitude). Null when there is nothing to draw.
 */
export function throughputChart(results: readonly PaperRunResult[]): TopLevelSpec | null {
  const rows = results.map((r) => ({
    workload: workloadName(r.workload),
    system: systemName(r.mode),
    locality: r.locality === "strong" ? "strong" : `weak ${r.crossFraction}`,
    partitions: r.partitions,
    throughput: Math.max(1, Math.round(r.throughput)),
  }));
  if (rows.length === 0) return null;
  const localities = new Set(rows.map((r) => r.locality));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `${simTag(results)}throughput vs partitions (commands/s)`,
    data: { values: rows },
    facet: { column: { field: "workload", type: "nominal", title: null } },
    spec: {
      width: 220,
      height: 180,
      mark: { type: "line", point: true },
      encoding: {
        x: {
          field: "partitions",
          type: "quantitative",
          scale: { type: "log", base: 2 },
          axis: { values: [...new Set(rows.map((r) => r.partitions))] },
        },
        y: { field: "throughput", type: "quantitative", scale: { type: "log" }, title: "cmd/s" },
        color: { field: "system", type: "nominal" },
        ...(localities.size > 1 ? { strokeDash: { field: "locality", type: "nominal" } } : {}),
      },
    },
    resolve: { scale: { y: "shared" } },
  };
}

/**
 * DS-SMR convergence over time: throughput and moves per second window by window, one panel per
 * workload, one line per partition count. Null when no DS-SMR run has a series.
 */
export function convergenceChart(results: readonly PaperRunResult[]): TopLevelSpec | null {
  const rows: { workload: string; partitions: string; t: number; metric: string; value: number }[] =
    [];
  for (const r of results) {
    if (r.mode !== "dssmr") continue;
    const loc = r.locality === "strong" ? "" : ` weak ${r.crossFraction}`;
    for (const p of r.series) {
      const base = {
        workload: `${workloadName(r.workload)}${loc}`,
        partitions: `P=${r.partitions}`,
      };
      rows.push({ ...base, t: p.t / 1000, metric: "cmd/s", value: p.throughput });
      rows.push({ ...base, t: p.t / 1000, metric: "moves/s", value: p.movesPerS });
    }
  }
  if (rows.length === 0) return null;
  const partitionOrder = [...new Set(rows.map((r) => r.partitions))].sort(
    (a, b) => Number(a.slice(2)) - Number(b.slice(2)),
  );
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `${simTag(results)}DS-SMR throughput and moves per second over time`,
    data: { values: rows },
    facet: {
      row: { field: "metric", type: "nominal", title: null },
      column: { field: "workload", type: "nominal", title: null },
    },
    spec: {
      width: 220,
      height: 150,
      mark: { type: "line" },
      encoding: {
        x: { field: "t", type: "quantitative", title: "time (s)" },
        y: { field: "value", type: "quantitative", title: null },
        color: { field: "partitions", type: "nominal", sort: partitionOrder },
      },
    },
    resolve: { scale: { y: "independent" } },
  };
}

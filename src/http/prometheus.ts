// Prometheus text exposition format 0.0.4: metric samples in, one scrape body out.

/** Label names to values of one sample. */
export type Labels = Readonly<Record<string, string>>;

/** One cumulative histogram bucket: observations less than or equal to `le`. */
export interface HistogramBucket {
  readonly le: number;
  readonly count: number;
}

/**
 * One sample of one metric family. Counters and gauges carry `value`; histograms carry
 * cumulative `buckets` (a `+Inf` bucket is added from `count` when missing), `sum` and `count`.
 * Samples sharing a `name` form one family: HELP and TYPE come from the first of them.
 */
export interface MetricSample {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  value?: number;
  labels?: Record<string, string>;
  buckets?: { le: number; count: number }[];
  sum?: number;
  count?: number;
}

/** The Content-Type of a scrape body. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Replaces characters not allowed in a metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`) with `_`. */
export function metricName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  return /^[0-9]/.test(clean) || clean === "" ? `_${clean}` : clean;
}

/** Replaces characters not allowed in a label name (`[a-zA-Z_][a-zA-Z0-9_]*`) with `_`. */
export function labelName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(clean) || clean === "" ? `_${clean}` : clean;
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Escapes HELP text: backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Formats a sample value: integers plainly, `NaN`, `+Inf`, `-Inf` as the format spells them. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

function labelSet(labels: Labels | undefined, extra?: readonly [string, string]): string {
  const pairs = Object.entries(labels ?? {}).filter(([k]) => k !== extra?.[0]);
  if (extra !== undefined) pairs.push([extra[0], extra[1]]);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${labelName(k)}="${escapeLabelValue(v)}"`).join(",")}}`;
}

function histogramLines(name: string, s: MetricSample): string[] {
  const lines: string[] = [];
  const count = s.count ?? 0;
  let sawInf = false;
  for (const b of s.buckets ?? []) {
    if (b.le === Number.POSITIVE_INFINITY) sawInf = true;
    lines.push(
      `${name}_bucket${labelSet(s.labels, ["le", formatValue(b.le)])} ${formatValue(b.count)}`,
    );
  }
  if (!sawInf) lines.push(`${name}_bucket${labelSet(s.labels, ["le", "+Inf"])} ${count}`);
  lines.push(`${name}_sum${labelSet(s.labels)} ${formatValue(s.sum ?? 0)}`);
  lines.push(`${name}_count${labelSet(s.labels)} ${formatValue(count)}`);
  return lines;
}

/**
 * Renders samples in the text exposition format 0.0.4. Samples are grouped into families by
 * name, in order of first appearance; each family gets one HELP and one TYPE line. Names and
 * label names are sanitised; label values and help text are escaped. Ends with a line feed.
 */
export function formatPrometheus(samples: readonly MetricSample[]): string {
  const families = new Map<string, MetricSample[]>();
  for (const s of samples) {
    const name = metricName(s.name);
    const family = families.get(name);
    if (family === undefined) families.set(name, [s]);
    else family.push(s);
  }
  const lines: string[] = [];
  for (const [name, family] of families) {
    const first = family[0]!;
    lines.push(`# HELP ${name} ${escapeHelp(first.help)}`);
    lines.push(`# TYPE ${name} ${first.type}`);
    for (const s of family) {
      if (first.type === "histogram") lines.push(...histogramLines(name, s));
      else lines.push(`${name}${labelSet(s.labels)} ${formatValue(s.value ?? 0)}`);
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

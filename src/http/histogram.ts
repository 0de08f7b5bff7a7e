// A fixed-bucket histogram for latencies and sizes, rendered as a Prometheus histogram sample.
import type { Labels, MetricSample } from "./prometheus.ts";

/** Latency buckets in seconds, 100 µs to 10 s: fits loopback commands and fsync-bound ones. */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Size buckets (commands per batch, frames per write): powers of two up to 4096. */
export const SIZE_BUCKETS: readonly number[] = [
  1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
];

/**
 * Counts observations into fixed buckets (upper bounds, inclusive), plus their sum and count.
 * Observing is a short linear scan and two additions: cheap enough for every command.
 */
export class Histogram {
  /** Upper bounds, ascending, finite. */
  readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  private readonly counts: number[];
  private total = 0;
  private n = 0;

  /** `bounds` must be finite and strictly ascending. */
  constructor(bounds: readonly number[] = LATENCY_BUCKETS_S) {
    for (let i = 0; i < bounds.length; i++) {
      const b = bounds[i]!;
      if (!Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!)) {
        throw new RangeError("histogram bounds must be finite and strictly ascending");
      }
    }
    this.bounds = [...bounds];
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Observations so far. */
  get count(): number {
    return this.n;
  }

  /** Sum of the observations so far. */
  get sum(): number {
    return this.total;
  }

  /** Records one observation; NaN is ignored. */
  observe(v: number): void {
    if (Number.isNaN(v)) return;
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.total += v;
    this.n++;
  }

  /** Forgets every observation. */
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.n = 0;
  }

  /** The histogram as a sample, with cumulative buckets and a final `+Inf` bucket. */
  toSample(name: string, help: string, labels?: Labels): MetricSample {
    let cumulative = 0;
    const buckets = this.bounds.map((le, i) => {
      cumulative += this.counts[i]!;
      return { le, count: cumulative };
    });
    buckets.push({ le: Number.POSITIVE_INFINITY, count: this.n });
    return {
      name,
      help,
      type: "histogram",
      buckets,
      sum: this.total,
      count: this.n,
      ...(labels === undefined ? {} : { labels: { ...labels } }),
    };
  }
}

// Availability of a chaos run from its history: throughput per second, gaps, recovery per fault kind.
import type { KvOperation } from "./history.ts";
import type { FaultKind } from "./schedule.ts";

/** One fault as the nemesis carried it out; times in the history's milliseconds. */
export interface FaultRecord {
  readonly cycle: number;
  readonly kind: FaultKind;
  /** The replicas killed or paused. */
  readonly replicas: readonly number[];
  readonly injectedAt: number;
  /** When the last target listened again (kills) or got SIGCONT (pauses). */
  readonly healedAt: number;
}

/** Recovery times of one fault kind, ms. */
export interface RecoveryStats {
  readonly count: number;
  /** Faults after which some client never completed an operation again. */
  readonly unrecovered: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** What a run's history says about availability. */
export interface Availability {
  /** Completed operations in each whole second of the workload, from its start. */
  readonly throughput: readonly number[];
  /** The longest stretch of the workload without any completion, ms. */
  readonly longestGapMs: number;
  /** The longest stretch one client waited between two of its completions, ms. */
  readonly longestClientStallMs: number;
  /** By fault kind: from the heal until every client had completed an operation again. */
  readonly recoveryMs: Partial<Record<FaultKind, RecoveryStats>>;
  /**
   * By fault kind: the longest any client went without a completion from the injection until
   * recovery (an election after a leader's kill shows here, since it happens before the heal).
   */
  readonly outageMs: Partial<Record<FaultKind, RecoveryStats>>;
}

const quantile = (sorted: readonly number[], q: number): number | null =>
  sorted.length === 0
    ? null
    : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

/**
 * Availability of the workload that ran from `start` to `end` (ms) with the given faults.
 * Recovery after a fault is measured from its heal to the moment every client (`clients`, by
 * number) has completed an operation at or after the heal: a client whose command went to a group
 * that is still down is stuck until that group serves again, so the slowest client shows when
 * the cluster as a whole works again, where the next completion anywhere would only show that
 * some other group never stopped.
 */
export function availability(
  history: readonly KvOperation[],
  clients: readonly number[],
  faults: readonly FaultRecord[],
  start: number,
  end: number,
): Availability {
  const inRun = history.filter((op) => op.output !== undefined && op.ret >= start && op.ret <= end);
  const times = inRun.map((op) => op.ret).sort((a, b) => a - b);
  const seconds = Math.max(1, Math.ceil((end - start) / 1000));
  const throughput = new Array<number>(seconds).fill(0);
  for (const t of times) throughput[Math.min(seconds - 1, Math.floor((t - start) / 1000))]!++;
  let longestGapMs = 0;
  let prev = start;
  for (const t of [...times, end]) {
    longestGapMs = Math.max(longestGapMs, t - prev);
    prev = t;
  }
  const byClient = new Map<number, number[]>();
  for (const op of inRun) {
    const list = byClient.get(op.client);
    if (list === undefined) byClient.set(op.client, [op.ret]);
    else list.push(op.ret);
  }
  let longestClientStallMs = 0;
  for (const c of clients) {
    const list = (byClient.get(c) ?? []).sort((a, b) => a - b);
    let p = start;
    for (const t of [...list, end]) {
      longestClientStallMs = Math.max(longestClientStallMs, t - p);
      p = t;
    }
  }
  const sorted = new Map<number, number[]>();
  for (const c of clients)
    sorted.set(
      c,
      [...(byClient.get(c) ?? [])].sort((a, b) => a - b),
    );
  const recovery = new Map<FaultKind, { ms: number[]; unrecovered: number }>();
  const outage = new Map<FaultKind, { ms: number[]; unrecovered: number }>();
  const sample = (
    into: Map<FaultKind, { ms: number[]; unrecovered: number }>,
    kind: FaultKind,
    ms: number,
  ): void => {
    const s = into.get(kind) ?? { ms: [], unrecovered: 0 };
    if (Number.isFinite(ms)) s.ms.push(ms);
    else s.unrecovered++;
    into.set(kind, s);
  };
  for (const f of faults) {
    let recoveredAt = f.healedAt;
    for (const c of clients) {
      const next = sorted.get(c)!.find((t) => t >= f.healedAt);
      recoveredAt = next === undefined ? Number.POSITIVE_INFINITY : Math.max(recoveredAt, next);
      if (next === undefined) break;
    }
    sample(recovery, f.kind, recoveredAt - f.healedAt);
    let longest = 0;
    const until = Math.min(recoveredAt, end);
    for (const c of clients) {
      let p = f.injectedAt;
      for (const t of [...sorted.get(c)!, end]) {
        if (t <= f.injectedAt) continue;
        longest = Math.max(longest, t - p);
        if (t >= until) break;
        p = t;
      }
    }
    sample(outage, f.kind, Number.isFinite(recoveredAt) ? longest : recoveredAt);
  }
  const stats = (
    from: Map<FaultKind, { ms: number[]; unrecovered: number }>,
  ): Partial<Record<FaultKind, RecoveryStats>> => {
    const out: Partial<Record<FaultKind, RecoveryStats>> = {};
    const round = (v: number | null): number | null => (v === null ? null : Math.round(v));
    for (const [kind, s] of from) {
      const ms = s.ms.sort((a, b) => a - b);
      out[kind] = {
        count: ms.length + s.unrecovered,
        unrecovered: s.unrecovered,
        p50: round(quantile(ms, 0.5)),
        p99: round(quantile(ms, 0.99)),
        max: round(ms.at(-1) ?? null),
      };
    }
    return out;
  };
  return {
    throughput,
    longestGapMs: Math.round(longestGapMs),
    longestClientStallMs: Math.round(longestClientStallMs),
    recoveryMs: stats(recovery),
    outageMs: stats(outage),
  };
}

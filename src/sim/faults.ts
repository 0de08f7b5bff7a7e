// Fault schedules for the simulator: which kinds of faults to inject, and when, from a seed.
import { ConfigError, InputError } from "../core/errors.ts";
import type { Rng } from "./rng.ts";

/** A kind of fault the simulator can inject. */
export type FaultKind = "crash" | "partition" | "oneway" | "drop" | "duplicate";

/** Every fault kind, in a fixed order. */
export const faultKinds: readonly FaultKind[] = [
  "crash",
  "partition",
  "oneway",
  "drop",
  "duplicate",
];

/** Named presets accepted by {@link parseFaults} as the whole spec. */
const presets: ReadonlyMap<string, readonly FaultKind[]> = new Map([
  ["none", []],
  ["crash", ["crash"]],
  ["partition", ["partition", "oneway"]],
  ["all", faultKinds],
]);

/**
 * Parses a `--faults` value: one of the presets `none`, `crash`, `partition` (symmetric
 * partitions and one-way cuts) or `all`, or a comma-separated list of kinds (`crash`,
 * `partition`, `oneway`, `drop`, `duplicate`; in a list `partition` means symmetric partitions
 * only). Case and spaces around names are ignored. Throws InputError on an unknown name.
 */
export function parseFaults(spec: string): Set<FaultKind> {
  const whole = spec.trim().toLowerCase();
  const preset = presets.get(whole);
  if (preset !== undefined) return new Set(preset);
  const kinds = new Set<FaultKind>();
  for (const raw of whole.split(",")) {
    const name = raw.trim();
    const kind = faultKinds.find((k) => k === name);
    if (kind === undefined) {
      const what = name === "" ? "an empty fault name" : `unknown fault kind "${name}"`;
      throw new InputError(
        `faults: ${what} in "${spec}"; use none, crash, partition, all, or a comma-separated ` +
          `list of ${faultKinds.join(", ")}`,
      );
    }
    kinds.add(kind);
  }
  return kinds;
}

/** One scheduled fault or recovery. `heal` restores every link; `rates` sets network rates. */
export type FaultEvent = { readonly at: number } & (
  | { readonly type: "crash"; readonly node: number }
  | { readonly type: "restart"; readonly node: number }
  | { readonly type: "partition"; readonly sides: readonly (readonly number[])[] }
  | { readonly type: "cut"; readonly from: number; readonly to: number }
  | { readonly type: "heal" }
  | { readonly type: "rates"; readonly dropRate: number; readonly duplicateRate: number }
);

/** What to generate: kinds, targets, the time window and how hard to hit. */
export interface FaultScheduleOptions {
  /** Kinds of faults to inject. */
  readonly kinds: ReadonlySet<FaultKind>;
  /** Replicas that may crash or be partitioned. */
  readonly nodes: readonly number[];
  /** Clients, which partitions may place on one side (or leave connected to everyone). */
  readonly clients?: readonly number[];
  /**
   * Replica groups: when given, `maxDown` bounds the crashed replicas of each group rather than
   * of all `nodes` together (groups must partition `nodes`; nodes in no group are unbounded).
   */
  readonly groups?: readonly (readonly number[])[];
  /** First time a fault may start. */
  readonly start: number;
  /** Time by which everything is healed and restarted, so liveness can be checked after. */
  readonly end: number;
  /** Mean time between fault starts (exponentially distributed, > 0). */
  readonly meanGap: number;
  /** Most nodes crashed at once (per group when `groups` is given), e.g. a minority. */
  readonly maxDown: number;
  /** Occasionally (one crash in ten that would exceed `maxDown`) crash beyond it anyway. */
  readonly allowMajorityLoss?: boolean;
  /** How long a fault lasts, inclusive bounds. */
  readonly downtime: { readonly min: number; readonly max: number };
  /** Rates the network returns to after a burst; default no loss and no duplicates. */
  readonly baseRates?: { readonly dropRate: number; readonly duplicateRate: number };
  /** Highest drop rate of a burst (default 0.3). */
  readonly maxDropRate?: number;
  /** Highest duplicate rate of a burst (default 0.2). */
  readonly maxDuplicateRate?: number;
}

/** A burst rate in hundredths, from 0.01 up to `max` (0 when `max` is 0). */
function burstRate(rng: Rng, max: number): number {
  if (max <= 0) return 0;
  return Math.min(max, (1 + rng.int(Math.ceil(max * 100))) / 100);
}

/** Chance that a crash over the `maxDown` cap is let through when `allowMajorityLoss` is set. */
const majorityLossChance = 0.1;

function validate(o: FaultScheduleOptions): void {
  const bad = (field: string, why: string): never => {
    throw new ConfigError(`fault schedule ${field} ${why}`);
  };
  if (!Number.isFinite(o.start)) bad("start", `must be finite, got ${o.start}`);
  if (!(Number.isFinite(o.end) && o.end >= o.start)) bad("end", `must be >= start, got ${o.end}`);
  if (!(Number.isFinite(o.meanGap) && o.meanGap > 0))
    bad("meanGap", `must be > 0, got ${o.meanGap}`);
  if (!(Number.isInteger(o.maxDown) && o.maxDown >= 0)) {
    bad("maxDown", `must be an integer >= 0, got ${o.maxDown}`);
  }
  const { min, max } = o.downtime;
  if (!(Number.isInteger(min) && min >= 0))
    bad("downtime.min", `must be an integer >= 0, got ${min}`);
  if (!(Number.isInteger(max) && max >= min))
    bad("downtime.max", `must be an integer >= min, got ${max}`);
  for (const [field, v] of [
    ["baseRates.dropRate", o.baseRates?.dropRate ?? 0],
    ["baseRates.duplicateRate", o.baseRates?.duplicateRate ?? 0],
    ["maxDropRate", o.maxDropRate ?? 0],
    ["maxDuplicateRate", o.maxDuplicateRate ?? 0],
  ] as const) {
    if (!(v >= 0 && v <= 1)) bad(field, `must be in [0, 1], got ${v}`);
  }
}

/**
 * A random schedule of faults in [start, end), sorted by time (stable: a recovery and a new fault
 * at the same time keep recovery first). Every crash is followed by a restart of that node, every
 * partition or cut by a heal, every burst of drops or duplicates by a return to the base rates;
 * none lasts past `end`, and at `end` the network is healed and reset once more. At most one
 * network episode (a partition, or a set of one-way cuts) and one rate burst run at a time, since
 * `heal` and `rates` act on the whole network. Pass a fork of the run's generator.
 */
export function generateFaultSchedule(rng: Rng, o: FaultScheduleOptions): FaultEvent[] {
  validate(o);
  const events: FaultEvent[] = [];
  const nodes = o.nodes;
  const clients = o.clients ?? [];
  const base = o.baseRates ?? { dropRate: 0, duplicateRate: 0 };
  const maxDrop = o.maxDropRate ?? 0.3;
  const maxDup = o.maxDuplicateRate ?? 0.2;
  const groupOf = new Map<number, number>();
  o.groups?.forEach((g, i) => {
    for (const n of g) groupOf.set(n, i);
  });

  /** Crashed nodes and when they come back, in crash order. */
  const down = new Map<number, number>();
  let netFreeAt = o.start;
  let ratesFreeAt = o.start;
  const until = (t: number): number =>
    Math.min(t + rng.range(o.downtime.min, o.downtime.max), o.end);

  const downInGroup = (n: number): number => {
    const g = groupOf.get(n);
    if (o.groups !== undefined && g === undefined) return 0;
    let count = 0;
    for (const d of down.keys()) if (g === undefined || groupOf.get(d) === g) count++;
    return count;
  };
  const crashable = (): number[] => nodes.filter((n) => !down.has(n) && downInGroup(n) < o.maxDown);

  let t = o.start;
  for (;;) {
    t += Math.max(1, Math.round(rng.exponential(o.meanGap)));
    if (t >= o.end) break;
    for (const [n, back] of down) if (back <= t) down.delete(n);

    const possible: FaultKind[] = [];
    for (const k of faultKinds) {
      if (!o.kinds.has(k)) continue;
      if (k === "crash") {
        // At the cap, offer a crash only when majority loss may let it through.
        const up = nodes.some((n) => !down.has(n));
        if (crashable().length > 0 || (up && o.allowMajorityLoss)) possible.push(k);
      }
      if ((k === "partition" || k === "oneway") && nodes.length >= 2 && t >= netFreeAt) {
        possible.push(k);
      }
      if ((k === "drop" || k === "duplicate") && t >= ratesFreeAt) possible.push(k);
    }
    if (possible.length === 0) continue;

    const kind = rng.pick(possible);
    switch (kind) {
      case "crash": {
        let candidates = crashable();
        if (candidates.length === 0 && o.allowMajorityLoss && rng.chance(majorityLossChance)) {
          candidates = nodes.filter((n) => !down.has(n));
        }
        if (candidates.length === 0) break;
        const node = rng.pick(candidates);
        const back = until(t);
        down.set(node, back);
        events.push({ at: t, type: "crash", node }, { at: back, type: "restart", node });
        break;
      }
      case "partition": {
        // Two sides usually, sometimes three; every side gets at least one replica.
        const shuffled = rng.shuffle(nodes.slice());
        const k = nodes.length >= 3 && rng.chance(0.25) ? 3 : 2;
        const sides: number[][] = Array.from({ length: k }, () => []);
        shuffled.forEach((n, i) => {
          const side = i < k ? i : rng.int(k);
          sides[side]?.push(n);
        });
        for (const c of clients) if (rng.chance(0.5)) sides[rng.int(k)]?.push(c);
        const back = until(t);
        netFreeAt = back;
        events.push({ at: t, type: "partition", sides }, { at: back, type: "heal" });
        break;
      }
      case "oneway": {
        const count = rng.range(1, Math.min(3, nodes.length - 1));
        for (let i = 0; i < count; i++) {
          const from = rng.pick(nodes);
          let to = rng.pick(nodes);
          while (to === from) to = rng.pick(nodes);
          events.push({ at: t, type: "cut", from, to });
        }
        const back = until(t);
        netFreeAt = back;
        events.push({ at: back, type: "heal" });
        break;
      }
      case "drop":
      case "duplicate": {
        // A burst of the chosen kind, sometimes of both when both are enabled.
        const both = o.kinds.has("drop") && o.kinds.has("duplicate") && rng.chance(0.3);
        const dropRate = kind === "drop" || both ? burstRate(rng, maxDrop) : base.dropRate;
        const duplicateRate =
          kind === "duplicate" || both ? burstRate(rng, maxDup) : base.duplicateRate;
        const back = until(t);
        ratesFreeAt = back;
        events.push(
          { at: t, type: "rates", dropRate, duplicateRate },
          { at: back, type: "rates", dropRate: base.dropRate, duplicateRate: base.duplicateRate },
        );
        break;
      }
    }
  }

  if (o.kinds.has("partition") || o.kinds.has("oneway")) events.push({ at: o.end, type: "heal" });
  if (o.kinds.has("drop") || o.kinds.has("duplicate")) {
    events.push({
      at: o.end,
      type: "rates",
      dropRate: base.dropRate,
      duplicateRate: base.duplicateRate,
    });
  }
  // Array.prototype.sort is stable, so equal times keep generation order.
  return events.sort((a, b) => a.at - b.at);
}

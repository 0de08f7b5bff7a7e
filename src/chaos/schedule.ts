// The nemesis's seeded schedule: which fault each cycle injects, on which replicas, for how long.
import { InputError } from "../core/errors.ts";
import { Rng } from "../sim/rng.ts";

/** The faults the nemesis knows. */
export const FAULT_KINDS = [
  "kill",
  "leader",
  "oracle",
  "two-groups",
  "majority",
  "pause",
  "pause-leader",
] as const;

/** One kind of fault: SIGKILL (then restart) or SIGSTOP (then SIGCONT) of some replicas. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Faults that SIGKILL and restart a replica. With in-memory logs a restarted replica comes back
 * without its term, vote and log, which Raft's safety needs persisted: a violation after such a
 * restart would be the experiment's fault, not the system's, so these need logs on disk.
 */
export const KILL_FAULTS: ReadonlySet<FaultKind> = new Set([
  "kill",
  "leader",
  "oracle",
  "two-groups",
  "majority",
]);

/** The groups of the cluster as the schedule sees them. */
export interface ChaosTopology {
  /** The oracle's group id (null in S-SMR mode: no oracle). */
  readonly oracle: number | null;
  readonly groups: readonly { readonly id: number; readonly replicas: readonly number[] }[];
}

/** One cycle of the nemesis. */
export interface FaultPlan {
  /** From 0. */
  readonly cycle: number;
  readonly kind: FaultKind;
  /** The group whose leader is the target (leader kinds), resolved when the fault is injected. */
  readonly leaderOf: number | null;
  /** The replicas to kill or pause (empty for leader kinds: the leader is known only then). */
  readonly replicas: readonly number[];
  /** How long the fault lasts before it is healed, ms. */
  readonly downMs: number;
  /** Quiet time after recovery before the next fault, ms. */
  readonly settleMs: number;
}

/** Bounds of the schedule's random durations. */
export interface ScheduleTiming {
  readonly minDownMs: number;
  readonly maxDownMs: number;
  readonly minSettleMs: number;
  readonly maxSettleMs: number;
}

/** Default durations: long enough for an election (about 0.3 s) to happen while a fault lasts. */
export const DEFAULT_TIMING: ScheduleTiming = {
  minDownMs: 500,
  maxDownMs: 2_000,
  minSettleMs: 200,
  maxSettleMs: 1_000,
};

/** Parses `--faults`: `all`, or a comma list of FAULT_KINDS. */
export function parseFaultKinds(spec: string): FaultKind[] {
  if (spec.trim() === "all") return [...FAULT_KINDS];
  const kinds: FaultKind[] = [];
  for (const raw of spec.split(",")) {
    const k = raw.trim();
    if (!(FAULT_KINDS as readonly string[]).includes(k)) {
      throw new InputError(
        `--faults: unknown fault "${k}"; use all or some of ${FAULT_KINDS.join(",")}`,
      );
    }
    if (!kinds.includes(k as FaultKind)) kinds.push(k as FaultKind);
  }
  if (kinds.length === 0) throw new InputError("--faults: name at least one fault");
  return kinds;
}

/**
 * The schedule of `cycles` faults for `seed`: a pure function of its arguments, so a run's faults
 * can be replayed from its seed (the leader a leader fault hits depends on the run, the rest not).
 */
export function planFaults(
  seed: number,
  cycles: number,
  kinds: readonly FaultKind[],
  topology: ChaosTopology,
  timing: ScheduleTiming = DEFAULT_TIMING,
): FaultPlan[] {
  if (kinds.length === 0) throw new InputError("the nemesis needs at least one fault kind");
  const rng = new Rng(seed).fork("nemesis");
  const between = (lo: number, hi: number): number => lo + rng.int(hi - lo + 1);
  const groups = topology.groups;
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const oracle = groups.find((g) => g.id === topology.oracle);
  const plans: FaultPlan[] = [];
  for (let cycle = 0; cycle < cycles; cycle++) {
    let kind = pick(kinds);
    // Without an oracle, or with one group, these fall back to a plain kill.
    if (kind === "oracle" && oracle === undefined) kind = "kill";
    if (kind === "two-groups" && groups.length < 2) kind = "kill";
    let leaderOf: number | null = null;
    let replicas: number[] = [];
    switch (kind) {
      case "kill":
      case "pause":
        replicas = [pick(pick(groups).replicas)];
        break;
      case "leader":
      case "pause-leader":
        leaderOf = pick(groups).id;
        break;
      case "oracle":
        replicas = [pick(oracle!.replicas)];
        break;
      case "two-groups": {
        const a = rng.int(groups.length);
        const b = (a + 1 + rng.int(groups.length - 1)) % groups.length;
        replicas = [pick(groups[a]!.replicas), pick(groups[b]!.replicas)];
        break;
      }
      case "majority": {
        const g = pick(groups);
        const shuffled = [...g.replicas];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        replicas = shuffled.slice(0, Math.floor(g.replicas.length / 2) + 1);
        break;
      }
    }
    plans.push({
      cycle,
      kind,
      leaderOf,
      replicas,
      downMs: between(timing.minDownMs, timing.maxDownMs),
      settleMs: between(timing.minSettleMs, timing.maxSettleMs),
    });
  }
  return plans;
}

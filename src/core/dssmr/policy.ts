// Destination policies: where a command whose variables span partitions gathers them.
import type { PartitionId, VarId } from "./types.ts";

/** Names of the destination policies. */
export const POLICIES = ["random", "most"] as const;
/**
 * - `random`: a random partition among those involved (the DS-SMR paper's default);
 * - `most`: the partition already holding most of the variables (DynaStar's rule: fewer moves),
 *   each variable weighted by its heat (the proxy passes 1 + log2(1 + commands of the client
 *   process that touched it)),
 *   among those the move would not push past the balance cap; ties go to the partition of the
 *   command's first variable, then to the least loaded, then to the lowest id. Deterministic.
 *   The weight is what lets a community split between two partitions merge: by plain counts
 *   each half wins its own commands and the followers they share go back and forth for ever
 *   (Post at 4 simulated partitions never settled); weighted, every command that touches the
 *   community's hot variables gathers where they are, and they stop moving.
 */
export type DestinationPolicy = (typeof POLICIES)[number];

/**
 * How far above an even share a partition may grow by gathering (0.2: 20%, the imbalance
 * DynaStar allows its partitioner). Without a cap, several communities can pile into one
 * partition, which then bounds the throughput of all.
 */
export const BALANCE_SLACK = 0.2;

/** What the policy may know besides the locations. */
export interface PolicyContext {
  /** Variables per partition as the client last heard from the oracle (empty: unknown). */
  readonly loads?: ReadonlyMap<PartitionId, number>;
  /** The command's first declared variable (its subject: the author, the follower). */
  readonly first?: VarId;
  /** How often the client saw each variable in its commands (absent: every variable counts 1). */
  readonly heat?: (v: VarId) => number;
}

/** Chooses the destination partition for variables at `locations` (non-empty). */
export function chooseDestination(
  policy: DestinationPolicy,
  locations: ReadonlyMap<VarId, PartitionId>,
  random: () => number,
  ctx: PolicyContext = {},
): PartitionId {
  const counts = new Map<PartitionId, number>();
  for (const p of locations.values()) counts.set(p, (counts.get(p) ?? 0) + 1);
  const weight = new Map<PartitionId, number>();
  for (const [v, p] of locations) weight.set(p, (weight.get(p) ?? 0) + (ctx.heat?.(v) ?? 1));
  let candidates = [...counts.keys()].sort((a, b) => a - b);
  if (candidates.length === 0) throw new RangeError("chooseDestination: no locations");
  if (policy === "random") return candidates[Math.floor(random() * candidates.length)]!;
  const loads = ctx.loads ?? new Map<PartitionId, number>();
  const load = (p: PartitionId): number => loads.get(p) ?? 0;
  if (loads.size > 0) {
    let total = 0;
    for (const n of loads.values()) total += n;
    const cap = Math.ceil((total / loads.size) * (1 + BALANCE_SLACK));
    const fits = candidates.filter((p) => load(p) + locations.size - counts.get(p)! <= cap);
    if (fits.length > 0) candidates = fits;
  }
  const best = Math.max(...candidates.map((p) => weight.get(p)!));
  candidates = candidates.filter((p) => weight.get(p) === best);
  if (candidates.length === 1) return candidates[0]!;
  const home = ctx.first === undefined ? undefined : locations.get(ctx.first);
  if (home !== undefined && candidates.includes(home)) return home;
  return candidates.reduce((a, b) => (load(b) < load(a) ? b : a));
}

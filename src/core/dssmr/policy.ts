// Destination policies: where a command whose variables span partitions gathers them.
import type { PartitionId, VarId } from "./types.ts";

/** Names of the destination policies. */
export const POLICIES = ["random", "most"] as const;
/**
 * - `random`: a random partition among those involved (the DS-SMR paper's default);
 * - `most`: the partition already holding most of the variables, ties broken at random
 *   (DynaStar's rule: fewer moves).
 */
export type DestinationPolicy = (typeof POLICIES)[number];

/** Chooses the destination partition for variables at `locations` (non-empty). */
export function chooseDestination(
  policy: DestinationPolicy,
  locations: ReadonlyMap<VarId, PartitionId>,
  random: () => number,
): PartitionId {
  const counts = new Map<PartitionId, number>();
  for (const p of locations.values()) counts.set(p, (counts.get(p) ?? 0) + 1);
  let candidates = [...counts.keys()].sort((a, b) => a - b);
  if (policy === "most") {
    const best = Math.max(...counts.values());
    candidates = candidates.filter((p) => counts.get(p) === best);
  }
  const pick = candidates[Math.floor(random() * candidates.length)];
  if (pick === undefined) throw new RangeError("chooseDestination: no locations");
  return pick;
}

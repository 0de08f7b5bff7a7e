// Chirper's default placement of a new user: its community tag if it has one, else a stable hash.
import type { PartitionId } from "../../core/dssmr/types.ts";
import { hashPlacement } from "../placement.ts";

const TAG = /^c(\d{1,9}):/;

/**
 * Places users "by interest": a name tagged with a community, like `c3:alice`, goes to the
 * partition at position (3 mod n) so a community starts out together; any other name goes where
 * its name hash (hashPlacement) says. Deterministic, so the oracle's choice is the same at every replica.
 */
export function placeByInterest(user: string, partitions: readonly PartitionId[]): PartitionId {
  const m = TAG.exec(user);
  if (m === null || partitions.length === 0) return hashPlacement(user, partitions);
  return partitions[Number(m[1]) % partitions.length]!;
}

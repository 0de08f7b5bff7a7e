// Placement functions for graph users: by community (strong locality) or at random (the paper's setup).

import { hashPlacement } from "../apps/placement.ts";
import type { PartitionId } from "../core/dssmr/types.ts";
import type { SocialGraph } from "./social-graph.ts";

/** A placement function, as createChirper's `place` option takes it. */
export type Placement = (user: string, partitions: readonly PartitionId[]) => PartitionId;

/**
 * Places each graph user in the partition at position (community mod n): with crossFraction 0
 * every command is then single-partition from the start. Names not in the graph are hashed.
 */
export function placeByCommunity(graph: SocialGraph): Placement {
  const index = new Map(graph.users.map((u, i) => [u, i]));
  return (user, partitions) => {
    const i = index.get(user);
    if (i === undefined || partitions.length === 0) return hashPlacement(user, partitions);
    return partitions[graph.community[i]! % partitions.length]!;
  };
}

/**
 * Places users uniformly at random, independently of communities, yet deterministically: a hash
 * of the name mixed with `seed`. Different seeds give unrelated placements.
 */
export function placeRandomly(seed: number): Placement {
  return (user, partitions) => hashPlacement(`${seed >>> 0}/${user}`, partitions);
}

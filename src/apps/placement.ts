// Stable hash placement: a variable's partition from a 32-bit FNV-1a hash of its name.

import type { PartitionId, VarId } from "../core/dssmr/types.ts";
import { invariant } from "../core/errors.ts";

/**
 * FNV-1a over the UTF-16 code units of `s`. Stable across runs, processes and platforms, unlike
 * anything seeded, so every client and the oracle agree on where a name hashes to.
 */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The partition at position `fnv1a(variable) mod n` of `partitions`. Callers must pass the
 * partitions in the same order every time (the cluster's configured order), since the choice is
 * by position.
 */
export function hashPlacement(variable: VarId, partitions: readonly PartitionId[]): PartitionId {
  invariant(partitions.length > 0, "placement needs at least one partition");
  return partitions[fnv1a(variable) % partitions.length]!;
}

// Stable hash placement: a variable's partition from a mixed 32-bit FNV-1a hash of its name.

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
 * MurmurHash3's 32-bit finaliser. FNV-1a's low bits depend only on the low bits of the input
 * characters, so `fnv1a(s) mod 4` barely mixes; the finaliser spreads every bit over all of them.
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stable, well-mixed 32-bit hash of a name. */
export function nameHash(s: string): number {
  return fmix32(fnv1a(s));
}

/**
 * The partition at position `nameHash(variable) mod n` of `partitions`. Callers must pass the
 * partitions in the same order every time (the cluster's configured order), since the choice is
 * by position.
 */
export function hashPlacement(variable: VarId, partitions: readonly PartitionId[]): PartitionId {
  invariant(partitions.length > 0, "placement needs at least one partition");
  return partitions[nameHash(variable) % partitions.length]!;
}

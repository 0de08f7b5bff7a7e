// What a client process knows of the oracle's map: where variables live and which ones commands learned.
import type { PartitionId, VarId } from "./types.ts";

/** Bounds of a location cache. */
export interface LocationCacheOptions {
  /** Most locations remembered (the oldest go first). Default 1,000,000. */
  readonly maxLocations?: number;
  /** Most learned variable sets remembered. Default 65,536. */
  readonly maxLearned?: number;
  /** Most variables in one learned set. Default 4,096. */
  readonly maxLearnedVars?: number;
}

/**
 * One per client process, shared by every proxy (and every command) of that process, so that what
 * one command learns from the oracle or from a partition's retry routes the next one.
 *
 * Invariants: at most `maxLocations` locations and `maxLearned` sets of at most `maxLearnedVars`
 * variables each; everything here is a hint (a wrong entry costs a retry, never correctness).
 */
export class LocationCache {
  private readonly locations = new Map<VarId, PartitionId>();
  private readonly learnedSets = new Map<string, readonly VarId[]>();
  /** Variables per partition: the oracle's last word, adjusted by the moves sent since. */
  readonly loads = new Map<PartitionId, number>();
  private readonly maxLocations: number;
  private readonly maxLearned: number;
  private readonly maxLearnedVars: number;

  constructor(opts: LocationCacheOptions = {}) {
    this.maxLocations = opts.maxLocations ?? 1_000_000;
    this.maxLearned = opts.maxLearned ?? 65_536;
    this.maxLearnedVars = opts.maxLearnedVars ?? 4096;
  }

  /** Locations held. */
  get size(): number {
    return this.locations.size;
  }

  get(v: VarId): PartitionId | undefined {
    return this.locations.get(v);
  }

  set(v: VarId, p: PartitionId): void {
    this.locations.delete(v);
    this.locations.set(v, p);
    if (this.locations.size > this.maxLocations) {
      this.locations.delete(this.locations.keys().next().value as VarId);
    }
  }

  delete(v: VarId): void {
    this.locations.delete(v);
  }

  /** Commands this process sent that touched each variable (its heat). */
  private readonly heat = new Map<VarId, number>();

  /** Counts one more command touching each of `vars`. */
  touched(vars: readonly VarId[]): void {
    for (const v of vars) this.heat.set(v, (this.heat.get(v) ?? 0) + 1);
    if (this.heat.size > this.maxLocations) this.heat.clear();
  }

  /** How many of this process's commands touched `v`. */
  heatOf(v: VarId): number {
    return this.heat.get(v) ?? 0;
  }

  /** Replaces the load estimate with the oracle's counts. */
  setLoads(loads: readonly (readonly [PartitionId, number])[]): void {
    this.loads.clear();
    for (const [p, n] of loads) this.loads.set(p, n);
  }

  /** Adjusts the load estimate for `n` variables sent from one partition to another. */
  moved(from: PartitionId, to: PartitionId, n: number): void {
    if (this.loads.size === 0) return;
    this.loads.set(from, (this.loads.get(from) ?? 0) - n);
    this.loads.set(to, (this.loads.get(to) ?? 0) + n);
  }

  /** Variables the last command with this key turned out to need (empty when unknown). */
  learned(key: string): readonly VarId[] {
    return this.learnedSets.get(key) ?? [];
  }

  /** Remembers what a command with this key needed, beyond what it declared. */
  learn(key: string, vars: readonly VarId[]): void {
    this.learnedSets.delete(key);
    if (vars.length === 0) return;
    this.learnedSets.set(key, vars.slice(0, this.maxLearnedVars));
    if (this.learnedSets.size > this.maxLearned) {
      this.learnedSets.delete(this.learnedSets.keys().next().value as string);
    }
  }
}

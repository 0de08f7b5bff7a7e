// An in-memory VarView over a Map, with buffered writes: for tests and sequential reference runs.
import type { VarView } from "../core/dssmr/app.ts";
import type { VarId } from "../core/dssmr/types.ts";

/**
 * A VarView whose variables are the entries of a map. Writes are buffered and reach the map only
 * on {@link MapView.commit}; reads see the command's own earlier writes, as the engine's view does.
 */
export class MapView<Val> implements VarView<Val> {
  /** Every variable the command asked for, in first-asked order. */
  readonly asked = new Set<VarId>();
  /** Buffered writes, in first-write order. */
  readonly writes = new Map<VarId, Val>();
  private readonly base: ReadonlyMap<VarId, Val>;

  constructor(base: ReadonlyMap<VarId, Val>) {
    this.base = base;
  }

  get(v: VarId): Val | undefined {
    this.asked.add(v);
    return this.writes.get(v) ?? this.base.get(v);
  }

  set(v: VarId, value: Val): void {
    this.writes.set(v, value);
  }

  /** Variables asked for that the base map does not hold. */
  missing(): VarId[] {
    return [...this.asked].filter((v) => !this.base.has(v));
  }

  /** Applies the buffered writes to `target` (only to variables it holds, like a partition). */
  commit(target: Map<VarId, Val>): void {
    for (const [v, value] of this.writes) if (target.has(v)) target.set(v, value);
  }
}

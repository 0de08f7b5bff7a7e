// The variables a command sees while it executes, with buffered writes and a record of what it asked for.
import type { VarView } from "./app.ts";
import type { Stopped } from "./exec-queue.ts";
import type { VarId } from "./types.ts";

/** Freezes a plain value deeply, so that a stored value can never change behind our back. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * A view over the partition's own variables plus, in S-SMR execution, values other partitions
 * sent. Writes are buffered until `commit`; reads see earlier writes of the same command. With
 * `held`, the first read of a held variable records a stop point: the execution must then be
 * thrown away (what it reads from there on may still change).
 */
export class ExecView<Val> implements VarView<Val> {
  /** Every variable the command asked for, in order. */
  readonly requested = new Set<VarId>();
  private readonly writes = new Map<VarId, Val>();
  private readonly local: ReadonlyMap<VarId, Val>;
  private readonly remote: ReadonlyMap<VarId, Val> | null;
  private readonly held: ReadonlySet<VarId> | null;
  /** Set by the first read of a held variable. */
  stopped: Stopped | null = null;

  constructor(
    local: ReadonlyMap<VarId, Val>,
    remote: ReadonlyMap<VarId, Val> | null,
    held: ReadonlySet<VarId> | null = null,
  ) {
    this.local = local;
    this.remote = remote;
    this.held = held;
  }

  get(v: VarId): Val | undefined {
    this.requested.add(v);
    if (this.stopped === null && this.held?.has(v)) {
      this.stopped = { on: v, read: [...this.requested] };
    }
    return this.writes.get(v) ?? this.local.get(v) ?? this.remote?.get(v);
  }

  set(v: VarId, value: Val): void {
    this.writes.set(v, value);
  }

  /** Variables asked for that this partition does not hold (nor received). */
  missing(): VarId[] {
    return [...this.requested].filter((v) => !this.local.has(v) && !this.remote?.has(v));
  }

  /** Applies the buffered writes to the variables this partition owns; others are dropped. */
  commit(owned: Map<VarId, Val>): void {
    for (const [v, value] of this.writes) {
      if (owned.has(v)) owned.set(v, deepFreeze(value));
    }
  }
}

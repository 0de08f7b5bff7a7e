// The key-value store as a replicated state machine.
import type { StateMachine } from "../replica/state-machine.ts";
import { type KvOp, type KvResult, type KvState, kvApply, kvIsReadOnly } from "./kv.ts";

/** Snapshot of the store: its entries in insertion order. */
export type KvSnapshot = readonly (readonly [string, string])[];

/** The key-value store of kv.ts behind the StateMachine interface. */
export class KvMachine implements StateMachine<KvOp, KvResult, KvSnapshot> {
  private state: KvState = new Map();

  apply(op: KvOp): KvResult {
    return kvApply(this.state, op);
  }

  isReadOnly(op: KvOp): boolean {
    return kvIsReadOnly(op);
  }

  snapshot(): KvSnapshot {
    return [...this.state];
  }

  restore(snap: KvSnapshot): void {
    this.state = new Map(snap);
  }
}

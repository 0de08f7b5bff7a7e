// The application interface a replicated group runs: deterministic commands over serialisable state.

/**
 * A deterministic state machine. Every replica of a group applies the same commands in the same
 * order and must reach the same state and results; `apply` may not read clocks, randomness or I/O.
 */
export interface StateMachine<Op, Res, Snap> {
  /** Applies one command and returns its result. */
  apply(op: Op): Res;
  /** True when `op` never changes the state (used only to reproduce the `stale-read` bug). */
  isReadOnly(op: Op): boolean;
  /** A serialisable copy of the state that later changes to the machine do not affect. */
  snapshot(): Snap;
  /** Replaces the whole state with a snapshot taken by `snapshot()`. */
  restore(snap: Snap): void;
}

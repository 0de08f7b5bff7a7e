// The sequential specification a linearizability checker compares histories against.

import type { Operation } from "./history.ts";

/**
 * A sequential specification of an object (in the style of Porcupine's models). The checker
 * looks for an order of the operations, consistent with real time, in which every observed
 * output is what `step` allows.
 */
export interface Model<S, I, O> {
  /** The initial state. */
  init(): S;
  /**
   * The state after applying `input`, if `output` is a legal result from `state` (undefined
   * output = anything goes); undefined if illegal. Must not mutate `state`: the search keeps
   * earlier states to backtrack to.
   */
  step(state: S, input: I, output: O | undefined): S | undefined;
  /** A string that is equal for equal states (memoisation key). */
  key(state: S): string;
  /**
   * Optional: split the history into independent sub-histories that can be checked separately
   * (linearizability is compositional, so the whole is linearizable iff every part is). Parts may
   * leave out operations that cannot affect any verdict.
   */
  partition?(ops: readonly Operation<I, O>[]): Operation<I, O>[][];
  /** Optional: a short human-readable rendering of an operation, for failure explanations. */
  describe?(input: I, output: O | undefined): string;
}

// Linearizability checking of a concurrent history against a sequential model.

import { explainFailure } from "./explain.ts";
import { type Operation, validateHistory } from "./history.ts";
import type { Model } from "./model.ts";
import { searchLinearization } from "./search.ts";

/** Default search budget per partition, in steps. */
export const DEFAULT_MAX_STEPS = 5_000_000;

/** Options of {@link checkLinearizable}. */
export interface LinOptions {
  /**
   * Search budget per partition, in steps (never wall-clock time, so verdicts are deterministic).
   * Default {@link DEFAULT_MAX_STEPS}.
   */
  readonly maxSteps?: number;
}

/** The verdict of {@link checkLinearizable}. */
export type LinResult<I, O> =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Index, in the model's partition of the history, of the part that failed (0 if none). */
      readonly partition: number;
      /** The operations of that part. */
      readonly ops: Operation<I, O>[];
      /** The longest linearizable prefix found and the operations that could not be placed. */
      readonly explanation: string;
    }
  | { readonly ok: "unknown"; readonly reason: string };

/**
 * Checks whether `ops` is linearizable with respect to `model`: whether some total order of the
 * operations respects real time (A before B whenever A returned strictly before B was called;
 * equal times count as concurrent) and gives every complete operation its observed output.
 * Incomplete operations (output undefined) may take effect at any time after their call, or never.
 *
 * The history is split with `model.partition` when the model has one and each part is searched
 * separately. A part that is not linearizable decides the verdict even if another part ran out
 * of budget; otherwise any exhausted budget makes the verdict "unknown". Throws a RangeError on a
 * malformed history (see validateHistory).
 */
export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  opts: LinOptions = {},
): LinResult<I, O> {
  validateHistory(ops);
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  const parts = model.partition ? model.partition(ops) : [ops.slice()];
  let unknown: string | undefined;
  for (const [p, part] of parts.entries()) {
    const outcome = searchLinearization(model, part, maxSteps);
    if (outcome.kind === "fail") {
      const explanation = `Partition ${p} of ${parts.length} is not linearizable.\n${explainFailure(model, part, outcome.prefix)}`;
      return { ok: false, partition: p, ops: part, explanation };
    }
    if (outcome.kind === "budget" && unknown === undefined) {
      unknown = `partition ${p} (${part.length} operations): search budget of ${outcome.steps} steps exhausted after placing at most ${outcome.placed} operations`;
    }
  }
  return unknown === undefined ? { ok: true } : { ok: "unknown", reason: unknown };
}

// Human-readable account of why a history is not linearizable.

import { deadline, isComplete, type Operation } from "./history.ts";
import type { Model } from "./model.ts";

/** How many operations of the prefix to list; older ones are summarised by a count. */
const PREFIX_SHOWN = 20;

/** Renders one operation, with the model's `describe` when it has one. */
export function describeOperation<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  const what = model.describe
    ? model.describe(op.input, op.output)
    : `${JSON.stringify(op.input)} -> ${op.output === undefined ? "?" : JSON.stringify(op.output)}`;
  const ret = Number.isFinite(op.ret) ? String(op.ret) : "∞";
  return `#${op.id} client ${op.client} [${op.call}, ${ret}] ${what}`;
}

/**
 * Explains a failed search: the longest linearizable prefix it found, the state it leads to, and
 * the operations that could come next there (called before the earliest deadline among the
 * complete operations left) together with why none of them fits. At the longest prefix every
 * such candidate is in fact illegal, or the prefix could have been extended.
 */
export function explainFailure<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  prefix: readonly Operation<I, O>[],
): string {
  const lines: string[] = [];
  const completeCount = ops.filter((op) => isComplete(op)).length;
  lines.push(
    `No order of these ${ops.length} operations (${completeCount} complete) respects both real time and the model.`,
  );
  lines.push(`Longest linearizable prefix found: ${prefix.length} operation(s).`);
  const hidden = Math.max(0, prefix.length - PREFIX_SHOWN);
  if (hidden > 0) lines.push(`  ... ${hidden} earlier operation(s)`);
  let state = model.init();
  for (const [k, op] of prefix.entries()) {
    const after = model.step(state, op.input, op.output);
    // The search only records legal prefixes; stop explaining rather than lie if that breaks.
    if (after === undefined) {
      lines.push(`  (model rejected ${describeOperation(model, op)} on replay)`);
      return lines.join("\n");
    }
    state = after;
    if (k >= hidden) lines.push(`  ${k + 1}. ${describeOperation(model, op)}`);
  }
  lines.push(`State after it: ${model.key(state)}`);

  const placed = new Set(prefix);
  const left = ops.filter((op) => !placed.has(op));
  let due = Number.POSITIVE_INFINITY;
  for (const op of left) if (isComplete(op)) due = Math.min(due, deadline(op));
  const candidates = left.filter((op) => op.call <= due);
  lines.push(`Could not place any of the ${candidates.length} operation(s) that may come next:`);
  for (const op of candidates) {
    const legal = model.step(state, op.input, op.output) !== undefined;
    const why = legal
      ? "legal here, but no continuation places the rest"
      : "its output is not a legal result from this state";
    // The operation whose return closes the window is the one that cannot wait any longer.
    const overdue = isComplete(op) && deadline(op) === due ? ` (must take effect by ${due})` : "";
    lines.push(`  ${describeOperation(model, op)}: ${why}${overdue}`);
  }
  return lines.join("\n");
}

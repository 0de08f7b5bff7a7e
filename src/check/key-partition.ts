// Splits a history into independent parts: union-find over the keys operations touch together.
import type { Operation } from "./history.ts";

/**
 * Each part holds every operation touching a key of one connected component, where keys an
 * operation touches together are connected. Multi-key operations are atomic across their keys,
 * so checking a component's keys apart would miss a torn transfer; operations in different
 * components share no key and cannot constrain each other. Incomplete read-only operations are
 * left out: they change nothing and nobody saw their result, so they cannot affect the verdict.
 * Parts come in the order of their first operation; operations with no key form one part.
 */
export function partitionByKeys<I, O>(
  ops: readonly Operation<I, O>[],
  keysOf: (input: I) => readonly string[],
  isReadOnly: (input: I) => boolean,
): Operation<I, O>[][] {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let root = k;
    for (let p = parent.get(root); p !== undefined && p !== root; p = parent.get(root)) root = p;
    // Path compression keeps later finds short.
    for (let x = k; x !== root; ) {
      const p = parent.get(x)!;
      parent.set(x, root);
      x = p;
    }
    return root;
  };
  const kept = ops.filter((op) => !(op.output === undefined && isReadOnly(op.input)));
  for (const op of kept) {
    const keys = keysOf(op.input);
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    const first = keys[0];
    if (first === undefined) continue;
    for (const k of keys) {
      const a = find(first);
      const b = find(k);
      if (a !== b) parent.set(b, a);
    }
  }
  const parts = new Map<string | null, Operation<I, O>[]>();
  for (const op of kept) {
    const first = keysOf(op.input)[0];
    const root = first === undefined ? null : find(first);
    const part = parts.get(root);
    if (part) part.push(op);
    else parts.set(root, [op]);
  }
  return [...parts.values()];
}

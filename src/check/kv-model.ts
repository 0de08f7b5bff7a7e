// The linearizability model of the replicated key-value store, built on the store's own kvApply.

import {
  type KvOp,
  type KvResult,
  type KvState,
  kvApply,
  kvIsReadOnly,
  kvKeys,
} from "../core/kv/kv.ts";
import type { Operation } from "./history.ts";
import { partitionByKeys } from "./key-partition.ts";
import type { Model } from "./model.ts";

/** An operation on the key-value store as a client observed it. */
export type KvOperation = Operation<KvOp, KvResult>;

/** True when two results are deeply equal. */
export function sameResult(a: KvResult, b: KvResult): boolean {
  switch (a.type) {
    case "get":
      return b.type === "get" && a.value === b.value;
    case "put":
      return b.type === "put";
    case "cas":
      return b.type === "cas" && a.ok === b.ok && a.current === b.current;
    case "mget":
      return (
        b.type === "mget" &&
        a.values.length === b.values.length &&
        a.values.every((v, i) => v === b.values[i])
      );
    case "transfer":
      return b.type === "transfer" && a.ok === b.ok;
  }
}

/**
 * Splits a key-value history into independent parts: keys touched by one operation together
 * (mget, transfer) are merged with union-find, and each part holds every operation touching a key
 * of one connected component. Multi-key operations are atomic across their keys, so checking the
 * keys of a component apart would miss a torn transfer; operations in different components share
 * no key and cannot constrain each other. Incomplete read-only operations are left out: they
 * change nothing and nobody saw their result, so they cannot affect the verdict, while keeping
 * them would only widen the search. Parts come in the order of their first operation.
 */
export function kvPartition(ops: readonly KvOperation[]): KvOperation[][] {
  return partitionByKeys(ops, kvKeys, kvIsReadOnly);
}

/** Renders a key-value operation and its result, e.g. `cas(x, "1" -> "2") -> failed, was "3"`. */
export function describeKv(input: KvOp, output: KvResult | undefined): string {
  const s = JSON.stringify;
  let call: string;
  switch (input.type) {
    case "get":
      call = `get(${input.key})`;
      break;
    case "put":
      call = `put(${input.key}, ${s(input.value)})`;
      break;
    case "cas":
      call = `cas(${input.key}, ${s(input.expected)} -> ${s(input.value)})`;
      break;
    case "mget":
      call = `mget(${input.keys.join(", ")})`;
      break;
    case "transfer":
      call = `transfer(${input.from} -> ${input.to}, ${input.amount})`;
      break;
  }
  if (output === undefined) return `${call} -> ? (incomplete)`;
  switch (output.type) {
    case "get":
      return `${call} -> ${s(output.value)}`;
    case "put":
      return `${call} -> ok`;
    case "cas":
      return `${call} -> ${output.ok ? "ok" : `failed, was ${s(output.current)}`}`;
    case "mget":
      return `${call} -> ${s(output.values)}`;
    case "transfer":
      return `${call} -> ${output.ok ? "ok" : "failed"}`;
  }
}

/**
 * The key-value store's model. The expected result comes from kvApply itself, run on a copy of
 * the state, so the checker cannot disagree with the store about what a command means. Within a
 * part from kvPartition the state only ever holds the keys of that part's component.
 *
 * @param initial the store's contents before the history began (empty by default)
 */
export function createKvModel(
  initial: Iterable<readonly [string, string]> = [],
): Model<KvState, KvOp, KvResult> {
  const start: readonly (readonly [string, string])[] = [...initial];
  return {
    init: () => new Map(start),
    step(state, input, output) {
      // Read-only commands do not mutate, so they can run on the state itself.
      const next = kvIsReadOnly(input) ? state : new Map(state);
      const expected = kvApply(next, input);
      return output === undefined || sameResult(expected, output) ? next : undefined;
    },
    key: (state) => JSON.stringify([...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    partition: kvPartition,
    describe: describeKv,
  };
}

/** The key-value store's model with an initially empty store. */
export const kvModel: Model<KvState, KvOp, KvResult> = createKvModel();

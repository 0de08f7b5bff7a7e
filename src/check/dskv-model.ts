// The linearizability model of the partitioned KV store, built on the application's own code.

import { dsKv } from "../apps/kv/dskv.ts";
import { dsKvIsReadOnly, dsKvKeys } from "../apps/kv/keys.ts";
import type { DsKvCmd, DsKvResult } from "../apps/kv/types.ts";
import { plainEqual } from "../apps/plain-equal.ts";
import { runSequential } from "../apps/sequential.ts";
import type { Operation } from "./history.ts";
import { partitionByKeys } from "./key-partition.ts";
import type { Model } from "./model.ts";

/** An operation on the partitioned KV store as a client observed it. */
export type DsKvOperation = Operation<DsKvCmd, DsKvResult>;

/** The model's state: the keys that exist and their values. */
export type DsKvState = ReadonlyMap<string, string>;

/**
 * Splits a history into independent parts with union-find over keys, as kvPartition does: keys
 * an operation touches together (mget, transfer, tx) are merged, and each part holds every
 * operation touching a key of one component. Create and delete touch one key, so a key's
 * existence is decided within its component. Incomplete read-only operations are left out: they
 * change nothing and nobody saw their result. Parts come in the order of their first operation.
 */
export function dsKvPartition(ops: readonly DsKvOperation[]): DsKvOperation[][] {
  return partitionByKeys(ops, dsKvKeys, dsKvIsReadOnly);
}

/** Renders an operation and its result, e.g. `create(x, "1") -> exists`. */
export function describeDsKv(input: DsKvCmd, output: DsKvResult | undefined): string {
  const s = JSON.stringify;
  let call: string;
  switch (input.type) {
    case "create":
      call = `create(${input.key}, ${s(input.value)})`;
      break;
    case "delete":
      call = `delete(${input.key})`;
      break;
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
    case "tx":
      call = `tx(${s(input.ops)})`;
      break;
  }
  if (output === undefined) return `${call} -> ? (incomplete)`;
  switch (output.type) {
    case "error":
      return `${call} -> ${output.error} ${output.key}`;
    case "get":
      return `${call} -> ${s(output.value)}`;
    case "cas":
      return `${call} -> ${output.ok ? "ok" : `failed, was ${s(output.current)}`}`;
    case "mget":
      return `${call} -> ${s(output.values)}`;
    case "transfer":
      return `${call} -> ${output.ok ? "ok" : "failed"}`;
    case "tx":
      return `${call} -> ${s(output.replies)}`;
    default:
      return `${call} -> ok`;
  }
}

/**
 * The partitioned KV store's model. The expected result comes from the application itself
 * (runSequential over dsKv: the oracle's rules for create, delete and unknown keys, then the
 * app's execute over a view of the state), so the checker cannot disagree with the system about
 * what a command means. Results compare as plain data.
 *
 * @param initial the keys that exist before the history begins (none by default)
 */
export function createDsKvModel(
  initial: Iterable<readonly [string, string]> = [],
): Model<DsKvState, DsKvCmd, DsKvResult> {
  const start: readonly (readonly [string, string])[] = [...initial];
  return {
    init: () => new Map(start),
    step(state, input, output) {
      const next = new Map(state);
      const expected = runSequential(dsKv, next, input);
      if (output !== undefined && !plainEqual(expected, output)) return undefined;
      // Keeping the old state when nothing changed lets the search share it.
      return dsKvIsReadOnly(input) ? state : next;
    },
    key: (state) => JSON.stringify([...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    partition: dsKvPartition,
    describe: describeDsKv,
  };
}

/** The partitioned KV store's model, starting with no keys. */
export const dsKvModel: Model<DsKvState, DsKvCmd, DsKvResult> = createDsKvModel();

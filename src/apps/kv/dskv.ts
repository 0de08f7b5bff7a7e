// The key-value store as a PartitionedApp: one variable per key, placed by a stable hash.
import type { PartitionedApp } from "../../core/dssmr/app.ts";
import type { PartitionId } from "../../core/dssmr/types.ts";
import { InvariantError } from "../../core/errors.ts";
import { hashPlacement } from "../placement.ts";
import { executeDsKv } from "./execute.ts";
import { dsKvKeys } from "./keys.ts";
import type { DsKvCmd, DsKvResult } from "./types.ts";
import { validateDsKv } from "./validate.ts";

/** Options of {@link createDsKv}. */
export interface DsKvOptions {
  /** Where the oracle places a new key. Default {@link hashPlacement}. */
  readonly place?: (key: string, partitions: readonly PartitionId[]) => PartitionId;
}

/** Creates the partitioned KV application. */
export function createDsKv(opts: DsKvOptions = {}): PartitionedApp<DsKvCmd, DsKvResult, string> {
  return {
    name: "kv",
    classify: (cmd) =>
      cmd.type === "create" || cmd.type === "delete"
        ? { kind: cmd.type, variable: cmd.key }
        : { kind: "access" },
    variables: dsKvKeys,
    execute: (cmd, view) => executeDsKv(cmd, view),
    initial: (cmd) => {
      if (cmd.type !== "create") throw new InvariantError(`kv ${cmd.type} creates nothing`);
      return cmd.value;
    },
    created: () => ({ type: "create" }),
    deleted: () => ({ type: "delete" }),
    rejected: (_cmd, reason, key) => ({
      type: "error",
      error: reason === "exists" ? "key-exists" : "unknown-key",
      key,
    }),
    place: opts.place ?? hashPlacement,
    validate: validateDsKv,
  };
}

/** The partitioned KV application with hash placement. */
export const dsKv: PartitionedApp<DsKvCmd, DsKvResult, string> = createDsKv();

// The keys a partitioned KV command touches, each once, in a fixed order.
import { kvKeys } from "../../core/kv/kv.ts";
import { txIsReadOnly, txKeys } from "./tx.ts";
import type { DsKvCmd } from "./types.ts";

/**
 * The command's keys in the order the command names them, duplicates removed: the variables the
 * system routes it by, and the order in which a missing key is reported.
 */
export function dsKvKeys(cmd: DsKvCmd): readonly string[] {
  if (cmd.type === "create" || cmd.type === "delete") return [cmd.key];
  if (cmd.type === "tx") return txKeys(cmd.ops);
  const keys = kvKeys(cmd);
  return keys.length <= 1 ? keys : [...new Set(keys)];
}

/** True for commands that never change the state. */
export function dsKvIsReadOnly(cmd: DsKvCmd): boolean {
  return cmd.type === "get" || cmd.type === "mget" || (cmd.type === "tx" && txIsReadOnly(cmd.ops));
}

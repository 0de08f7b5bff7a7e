// Executes partitioned KV commands over a VarView with the single-group store's own kvApply.
import type { VarView } from "../../core/dssmr/app.ts";
import { type KvState, kvApply } from "../../core/kv/kv.ts";
import { dsKvKeys } from "./keys.ts";
import { runTx } from "./tx.ts";
import type { DsKvCmd, DsKvResult } from "./types.ts";

/**
 * Runs `cmd` over `view`: every key must exist (the first missing one, in {@link dsKvKeys}
 * order, is reported, as the oracle reports it); then kvApply runs on those keys alone and the
 * keys whose value changed are written back. A create (which the engine normally handles itself)
 * fails on an existing key and otherwise writes its value; a delete cannot be expressed through a
 * view and only reports success, since removing variables is the engine's job.
 */
export function executeDsKv(cmd: DsKvCmd, view: VarView<string>): DsKvResult {
  if (cmd.type === "create") {
    if (view.get(cmd.key) !== undefined) {
      return { type: "error", error: "key-exists", key: cmd.key };
    }
    view.set(cmd.key, cmd.value);
    return { type: "create" };
  }
  if (cmd.type === "delete") return { type: "delete" };
  const state: KvState = new Map();
  for (const k of dsKvKeys(cmd)) {
    const v = view.get(k);
    if (v === undefined) return { type: "error", error: "unknown-key", key: k };
    state.set(k, v);
  }
  const before = new Map(state);
  if (cmd.type === "tx") {
    const replies = runTx(state, cmd.ops);
    for (const [k, v] of state) if (before.get(k) !== v) view.set(k, v);
    return { type: "tx", replies };
  }
  const result = kvApply(state, cmd);
  for (const [k, v] of state) if (before.get(k) !== v) view.set(k, v);
  return result;
}

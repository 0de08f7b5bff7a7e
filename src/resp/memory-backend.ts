// A RespBackend over one in-memory map with the KV app's sequential meaning: for tests and fuzzing.
import { dsKv } from "../apps/kv/dskv.ts";
import type { DsKvCmd, DsKvResult } from "../apps/kv/types.ts";
import { validateDsKv } from "../apps/kv/validate.ts";
import { runSequential } from "../apps/sequential.ts";
import { InputError } from "../core/errors.ts";
import type { RespBackend } from "./commands.ts";

/** An in-memory backend: `state` is every variable; `commands` records what was executed. */
export interface MemoryBackend extends RespBackend {
  readonly state: Map<string, string>;
  readonly commands: DsKvCmd[];
}

/** A backend that runs each command as a single unpartitioned copy of the cluster would. */
export function memoryBackend(): MemoryBackend {
  const state = new Map<string, string>();
  const commands: DsKvCmd[] = [];
  return {
    state,
    commands,
    execute: async (cmd): Promise<DsKvResult> => {
      const why = validateDsKv(cmd);
      if (why !== null) throw new InputError(why);
      commands.push(cmd);
      // Like the network: the answer comes later, so interleavings are possible.
      await new Promise((r) => setImmediate(r));
      return runSequential(dsKv, state, cmd);
    },
    dbsize: async () => state.size,
    facts: async () => [["partitions", 1]],
  };
}

// The partitioned KV store as a DS-SMR simulation workload: conflicting multi-key commands.

import { createDsKv } from "../apps/kv/dskv.ts";
import type { DsKvCmd, DsKvResult } from "../apps/kv/types.ts";
import { createDsKvModel } from "../check/dskv-model.ts";
import type { Model } from "../check/model.ts";
import type { PartitionId } from "../core/dssmr/types.ts";
import type { DsWorkload } from "./ds-sim.ts";
import type { Rng } from "./rng.ts";

/**
 * `keys` keys exist at boot (value "10", each in a random partition: the workload has to move
 * them together); `extra` more keys are created and deleted as the run goes.
 */
export function dsKvWorkload(keys = 6, extra = 3): DsWorkload<DsKvCmd, DsKvResult, string> {
  const base = Array.from({ length: keys }, (_, i) => `k${i}`);
  const spare = Array.from({ length: extra }, (_, i) => `x${i}`);
  const all = [...base, ...spare];
  return {
    app: createDsKv(),
    initial: (partitions: readonly PartitionId[], rng: Rng) =>
      base.map((k) => [k, rng.pick(partitions), "10"] as const),
    next(rng: Rng): DsKvCmd {
      const roll = rng.int(100);
      const key = rng.pick(roll < 90 ? base : all);
      if (roll < 25) return { type: "get", key };
      if (roll < 40) return { type: "put", key, value: String(rng.int(20)) };
      if (roll < 50)
        return { type: "cas", key, expected: String(rng.int(20)), value: String(rng.int(20)) };
      if (roll < 65) {
        const other = rng.pick(base);
        const third = rng.pick(base);
        return { type: "mget", keys: [...new Set([key, other, third])] };
      }
      if (roll < 80) {
        let to = rng.pick(base);
        if (to === key) to = base[(base.indexOf(key) + 1) % base.length]!;
        return { type: "transfer", from: key, to, amount: 1 + rng.int(5) };
      }
      const x = rng.pick(spare);
      if (roll < 90) return { type: "create", key: x, value: String(rng.int(20)) };
      return { type: "delete", key: x };
    },
    model: createDsKvModel(base.map((k) => [k, "10"] as const)) as Model<
      unknown,
      DsKvCmd,
      DsKvResult
    >,
  };
}

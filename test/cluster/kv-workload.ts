// Test helper: concurrent KV clients through DsClient, recording a history for the linearizability checker.
import type { DsKvCmd, DsKvResult } from "../../src/apps/kv/types.ts";
import { ChaosHistory } from "../../src/chaos/history.ts";
import type { DsClient } from "../../src/client/ds-client.ts";
import { Rng } from "../../src/sim/rng.ts";

/** Keys holding numbers (transfers move amounts between them). */
export const NUM_KEYS = ["n0", "n1", "n2", "n3"];
/** Keys holding strings (put and cas). */
export const STR_KEYS = ["s0", "s1", "s2", "s3"];

/** The history recorder `dssmr chaos` uses: one recorder for the tests and the command. */
export const HistoryRecorder = ChaosHistory;
export type HistoryRecorder = ChaosHistory;

/** A random workload command over the test keys: get, put, cas, transfer or mget. */
export function randomKvCmd(rng: Rng, client: number, n: number): DsKvCmd {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const r = rng.next();
  if (r < 0.25) return { type: "get", key: pick([...NUM_KEYS, ...STR_KEYS]) };
  if (r < 0.45) return { type: "put", key: pick(STR_KEYS), value: `c${client}-${n}` };
  if (r < 0.6) {
    const key = pick(STR_KEYS);
    return {
      type: "cas",
      key,
      expected: `c${pick([0, 1, 2, 3])}-${rng.int(n + 1)}`,
      value: `c${client}-${n}x`,
    };
  }
  if (r < 0.8) {
    const from = pick(NUM_KEYS);
    const to = pick(NUM_KEYS.filter((k) => k !== from));
    return { type: "transfer", from, to, amount: 1 + rng.int(5) };
  }
  const a = pick(NUM_KEYS);
  const b = pick(STR_KEYS);
  return { type: "mget", keys: [a, b] };
}

/** Runs `clients` closed-loop workers until `stop()` is true; resolves when all have finished. */
export async function runWorkload(
  recorder: HistoryRecorder,
  clients: readonly DsClient<DsKvCmd, DsKvResult>[],
  stop: () => boolean,
  seed: number,
  timeoutMs: number,
): Promise<void> {
  await Promise.all(
    clients.map(async (client, i) => {
      const rng = new Rng(seed).fork(`client-${i}`);
      for (let n = 0; !stop(); n++) {
        await recorder.run(client, i + 1, randomKvCmd(rng, i + 1, n), timeoutMs);
      }
    }),
  );
}

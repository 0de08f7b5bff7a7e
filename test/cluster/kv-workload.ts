// Test helper: concurrent KV clients through DsClient, recording a history for the linearizability checker.
import { performance } from "node:perf_hooks";
import type { DsKvCmd, DsKvResult } from "../../src/apps/kv/types.ts";
import type { Operation } from "../../src/check/history.ts";
import type { DsClient } from "../../src/client/ds-client.ts";
import { ClientTimeoutError } from "../../src/client/errors.ts";
import { Rng } from "../../src/sim/rng.ts";

/** Keys holding numbers (transfers move amounts between them). */
export const NUM_KEYS = ["n0", "n1", "n2", "n3"];
/** Keys holding strings (put and cas). */
export const STR_KEYS = ["s0", "s1", "s2", "s3"];

type Rec = {
  id: number;
  client: number;
  input: DsKvCmd;
  output: DsKvResult | undefined;
  call: number;
  ret: number;
};

/** A shared, growing history of operations from several clients. */
export class HistoryRecorder {
  private readonly ops: Rec[] = [];

  /** Runs `cmd` on `client` and records it; a timeout leaves the operation incomplete. */
  async run(
    client: DsClient<DsKvCmd, DsKvResult>,
    clientNo: number,
    cmd: DsKvCmd,
    timeoutMs: number,
  ): Promise<DsKvResult | undefined> {
    const rec: Rec = {
      id: this.ops.length,
      client: clientNo,
      input: cmd,
      output: undefined,
      call: performance.now(),
      ret: Number.POSITIVE_INFINITY,
    };
    this.ops.push(rec);
    try {
      const out = await client.execute(cmd, { timeoutMs });
      rec.output = out;
      rec.ret = performance.now();
      return out;
    } catch (err) {
      if (err instanceof ClientTimeoutError) return undefined;
      throw err;
    }
  }

  /** The history so far. */
  history(): Operation<DsKvCmd, DsKvResult>[] {
    return this.ops.map((r) => ({ ...r }));
  }

  /** Completed and incomplete counts. */
  counts(): { completed: number; incomplete: number } {
    const completed = this.ops.filter((r) => r.output !== undefined).length;
    return { completed, incomplete: this.ops.length - completed };
  }
}

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

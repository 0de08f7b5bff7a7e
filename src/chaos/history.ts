// The history of a chaos run: every client operation with its input, output and real-time interval.
import { performance } from "node:perf_hooks";
import type { DsKvCmd, DsKvResult } from "../apps/kv/types.ts";
import type { Operation } from "../check/history.ts";
import type { DsClient } from "../client/ds-client.ts";
import { ClientTimeoutError } from "../client/errors.ts";

/** An operation of the KV workload as its client observed it. */
export type KvOperation = Operation<DsKvCmd, DsKvResult>;

interface Rec {
  id: number;
  client: number;
  input: DsKvCmd;
  output: DsKvResult | undefined;
  call: number;
  ret: number;
}

/**
 * A growing history shared by every client of the run. Times are milliseconds since the recorder
 * was made, from the monotonic clock (a wall-clock step must not reorder operations).
 */
export class ChaosHistory {
  private readonly ops: Rec[] = [];
  private readonly origin = performance.now();
  /** Completion times in the order they happened (for availability), ms. */
  private readonly completions: number[] = [];
  /** Per client, the time of its latest completion, ms. */
  private readonly lastByClient = new Map<number, number>();

  /** Milliseconds since the recorder was made. */
  now(): number {
    return performance.now() - this.origin;
  }

  /**
   * Runs `cmd` on `client` and records it. A timeout leaves the operation incomplete (it may
   * still take effect: the client keeps sending it); any other error is rethrown.
   */
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
      call: this.now(),
      ret: Number.POSITIVE_INFINITY,
    };
    this.ops.push(rec);
    try {
      const out = await client.execute(cmd, { timeoutMs });
      rec.output = out;
      rec.ret = this.now();
      this.completions.push(rec.ret);
      this.lastByClient.set(clientNo, rec.ret);
      return out;
    } catch (err) {
      if (err instanceof ClientTimeoutError) return undefined;
      throw err;
    }
  }

  /** A copy of the history so far. */
  history(): KvOperation[] {
    return this.ops.map((r) => ({ ...r }));
  }

  /** Completion times so far, ascending, ms. */
  completionTimes(): readonly number[] {
    return this.completions;
  }

  /** True when each of `clients` has completed an operation at or after `since` (ms). */
  allProgressedSince(clients: readonly number[], since: number): boolean {
    return clients.every((c) => (this.lastByClient.get(c) ?? Number.NEGATIVE_INFINITY) >= since);
  }

  /** Completed and incomplete counts. */
  counts(): { operations: number; completed: number; incomplete: number } {
    const completed = this.completions.length;
    return { operations: this.ops.length, completed, incomplete: this.ops.length - completed };
  }
}

// The chaos workload: closed-loop KV clients over small key groups that change every epoch.
import type { DsKvCmd, DsKvResult } from "../apps/kv/types.ts";
import type { DsClient } from "../client/ds-client.ts";
import { Rng } from "../sim/rng.ts";
import type { ChaosHistory } from "./history.ts";

/** Starting balance of each numeric key (transfers move amounts between them). */
export const START_BALANCE = 100;

/** The keys of one key group of one epoch. */
export interface KeyGroup {
  /** Numeric keys: transfers between them, so their sum stays constant. */
  readonly nums: readonly [string, string];
  /** String keys: puts and cas with unique values (the lost-write check reads them back). */
  readonly strs: readonly [string, string];
}

/**
 * The key groups of epoch `epoch`. Multi-key commands (transfer, mget) stay inside one group, so
 * the checker's split by keys (key-partition.ts) yields one small part per group and epoch: a new
 * epoch every cycle keeps each part's search small however long the run is. The oracle still
 * places the keys over the partitions, so transfers and mgets make DS-SMR move them.
 */
export function keyGroups(epoch: number, groups: number): KeyGroup[] {
  return Array.from({ length: groups }, (_, g) => {
    const k = (name: string): string => `e${epoch}.g${g}.${name}`;
    return { nums: [k("n0"), k("n1")], strs: [k("s0"), k("s1")] };
  });
}

/** The creates that make epoch `epoch`'s keys (string keys start with a unique value too). */
export function createCommands(epoch: number, groups: number): DsKvCmd[] {
  return keyGroups(epoch, groups).flatMap((g) => [
    ...g.nums.map((key): DsKvCmd => ({ type: "create", key, value: String(START_BALANCE) })),
    ...g.strs.map((key): DsKvCmd => ({ type: "create", key, value: `init.${key}` })),
  ]);
}

/**
 * One random command on `group`: get, put, cas, transfer or mget. Written values are unique in
 * the run (client number and the client's operation count), as the lost-write check needs.
 */
export function randomCommand(rng: Rng, group: KeyGroup, client: number, n: number): DsKvCmd {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const r = rng.next();
  if (r < 0.25) return { type: "get", key: pick([...group.nums, ...group.strs]) };
  if (r < 0.5) return { type: "put", key: pick(group.strs), value: `c${client}.${n}` };
  if (r < 0.6) {
    // Expect a value this client may have written: sometimes right, sometimes not.
    const expected = `c${client}.${Math.max(0, n - 1 - rng.int(3))}`;
    return { type: "cas", key: pick(group.strs), expected, value: `c${client}.${n}x` };
  }
  if (r < 0.85) {
    const [a, b] = rng.next() < 0.5 ? group.nums : ([group.nums[1], group.nums[0]] as const);
    return { type: "transfer", from: a, to: b, amount: 1 + rng.int(5) };
  }
  return { type: "mget", keys: [pick(group.nums), pick(group.strs)] };
}

/** What the workers share with the run: when to stop, and the epoch whose keys to use. */
export interface WorkloadControl {
  stopped: boolean;
  epoch: number;
}

/**
 * Runs one closed-loop worker per client until `control.stopped`; client i is numbered i + 1 in
 * the history (0 is the run's own client). Resolves once every worker has returned.
 */
export async function runWorkers(
  history: ChaosHistory,
  clients: readonly DsClient<DsKvCmd, DsKvResult>[],
  control: WorkloadControl,
  opts: { readonly seed: number; readonly groups: number; readonly timeoutMs: number },
): Promise<void> {
  await Promise.all(
    clients.map(async (client, i) => {
      const rng = new Rng(opts.seed).fork(`chaos-client-${i}`);
      for (let n = 0; !control.stopped; n++) {
        const groups = keyGroups(control.epoch, opts.groups);
        const cmd = randomCommand(rng, groups[rng.int(groups.length)]!, i + 1, n);
        await history.run(client, i + 1, cmd, opts.timeoutMs);
      }
    }),
  );
}

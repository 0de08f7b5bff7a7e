// One chaos run: a local KV cluster, a recorded workload, the nemesis's cycles, then every check.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DsKvCmd, DsKvResult } from "../apps/kv/types.ts";
import { createDsKvModel } from "../check/dskv-model.ts";
import { checkLinearizable } from "../check/linearizability.ts";
import { DsClient } from "../client/ds-client.ts";
import { appSetup } from "../cluster/app-setup.ts";
import { loadClusterConfig } from "../cluster/config.ts";
import { LocalCluster } from "../cluster/launcher.ts";
import {
  buildLocalConfig,
  defaultLocalClusterOptions,
  writeClusterConfig,
} from "../cluster/local-config.ts";
import { ORACLE } from "../core/dssmr/types.ts";
import { Rng } from "../sim/rng.ts";
import { ChaosError } from "./errors.ts";
import { ChaosHistory, type KvOperation } from "./history.ts";
import { findLostWrites, type LostWrite } from "./lost-writes.ts";
import { heal, inject, resumeAllPaused } from "./nemesis.ts";
import { type Availability, availability, type FaultRecord } from "./report.ts";
import {
  type ChaosTopology,
  DEFAULT_TIMING,
  type FaultKind,
  KILL_FAULTS,
  planFaults,
} from "./schedule.ts";
import { createCommands, keyGroups, runWorkers, START_BALANCE } from "./workload.ts";

type Kv = DsClient<DsKvCmd, DsKvResult>;

/** What a chaos run does. */
export interface ChaosOptions {
  /** In-memory logs (no fsync): only pause faults, since a restart would lose Raft's state. */
  readonly memory: boolean;
  readonly partitions: number;
  /** Faults to inject; at most this many. */
  readonly cycles: number;
  /** Start no new cycle after the workload has run this long, ms (null: no limit). */
  readonly durationMs: number | null;
  readonly seed: number;
  readonly faults: readonly FaultKind[];
  /** Workload clients (each one DsClient session, closed loop). */
  readonly clients: number;
  /** Key groups per epoch (an epoch per cycle). */
  readonly keyGroups: number;
  /** Time limit of each operation, ms; a timed-out operation stays incomplete in the history. */
  readonly opTimeoutMs: number;
  /** Longest wait for the cluster to serve every client again after a heal, ms. */
  readonly recoverTimeoutMs: number;
  /** Keep the cluster's data folder (its logs name what happened) instead of removing it. */
  readonly keep: boolean;
  /** Progress lines (one per cycle). */
  readonly log: (line: string) => void;
}

/** Defaults of `dssmr chaos`. */
export const defaultChaosOptions: ChaosOptions = {
  memory: false,
  partitions: 2,
  cycles: 20,
  durationMs: null,
  seed: 1,
  faults: ["kill", "leader", "oracle", "two-groups", "majority", "pause", "pause-leader"],
  clients: 6,
  keyGroups: 4,
  opTimeoutMs: 10_000,
  recoverTimeoutMs: 60_000,
  keep: false,
  log: () => {},
};

/** The outcome of a run; `--json` prints it. */
export interface ChaosSummary {
  readonly seed: number;
  readonly storage: "memory" | "fsync";
  readonly partitions: number;
  readonly clients: number;
  /** Faults injected and healed. */
  readonly cycles: number;
  readonly faults: Partial<Record<FaultKind, number>>;
  /** Operations in the history (final reads included). */
  readonly operations: number;
  readonly incomplete: number;
  /** Parts of the history (one per key group and epoch) that are not linearizable. */
  readonly violations: number;
  /** Parts whose check ran out of its step budget (neither passed nor failed). */
  readonly unchecked: number;
  readonly lostWrites: number;
  /** Key groups whose two balances no longer add up to what they started with. */
  readonly unbalanced: number;
  /** Final reads that failed, so their keys went unchecked for lost writes. */
  readonly unread: number;
  /** Replicas that exited without being asked to. */
  readonly crashes: number;
  readonly durationMs: number;
  readonly longestGapMs: number;
  readonly longestClientStallMs: number;
  readonly recoveryMs: Availability["recoveryMs"];
  readonly outageMs: Availability["outageMs"];
  readonly throughput: readonly number[];
  /** The first violation's explanation, and the first lost writes (at most 10). */
  readonly firstViolation: string | null;
  readonly lost: readonly LostWrite[];
  /** The kept data folder, or null. */
  readonly data: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 50 ms until it holds (true) or `ms` pass (false). */
async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

/** The cluster's groups for the schedule. */
function topologyOf(cluster: LocalCluster): ChaosTopology {
  const groups = cluster.loaded.config.groups.map((g) => ({
    id: g.id,
    replicas: g.replicas.map((r) => r.id),
  }));
  return {
    oracle: groups.some((g) => g.id === ORACLE) ? ORACLE : null,
    groups,
  };
}

/** Checks every part of the history apart, counting failures and budget-outs. */
function checkHistory(ops: readonly KvOperation[]): {
  violations: number;
  unchecked: number;
  first: string | null;
} {
  const model = createDsKvModel();
  let violations = 0;
  let unchecked = 0;
  let first: string | null = null;
  for (const part of model.partition!(ops)) {
    const v = checkLinearizable(model, part);
    if (v.ok === false) {
      violations++;
      first ??= v.explanation;
    } else if (v.ok === "unknown") unchecked++;
  }
  return { violations, unchecked, first };
}

/** Runs `n` tasks with at most `width` at once. */
async function pool(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, width) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/**
 * Runs the experiment: starts a local KV cluster in a temporary folder, creates each epoch's
 * keys, runs the clients while the nemesis injects, heals and waits out one fault per cycle,
 * then stops the load, reads every key back and checks the history. Throws ChaosError when the
 * run cannot be carried out (kill faults on in-memory logs; the cluster not starting).
 */
export async function runChaos(opts: ChaosOptions): Promise<ChaosSummary> {
  const killing = opts.faults.filter((k) => KILL_FAULTS.has(k));
  if (opts.memory && killing.length > 0) {
    throw new ChaosError(
      `--memory allows only pause faults: a killed in-memory replica restarts without its term, vote and log, which Raft needs persisted (asked for ${killing.join(", ")})`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "dssmr-chaos-"));
  const file = join(dir, "cluster.json");
  writeClusterConfig(
    file,
    await buildLocalConfig({
      ...defaultLocalClusterOptions,
      app: "kv",
      partitions: opts.partitions,
      memory: opts.memory,
      httpPort: null,
      metrics: false,
      demoUsers: 0,
    }),
  );
  const loaded = loadClusterConfig(file);
  let crashes = 0;
  let cluster: LocalCluster;
  try {
    cluster = await LocalCluster.start(loaded, {
      startTimeoutMs: 60_000,
      onExit: (id, code, signal) => {
        crashes++;
        opts.log(`replica ${id} exited by itself (${code ?? signal})`);
      },
    });
  } catch (err) {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  // Ctrl-C during a pause: resume the paused replicas, which then exit with their launcher.
  const interrupted = (): void => {
    resumeAllPaused();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  const clients: Kv[] = [];
  try {
    await cluster.waitReady(60_000);
    const setup = appSetup(loaded.config);
    if (setup.kind !== "kv") throw new ChaosError("the chaos cluster must run the kv app");
    const connect = async (lanes: number): Promise<Kv> => {
      const c = await DsClient.connect(loaded, setup.app, { lanes, timeoutMs: opts.opTimeoutMs });
      clients.push(c);
      return c;
    };
    // The run's own client (number 0 in the history): creates and final reads, many in flight.
    const admin = await connect(8);
    const history = new ChaosHistory();
    const createEpoch = async (epoch: number): Promise<void> => {
      const cmds = createCommands(epoch, opts.keyGroups);
      await Promise.all(cmds.map((cmd) => history.run(admin, 0, cmd, opts.opTimeoutMs)));
    };
    await createEpoch(0);
    const workers = await Promise.all(Array.from({ length: opts.clients }, () => connect(1)));
    const workerIds = workers.map((_, i) => i + 1);
    const control = { stopped: false, epoch: 0 };
    const start = history.now();
    const load = runWorkers(history, workers, control, {
      seed: opts.seed,
      groups: opts.keyGroups,
      timeoutMs: opts.opTimeoutMs,
    });

    const plans = planFaults(
      opts.seed,
      opts.cycles,
      opts.faults,
      topologyOf(cluster),
      DEFAULT_TIMING,
    );
    const rng = new Rng(opts.seed).fork("nemesis-leaders");
    const faults: FaultRecord[] = [];
    try {
      await sleep(1_000); // a fault-free second to compare with
      for (const plan of plans) {
        if (opts.durationMs !== null && history.now() - start >= opts.durationMs) break;
        if (plan.cycle > 0) {
          // A fresh epoch of keys per cycle keeps each checked part of the history small.
          await createEpoch(plan.cycle);
          control.epoch = plan.cycle;
        }
        const active = await inject(cluster, plan, (n) => rng.int(n));
        const injectedAt = history.now();
        try {
          await sleep(plan.downMs);
        } finally {
          await heal(cluster, active);
        }
        const healedAt = history.now();
        faults.push({
          cycle: plan.cycle,
          kind: plan.kind,
          replicas: active.replicas,
          injectedAt,
          healedAt,
        });
        const served = await until(
          () => history.allProgressedSince(workerIds, healedAt),
          opts.recoverTimeoutMs,
        );
        const recovered = history.now() - healedAt;
        opts.log(
          `cycle ${plan.cycle + 1}/${plans.length}: ${plan.kind} r${active.replicas.join(",r")} for ${plan.downMs} ms; ${
            served
              ? `every client served again ${Math.round(recovered)} ms after the heal`
              : `NOT recovered after ${opts.recoverTimeoutMs} ms`
          }`,
        );
        await sleep(plan.settleMs);
      }
    } finally {
      control.stopped = true;
      await load;
    }
    const end = history.now();
    // Timed-out commands keep running in their proxies: let them land before reading back.
    await until(() => workers.every((w) => w.pending === 0), 30_000);
    await cluster.waitReady(60_000);

    const finals = new Map<string, string | null>();
    const groups = Array.from({ length: control.epoch + 1 }, (_, e) =>
      keyGroups(e, opts.keyGroups),
    ).flat();
    const keys = groups.flatMap((g) => [...g.nums, ...g.strs]);
    await pool(keys.length, 32, async (i) => {
      const key = keys[i]!;
      const out = await history.run(admin, 0, { type: "get", key }, opts.opTimeoutMs);
      if (out?.type === "get") finals.set(key, out.value);
      else if (out?.type === "error" && out.error === "unknown-key") finals.set(key, null);
    });
    let unbalanced = 0;
    for (const g of groups) {
      const [a, b] = g.nums.map((k) => finals.get(k));
      if (a === undefined || b === undefined) continue;
      // A key never created (its create timed out and did not land) holds nothing to conserve.
      if (a === null || b === null) continue;
      if (Number(a) + Number(b) !== 2 * START_BALANCE) unbalanced++;
    }

    const ops = history.history();
    const lost = findLostWrites(ops, finals);
    const check = checkHistory(ops);
    const avail = availability(ops, workerIds, faults, start, end);
    const { operations, incomplete } = history.counts();
    const byKind: Partial<Record<FaultKind, number>> = {};
    for (const f of faults) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    return {
      seed: opts.seed,
      storage: opts.memory ? "memory" : "fsync",
      partitions: opts.partitions,
      clients: opts.clients,
      cycles: faults.length,
      faults: byKind,
      operations,
      incomplete,
      violations: check.violations,
      unchecked: check.unchecked,
      lostWrites: lost.length,
      unbalanced,
      unread: keys.length - finals.size,
      crashes,
      durationMs: Math.round(end - start),
      longestGapMs: avail.longestGapMs,
      longestClientStallMs: avail.longestClientStallMs,
      recoveryMs: avail.recoveryMs,
      outageMs: avail.outageMs,
      throughput: avail.throughput,
      firstViolation: check.first,
      lost: lost.slice(0, 10),
      data: opts.keep ? dir : null,
    };
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    resumeAllPaused();
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stop();
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** True when the run found nothing wrong: what `dssmr chaos` exits 0 on. */
export function chaosPassed(s: ChaosSummary): boolean {
  return s.violations === 0 && s.lostWrites === 0 && s.unbalanced === 0;
}

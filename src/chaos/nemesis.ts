// The nemesis: carries out one planned fault on a local cluster (SIGKILL or SIGSTOP) and heals it.
import { clusterStatus } from "../client/status.ts";
import type { LocalCluster } from "../cluster/launcher.ts";
import { ChaosError } from "./errors.ts";
import { type FaultPlan, KILL_FAULTS } from "./schedule.ts";

/** A fault in effect: what to heal. */
export interface ActiveFault {
  readonly plan: FaultPlan;
  /** The replicas actually killed or paused. */
  readonly replicas: readonly number[];
  readonly kill: boolean;
}

/**
 * Process ids this process has SIGSTOPped and not yet resumed. A stopped replica never notices
 * its launcher's death (it reads no stdin while stopped), so whoever ends the run early must
 * resume these first, or they would stay behind stopped for ever.
 */
const paused = new Set<number>();

/** Resumes every replica a fault left paused (for an interrupted run). */
export function resumeAllPaused(): void {
  for (const pid of paused) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // Already gone.
    }
  }
  paused.clear();
}

/** The leader of group `g` now, or (no leader: an election is on) one of its replicas. */
async function leaderOf(cluster: LocalCluster, g: number, fallback: () => number): Promise<number> {
  const s = await clusterStatus(cluster.loaded, { timeoutMs: 300 });
  return s.groups.find((x) => x.id === g)?.leader ?? fallback();
}

/** Injects `plan`'s fault. `random` picks a replica when a leader fault finds no leader. */
export async function inject(
  cluster: LocalCluster,
  plan: FaultPlan,
  random: (n: number) => number,
): Promise<ActiveFault> {
  let replicas = plan.replicas;
  if (plan.leaderOf !== null) {
    const group = cluster.loaded.config.groups.find((g) => g.id === plan.leaderOf);
    if (group === undefined) throw new ChaosError(`no group ${plan.leaderOf} in the cluster`);
    const ids = group.replicas.map((r) => r.id);
    replicas = [await leaderOf(cluster, plan.leaderOf, () => ids[random(ids.length)]!)];
  }
  const kill = KILL_FAULTS.has(plan.kind);
  if (kill) {
    await Promise.all(replicas.map((id) => cluster.kill(id, "SIGKILL")));
  } else {
    for (const id of replicas) {
      const pid = cluster.pid(id);
      if (pid === null) throw new ChaosError(`replica ${id} is not running, cannot pause it`);
      paused.add(pid);
      process.kill(pid, "SIGSTOP");
    }
  }
  return { plan, replicas, kill };
}

/** Heals a fault: restarts killed replicas (resolves once they listen) or resumes paused ones. */
export async function heal(cluster: LocalCluster, fault: ActiveFault): Promise<void> {
  if (fault.kill) {
    await Promise.all(fault.replicas.map((id) => cluster.startReplica(id)));
    return;
  }
  for (const id of fault.replicas) {
    const pid = cluster.pid(id);
    // A paused replica cannot exit by itself; if it did, the launcher's onExit has said so.
    if (pid !== null) {
      process.kill(pid, "SIGCONT");
      paused.delete(pid);
    }
  }
}

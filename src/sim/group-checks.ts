// Consensus checks over every group of a simulation, and the standard fault schedule of a run.
import { ConsensusChecker, type LogView } from "../check/invariants.ts";
import { type GroupId, type ReplicaId, replicaId } from "../core/ids.ts";
import type { Role } from "../core/raft/types.ts";
import { type FaultEvent, type FaultKind, generateFaultSchedule } from "./faults.ts";
import type { Rng } from "./rng.ts";

/** The part of a replica the consensus checks read. */
export interface ObservedRaft extends LogView {
  readonly role: Role;
  readonly term: number;
}

/** One ConsensusChecker per group, fed from replica observations. */
export class GroupConsensusChecks {
  private readonly checkers = new Map<number, ConsensusChecker>();
  private readonly groupOf = new Map<number, number>();
  private readonly members: ReadonlyMap<number, readonly number[]>;

  constructor(members: ReadonlyMap<number, readonly number[]>) {
    this.members = members;
    for (const [g, ids] of members) {
      this.checkers.set(g, new ConsensusChecker());
      for (const id of ids) this.groupOf.set(id, g);
    }
  }

  /** The checker of `replica`'s group. */
  of(replica: number): ConsensusChecker {
    return this.checkers.get(this.groupOf.get(replica)!)!;
  }

  /** After a replica handled inputs: its role and commit index. */
  observe(replica: number, raft: ObservedRaft | undefined): void {
    if (raft === undefined) return;
    const c = this.of(replica);
    c.observeRole(replica, raft.role, raft.term, raft);
    c.observeCommit(replica, raft);
  }

  /** Log matching over the live replicas of every group. */
  checkLogs(raftOf: (replica: number) => LogView | undefined): void {
    for (const [g, ids] of this.members) {
      const views = new Map<number, LogView>();
      for (const id of ids) {
        const v = raftOf(id);
        if (v !== undefined) views.set(id, v);
      }
      this.checkers.get(g)!.checkLogs(views);
    }
  }

  /** Every violation, prefixed with its group when there are several. */
  violations(): string[] {
    const out: string[] = [];
    for (const [g, c] of this.checkers) {
      for (const v of c.violations) out.push(this.checkers.size > 1 ? `group ${g}: ${v}` : v);
    }
    return out;
  }
}

/** When faults may start: after the first elections (election timeouts are 100 to 200 ms). */
export const FAULTS_START = 150;

/**
 * The fault schedule every simulation uses: faults from FAULTS_START to `end`, dense (a mean gap
 * of a sixteenth of the window), each lasting up to a third of it, at most a minority of each
 * group down at once except for occasional majority losses; everything healed at `end`.
 */
export function standardFaults(
  rng: Rng,
  kinds: ReadonlySet<FaultKind>,
  groups: readonly (readonly number[])[],
  clients: readonly number[],
  end: number,
): FaultEvent[] {
  if (kinds.size === 0) return [];
  const replicas = groups[0]?.length ?? 1;
  return generateFaultSchedule(rng, {
    kinds,
    nodes: groups.flat(),
    groups,
    clients,
    start: FAULTS_START,
    end,
    meanGap: Math.max(10, (end - FAULTS_START) / 16),
    maxDown: Math.floor((replicas - 1) / 2),
    allowMajorityLoss: true,
    downtime: { min: 20, max: Math.max(40, Math.floor((end - FAULTS_START) / 3)) },
  });
}

/** Replicas of each group (ids `g*100 + 1..`) and the group of each replica. */
export function groupTopology(
  groups: readonly GroupId[],
  replicas: number,
): { members: Map<GroupId, ReplicaId[]>; groupOf: Map<number, GroupId> } {
  const members = new Map<GroupId, ReplicaId[]>();
  const groupOf = new Map<number, GroupId>();
  for (const g of groups) {
    const ids = Array.from({ length: replicas }, (_, i) => replicaId(g * 100 + i + 1));
    members.set(g, ids);
    for (const id of ids) groupOf.set(id, g);
  }
  return { members, groupOf };
}

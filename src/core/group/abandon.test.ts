// Tests of the group replica's abandon timer: real replicas, driven tick by tick in memory.
import { describe, expect, it } from "vitest";
import {
  type ClientId,
  clientId,
  type GroupId,
  groupId,
  type ReplicaId,
  replicaId,
} from "../ids.ts";
import type { McastCommand, McastMessage } from "../multicast/types.ts";
import { defaultRaftOptions } from "../raft/types.ts";
import type { GroupApp, GroupContext } from "./app.ts";
import {
  defaultGroupReplicaOptions,
  type GroupAdvance,
  GroupReplica,
  type GroupSend,
} from "./group-replica.ts";
import type { InterGroupMessage } from "./wire.ts";

type Msg = McastMessage<string>;
type Cmd = McastCommand<string, string>;

/** Records what it delivers, answers every delivery. */
class RecordingApp implements GroupApp<string, string, string, string[]> {
  delivered: string[] = [];
  deliver(msg: Msg, _ts: unknown, ctx: GroupContext<string, string>): void {
    this.delivered.push(`${msg.client}:${msg.seq}`);
    ctx.reply(msg.client, msg.seq, "ok");
  }
  receive(): void {}
  snapshot(): string[] {
    return [...this.delivered];
  }
  restore(snap: string[]): void {
    this.delivered = [...snap];
  }
}

type Replica = GroupReplica<string, string, string, string[]>;
type Routed =
  | { kind: "raft"; to: ReplicaId; msg: Parameters<Replica["step"]>[0] }
  | { kind: "group"; to: ReplicaId; from: ReplicaId; msg: InterGroupMessage<string, string> };

/**
 * Groups of three replicas each, connected by a perfect, instantaneous network: every message
 * is delivered, in order, before the next tick. Each replica's Ready is persisted (nothing to do
 * here), sent, then advanced at once. Every group's committed commands are recorded once.
 */
class Cluster {
  readonly replicas = new Map<ReplicaId, Replica>();
  readonly committed = new Map<GroupId, Cmd[]>();
  private readonly appliedIndex = new Map<GroupId, number>();
  private readonly queue: Routed[] = [];

  constructor(groupCount: number, abandonTicks: number) {
    const groups = new Map<GroupId, ReplicaId[]>();
    for (let g = 1; g <= groupCount; g++) {
      groups.set(
        groupId(g),
        [1, 2, 3].map((i) => replicaId(g * 100 + i)),
      );
      this.committed.set(groupId(g), []);
    }
    const options = { ...defaultGroupReplicaOptions(defaultRaftOptions), abandonTicks };
    for (const [group, members] of groups) {
      members.forEach((replica, i) => {
        // Different election timeouts, so the first replica of each group leads at once.
        const random = () => i / 3;
        this.replicas.set(
          replica,
          new GroupReplica({ group, replica, groups, random }, options, () => new RecordingApp(), {
            hardState: { term: 0, vote: null },
            snapshot: null,
            entries: [],
          }),
        );
      });
    }
  }

  leader(g: number): Replica {
    for (const r of this.replicas.values()) {
      if (r.group === groupId(g) && r.raft.role === "leader") return r;
    }
    throw new Error(`group ${g} has no leader`);
  }

  /** What the leader of group g delivered. */
  delivered(g: number): string[] {
    return (this.leader(g).application as RecordingApp).delivered;
  }

  abandons(g: number): Cmd[] {
    return this.committed.get(groupId(g))!.filter((c) => c.kind === "abandon");
  }

  /** The client sends `msg` to the leader of each group in `to`. */
  send(msg: Msg, to: readonly number[]): void {
    for (const g of to) this.leader(g).request({ type: "mcast", msg });
    this.settle();
  }

  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const r of this.replicas.values()) r.tick();
      this.settle();
    }
  }

  /** Runs every replica's work and delivers every message until nothing moves. */
  private settle(): void {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      let moved = false;
      for (const [id, r] of this.replicas) {
        if (!r.hasReady()) continue;
        moved = true;
        const rd = r.ready();
        this.route(id, rd.sends);
        for (const m of [...rd.raft.eager, ...rd.raft.messages]) {
          this.queue.push({ kind: "raft", to: m.to, msg: m });
        }
        this.record(r, rd.raft.committed);
        const adv: GroupAdvance<string, string, string> = r.advance(rd);
        this.route(id, adv.sends);
      }
      while (this.queue.length > 0) {
        moved = true;
        const m = this.queue.shift()!;
        const r = this.replicas.get(m.to)!;
        if (m.kind === "raft") r.step(m.msg);
        else r.receive(m.msg, m.from);
      }
      if (!moved) return;
    }
    throw new Error("the cluster does not settle");
  }

  private route(from: ReplicaId, sends: readonly GroupSend<string, string, string>[]): void {
    for (const s of sends) {
      if (s.kind === "replica") this.queue.push({ kind: "group", to: s.to, from, msg: s.msg });
    }
  }

  private record(r: Replica, entries: readonly { index: number; cmds: readonly Cmd[] }[]): void {
    const done = this.appliedIndex.get(r.group) ?? 0;
    for (const e of entries) {
      if (e.index <= done) continue;
      this.committed.get(r.group)!.push(...e.cmds);
      this.appliedIndex.set(r.group, e.index);
    }
  }
}

/** A client's messages with their per-group FIFO chain. */
function client(id: number): { id: ClientId; make: (dests: number[]) => Msg } {
  let seq = 0;
  const last = new Map<number, number>();
  return {
    id: clientId(id),
    make(dests) {
      seq++;
      const prev = dests.map((d) => last.get(d) ?? 0);
      for (const d of dests) last.set(d, seq);
      return { client: clientId(id), seq, dests: dests.map(groupId), prev, payload: "" };
    },
  };
}

const ABANDON = 60;

/**
 * Client c sends m1 to [2] and loses it, then m2 to [1, 2] reaches group 1 only: group 1
 * activates m2, and its proposal starts m2 at group 2, where m2 waits for m1. Client d's d1 to
 * [1], sent afterwards, is ordered after m2 at group 1 and waits with it.
 */
function stalled(abandonTicks: number) {
  const cl = new Cluster(2, abandonTicks);
  cl.tick(40); // elections
  const c = client(1);
  const d = client(2);
  const m1 = c.make([2]);
  const m2 = c.make([1, 2]);
  cl.send(m2, [1]);
  cl.send(d.make([1]), [1]);
  cl.tick(3); // one re-send round: group 1's proposal for m2 reaches group 2
  expect([...cl.leader(2).multicast.stalled()]).toEqual([{ client: c.id, seq: 2, broken: false }]);
  return { cl, m1, m2 };
}

describe("GroupReplica: abandoning a message stalled on a missing FIFO predecessor", () => {
  it("logs abandon after abandonTicks, and the stalled message and those behind it are delivered", () => {
    const { cl } = stalled(ABANDON);
    cl.tick(ABANDON - 6);
    expect(cl.abandons(2)).toEqual([]);
    expect(cl.delivered(1)).toEqual([]);
    cl.tick(12);
    expect(cl.abandons(2)).toEqual([{ kind: "abandon", client: clientId(1), seq: 2 }]);
    expect(cl.delivered(2)).toEqual(["1:2"]);
    expect(cl.delivered(1)).toEqual(["1:2", "2:1"]);
    for (const r of cl.replicas.values()) {
      expect((r.application as RecordingApp).delivered).toEqual(
        r.group === 1 ? ["1:2", "2:1"] : ["1:2"],
      );
    }
  });

  it("delivers nothing in the same time when abandonTicks is far longer", () => {
    const { cl } = stalled(1_000_000);
    cl.tick(ABANDON * 3);
    expect(cl.abandons(2)).toEqual([]);
    expect(cl.delivered(1)).toEqual([]);
    expect(cl.delivered(2)).toEqual([]);
    expect(cl.leader(2).multicast.waitingCount).toBe(1);
  });

  it("does not abandon when the predecessor arrives in time: FIFO holds for a slow client", () => {
    const { cl, m1 } = stalled(ABANDON);
    cl.tick(ABANDON / 2);
    cl.send(m1, [2]); // the client's retransmission
    cl.tick(ABANDON * 2);
    expect(cl.abandons(2)).toEqual([]);
    expect(cl.delivered(2)).toEqual(["1:1", "1:2"]);
    expect([...cl.delivered(1)].sort()).toEqual(["1:2", "2:1"]);
  });

  it("admits the lost predecessor when it arrives after the abandon", () => {
    const { cl, m1 } = stalled(ABANDON);
    cl.tick(ABANDON * 2);
    expect(cl.abandons(2)).toHaveLength(1);
    cl.send(m1, [2]); // not stale: group 2 awaits it as a hole
    cl.tick(3);
    expect(cl.delivered(2)).toEqual(["1:2", "1:1"]);
  });
  it("costs one period for a cascade, not one per link: waiting ages from the start of the wait", () => {
    // Client c loses a to [1] and b to [2]; m2 to [1, 2] then waits at both groups, activated
    // nowhere, so it is not stalled yet. m3 to [2, 3] is activated at 3 and stalls at 2 behind
    // m2; client d's d1 to [3] is ordered after m3 and waits with it. Group 2's abandon of m3
    // activates m2 first, and only then does m2 stall at group 1: it has waited there since the
    // start, so group 1 abandons it at once instead of a whole period later.
    const cl = new Cluster(3, ABANDON);
    cl.tick(40); // elections
    const c = client(1);
    const d = client(2);
    c.make([1]);
    c.make([2]);
    const m2 = c.make([1, 2]);
    const m3 = c.make([2, 3]);
    cl.send(m2, [1, 2]);
    cl.send(m3, [2, 3]);
    cl.send(d.make([3]), [3]);
    cl.tick(ABANDON - 6);
    expect(cl.abandons(1)).toEqual([]);
    expect(cl.abandons(2)).toEqual([]);
    expect(cl.delivered(3)).toEqual([]);
    cl.tick(24);
    expect(cl.abandons(2)).toEqual([{ kind: "abandon", client: c.id, seq: 4 }]);
    expect(cl.abandons(1)).toEqual([{ kind: "abandon", client: c.id, seq: 3 }]);
    expect(cl.delivered(1)).toEqual(["1:3"]);
    expect(cl.delivered(2)).toEqual(["1:3", "1:4"]);
    expect(cl.delivered(3)).toEqual(["1:4", "2:1"]);
  });
  it("abandons at once a message that another group activated outside its client's chain", () => {
    // As above, but m2 never reaches group 1 from its client: group 1 learns of it only from
    // group 2's proposal after group 2's abandon, and m2 then starts to wait there. The proposal
    // says that group 2 took m2 out of a broken chain, so group 1 does not wait another period.
    const cl = new Cluster(3, ABANDON);
    cl.tick(40); // elections
    const c = client(1);
    const d = client(2);
    c.make([1]);
    c.make([2]);
    const m2 = c.make([1, 2]);
    const m3 = c.make([2, 3]);
    cl.send(m2, [2]);
    cl.send(m3, [2, 3]);
    cl.send(d.make([3]), [3]);
    cl.tick(ABANDON - 6);
    expect(cl.leader(1).multicast.isKnown(c.id, m2.seq)).toBe(false);
    expect(cl.delivered(3)).toEqual([]);
    cl.tick(24);
    expect(cl.abandons(2)).toEqual([{ kind: "abandon", client: c.id, seq: 4 }]);
    expect(cl.abandons(1)).toEqual([{ kind: "abandon", client: c.id, seq: 3 }]);
    expect(cl.delivered(3)).toEqual(["1:4", "2:1"]);
  });
});

// Scripted scenarios for the Raft core, run on the in-memory test cluster.
import { describe, expect, it } from "vitest";
import { ConfigError, InvariantError } from "../errors.ts";
import { replicaId } from "../ids.ts";
import { Raft } from "./raft.ts";
import { Cluster, type Msg, rng } from "./test-harness.ts";
import { defaultRaftOptions } from "./types.ts";

const E = defaultRaftOptions.electionTicks;

/** Proposes `cmds` at the leader, one Ready for all of them, and lets the cluster settle. */
function proposeAll(c: Cluster, leader: number, cmds: readonly number[]): void {
  for (const cmd of cmds) expect(c.propose(leader, cmd)).toBe(true);
  c.settle();
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe("election", () => {
  it.each([3, 5])("elects exactly one leader among %i replicas, and everyone follows it", (n) => {
    const c = new Cluster(n);
    const leader = c.elect();
    c.tick(3); // heartbeats reach everyone
    expect(c.leaders()).toHaveLength(1);
    for (const node of c.nodes.values()) {
      expect(node.raft.term).toBe(leader.raft.term);
      expect(node.raft.leader).toBe(leader.id);
    }
    // The new leader's no-op is committed and applied everywhere.
    for (const node of c.nodes.values()) expect(node.raft.appliedIndex).toBe(1);
    expect(c.raft(leader.id).entry(1)?.cmds).toEqual([]);
  });

  it("a single-member group elects itself and commits on its own, after persisting", () => {
    const c = new Cluster(1);
    const r = c.raft(1);
    c.node(1).manual = true; // drive the Ready loop by hand
    for (let i = 0; i < 2 * E && r.role !== "leader"; i++) r.tick();
    expect(r.role).toBe("leader");
    expect(r.term).toBe(1);

    const rd1 = r.ready();
    expect(rd1.hardState).toEqual({ term: 1, vote: replicaId(1) });
    expect(rd1.entries.map((e) => e.index)).toEqual([1]); // the no-op
    expect(r.commitIndex).toBe(0); // not durable yet: not committed
    c.persistAndSend(c.node(1), rd1);
    c.applyAndAdvance(c.node(1), rd1);
    expect(r.commitIndex).toBe(1);

    expect(r.propose(42)).toBe(true);
    const rd2 = r.ready();
    expect(rd2.entries).toHaveLength(1);
    expect(rd2.committed.map((e) => e.index)).toEqual([1]);
    expect(r.commitIndex).toBe(1);
    c.persistAndSend(c.node(1), rd2);
    c.applyAndAdvance(c.node(1), rd2);
    expect(r.commitIndex).toBe(2);
    const rd3 = r.ready();
    expect(rd3.committed.map((e) => e.cmds)).toEqual([[42]]);
    r.advance();
    expect(r.hasReady()).toBe(false);
  });

  it("PreVote: a partitioned replica does not raise its term, and rejoins without disruption", () => {
    const c = new Cluster(3);
    const leader = c.electNode(1);
    const term = leader.raft.term;
    c.isolate(3);
    c.tick(10 * E);
    expect(c.raft(3).term).toBe(term); // pre-elections failed without touching the term
    expect(c.raft(3).role).not.toBe("leader");
    c.heal();
    c.tick(2 * E);
    expect(c.leader()?.id).toBe(leader.id);
    expect(leader.raft.term).toBe(term);
    expect(c.raft(3).leader).toBe(leader.id);
  });

  it("without PreVote and CheckQuorum the same partition disrupts the leader (contrast)", () => {
    const c = new Cluster(3, { preVote: false, checkQuorum: false });
    const leader = c.electNode(1);
    const term = leader.raft.term;
    c.isolate(3);
    c.tick(10 * E);
    expect(c.raft(3).term).toBeGreaterThan(term);
    c.heal();
    c.tick(4 * E);
    expect(c.leader()?.raft.term).toBeGreaterThan(term);
  });

  it("a follower that hears from its leader ignores a higher-term (pre)vote request", () => {
    const c = new Cluster(3);
    c.electNode(1);
    c.record = true;
    c.deliver({
      type: "vote",
      from: replicaId(3),
      to: replicaId(2),
      term: 99,
      lastIndex: 9,
      lastTerm: 9,
    });
    expect(c.raft(2).term).toBe(c.raft(1).term);
    expect(c.sent.filter((m) => m.from === 2)).toEqual([]);
  });

  it("CheckQuorum: an isolated leader steps down, and the majority elects another", () => {
    const c = new Cluster(3);
    const old = c.electNode(1);
    c.isolate(1);
    c.tick(2 * E); // the leader checks its quorum every election timeout
    expect(old.raft.role).toBe("follower");
    for (let i = 0; i < 10 * E && c.leaders().length === 0; i++) c.tick();
    const leaders = c.leaders();
    expect(leaders).toHaveLength(1);
    expect(leaders[0]?.id).not.toBe(old.id);
    expect(leaders[0]?.raft.term).toBeGreaterThan(old.raft.term);
  });

  it("without CheckQuorum an isolated leader keeps believing it leads (contrast)", () => {
    const c = new Cluster(3, { checkQuorum: false });
    const old = c.electNode(1);
    c.isolate(1);
    c.tick(3 * E);
    expect(old.raft.role).toBe("leader");
  });
});

describe("replication", () => {
  it("batches 500 proposals into a few entries, one Ready, and applies them everywhere", () => {
    const c = new Cluster(3);
    const leader = c.electNode(1);
    const before = leader.raft.lastIndex;
    const saves = leader.storage.saves;
    proposeAll(c, 1, range(1, 500));
    expect(leader.raft.lastIndex - before).toBe(2); // 256 + 244 commands
    expect(leader.storage.saves - saves).toBe(1); // one fsync for all of them
    for (const node of c.nodes.values()) expect(node.applied).toEqual(range(1, 500));
  });

  it("bounds the proposal queue", () => {
    const c = new Cluster(1, { maxBatch: 2 });
    c.elect();
    let accepted = 0;
    for (let i = 0; i < 1000; i++) if (c.propose(1, i)) accepted++;
    expect(accepted).toBe(64 * 2);
  });

  it("pipelines appends without exceeding maxInflight per follower", () => {
    const c = new Cluster(3, { maxEntriesPerAppend: 2, maxInflight: 3, maxBatch: 2 });
    c.electNode(1);
    c.record = true;
    proposeAll(c, 1, range(1, 120)); // 60 entries, 30 appends per follower
    expect(c.maxInflight).toBe(3); // the window was used, and never exceeded
    const appends = c.sent.filter((m) => m.type === "append" && m.entries.length > 0);
    expect(appends.every((m) => m.type === "append" && m.entries.length <= 2)).toBe(true);
    for (const node of c.nodes.values()) expect(node.applied).toEqual(range(1, 120));
  });

  it("keeps the window under heartbeats and a slow follower", () => {
    const c = new Cluster(3, { maxEntriesPerAppend: 1, maxInflight: 2, maxBatch: 1 });
    c.electNode(1);
    // Replies from 3 are held back: its window fills and stays full while heartbeats go on.
    const held: Msg[] = [];
    c.filter = (m) => {
      if (m.from === 3 && m.type === "append-reply") {
        held.push(m);
        return false;
      }
      return true;
    };
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) c.propose(1, round * 10 + i);
      c.tick(1);
    }
    expect(c.maxInflight).toBe(2);
    c.heal();
    for (const m of held) c.deliver(m); // late, out of date acknowledgements are harmless
    c.tick(3 * E);
    for (const node of c.nodes.values()) expect(node.applied).toEqual(range(0, 50));
  });

  it("repairs a diverged log: an old leader's uncommitted entries are overwritten", () => {
    const c = new Cluster(3);
    const old = c.electNode(1);
    proposeAll(c, 1, [1, 2]);
    c.isolate(1);
    proposeAll(c, 1, [100, 101, 102, 103, 104]); // reaches nobody
    expect(old.raft.lastIndex).toBe(3); // no-op, [1, 2], [100..104]
    expect(old.raft.commitIndex).toBe(2);
    const fresh = c.electNode(2);
    proposeAll(c, 2, [3, 4]);
    proposeAll(c, 2, [5, 6, 7]);
    c.heal();
    c.tick(2 * E);
    expect(old.raft.role).toBe("follower");
    expect(old.raft.leader).toBe(fresh.id);
    for (const node of c.nodes.values()) {
      expect(node.applied).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(node.raft.lastIndex).toBe(fresh.raft.lastIndex);
      for (let i = 1; i <= fresh.raft.lastIndex; i++) {
        expect(node.raft.termAt(i)).toBe(fresh.raft.termAt(i));
      }
    }
  });

  it("backs up over a long divergent term in one round trip thanks to the hint", () => {
    const c = new Cluster(3, { maxBatch: 1 });
    c.electNode(1);
    c.isolate(1);
    for (let i = 0; i < 50; i++) c.propose(1, 1000 + i); // 50 uncommitted entries on 1
    c.settle();
    c.electNode(2);
    proposeAll(c, 2, range(1, 10));
    c.heal();
    c.record = true;
    c.tick(2 * E);
    const rejects = c.sent.filter((m) => m.type === "append-reply" && !m.success && m.from === 1);
    expect(rejects.length).toBeLessThanOrEqual(2);
    expect(c.checkPrefixes()).toEqual(range(1, 10));
    expect(c.node(1).applied).toEqual(range(1, 10));
  });

  it("Figure 8: an entry of an earlier term is not committed by counting replicas", () => {
    const c = new Cluster(5, { maxEntriesPerAppend: 1 });
    const t1 = c.electNode(1).raft.term; // index 1: S1's no-op, committed everywhere

    // (a) S1 replicates X at index 2 to S2 only.
    c.filter = (m) => !(m.type === "append" && m.from === 1 && m.to !== 2 && m.entries.length > 0);
    proposeAll(c, 1, [666]);
    expect(c.raft(2).termAt(2)).toBe(t1);
    expect(c.raft(1).commitIndex).toBe(1);

    // (b) S1 crashes; S5 wins with S3 and S4, appends its no-op at index 2, then crashes.
    c.crash(1);
    c.filter = (m) => !(m.type === "append" && m.from === 5);
    const t2 = c.electNode(5).raft.term;
    expect(c.raft(5).termAt(2)).toBe(t2);
    c.crash(5);

    // (c) S1 restarts and wins; it gets X to S3 (a majority: S1, S2, S3), but its own no-op
    //     (index 3) reaches nobody. X must not count as committed: it is not of S1's term.
    c.restart(1);
    c.filter = (m) => !(m.type === "append" && m.from === 1 && m.entries.some((e) => e.index >= 3));
    c.electNode(1);
    c.tick(3);
    expect([1, 2, 3].map((id) => c.raft(id).termAt(2))).toEqual([t1, t1, t1]);
    expect(c.raft(1).commitIndex).toBeLessThan(2); // restarted at 0, and must stay below 2

    // (d) S1 crashes; S5 (last term t2 > t1) wins with S2, S3, S4 and overwrites index 2.
    c.crash(1);
    c.restart(5);
    c.heal();
    c.electNode(5);
    c.restart(1);
    c.tick(2 * E);
    expect(c.appliedTerms.get(2)).toBe(t2);
    for (const node of c.nodes.values()) {
      expect(node.raft.termAt(2)).toBe(t2);
      expect(node.applied).not.toContain(666);
    }
  });
});

describe("snapshots", () => {
  it("sends a snapshot to a lagging follower whose entries were compacted", () => {
    const c = new Cluster(3);
    c.electNode(1);
    proposeAll(c, 1, [1, 2, 3]);
    c.isolate(3);
    for (let i = 0; i < 10; i++) proposeAll(c, 1, range(10 * i + 10, 10));
    c.compact(1);
    c.compact(2);
    expect(c.raft(1).snapshotIndex).toBe(c.raft(1).appliedIndex);
    expect(c.raft(1).entry(2)).toBeUndefined();
    c.heal();
    c.record = true;
    c.tick(2 * E);
    expect(c.sent.filter((m) => m.type === "snapshot" && m.to === 3)).toHaveLength(1);
    expect(c.raft(3).snapshotIndex).toBe(c.raft(1).snapshotIndex);
    proposeAll(c, 1, [999]);
    const all = [1, 2, 3, ...range(10, 100), 999];
    for (const node of c.nodes.values()) expect(node.applied).toEqual(all);
  });

  it("brings an empty replica up to date with a snapshot", () => {
    const c = new Cluster(3);
    c.crash(3); // down before anyone led; it comes back with nothing at all
    c.electNode(1);
    for (let i = 0; i < 5; i++) proposeAll(c, 1, range(10 * i, 10));
    c.compact(1);
    c.restart(3, true);
    c.tick(2 * E);
    expect(c.raft(3).snapshotIndex).toBe(c.raft(1).snapshotIndex);
    expect(c.node(3).storage.snapshot?.meta.index).toBe(c.raft(1).snapshotIndex);
    proposeAll(c, 1, [1000]);
    for (const node of c.nodes.values()) expect(node.applied).toEqual([...range(0, 50), 1000]);
  });

  it("a duplicate or stale snapshot message changes nothing", () => {
    const c = new Cluster(3);
    c.electNode(1);
    c.isolate(3);
    proposeAll(c, 1, range(0, 20));
    c.compact(1);
    c.heal();
    c.record = true;
    c.tick(2 * E);
    const snap = c.sent.find((m) => m.type === "snapshot");
    expect(snap).toBeDefined();
    proposeAll(c, 1, [20, 21]);
    const last = c.raft(3).lastIndex;
    c.deliver(snap as Msg);
    expect(c.raft(3).lastIndex).toBe(last);
    expect(c.node(3).applied).toEqual(range(0, 22));
  });
});

describe("restart", () => {
  it("resumes from storage: snapshot plus entries, commit re-learned, entries re-applied", () => {
    const c = new Cluster(3);
    c.electNode(1);
    proposeAll(c, 1, range(0, 30));
    for (const id of [1, 2, 3]) c.compact(id);
    proposeAll(c, 1, range(30, 30));
    for (const id of [1, 2, 3]) c.crash(id);
    for (const id of [1, 2, 3]) {
      c.restart(id);
      const r = c.raft(id);
      expect(r.commitIndex).toBe(r.snapshotIndex);
      expect(r.appliedIndex).toBe(r.snapshotIndex);
      expect(r.lastIndex).toBeGreaterThan(r.snapshotIndex);
      expect(r.role).toBe("follower");
    }
    c.elect();
    const leader = c.leader();
    proposeAll(c, leader?.id ?? 1, [60]);
    for (const node of c.nodes.values()) expect(node.applied).toEqual(range(0, 61));
  });

  it("a restarted follower keeps its vote: no second vote in the same term", () => {
    const c = new Cluster(3);
    c.electNode(1);
    const term = c.raft(2).term;
    c.crash(2);
    c.restart(2);
    expect(c.raft(2).term).toBe(term);
    c.record = true;
    c.deliver({
      type: "vote",
      from: replicaId(3),
      to: replicaId(2),
      term,
      lastIndex: 99,
      lastTerm: term,
    });
    const reply = c.sent.find((m) => m.type === "vote-reply");
    expect(reply?.type === "vote-reply" && reply.granted).toBe(false);
  });
});

describe("unreliable network", () => {
  it("stale and duplicate appends and replies are harmless", () => {
    const c = new Cluster(3, { maxEntriesPerAppend: 1, maxBatch: 1 });
    c.electNode(1);
    c.record = true;
    proposeAll(c, 1, range(0, 10));
    const old = c.sent.slice();
    const last2 = c.raft(2).lastIndex;
    const commit1 = c.raft(1).commitIndex;
    // Replay every message, oldest first and then newest first.
    for (const m of old) c.deliver(m);
    for (const m of old.slice().reverse()) c.deliver(m);
    c.settle();
    expect(c.raft(2).lastIndex).toBe(last2); // stale appends truncated nothing
    expect(c.raft(1).commitIndex).toBe(commit1);
    proposeAll(c, 1, [10]);
    for (const node of c.nodes.values()) expect(node.applied).toEqual(range(0, 11));
  });

  // Seeds cycle through variants: 3 or 5 replicas, PreVote or CheckQuorum off, window sizes.
  // 5138 once found an endless Ready loop (commit broadcast to a follower behind the snapshot).
  it.each([...Array.from({ length: 40 }, (_, i) => i + 1), 5138])(
    "stays safe under drops, duplicates, reordering, partitions, crashes and compaction (seed %i)",
    (seed) => {
      const variant = seed % 4;
      const options = {
        maxEntriesPerAppend: 1 + (seed % 3),
        maxInflight: 1 + (seed % 5),
        maxBatch: 1 + (seed % 2),
        preVote: variant !== 1,
        checkQuorum: variant !== 2,
      };
      const c = new Cluster(variant === 0 ? 3 : 5, options, seed);
      const r = rng(seed * 7919);
      c.chaos = { drop: 0.05 + (seed % 7) * 0.04, duplicate: 0.2, reorder: seed % 5 !== 0 };
      let next = 0;
      for (let round = 0; round < 250; round++) {
        const leader = c.leader();
        if (leader !== undefined) for (let i = 0; i < 3; i++) leader.raft.propose(next++);
        const dice = r();
        if (dice < 0.03) {
          const a = 1 + Math.floor(r() * c.ids.length);
          const b = 1 + Math.floor(r() * c.ids.length);
          c.filter = (m) => m.from !== a && m.to !== a && m.from !== b && m.to !== b;
        } else if (dice < 0.08) {
          c.heal();
        } else if (dice < 0.14) {
          const victim = c.node(1 + Math.floor(r() * c.ids.length));
          if (victim.alive) c.crash(victim.id);
          else c.restart(victim.id);
        } else if (dice < 0.2) {
          const n = c.node(1 + Math.floor(r() * c.ids.length));
          if (n.alive) c.compact(n.id);
        }
        c.tick(1);
        c.checkPrefixes();
        c.checkLeaders();
      }
      // Faults stop: the group must recover and commit a new command everywhere.
      c.chaos = null;
      c.heal();
      for (const n of c.nodes.values()) if (!n.alive) c.restart(n.id);
      // Like a client: retry at whoever leads now until the command is applied somewhere.
      for (let i = 0; i < 20 && !c.checkPrefixes().includes(-1); i++) {
        c.leader()?.raft.propose(-1);
        c.tick(2 * E);
      }
      c.tick(2 * E);
      const longest = c.checkPrefixes();
      expect(longest).toContain(-1);
      for (const node of c.nodes.values()) expect(node.applied).toEqual(longest);
    },
  );
});

describe("persistence contract", () => {
  it("a follower acknowledges entries only in the Ready that persists them", () => {
    const c = new Cluster(3);
    c.electNode(1);
    c.node(2).manual = true;
    c.propose(1, 7);
    c.settle(); // the append reaches 2, which does not run its Ready loop
    const rd = c.raft(2).ready();
    const idx = c.raft(1).lastIndex;
    expect(rd.entries.map((e) => e.index)).toContain(idx);
    const ack = rd.messages.find((m) => m.type === "append-reply");
    expect(ack?.type === "append-reply" && ack.success && ack.index).toBe(idx);
    c.persistAndSend(c.node(2), rd);
    c.applyAndAdvance(c.node(2), rd);
    c.node(2).manual = false;
    c.settle();
    expect(c.raft(1).commitIndex).toBe(idx);
  });

  it("a vote is granted only in a Ready that persists it", () => {
    const c = new Cluster(3);
    c.node(2).manual = true;
    c.electNode(1); // 1 wins with 3's vote; 2's inbox is processed but its Ready is held
    const rd = c.raft(2).ready();
    const grants = rd.messages.filter((m) => m.type === "vote-reply" && m.granted);
    expect(grants).toHaveLength(1);
    expect(rd.hardState).toEqual({ term: c.raft(1).term, vote: replicaId(1) });
    c.raft(2).advance();
  });

  it("a leader with one follower down commits only once its own write is durable", () => {
    const c = new Cluster(3);
    const leader = c.electNode(1);
    c.crash(3);
    leader.manual = true;
    leader.hold = true;
    c.propose(1, 7);
    const rd = leader.raft.ready();
    const idx = leader.raft.lastIndex;
    expect(rd.entries.map((e) => e.index)).toEqual([idx]);
    c.persistAndSend(leader, rd);
    c.settle(); // 2 persists and acknowledges; the ack waits in the network
    expect(c.queue.some((m) => m.type === "append-reply" && m.index === idx)).toBe(true);
    expect(leader.raft.commitIndex).toBeLessThan(idx);
    // Only after its own advance() does the leader step the acknowledgement and commit.
    c.applyAndAdvance(leader, rd);
    leader.manual = false;
    leader.hold = false;
    c.settle();
    expect(leader.raft.commitIndex).toBe(idx);
    expect(leader.applied).toEqual([7]);
  });

  it("rejects inputs between ready() and advance()", () => {
    const c = new Cluster(1);
    const r = c.raft(1);
    c.node(1).manual = true;
    for (let i = 0; i < 2 * E; i++) r.tick();
    r.ready();
    expect(r.hasReady()).toBe(false);
    expect(() => r.tick()).toThrow(InvariantError);
    expect(() => r.propose(1)).toThrow(InvariantError);
    expect(() => r.ready()).toThrow(InvariantError);
    r.advance();
    expect(() => r.advance()).toThrow(InvariantError);
  });
});

describe("configuration", () => {
  const identity = { id: replicaId(1), members: [replicaId(1)], random: () => 0.5 };
  const empty = { hardState: { term: 0, vote: null }, snapshot: null, entries: [] };

  it("rejects invalid options and membership", () => {
    expect(() => new Raft(identity, { ...defaultRaftOptions, maxInflight: 0 }, empty)).toThrow(
      ConfigError,
    );
    expect(() => new Raft(identity, { ...defaultRaftOptions, heartbeatTicks: 10 }, empty)).toThrow(
      ConfigError,
    );
    expect(
      () => new Raft({ ...identity, members: [replicaId(2)] }, defaultRaftOptions, empty),
    ).toThrow(ConfigError);
  });

  it("ignores messages for someone else or from non-members", () => {
    const r = new Raft<number, number[]>(
      { id: replicaId(1), members: [1, 2, 3].map(replicaId), random: () => 0.5 },
      defaultRaftOptions,
      empty,
    );
    const vote = { type: "vote", term: 5, lastIndex: 0, lastTerm: 0 } as const;
    r.step({ ...vote, from: replicaId(9), to: replicaId(1) });
    r.step({ ...vote, from: replicaId(2), to: replicaId(3) });
    expect(r.term).toBe(0);
    expect(r.hasReady()).toBe(false);
  });
});

// Multicast simulation tests: determinism, seed sweeps under every fault, majority loss, and a deliberate bug caught.
import { describe, expect, it } from "vitest";
import { type FaultEvent, parseFaults } from "../../src/sim/faults.ts";
import {
  defaultMcastSimOptions,
  type McastRecord,
  type McastSimOptions,
  runMcastSimulation,
} from "../../src/sim/mcast-sim.ts";

const all = parseFaults("all");
const run = (o: Partial<McastSimOptions>) =>
  runMcastSimulation({ ...defaultMcastSimOptions, ...o });

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const latencies = (history: readonly McastRecord[], global: boolean): number[] =>
  history
    .filter((h) => h.completedAt !== null && h.dests.length > 1 === global)
    .map((h) => h.completedAt! - h.sentAt);

/** A time interval during which a group had a majority of its replicas crashed. */
interface Outage {
  readonly group: number;
  readonly from: number;
  readonly to: number;
}

/** The intervals during which some group had lost its majority, in the schedule's order. */
function majorityLosses(
  events: readonly FaultEvent[],
  members: readonly (readonly number[])[],
): Outage[] {
  const down = new Set<number>();
  const open = new Map<number, number>();
  const out: Outage[] = [];
  for (const e of events) {
    if (e.type === "crash") down.add(e.node);
    else if (e.type === "restart") down.delete(e.node);
    else continue;
    members.forEach((m, i) => {
      const lost = m.filter((n) => down.has(n)).length * 2 > m.length;
      const since = open.get(i);
      if (lost && since === undefined) open.set(i, e.at);
      if (!lost && since !== undefined) {
        open.delete(i);
        out.push({ group: i + 1, from: since, to: e.at });
      }
    });
  }
  return out;
}

/**
 * Runs seed `seed` under all faults with client 0 faulty in the given way (short abandon timeout)
 * and checks what every such run must show: no violation, and every other client's messages
 * complete.
 */
function runFaulty(
  faulty: "brokenClient" | "hostileClient" | "reusingClient",
  seed: number,
): { readonly o: McastSimOptions; readonly r: ReturnType<typeof runMcastSimulation> } {
  const o: McastSimOptions = {
    ...defaultMcastSimOptions,
    seed,
    [faulty]: true,
    faults: all,
    abandonTicks: 100,
  };
  const r = runMcastSimulation(o);
  expect(r.violations, `seed ${seed}`).toEqual([]);
  const others = r.history.filter((h) => h.client !== 1000);
  expect(
    others.every((h) => h.completedAt !== null),
    `seed ${seed}`,
  ).toBe(true);
  return { o, r };
}

describe("multicast simulation", () => {
  it("replays a seed byte for byte", () => {
    const a = run({ seed: 7, faults: all });
    const b = run({ seed: 7, faults: all });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.stats.faultsInjected).toBeGreaterThan(0);
    const c = run({ seed: 8, faults: all });
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it("delivers every message, local and global, without faults", () => {
    const r = run({ seed: 1, ops: 300 });
    expect(r.violations).toEqual([]);
    expect(r.stats.messages).toBe(300);
    expect(r.stats.completed).toBe(300);
    expect(r.stats.localMessages).toBeGreaterThan(50);
    expect(r.stats.globalMessages).toBeGreaterThan(50);
    expect(r.history.every((h) => h.completedAt !== null)).toBe(true);
  });

  it("finds no violation in a fixed sweep of 25 seeds over 4 groups under all faults", () => {
    // 400 messages make the fault window 500 ms long (20 ms to 500 ms), past the first elections.
    const failures: string[] = [];
    let faults = 0;
    let global = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const r = run({ seed, groups: 4, ops: 400, faults: all });
      faults += r.stats.faultsInjected;
      global += r.stats.globalMessages;
      if (r.violations.length > 0) failures.push(`seed ${seed}: ${r.violations.join("; ")}`);
      expect(r.stats.completed, `seed ${seed}`).toBe(r.stats.messages);
    }
    expect(failures).toEqual([]);
    // The sweep must actually exercise faults and multi-group messages.
    expect(faults).toBeGreaterThan(25 * 10);
    expect(global).toBeGreaterThan(25 * 100);
  });

  it("finds no violation with 8 groups under all faults", () => {
    for (let seed = 1; seed <= 6; seed++) {
      const r = run({ seed, groups: 8, faults: all });
      expect(r.violations, `seed ${seed}`).toEqual([]);
      expect(r.stats.completed, `seed ${seed}`).toBe(r.stats.messages);
    }
  });

  it("survives a group losing its majority, which stalls that group until it recovers", () => {
    // Crash faults alone, over a 1 s fault window (800 messages), so that clients keep sending
    // while a group is down. The schedule generator lets one crash in ten exceed the minority.
    const crash = parseFaults("crash");
    let checked = 0;
    let across = 0;
    let sentDuring = 0;
    for (let seed = 1; seed <= 100 && checked < 4; seed++) {
      const o: McastSimOptions = { ...defaultMcastSimOptions, seed, ops: 800, faults: crash };
      const r = runMcastSimulation(o);
      const losses = majorityLosses(r.schedule, r.members);
      if (losses.length === 0) continue;
      checked++;
      expect(r.violations, `seed ${seed}`).toEqual([]);
      expect(r.stats.completed, `seed ${seed}`).toBe(r.stats.messages);
      for (const { group, from, to } of losses) {
        for (const h of r.history) {
          if (!h.dests.includes(group) || h.sentAt >= to || h.completedAt! < to) continue;
          across++; // pending at the group when it lost its majority, delivered after
          if (h.sentAt < from) continue;
          // Sent while the group had no majority: it cannot be ordered there before one is back.
          sentDuring++;
          expect(h.completedAt, `seed ${seed} ${h.client}.${h.seq}`).toBeGreaterThanOrEqual(to);
        }
      }
    }
    expect(checked).toBe(4);
    expect(across).toBeGreaterThan(0);
    expect(sentDuring).toBeGreaterThan(0);
  });

  it("catches --bug early-delivery in the first seeds, and replays it identically", () => {
    let failing: number | null = null;
    for (let seed = 1; seed <= 5 && failing === null; seed++) {
      if (run({ seed, faults: all, bug: "early-delivery" }).violations.length > 0) failing = seed;
    }
    expect(failing).not.toBeNull();
    const first = run({ seed: failing!, faults: all, bug: "early-delivery" });
    const again = run({ seed: failing!, faults: all, bug: "early-delivery" });
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
    expect(first.violations.join("\n")).toMatch(/order/);
    // Without faults too: the bug breaks ordering, not fault handling.
    expect(run({ seed: 1, bug: "early-delivery" }).violations.length).toBeGreaterThan(0);
  });

  it("delivers local messages faster than global ones", () => {
    // Default network and cost model, contention from 4 clients with 3 messages in flight each.
    const r = run({ seed: 3, ops: 400 });
    expect(r.violations).toEqual([]);
    expect(median(latencies(r.history, false))).toBeLessThan(median(latencies(r.history, true)));
    expect(r.stats.localLatencyP50).toBeLessThan(r.stats.globalLatencyP50);
    // Without contention, on a network where each message takes exactly 1 ms and replicas take
    // no time: a local message is one consensus round (client, leader, followers, leader,
    // client: 4 delays); a global one adds the exchange of timestamps and a second round.
    const u = run({
      seed: 3,
      ops: 100,
      clients: 1,
      window: 1,
      thinkMs: 0,
      network: { minLatency: 1, meanExtraLatency: 0, dropRate: 0, duplicateRate: 0 },
      cost: { cpuPerInput: 0, cpuPerCommand: 0, cpuPerSend: 0, fsyncLatency: 0 },
    });
    expect(u.violations).toEqual([]);
    const local = median(latencies(u.history, false));
    const global = median(latencies(u.history, true));
    expect(local).toBeLessThanOrEqual(4);
    expect(global).toBeGreaterThanOrEqual(local + 2);
  });

  it("keeps serving every other client when one sends its messages only in part", () => {
    // Each broken link of that client's chains that other groups wait on costs one abandon
    // timeout, and the links can depend on one another in a row: a shorter timeout than the
    // default (1 s) keeps the runs well inside the settle time.
    let needed = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const { o } = runFaulty("brokenClient", seed);
      // Without abandon, the other clients' messages ordered behind a stalled one never complete.
      const off = runMcastSimulation({ ...o, abandonTicks: 1_000_000_000 });
      if (off.violations.some((v) => v.startsWith("liveness"))) needed++;
    }
    expect(needed).toBeGreaterThanOrEqual(3);
  });

  it("keeps serving every other client when one lies about its FIFO chains", () => {
    // Client 0 names random predecessors half the time. A group that cannot place such a message
    // in the client's chain activates it at once when another group has activated it, or ignores
    // it: either every destination delivers it or none (the checker's liveness check), and no
    // correct client's message waits for it.
    let lied = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const { r } = runFaulty("hostileClient", seed);
      lied += r.history.filter((h) => h.client === 1000).length;
    }
    expect(lied).toBeGreaterThan(0);
  });
});

describe("multicast simulation with a client that reuses seqs", () => {
  it("delivers no id twice, each version at all of its dests or none, and serves every other client", () => {
    // Client 0 follows half of its messages with another message under the same seq. Each group
    // activates one version of an id and declines the others' proposals, so a version is
    // delivered everywhere or nowhere and no group waits on a proposal that never comes.
    let reused = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const { r } = runFaulty("reusingClient", seed);
      reused += r.history.filter((h) => h.client === 1000).length;
    }
    expect(reused).toBeGreaterThan(0);
  });
});

// The multicast checker must accept healthy histories (with restarts) and report each kind of violation fed to it.
import { describe, expect, it } from "vitest";
import { MulticastChecker, type MulticastFinishOptions } from "./multicast-checker.ts";

/** Groups 1..3 with three replicas each: replica ids 10g+1 .. 10g+3. */
const replicasByGroup = new Map<number, readonly number[]>([
  [1, [11, 12, 13]],
  [2, [21, 22, 23]],
  [3, [31, 32, 33]],
  [4, [41, 42, 43]],
]);
const allReplicas = new Set([...replicasByGroup.values()].flat());
const live: MulticastFinishOptions = { replicasByGroup, correct: allReplicas, checkLiveness: true };
const safe: MulticastFinishOptions = { ...live, checkLiveness: false };

/**
 * Every replica of `group` delivers `ids` in order. Replica 2 crashes after `crashAt` deliveries
 * and restarts from a snapshot covering `snapshot` of them, so it re-reports positions after it.
 */
function deliver(
  c: MulticastChecker,
  group: number,
  ids: readonly string[],
  crashAt = 0,
  snapshot = 0,
): void {
  for (const replica of replicasByGroup.get(group)!) {
    const restarts = replica === 10 * group + 2 && crashAt > 0;
    const first = restarts ? ids.slice(0, crashAt) : ids;
    for (let i = 0; i < first.length; i++) c.onDeliver(group, replica, i + 1, first[i]!);
    if (restarts) {
      c.onRestore(replica, snapshot);
      for (let i = snapshot; i < ids.length; i++) c.onDeliver(group, replica, i + 1, ids[i]!);
    }
  }
}

/** Sends `id` from client `sender` (its `order`-th message) to `dests`. */
function send(c: MulticastChecker, id: string, dests: readonly number[]): void {
  const [sender, order] = id.split(".").map(Number);
  c.onSend(id, sender!, order!, dests);
}

/** A small healthy history over groups 1..3: a total order a..f, each group its sub-sequence. */
function healthy(): MulticastChecker {
  const c = new MulticastChecker();
  send(c, "1.1", [1, 2]);
  send(c, "2.1", [2, 3]);
  send(c, "1.2", [1, 3]);
  send(c, "3.1", [1, 2, 3]);
  send(c, "2.2", [2]);
  send(c, "1.3", [1, 2]);
  deliver(c, 1, ["1.1", "1.2", "3.1", "1.3"], 3, 1);
  deliver(c, 2, ["1.1", "2.1", "3.1", "2.2", "1.3"], 4, 4);
  deliver(c, 3, ["2.1", "1.2", "3.1"], 2, 0);
  return c;
}

/** The LCG of Numerical Recipes: deterministic randomness for the tests. */
function lcg(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * n);
  };
}

describe("MulticastChecker", () => {
  it("accepts a healthy history with restarts that re-report positions", () => {
    const c = healthy();
    expect(c.violations).toEqual([]);
    expect(c.finish(live)).toEqual([]);
  });

  it("reports a message delivered twice by one group", () => {
    const c = new MulticastChecker();
    send(c, "1.1", [1]);
    send(c, "1.2", [1]);
    deliver(c, 1, ["1.1", "1.2", "1.1"]);
    expect(c.violations.join()).toMatch(
      /^integrity: group 1 delivered 1.1 twice, at positions 1 and 3/,
    );
    expect(c.violations).toHaveLength(1);
  });

  it("reports a delivery to a group the message was not sent to, and of an unsent id", () => {
    const c = new MulticastChecker();
    send(c, "1.1", [1]);
    deliver(c, 2, ["1.1"]);
    expect(c.violations.join()).toMatch(
      /integrity: group 2 delivered 1.1, which was sent to groups 1 only/,
    );
    const d = new MulticastChecker();
    deliver(d, 1, ["9.9"]);
    expect(d.violations.join()).toMatch(/integrity: group 1 delivered 9.9, which was never sent/);
  });

  it("reports two replicas of a group that disagree at a position", () => {
    const c = new MulticastChecker();
    send(c, "1.1", [1]);
    send(c, "1.2", [1]);
    c.onDeliver(1, 11, 1, "1.1");
    c.onDeliver(1, 12, 1, "1.1");
    c.onDeliver(1, 11, 2, "1.2");
    c.onDeliver(1, 13, 1, "1.2");
    expect(c.violations).toEqual([
      "agreement: replica 13 of group 1 delivered 1.2 at position 1, where another replica delivered 1.1",
    ]);
  });

  it("reports two groups that deliver two common messages in opposite orders", () => {
    const c = new MulticastChecker();
    send(c, "1.1", [1, 2]);
    send(c, "2.1", [1, 2]);
    deliver(c, 1, ["1.1", "2.1"]);
    deliver(c, 2, ["2.1", "1.1"]);
    const out = c.finish(live);
    expect(out.filter((v) => v.startsWith("prefix order"))).toEqual([
      "prefix order: group 1 delivered 1.1 before 2.1 but group 2 delivered them in the opposite order",
    ]);
    expect(out.join("\n")).toMatch(/acyclic order: delivery orders form a cycle/);
  });

  it("reports a group that skips a message another group ordered first, even without liveness", () => {
    const c = new MulticastChecker();
    send(c, "1.1", [1, 2]);
    send(c, "2.1", [1, 2]);
    deliver(c, 1, ["1.1", "2.1"]);
    deliver(c, 2, ["2.1"]);
    expect(c.finish(safe)).toEqual([
      "prefix order: group 2 delivered 2.1 but never 1.1, which group 1 delivered before it and which is also addressed to 2",
    ]);
  });

  it("reports a 3-group cycle where no two groups share two messages", () => {
    const c = new MulticastChecker();
    send(c, "1.1", [1, 3]); // a
    send(c, "2.1", [1, 2]); // b
    send(c, "3.1", [2, 3]); // c
    deliver(c, 1, ["1.1", "2.1"]);
    deliver(c, 2, ["2.1", "3.1"]);
    deliver(c, 3, ["3.1", "1.1"]);
    const out = c.finish(live);
    expect(out).toEqual([
      "acyclic order: delivery orders form a cycle: 1.1 -(g1)-> 2.1 -(g2)-> 3.1 -(g3)-> 1.1",
    ]);
  });

  it("reports FIFO broken: a sender's messages delivered out of order, or one skipped", () => {
    const c = new MulticastChecker();
    send(c, "1.1", [1]);
    send(c, "1.2", [1, 2]);
    deliver(c, 1, ["1.2", "1.1"]);
    deliver(c, 2, ["1.2"]);
    expect(c.finish(live)).toEqual([
      "fifo: group 1 delivered 1.2 of sender 1 before 1.1, sent earlier",
    ]);
    // A faulty sender's abandoned chain may deliver a late predecessor after its successor.
    expect(c.finish({ ...live, correctSenders: new Set([2]) })).toEqual([]);
    expect(c.finish({ ...live, correctSenders: new Set([1]) })).toEqual([
      "fifo: group 1 delivered 1.2 of sender 1 before 1.1, sent earlier",
    ]);
    const d = new MulticastChecker();
    send(d, "1.1", [1]);
    send(d, "1.2", [1]);
    deliver(d, 1, ["1.2"]);
    expect(d.finish(safe)).toEqual([
      "fifo: group 1 delivered 1.2 of sender 1 but never 1.1, sent to it earlier",
    ]);
    // A faulty sender may have given up 1.1: FIFO is not promised to it.
    expect(d.finish({ ...safe, correctSenders: new Set([2]) })).toEqual([]);
  });

  it("reports a message missing at one destination only when liveness is checked", () => {
    const c = new MulticastChecker();
    send(c, "1.1", [1, 2]);
    send(c, "2.1", [2]);
    deliver(c, 1, ["1.1"]);
    deliver(c, 2, ["2.1"]);
    expect(c.finish(safe)).toEqual([]);
    expect(c.finish(live)).toEqual([
      "liveness: 1 messages addressed to group 2 were never delivered there (1.1)",
    ]);
    // The messages of a sender that is not correct need not arrive.
    expect(c.finish({ ...live, correctSenders: new Set([2]) })).toEqual([]);
  });

  it("reports a correct replica that lags its group, but not a crashed one", () => {
    const c = new MulticastChecker();
    send(c, "1.1", [1]);
    send(c, "1.2", [1]);
    send(c, "1.3", [1]);
    c.onDeliver(1, 11, 1, "1.1");
    c.onDeliver(1, 11, 2, "1.2");
    c.onDeliver(1, 11, 3, "1.3");
    c.onDeliver(1, 12, 1, "1.1");
    c.onDeliver(1, 12, 2, "1.2");
    c.onDeliver(1, 12, 3, "1.3");
    // Replica 13 delivered everything, then restarted from a snapshot of 1 and did not catch up.
    c.onDeliver(1, 13, 1, "1.1");
    c.onDeliver(1, 13, 2, "1.2");
    c.onDeliver(1, 13, 3, "1.3");
    c.onRestore(13, 1);
    const opts = { replicasByGroup: new Map([[1, [11, 12, 13]]]), checkLiveness: true };
    expect(c.finish({ ...opts, correct: new Set([11, 12, 13]) })).toEqual([
      "liveness: correct replica 13 of group 1 has 1 of the group's 3 deliveries (2 missing)",
    ]);
    expect(c.finish({ ...opts, correct: new Set([11, 12]) })).toEqual([]);
    expect(c.finish({ ...opts, checkLiveness: false, correct: new Set([11, 12, 13]) })).toEqual([]);
  });

  it("reports positions nobody reported below a group's highest", () => {
    const c = new MulticastChecker();
    send(c, "1.1", [1]);
    send(c, "1.2", [1]);
    c.onDeliver(1, 11, 1, "1.1");
    c.onDeliver(1, 11, 3, "1.2");
    expect(c.finish(safe).join()).toMatch(
      /agreement: group 1 has deliveries up to position 3 but nobody reported positions 2/,
    );
  });

  it("caps the report and counts what it left out", () => {
    const c = new MulticastChecker();
    for (let i = 1; i <= 30; i++) c.onDeliver(1, 11, i, `9.${i}`);
    const out = c.finish(safe);
    expect(out).toHaveLength(6);
    expect(out[5]).toBe("integrity: 25 more violations not shown");
  });

  describe("randomized total orders over 4 groups", () => {
    const groups = [1, 2, 3, 4];

    /** 5k messages from 20 senders in one total order; each group's sub-sequence of it. */
    function scenario(seed: number): {
      c: MulticastChecker;
      orders: Map<number, string[]>;
      total: string[];
    } {
      const rand = lcg(seed);
      const c = new MulticastChecker();
      const orders = new Map<number, string[]>(groups.map((g) => [g, []]));
      const total: string[] = [];
      const sent = new Array<number>(20).fill(0);
      for (let i = 0; i < 5000; i++) {
        const sender = rand(20);
        const order = ++sent[sender]!;
        const dests = groups.filter(() => rand(2) === 0);
        if (dests.length === 0) dests.push(groups[rand(groups.length)]!);
        const id = `${sender}.${order}`;
        c.onSend(id, sender, order, dests);
        total.push(id);
        for (const g of dests) orders.get(g)!.push(id);
      }
      return { c, orders, total };
    }

    it("accepts every group delivering its sub-sequence of the total order, with restarts", () => {
      const { c, orders } = scenario(7);
      const started = performance.now();
      for (const [g, ids] of orders) deliver(c, g, ids, Math.floor(ids.length / 2), 100);
      const out = c.finish(live);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(out).toEqual([]);
    });

    /**
     * What group `g` delivering `m2` right before `m` (the reverse of the total order) breaks:
     * same sender (fifo), another common group (inversion), a path from m to m2 through the other
     * groups' orders (cycle), or nothing: then the swap is just another valid order.
     */
    function classify(
      orders: ReadonlyMap<number, readonly string[]>,
      total: readonly string[],
      g: number,
      m: string,
      m2: string,
    ): string {
      if (m.split(".")[0] === m2.split(".")[0]) return "fifo";
      const groupsOf = new Map<string, number[]>();
      for (const [h, ids] of orders) {
        for (const id of ids) groupsOf.set(id, [...(groupsOf.get(id) ?? []), h]);
      }
      if (groupsOf.get(m)!.some((h) => h !== g && groupsOf.get(m2)!.includes(h))) {
        return "inversion";
      }
      // Walk the total order from m to m2: a message is reachable from m when its predecessor in
      // one of its groups is (g's reversed pair excepted).
      const reach = new Set([m]);
      const last = new Map<number, string>();
      for (const id of total.slice(total.indexOf(m), total.indexOf(m2) + 1)) {
        for (const h of groupsOf.get(id)!) {
          const prev = last.get(h);
          if (prev !== undefined && reach.has(prev) && !(h === g && id === m2)) reach.add(id);
          last.set(h, id);
        }
      }
      return reach.has(m2) ? "cycle" : "valid";
    }

    /** Finds, from a random start, an adjacent pair of some group whose swap is of `kind`. */
    function findSwap(seed: number, kind: string): { g: number; at: number } {
      const { orders, total } = scenario(seed);
      const rand = lcg(seed * 31);
      const g = groups[rand(groups.length)]!;
      const ids = orders.get(g)!;
      const start = rand(ids.length - 1);
      for (let k = 0; k < ids.length - 1; k++) {
        const at = (start + k) % (ids.length - 1);
        if (classify(orders, total, g, ids[at]!, ids[at + 1]!) === kind) return { g, at };
      }
      throw new Error(`seed ${seed}: no ${kind} swap in group ${g}`);
    }

    const expected: Record<string, RegExp> = {
      inversion: /^prefix order: .* in the opposite order$/m,
      cycle: /^acyclic order: delivery orders form a cycle/m,
      fifo: /^fifo: /m,
    };
    for (const kind of ["inversion", "cycle", "fifo", "valid"]) {
      it(`${kind === "valid" ? "accepts" : "reports"} one adjacent swap in one group of kind "${kind}"`, () => {
        for (const seed of [1, 2, 3]) {
          const { g, at } = findSwap(seed, kind);
          const { c, orders } = scenario(seed);
          const ids = orders.get(g)!;
          [ids[at], ids[at + 1]] = [ids[at + 1]!, ids[at]!];
          for (const [h, seq] of orders) deliver(c, h, seq);
          const out = c.finish(live);
          if (kind === "valid") expect(out).toEqual([]);
          else expect(out.join("\n")).toMatch(expected[kind]!);
        }
      });
    }
  });
});

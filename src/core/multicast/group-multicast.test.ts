// Tests of the group multicast state machine, wired into several groups by an in-memory harness.
import { describe, expect, it } from "vitest";
import { ConfigError, FormatError, InvariantError } from "../errors.ts";
import { type ClientId, clientId, groupId } from "../ids.ts";
import { GroupMulticast } from "./group-multicast.ts";
import type {
  ApplyOutcome,
  Delivery,
  McastCommand,
  McastMessage,
  McastOptions,
  McastSnapshot,
  Timestamp,
} from "./types.ts";

type Msg = McastMessage<string>;
type Cmd = McastCommand<string, string>;
type Snap = McastSnapshot<string, string>;

const g = groupId;

/** A tiny seeded LCG (Numerical Recipes constants); `below(n)` uses the high bits. */
class Lcg {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  below(n: number): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return Math.floor((this.s / 0x1_0000_0000) * n);
  }
  chance(p: number): boolean {
    return this.below(1_000_000) < p * 1_000_000;
  }
}

/** Builds a client's messages with their per-group FIFO chain (`prev`). */
class TestClient {
  readonly id: ClientId;
  private seq = 0;
  private readonly last = new Map<number, number>();
  constructor(id: number) {
    this.id = clientId(id);
  }
  make(dests: readonly number[], payload = ""): Msg {
    const sorted = [...new Set(dests)].sort((a, b) => a - b);
    this.seq++;
    const prev = sorted.map((d) => this.last.get(d) ?? 0);
    for (const d of sorted) this.last.set(d, this.seq);
    return { client: this.id, seq: this.seq, dests: sorted.map(g), prev, payload };
  }
}

const idOf = (m: { client: ClientId; seq: number }): string => `${m.client}:${m.seq}`;

interface Delivered {
  readonly id: string;
  readonly ts: Timestamp;
}

/**
 * Several groups, each a GroupMulticast; "the log" of a group is simply the sequence of `apply`
 * calls made on it. Channel messages are carried from an outbox to the destination as `channel`
 * commands, in any order and with duplicates; acks are carried back.
 */
class Net {
  readonly groups = new Map<number, GroupMulticast<string, string>>();
  readonly delivered = new Map<number, Delivered[]>();
  readonly appReceived = new Map<number, string[]>();
  /** The message each delivery carried, in `delivered` order: a reused seq's version. */
  readonly versions = new Map<number, Msg[]>();
  /** Starts sent by clients and not yet appended. */
  readonly inflight: { g: number; msg: Msg }[] = [];
  /** Every start ever appended, for duplicates. */
  readonly appended: { g: number; msg: Msg }[] = [];
  /** Every channel command ever carried, for duplicates. */
  readonly carried: { to: number; cmd: Cmd }[] = [];
  /** Application hook: runs on each delivery, may call `send`. */
  onDeliver: ((at: number, d: Delivery<string, string>) => void) | null = null;

  constructor(ids: readonly number[], options: McastOptions = {}) {
    for (const id of ids) {
      this.groups.set(id, new GroupMulticast<string, string>(g(id), options));
      this.delivered.set(id, []);
      this.appReceived.set(id, []);
      this.versions.set(id, []);
    }
  }

  group(id: number): GroupMulticast<string, string> {
    const gm = this.groups.get(id);
    if (gm === undefined) throw new Error(`no group ${id}`);
    return gm;
  }

  apply(at: number, cmd: Cmd): ApplyOutcome {
    const gm = this.group(at);
    const out = gm.apply(cmd);
    for (const d of gm.takeDeliveries()) {
      if (d.kind === "deliver") {
        this.delivered.get(at)!.push({ id: idOf(d.msg), ts: d.ts });
        this.versions.get(at)!.push(d.msg);
      } else this.appReceived.get(at)!.push(`${d.from}>${d.payload}`);
      this.onDeliver?.(at, d);
    }
    return out;
  }

  /** The client sends `msg` to the leader of every dest. */
  multicast(msg: Msg): Msg {
    for (const d of msg.dests) this.inflight.push({ g: d, msg });
    return msg;
  }

  /** Appends the i-th in-flight start at its group. */
  start(i: number): ApplyOutcome {
    const [s] = this.inflight.splice(i, 1);
    if (s === undefined) throw new Error(`no in-flight start ${i}`);
    this.appended.push(s);
    return this.apply(s.g, { kind: "start", msg: s.msg });
  }

  /** Appends the start of `msg` at group `at` (whether or not it was in flight there). */
  startAt(at: number, msg: Msg): ApplyOutcome {
    const i = this.inflight.findIndex((s) => s.g === at && s.msg === msg);
    if (i >= 0) return this.start(i);
    this.appended.push({ g: at, msg });
    return this.apply(at, { kind: "start", msg });
  }

  /** Carries the k-th unacknowledged message of channel from → to and appends it at `to`. */
  carry(from: number, to: number, k = 0): ApplyOutcome {
    const box = this.group(from).outbox(g(to));
    const body = box.bodies[k];
    if (body === undefined) throw new Error(`channel ${from}>${to} has no message ${k}`);
    const cmd: Cmd = { kind: "channel", from: g(from), seq: box.firstSeq + k, body };
    this.carried.push({ to, cmd });
    return this.apply(to, cmd);
  }

  /** Carries `to`'s acknowledgement of the channel from → to back to `from`. */
  ack(from: number, to: number): ApplyOutcome {
    return this.apply(from, { kind: "ack", from: g(to), upTo: this.group(to).received(g(from)) });
  }

  /** What a new leader of every group does: re-send every outbox entirely, in order, then ack. */
  resendEverything(): void {
    for (const [from, gm] of this.groups) {
      for (const [to, box] of [...gm.outboxes()]) {
        const n = box.bodies.length;
        for (let k = 0; k < n; k++) this.carry(from, to, k);
      }
    }
  }

  /** A new leader re-appends every start the clients ever sent (clients retry to it). */
  reappendStarts(): void {
    for (const s of [...this.appended]) {
      expect(this.apply(s.g, { kind: "start", msg: s.msg })).toBe("duplicate");
    }
  }

  channelsBusy(): [number, number][] {
    const busy: [number, number][] = [];
    for (const [from, gm] of this.groups) for (const [to] of gm.outboxes()) busy.push([from, to]);
    return busy;
  }

  quiescent(): boolean {
    return this.inflight.length === 0 && this.channelsBusy().length === 0;
  }

  /** One random step: append a start, carry a channel message, carry an ack, or a duplicate. */
  step(rng: Lcg, dupRate = 0.1): void {
    if (rng.chance(dupRate) && this.appended.length > 0) {
      const s = this.appended[rng.below(this.appended.length)]!;
      this.apply(s.g, { kind: "start", msg: s.msg });
      return;
    }
    if (rng.chance(dupRate) && this.carried.length > 0) {
      const c = this.carried[rng.below(this.carried.length)]!;
      this.apply(c.to, c.cmd);
      return;
    }
    const busy = this.channelsBusy();
    const choice = rng.below(3);
    if ((choice === 0 || busy.length === 0) && this.inflight.length > 0) {
      this.start(rng.below(this.inflight.length));
      return;
    }
    const ch = busy[rng.below(busy.length)];
    if (ch === undefined) return;
    const [from, to] = ch;
    if (choice === 2) {
      this.ack(from, to);
    } else {
      const n = this.group(from).outbox(g(to)).bodies.length;
      // Favour the head: that is what makes progress; the rest are re-sends and gaps.
      this.carry(from, to, rng.chance(0.5) ? 0 : rng.below(n));
    }
  }

  /** Random steps until everything is appended, carried and acknowledged. */
  run(rng: Lcg, dupRate = 0.1): number {
    let steps = 0;
    while (!this.quiescent()) {
      this.step(rng, dupRate);
      if (++steps > 200_000) throw new Error("no progress");
    }
    return steps;
  }

  /** Appends everything in a fixed order: starts first, then channel traffic until quiet. */
  drain(): void {
    while (this.inflight.length > 0) this.start(0);
    while (!this.quiescent()) {
      for (const [from, to] of this.channelsBusy()) {
        this.carry(from, to);
        this.ack(from, to);
      }
    }
  }

  ids(at: number): string[] {
    return this.delivered.get(at)!.map((d) => d.id);
  }
}

/** True when the union of the groups' delivery orders (consecutive pairs) has no cycle. */
function acyclic(orders: readonly (readonly string[])[]): boolean {
  const succ = new Map<string, Set<string>>();
  const indeg = new Map<string, number>();
  const node = (x: string) => {
    if (!succ.has(x)) {
      succ.set(x, new Set());
      indeg.set(x, 0);
    }
  };
  for (const order of orders) {
    for (let i = 0; i < order.length; i++) {
      node(order[i]!);
      if (i === 0) continue;
      const a = order[i - 1]!;
      const b = order[i]!;
      if (!succ.get(a)!.has(b)) {
        succ.get(a)!.add(b);
        indeg.set(b, indeg.get(b)! + 1);
      }
    }
  }
  const ready = [...indeg].filter(([, d]) => d === 0).map(([x]) => x);
  let seen = 0;
  while (ready.length > 0) {
    const x = ready.pop()!;
    seen++;
    for (const y of succ.get(x)!) {
      const d = indeg.get(y)! - 1;
      indeg.set(y, d);
      if (d === 0) ready.push(y);
    }
  }
  return seen === succ.size;
}

/** Integrity, agreement (same final ts everywhere), acyclic order and FIFO per sender. */
function checkRun(net: Net, msgs: readonly Msg[]): void {
  const finalTs = new Map<string, Timestamp>();
  for (const [id, log] of net.delivered) {
    const ids = log.map((d) => d.id);
    expect(new Set(ids).size, `group ${id} delivered a message twice`).toBe(ids.length);
    const expected = msgs.filter((m) => m.dests.includes(g(id))).map(idOf);
    expect([...ids].sort()).toEqual([...expected].sort());
    for (const d of log) {
      const seen = finalTs.get(d.id);
      if (seen === undefined) finalTs.set(d.id, d.ts);
      else expect(d.ts, `final ts of ${d.id}`).toEqual(seen);
    }
    // FIFO: a client's messages appear in ascending seq order.
    const lastSeq = new Map<string, number>();
    for (const d of log) {
      const [c, s] = d.id.split(":").map(Number) as [number, number];
      expect(s).toBeGreaterThan(lastSeq.get(String(c)) ?? 0);
      lastSeq.set(String(c), s);
    }
  }
  expect(acyclic([...net.delivered.keys()].map((id) => net.ids(id)))).toBe(true);
}

/**
 * Every message of the correct clients (all but client 1) is delivered at each of its groups,
 * and in each client's send order there.
 */
function correctDelivered(
  net: Net,
  ids: readonly number[],
  sent: readonly Msg[],
  correct: readonly TestClient[],
  seed: number,
): void {
  for (const x of ids) {
    const mine = net.ids(x).filter((id) => !id.startsWith("1:"));
    const expected = sent.filter((m) => m.dests.includes(g(x))).map(idOf);
    expect([...mine].sort(), `seed ${seed} group ${x}`).toEqual([...expected].sort());
    for (const c of correct) {
      const order = mine
        .filter((id) => id.startsWith(`${c.id}:`))
        .map((id) => Number(id.split(":")[1]));
      expect(order, `seed ${seed} group ${x}`).toEqual([...order].sort((a, b) => a - b));
    }
  }
}

/** A logged `abandon` of (client, seq). */
const ab = (client: ClientId, seq: number): Cmd => ({ kind: "abandon", client, seq });

/**
 * Runs the network to quiescence, playing each group's leader: whatever stalls on a missing FIFO
 * predecessor is abandoned, round after round, until nothing moves. Fails after 100 rounds.
 */
function settle(net: Net, ids: readonly number[], rng: Lcg, seed: number): void {
  for (let round = 0; ; round++) {
    net.run(rng);
    let moved = false;
    for (const x of ids) {
      for (const k of [...net.group(x).stalled()]) {
        if (net.apply(x, ab(k.client, k.seq)) === "applied") moved = true;
      }
    }
    if (!moved && net.quiescent()) return;
    expect(round, `seed ${seed}: no progress`).toBeLessThan(100);
  }
}

describe("GroupMulticast: single group", () => {
  it("delivers a single-group message on the apply of its start", () => {
    const gm = new GroupMulticast<string, string>(g(1));
    const m = new TestClient(7).make([1], "hello");
    expect(gm.apply({ kind: "start", msg: m })).toBe("applied");
    expect(gm.takeDeliveries()).toEqual([{ kind: "deliver", msg: m, ts: { t: 1, g: g(1) } }]);
    expect(gm.pendingCount).toBe(0);
    expect(gm.clock).toBe(1);
    expect(gm.deliveredSeq(clientId(7))).toBe(1);
    expect([...gm.outboxes()]).toEqual([]);
  });

  it("ignores a start for another group and a malformed start", () => {
    const gm = new GroupMulticast<string, string>(g(1));
    const c = new TestClient(1);
    expect(gm.apply({ kind: "start", msg: c.make([2]) })).toBe("ignored");
    const bad: Msg = {
      client: clientId(2),
      seq: 1,
      dests: [g(2), g(1)],
      prev: [0, 0],
      payload: "",
    };
    expect(gm.apply({ kind: "start", msg: bad })).toBe("ignored");
    const badPrev: Msg = { client: clientId(2), seq: 1, dests: [g(1)], prev: [1], payload: "" };
    expect(gm.apply({ kind: "start", msg: badPrev })).toBe("ignored");
    expect(gm.takeDeliveries()).toEqual([]);
    expect(gm.clock).toBe(0);
  });

  it("rejects bad options", () => {
    expect(() => new GroupMulticast(g(1), { maxPending: 0 })).toThrow(ConfigError);
    expect(() => new GroupMulticast(g(1), { maxEarly: 1.5 })).toThrow(ConfigError);
  });
});

describe("GroupMulticast: global messages", () => {
  it("delivers a message to 2 and to 3 groups with the same final timestamp everywhere", () => {
    for (const dests of [
      [1, 2],
      [1, 2, 3],
    ]) {
      const net = new Net([1, 2, 3]);
      const c = new TestClient(1);
      // Different clocks per group first, so the final timestamp is a real max.
      const msgs = [[1], [1], [2], dests].map((d) => net.multicast(c.make(d)));
      const m = msgs[3]!;
      net.drain();
      checkRun(net, msgs);
      const finals = dests.map((d) => net.delivered.get(d)!.find((x) => x.id === idOf(m))!.ts);
      expect(new Set(finals.map((t) => `${t.t}/${t.g}`)).size).toBe(1);
      expect(finals[0]).toEqual({ t: 3, g: g(1) });
      for (const d of dests) expect(net.group(d).pendingCount).toBe(0);
    }
  });

  it("orders two concurrent global messages the same way at every common dest, any interleaving", () => {
    for (const dests of [
      [
        [1, 2],
        [1, 2],
      ],
      [
        [1, 2, 3],
        [2, 3],
      ],
      [
        [1, 2, 3],
        [1, 2, 3],
      ],
    ]) {
      const orders = new Set<string>();
      for (let seed = 1; seed <= 300; seed++) {
        const net = new Net([1, 2, 3]);
        const msgs = [
          net.multicast(new TestClient(1).make(dests[0]!)),
          net.multicast(new TestClient(2).make(dests[1]!)),
        ];
        net.run(new Lcg(seed));
        checkRun(net, msgs);
        orders.add(net.ids(2).join(","));
      }
      // Both orders occur over the interleavings: the test explores them.
      expect(orders.size).toBe(2);
    }
  });

  it("starts a message from the proposal that carries it when its client never reached the group", () => {
    const net = new Net([1, 2]);
    const m = new TestClient(1).make([1, 2]);
    expect(net.startAt(1, m)).toBe("applied");
    expect(net.group(2).isKnown(m.client, m.seq)).toBe(false);
    expect(net.carry(1, 2)).toBe("applied"); // group 1's proposal, carrying m, reaches group 2
    expect(net.group(2).isKnown(m.client, m.seq)).toBe(true);
    expect(net.group(2).earlyCount).toBe(0);
    expect(net.ids(2)).toEqual([idOf(m)]); // group 2 had both proposals at activation
    expect(net.startAt(2, m)).toBe("duplicate"); // the client's own start, late
    expect(net.ids(1)).toEqual([]);
    expect(net.carry(2, 1)).toBe("applied");
    expect(net.ids(1)).toEqual([idOf(m)]);
    expect(net.delivered.get(1)![0]!.ts).toEqual(net.delivered.get(2)![0]!.ts);
  });

  it("ignores duplicate starts and duplicate channel messages", () => {
    const net = new Net([1, 2]);
    const m = new TestClient(1).make([1, 2]);
    net.startAt(1, m);
    expect(net.apply(1, { kind: "start", msg: m })).toBe("duplicate");
    expect(net.group(1).clock).toBe(1);
    net.startAt(2, m);
    expect(net.carry(1, 2)).toBe("applied");
    expect(net.carry(1, 2)).toBe("duplicate"); // not acknowledged yet: a re-send
    expect(net.carry(2, 1)).toBe("applied");
    expect(net.apply(1, net.carried.at(-1)!.cmd)).toBe("duplicate");
    expect(net.apply(1, { kind: "start", msg: m })).toBe("duplicate"); // after delivery too
    expect(net.apply(2, { kind: "start", msg: m })).toBe("duplicate");
    expect(net.ids(1)).toEqual([idOf(m)]);
    expect(net.ids(2)).toEqual([idOf(m)]);
  });

  it("ignores a channel message that leaves a gap", () => {
    const net = new Net([1, 2]);
    const c = new TestClient(1);
    net.startAt(1, c.make([1, 2]));
    net.startAt(1, c.make([1, 2]));
    expect(net.group(1).outbox(g(2)).bodies.length).toBe(1); // FIFO: the second waits
    const m3 = new TestClient(2).make([1, 2]);
    net.startAt(1, m3);
    expect(net.group(1).outbox(g(2)).bodies.length).toBe(2);
    expect(net.carry(1, 2, 1)).toBe("ignored");
    expect(net.group(2).received(g(1))).toBe(0);
    expect(net.carry(1, 2, 0)).toBe("applied");
    expect(net.carry(1, 2, 1)).toBe("applied");
    expect(net.group(2).received(g(1))).toBe(2);
  });
});

describe("GroupMulticast: FIFO per sender", () => {
  it("delivers m2 after m1 even when m2's start reaches the common group first", () => {
    const net = new Net([1, 2]);
    const c = new TestClient(1);
    const m1 = c.make([1, 2]);
    const m2 = c.make([2]);
    expect(m2.prev).toEqual([1]);
    expect(net.startAt(2, m2)).toBe("applied");
    expect(net.group(2).waitingCount).toBe(1);
    expect(net.group(2).isKnown(m2.client, m2.seq)).toBe(true);
    expect(net.apply(2, { kind: "start", msg: m2 })).toBe("duplicate");
    expect(net.ids(2)).toEqual([]);
    net.startAt(2, m1);
    expect(net.ids(2)).toEqual([]); // m1 undecided, m2 still waits
    net.startAt(1, m1);
    net.carry(1, 2);
    expect(net.ids(2)).toEqual([idOf(m1), idOf(m2)]);
    expect(net.group(2).waitingCount).toBe(0);
    net.carry(2, 1);
    expect(net.ids(1)).toEqual([idOf(m1)]);
  });

  it("gives the follower a timestamp above its predecessor's final one", () => {
    const net = new Net([1, 2]);
    // Push group 1's clock ahead so m1's final timestamp is far above group 2's clock.
    const other = new TestClient(9);
    for (let i = 0; i < 5; i++) net.startAt(1, other.make([1]));
    const c = new TestClient(1);
    const m1 = c.make([1, 2]);
    const m2 = c.make([2]);
    net.startAt(2, m1);
    net.startAt(2, m2);
    net.startAt(1, m1);
    net.carry(1, 2);
    const [d1, d2] = net.delivered.get(2)!;
    expect(d1).toEqual({ id: idOf(m1), ts: { t: 6, g: g(1) } });
    expect(d2).toEqual({ id: idOf(m2), ts: { t: 7, g: g(2) } });
  });

  it("keeps pipelined messages of many clients in order over random interleavings", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rng = new Lcg(seed * 7919);
      const net = new Net([1, 2, 3]);
      const msgs: Msg[] = [];
      for (let ci = 1; ci <= 3; ci++) {
        const c = new TestClient(ci);
        for (let k = 0; k < 4; k++) {
          const dests = [1, 2, 3].filter(() => rng.chance(0.5));
          msgs.push(net.multicast(c.make(dests.length > 0 ? dests : [1 + rng.below(3)])));
        }
      }
      net.run(rng);
      checkRun(net, msgs);
    }
  });
});

describe("GroupMulticast: acyclic order", () => {
  it("keeps the union of delivery orders over 3 groups acyclic under random interleavings", () => {
    for (let seed = 1; seed <= 150; seed++) {
      const rng = new Lcg(seed);
      const net = new Net([1, 2, 3]);
      const clients = [1, 2, 3, 4, 5].map((i) => new TestClient(i));
      const msgs: Msg[] = [];
      for (let k = 0; k < 12; k++) {
        const c = clients[rng.below(clients.length)]!;
        const dests = [1, 2, 3].filter(() => rng.chance(0.6));
        msgs.push(net.multicast(c.make(dests.length > 0 ? dests : [1 + rng.below(3)])));
        // Some clients send later, in the middle of the traffic.
        for (let s = rng.below(6); s > 0 && !net.quiescent(); s--) net.step(rng);
      }
      net.run(rng, 0.15);
      checkRun(net, msgs);
    }
  });

  it("delivers reliable app messages exactly once, in send order", () => {
    const net = new Net([1, 2, 3]);
    net.onDeliver = (at, d) => {
      if (d.kind !== "deliver") return;
      for (const to of d.msg.dests) if (to !== at) net.group(at).send(to, `${d.msg.seq}`);
    };
    const c = new TestClient(1);
    const msgs = [c.make([1, 2]), c.make([2, 3]), c.make([1, 2, 3])].map((m) => net.multicast(m));
    net.run(new Lcg(42), 0.2);
    checkRun(net, msgs);
    const got = (id: number) => [...net.appReceived.get(id)!].sort();
    expect(got(1)).toEqual(["2>1", "2>3", "3>3"]);
    expect(got(2)).toEqual(["1>1", "1>3", "3>2", "3>3"]);
    expect(got(3)).toEqual(["1>3", "2>2", "2>3"]);
    // Per channel, in send order (the sender delivered in FIFO order, so seq order).
    expect(net.appReceived.get(2)!.filter((x) => x.startsWith("3>"))).toEqual(["3>2", "3>3"]);
  });
});

describe("GroupMulticast: channels", () => {
  it("trims the outbox on ack and ignores stale or impossible acks", () => {
    const gm = new GroupMulticast<string, string>(g(1));
    gm.send(g(2), "a");
    gm.send(g(2), "b");
    gm.send(g(2), "c");
    gm.send(g(3), "x");
    expect(gm.outbox(g(2))).toEqual({
      firstSeq: 1,
      bodies: ["a", "b", "c"].map((payload) => ({ type: "app", payload })),
    });
    expect(gm.apply({ kind: "ack", from: g(2), upTo: 2 })).toBe("applied");
    expect(gm.outbox(g(2))).toEqual({ firstSeq: 3, bodies: [{ type: "app", payload: "c" }] });
    expect(gm.apply({ kind: "ack", from: g(2), upTo: 1 })).toBe("duplicate");
    expect(gm.apply({ kind: "ack", from: g(2), upTo: 9 })).toBe("ignored");
    expect(gm.apply({ kind: "ack", from: g(2), upTo: 3 })).toBe("applied");
    expect([...gm.outboxes()].map(([to]) => to)).toEqual([g(3)]);
    gm.send(g(2), "d");
    expect(gm.outbox(g(2))).toEqual({ firstSeq: 4, bodies: [{ type: "app", payload: "d" }] });
    expect(() => gm.send(g(1), "self")).toThrow(InvariantError);
  });
});

describe("GroupMulticast: leader changes", () => {
  type Step = readonly ["start", number] | readonly ["carry" | "ack", number, number];
  const script: readonly Step[] = [
    ["start", 2],
    ["carry", 2, 3],
    ["start", 1],
    ["carry", 1, 2],
    ["carry", 2, 1],
    ["ack", 2, 1],
    ["start", 3],
    ["carry", 3, 1],
    ["carry", 1, 3],
    ["carry", 3, 2],
    ["ack", 1, 2],
  ];

  /** Background traffic so the groups' clocks differ, then one global message m. */
  function scenario(): { net: Net; m: Msg } {
    const net = new Net([1, 2, 3]);
    const bg = new TestClient(9);
    for (let i = 0; i < 3; i++) net.startAt(1, bg.make([1]));
    net.startAt(3, bg.make([3]));
    return { net, m: new TestClient(1).make([1, 2, 3]) };
  }

  /** Plays a step; one that a new leader already did is a duplicate or finds its channel empty. */
  function play(net: Net, m: Msg, step: Step): void {
    if (step[0] === "start") net.startAt(step[1], m);
    else if (step[0] === "ack") net.ack(step[1], step[2]);
    else if (net.group(step[1]).outbox(g(step[2])).bodies.length > 0) net.carry(step[1], step[2]);
  }

  /** A new leader in every group: clients retry their starts to it, it re-sends every outbox. */
  function leaderChange(net: Net): void {
    net.reappendStarts();
    net.resendEverything();
  }

  it("delivers the same at every group when a new leader takes over at any step", () => {
    const base = scenario();
    for (const step of script) play(base.net, base.m, step);
    base.net.drain();
    const expected = [1, 2, 3].map((id) => base.net.delivered.get(id));
    expect(expected[0]!.at(-1)).toEqual({ id: idOf(base.m), ts: { t: 4, g: g(1) } });
    expect(expected[1]).toEqual([{ id: idOf(base.m), ts: { t: 4, g: g(1) } }]);

    for (let k = 0; k < script.length; k++) {
      const { net, m } = scenario();
      script.forEach((step, i) => {
        if (i === k) leaderChange(net);
        play(net, m, step);
      });
      net.drain();
      expect([1, 2, 3].map((id) => net.delivered.get(id))).toEqual(expected);
    }

    // And a leader change after every single step.
    const { net, m } = scenario();
    for (const step of script) {
      play(net, m, step);
      leaderChange(net);
    }
    net.drain();
    expect([1, 2, 3].map((id) => net.delivered.get(id))).toEqual(expected);
  });
});

describe("GroupMulticast: snapshots", () => {
  function runWithRestore(seed: number, restoreAt: number | null): { net: Net; snaps: Snap[] } {
    const rng = new Lcg(seed);
    const net = new Net([1, 2, 3]);
    net.onDeliver = (at, d) => {
      if (d.kind === "deliver" && d.msg.payload === "relay") {
        for (const to of [1, 2, 3]) if (to !== at) net.group(at).send(g(to), `r${d.msg.seq}`);
      }
    };
    const clients = [1, 2, 3].map((i) => new TestClient(i));
    for (let k = 0; k < 10; k++) {
      const dests = [1, 2, 3].filter(() => rng.chance(0.6));
      const c = clients[rng.below(3)]!;
      net.multicast(c.make(dests.length > 0 ? dests : [2], rng.chance(0.3) ? "relay" : ""));
    }
    let steps = 0;
    while (!net.quiescent()) {
      if (steps === restoreAt) {
        for (const [id, gm] of net.groups) {
          const copy = JSON.parse(JSON.stringify(gm.snapshot())) as Snap;
          const fresh = new GroupMulticast<string, string>(g(id));
          fresh.restore(copy);
          expect(fresh.snapshot()).toEqual(gm.snapshot());
          net.groups.set(id, fresh);
        }
      }
      net.step(rng);
      steps++;
    }
    return { net, snaps: [...net.groups.values()].map((gm) => gm.snapshot()) };
  }

  it("continues identically after a snapshot is restored mid-protocol", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const base = runWithRestore(seed, null);
      for (const at of [0, 3, 10, 25, 60]) {
        const run = runWithRestore(seed, at);
        expect(run.net.delivered).toEqual(base.net.delivered);
        expect(run.net.appReceived).toEqual(base.net.appReceived);
        expect(run.snaps).toEqual(base.snaps);
      }
    }
  });

  it("holds pending, waiting and early state in a restorable snapshot", () => {
    const net = new Net([1, 2]);
    const c = new TestClient(1);
    const m1 = c.make([1, 2]);
    const m2 = c.make([2]);
    const m3 = new TestClient(2).make([1, 2]);
    net.startAt(2, m2); // waiting at 2
    net.startAt(2, m1); // undecided at 2
    net.startAt(1, m3);
    net.carry(1, 2); // m3 starts at 2 from group 1's proposal; final, but behind m1
    const gm = net.group(2);
    expect([gm.pendingCount, gm.waitingCount, gm.earlyCount]).toEqual([2, 1, 0]);
    const snap = JSON.parse(JSON.stringify(gm.snapshot())) as Snap;
    const copy = GroupMulticast.fromSnapshot(snap);
    expect([copy.pendingCount, copy.waitingCount, copy.earlyCount]).toEqual([2, 1, 0]);
    expect(copy.isKnown(m2.client, m2.seq)).toBe(true);
    expect(copy.clock).toBe(gm.clock);
    expect(() => new GroupMulticast<string, string>(g(1)).restore(snap)).toThrow(InvariantError);
    // A snapshot of another layout (an older version's has no `format`) is refused by name.
    const { format: _, ...old } = snap;
    expect(() => GroupMulticast.fromSnapshot(old as Snap)).toThrow(FormatError);
    expect(() => GroupMulticast.fromSnapshot({ ...snap, format: 2 })).toThrow(
      /format 2, this build reads 3/,
    );
  });

  it("refuses to snapshot with deliveries not yet taken", () => {
    const gm = new GroupMulticast<string, string>(g(1));
    gm.apply({ kind: "start", msg: new TestClient(1).make([1]) });
    expect(() => gm.snapshot()).toThrow(InvariantError);
  });
});

describe("GroupMulticast: bounds", () => {
  it("refuses starts beyond maxPending, unless another group already proposed", () => {
    const net = new Net([1, 2], { maxPending: 2 });
    const msgs = [1, 2, 3, 4].map((i) => new TestClient(i).make([1, 2]));
    expect(net.startAt(1, msgs[0]!)).toBe("applied");
    expect(net.startAt(1, msgs[1]!)).toBe("applied");
    expect(net.startAt(1, msgs[2]!)).toBe("refused");
    expect(net.group(1).isKnown(msgs[2]!.client, msgs[2]!.seq)).toBe(false);
    // Group 2 is full with m3 and m4, which group 1 refused: without the exception, both
    // groups would wait on each other forever.
    expect(net.startAt(2, msgs[2]!)).toBe("applied");
    expect(net.startAt(2, msgs[3]!)).toBe("applied");
    net.carry(2, 1);
    net.carry(2, 1, 1);
    // Over the cap: group 2's proposals carry m3 and m4, and a held proposal admits the start.
    expect(net.group(1).pendingCount).toBe(4);
    expect(net.startAt(1, msgs[2]!)).toBe("duplicate");
    net.carry(1, 2);
    net.carry(1, 2, 1);
    expect(net.group(2).pendingCount).toBe(4); // group 1 proposed m1 and m2 too
    net.drain();
    checkRun(net, msgs);
  });

  it("refuses a client's waiting messages beyond maxWaitingPerClient", () => {
    const gm = new GroupMulticast<string, string>(g(2), { maxWaitingPerClient: 2 });
    const c = new TestClient(1);
    const m1 = c.make([1, 2]);
    const rest = [c.make([2]), c.make([2]), c.make([2])];
    expect(gm.apply({ kind: "start", msg: rest[0]! })).toBe("applied");
    expect(gm.apply({ kind: "start", msg: rest[1]! })).toBe("applied");
    expect(gm.apply({ kind: "start", msg: rest[2]! })).toBe("refused");
    expect(gm.apply({ kind: "start", msg: m1 })).toBe("applied"); // the head is never waiting
    expect(gm.waitingCount).toBe(2);
  });

  it("refuses, without consuming it, an early proposal that would overflow the store", () => {
    // Each client's first message, to group 2 only, has not reached group 2 yet; its second,
    // to both groups, arrives at 2 through group 1's proposal and must wait for the first there,
    // holding the proposal in the early store.
    const net = new Net([1, 2], { maxEarly: 1 });
    const ca = new TestClient(1);
    const cb = new TestClient(2);
    const [a1, a2] = [ca.make([2]), ca.make([1, 2])];
    const [b1, b2] = [cb.make([2]), cb.make([1, 2])];
    net.startAt(1, a2);
    net.startAt(1, b2);
    expect(net.carry(1, 2, 0)).toBe("applied");
    expect(net.group(2).earlyCount).toBe(1);
    expect(net.carry(1, 2, 1)).toBe("refused");
    expect(net.group(2).received(g(1))).toBe(1);
    net.startAt(2, a1); // a2 follows it, taking its proposal out of the store
    expect(net.group(2).earlyCount).toBe(0);
    expect(net.carry(1, 2, 1)).toBe("applied");
    net.startAt(2, b1);
    net.drain();
    checkRun(net, [a1, a2, b1, b2]);
  });

  it("handles 10k pending messages at one group without quadratic work", () => {
    const n = 10_000;
    const net = new Net([1, 2], { maxPending: n, maxEarly: n, maxWaitingPerClient: n });
    const clients = Array.from({ length: 100 }, (_, i) => new TestClient(i + 1));
    const msgs = Array.from({ length: n }, (_, i) => clients[i % 100]!.make([1, 2]));
    for (const m of msgs) net.startAt(1, m);
    // Only each client's head is activated; the rest waits in FIFO order.
    expect(net.group(1).pendingCount + net.group(1).waitingCount).toBe(n);
    for (const m of msgs) net.startAt(2, m);
    net.drain();
    expect(net.ids(1)).toEqual(net.ids(2));
    expect(net.ids(1).length).toBe(n);

    const single = new GroupMulticast<string, string>(g(1), { maxPending: n });
    const others = Array.from({ length: n }, (_, i) => new TestClient(i + 1).make([1, 2]));
    for (const m of others) single.apply({ kind: "start", msg: m });
    expect(single.pendingCount).toBe(n);
    // Proposals in reverse order: the head of the undecided queue decides last.
    for (let i = n - 1; i >= 0; i--) {
      const m = others[i]!;
      const body = { type: "proposal", client: m.client, seq: m.seq, ts: 1, msg: m } as const;
      single.apply({ kind: "channel", from: g(2), seq: n - i, body });
    }
    expect(single.takeDeliveries().length).toBe(n);
    expect(single.pendingCount).toBe(0);
  });
});

describe("GroupMulticast: determinism and the early-delivery bug", () => {
  it("produces identical deliveries and outboxes from the same commands", () => {
    const a = runSeed(5, {});
    const b = runSeed(5, {});
    expect(a.delivered).toEqual(b.delivered);
    expect([...a.groups.values()].map((x) => x.snapshot())).toEqual(
      [...b.groups.values()].map((x) => x.snapshot()),
    );
  });

  it("delivers at the local timestamp with earlyDelivery, breaking the order", () => {
    const schedule = (net: Net) => {
      const m1 = new TestClient(1).make([1, 2]);
      const m2 = new TestClient(2).make([1, 2]);
      net.startAt(1, m1);
      net.startAt(2, m2);
      net.startAt(1, m2);
      net.startAt(2, m1);
      net.drain();
      return [m1, m2];
    };
    const good = new Net([1, 2]);
    const msgs = schedule(good);
    checkRun(good, msgs);
    expect(good.ids(1)).toEqual(["2:1", "1:1"]);
    expect(good.ids(2)).toEqual(["2:1", "1:1"]);

    const bad = new Net([1, 2], { bugs: { earlyDelivery: true } });
    schedule(bad);
    expect(bad.ids(1)).toEqual(["1:1", "2:1"]);
    expect(bad.ids(2)).toEqual(["2:1", "1:1"]);
    expect(acyclic([bad.ids(1), bad.ids(2)])).toBe(false);
  });

  function runSeed(seed: number, options: McastOptions): Net {
    const rng = new Lcg(seed);
    const net = new Net([1, 2, 3], options);
    const c = new TestClient(1);
    const d = new TestClient(2);
    for (let k = 0; k < 8; k++) {
      net.multicast((k % 2 === 0 ? c : d).make([1 + (k % 3), 1 + ((k + 1) % 3)]));
    }
    net.run(rng);
    return net;
  }
});

describe("GroupMulticast: abandoned FIFO predecessors", () => {
  /** c's m1 to [2] is lost; m2 to [1, 2] reaches 1 only; group 1's proposal starts it at 2. */
  function stalledPair(): { net: Net; c: TestClient; m1: Msg; m2: Msg; d1: Msg } {
    const net = new Net([1, 2]);
    const c = new TestClient(1);
    const m1 = c.make([2]);
    const m2 = c.make([1, 2]);
    const d1 = new TestClient(2).make([1]);
    net.startAt(1, m2);
    net.startAt(1, d1);
    net.carry(1, 2);
    net.ack(1, 2);
    return { net, c, m1, m2, d1 };
  }

  it("activates a stalled message on abandon, and both groups deliver it with one timestamp", () => {
    const { net, m2 } = stalledPair();
    net.drain();
    expect(net.ids(1)).toEqual([]); // m2 waits at 2, group 1 waits for 2's proposal
    expect(net.ids(2)).toEqual([]);
    expect([...net.group(2).stalled()]).toEqual([
      { client: m2.client, seq: m2.seq, broken: false },
    ]);
    expect(net.apply(2, ab(m2.client, m2.seq))).toBe("applied");
    expect([...net.group(2).stalled()]).toEqual([]);
    net.drain();
    expect(net.ids(1)).toEqual(["1:2", "2:1"]);
    expect(net.ids(2)).toEqual(["1:2"]);
    expect(net.delivered.get(1)![0]!.ts).toEqual(net.delivered.get(2)![0]!.ts);
  });

  it("admits and delivers the abandoned predecessor when its start arrives late", () => {
    const { net, m1, m2 } = stalledPair();
    net.apply(2, ab(m2.client, m2.seq));
    net.drain();
    expect(net.group(2).isKnown(m1.client, m1.seq)).toBe(false);
    expect(net.group(2).awaitsLate(m1.client, m1.seq)).toBe(true);
    expect(net.startAt(2, m1)).toBe("applied");
    expect(net.ids(2)).toEqual(["1:2", "1:1"]); // FIFO broken for this client only
    expect(net.startAt(2, m1)).toBe("duplicate");
    expect(net.group(2).awaitsLate(m1.client, m1.seq)).toBe(false);
    expect(net.group(2).deliveredSeq(m1.client)).toBe(2);
  });

  it("admits a late multi-group predecessor forwarded by another group's proposal", () => {
    const net = new Net([1, 2, 3]);
    const c = new TestClient(1);
    const m1 = c.make([2, 3]);
    const m2 = c.make([1, 2]);
    net.startAt(3, m1); // group 3's proposal to 2 is delayed
    net.startAt(1, m2);
    net.carry(1, 2);
    expect([...net.group(2).stalled()]).toEqual([
      { client: m2.client, seq: m2.seq, broken: false },
    ]);
    expect(net.apply(2, ab(m2.client, m2.seq))).toBe("applied");
    expect(net.carry(3, 2)).toBe("applied"); // starts m1 at 2 from the proposal: not a duplicate
    net.drain();
    expect(net.ids(1)).toEqual(["1:2"]);
    expect(net.ids(2)).toEqual(["1:2", "1:1"]);
    expect(net.ids(3)).toEqual(["1:1"]);
    const ts = (at: number, id: string) => net.delivered.get(at)!.find((d) => d.id === id)!.ts;
    expect(ts(2, "1:1")).toEqual(ts(3, "1:1"));
    expect(ts(1, "1:2")).toEqual(ts(2, "1:2"));
  });

  /** Each delivered message once per group, with one final timestamp everywhere; no cycle. */
  function agreed(net: Net): void {
    const ts = new Map<string, Timestamp>();
    for (const [at, log] of net.delivered) {
      const ids = log.map((d) => d.id);
      expect(new Set(ids).size, `group ${at} delivered a message twice`).toBe(ids.length);
      for (const d of log) {
        const seen = ts.get(d.id);
        if (seen === undefined) ts.set(d.id, d.ts);
        else expect(d.ts, `final ts of ${d.id}`).toEqual(seen);
      }
    }
    expect(acyclic([...net.delivered.keys()].map((at) => net.ids(at)))).toBe(true);
  }

  it("admits every missing predecessor, not only the direct one: an older multi-group message arriving after the abandon", () => {
    // c: m1 to [2, 3] reaches 3 only, m2 to [2] is lost, m3 to [1, 2] reaches 1 only. Group 2
    // abandons m3 (its predecessor m2 is missing); group 3's proposal for m1 arrives afterwards.
    // Group 2 cannot tell from m3 that m1 is addressed to it too: only m2 is named by m3's prev.
    const net = new Net([1, 2, 3]);
    const c = new TestClient(1);
    const m1 = c.make([2, 3]);
    const m2 = c.make([2]);
    const m3 = c.make([1, 2]);
    net.startAt(3, m1);
    net.startAt(1, m3);
    net.carry(1, 2);
    expect([...net.group(2).stalled()]).toEqual([
      { client: m3.client, seq: m3.seq, broken: false },
    ]);
    expect(net.apply(2, ab(m3.client, m3.seq))).toBe("applied");
    expect(net.group(2).awaitsLate(m1.client, m1.seq)).toBe(true);
    expect(net.group(2).awaitsLate(m2.client, m2.seq)).toBe(true);
    expect(net.carry(3, 2)).toBe("applied"); // m1, from group 3's proposal
    net.drain();
    expect(net.ids(3)).toEqual(["1:1"]); // group 3 got group 2's proposal
    expect(net.ids(1)).toEqual(["1:3"]);
    expect(net.ids(2)).toEqual(["1:3", "1:1"]);
    expect(net.startAt(2, m2)).toBe("applied"); // the direct predecessor, from its client
    expect(net.startAt(2, m2)).toBe("duplicate");
    expect(net.startAt(2, m1)).toBe("duplicate");
    expect(net.ids(2)).toEqual(["1:3", "1:1", "1:2"]);
    agreed(net);
  });

  it("activates a late predecessor at once, not behind the client's undecided message", () => {
    // c: m1 to [2] is lost, m2 to [2, 3] reaches 2 only, m3 to [1, 2, 3] reaches 1 only. Group
    // 3 abandons m3 (m2 missing there), group 2 abandons m3 too (m1 missing) and activates m2
    // then m3 in chain order. m2 reaches 3 late, while m3 is undecided at 3 waiting for group
    // 2's proposal, which waits for m2 to be final at 2, which waits for group 3's proposal of
    // m2. Queued behind m3 at 3, m2 would never be activated there: a deadlock.
    const net = new Net([1, 2, 3]);
    const c = new TestClient(1);
    c.make([2]);
    const m2 = c.make([2, 3]);
    const m3 = c.make([1, 2, 3]);
    net.startAt(2, m2);
    net.startAt(1, m3);
    net.carry(1, 2);
    net.carry(1, 3);
    expect(net.apply(3, ab(m3.client, m3.seq))).toBe("applied");
    expect(net.apply(2, ab(m3.client, m3.seq))).toBe("applied");
    net.drain();
    for (const at of [2, 3]) expect(net.ids(at)).toEqual(["1:2", "1:3"]);
    expect(net.ids(1)).toEqual(["1:3"]);
    agreed(net);
  });

  it("keeps holes, taken and late messages in the snapshot: a restored group behaves identically", () => {
    // c: a to [2, 3] reaches 2 only, after the abandon; b to [2, 3] reaches 2 only; m to
    // [1, 2, 3] reaches 1 only; d to [2]. Group 2 abandons m: b is activated (undecided, it
    // needs group 3's proposal), m is taken and waits for b, a is a hole, then late.
    const run = (restoreAfter: number | null) => {
      const net = new Net([1, 2, 3]);
      const c = new TestClient(1);
      const a = c.make([2, 3]);
      const b = c.make([2, 3]);
      const m = c.make([1, 2, 3]);
      const d = c.make([2]);
      const steps: (() => void)[] = [
        () => net.startAt(2, b),
        () => net.startAt(1, m),
        () => net.carry(1, 2),
        () => net.startAt(2, d),
        () => net.apply(2, ab(m.client, m.seq)),
        () => net.startAt(2, a),
        () => net.drain(),
      ];
      const snaps: Snap[] = [];
      steps.forEach((step, i) => {
        step();
        if (i === restoreAfter) {
          const gm = net.group(2);
          const copy = JSON.parse(JSON.stringify(gm.snapshot())) as Snap;
          snaps.push(copy);
          const fresh = GroupMulticast.fromSnapshot<string, string>(copy);
          expect(fresh.snapshot()).toEqual(gm.snapshot());
          net.groups.set(2, fresh);
        }
      });
      return { net, snaps };
    };
    const base = run(null);
    expect(base.net.ids(2)).toEqual(["1:1", "1:2", "1:3", "1:4"]);
    expect(base.net.ids(3)).toEqual(["1:1", "1:2", "1:3"]);
    expect(base.net.ids(1)).toEqual(["1:3"]);
    agreed(base.net);
    const afterAbandon = run(4);
    const client = (r: typeof base) => r.snaps[0]!.clients[0]!;
    expect(client(afterAbandon).holes).toEqual([[1, 1]]);
    expect(client(afterAbandon).taken.map((x) => x.seq)).toEqual([3]);
    expect(client(afterAbandon).late).toEqual([]);
    const withLate = run(5);
    expect(client(withLate).holes).toEqual([]);
    expect(client(withLate).taken.map((x) => x.seq)).toEqual([3]);
    expect(client(withLate).late).toEqual([1]);
    for (const r of [afterAbandon, withLate]) {
      expect(r.net.delivered).toEqual(base.net.delivered);
      expect([...r.net.groups.values()].map((x) => x.snapshot())).toEqual(
        [...base.net.groups.values()].map((x) => x.snapshot()),
      );
    }
  });

  it("takes a proposal for a taken message as early, not as a second start", () => {
    // m to [1, 2, 4] is taken at 2 behind b when group 4's proposal for it arrives: m must not
    // also join the waiting messages (it would stay there for ever, or start twice).
    const net = new Net([1, 2, 3, 4]);
    const c = new TestClient(1);
    c.make([2]);
    const b = c.make([2, 3]);
    const m = c.make([1, 2, 4]);
    net.startAt(2, b);
    net.startAt(1, m);
    net.carry(1, 2);
    expect(net.apply(2, ab(m.client, m.seq))).toBe("applied");
    net.startAt(4, m);
    expect(net.group(2).isKnown(m.client, m.seq)).toBe(true);
    expect(net.carry(4, 2)).toBe("applied");
    expect(net.group(2).waitingCount).toBe(1); // m, taken
    net.drain();
    expect(net.ids(2)).toEqual(["1:2", "1:3"]);
    expect(net.group(2).waitingCount).toBe(0);
    expect(net.group(2).pendingCount).toBe(0);
    expect(net.group(2).earlyCount).toBe(0);
    agreed(net);
  });

  it("ignores an abandon of a message that is not waiting, and refuses one behind an undecided message", () => {
    const { net, m2, d1 } = stalledPair();
    const gm = net.group(2);
    const before = gm.snapshot();
    expect(net.apply(2, ab(d1.client, 1))).toBe("ignored"); // unknown client here
    expect(net.apply(2, ab(m2.client, 1))).toBe("ignored"); // never started here
    expect(net.apply(2, ab(m2.client, 7))).toBe("ignored");
    expect(gm.snapshot()).toEqual(before);
    expect(net.apply(1, ab(m2.client, m2.seq))).toBe("ignored"); // activated at 1, not waiting
    expect(gm.canAbandon(m2.client, m2.seq)).toBe(true);
    net.apply(2, ab(m2.client, m2.seq));
    net.drain();
    expect(net.apply(2, ab(m2.client, m2.seq))).toBe("ignored"); // delivered now

    const other = new Net([1, 2]);
    const c = new TestClient(1);
    const n1 = c.make([1, 2]);
    const n2 = c.make([2]);
    other.startAt(2, n1); // undecided at 2
    other.startAt(2, n2); // waits for n1
    const snap = other.group(2).snapshot();
    expect(other.group(2).canAbandon(n2.client, n2.seq)).toBe(false);
    expect(other.apply(2, ab(n2.client, n2.seq))).toBe("refused");
    expect(other.group(2).snapshot()).toEqual(snap);
  });
});

describe("GroupMulticast: inconsistent FIFO chains (a client that lies about prev)", () => {
  /** A message with the given per-dest `prev`, whatever the client's real chain. */
  const lying = (client: number, seq: number, dests: number[], prev: number[]): Msg => ({
    client: clientId(client),
    seq,
    dests: dests.map(g),
    prev,
    payload: "",
  });

  /** Each delivered message once per group, one final timestamp everywhere, no cycle. */
  function agreed(net: Net): void {
    const ts = new Map<string, Timestamp>();
    for (const [at, log] of net.delivered) {
      const ids = log.map((d) => d.id);
      expect(new Set(ids).size, `group ${at} delivered a message twice`).toBe(ids.length);
      for (const d of log) {
        const seen = ts.get(d.id);
        if (seen === undefined) ts.set(d.id, d.ts);
        else expect(d.ts, `final ts of ${d.id}`).toEqual(seen);
      }
    }
    expect(acyclic([...net.delivered.keys()].map((at) => net.ids(at)))).toBe(true);
  }

  it("activates a message whose prev is below the watermark once another group has activated it", () => {
    // c: m1 to [2], then m2 to [1, 2] naming 0, not 1, as its predecessor at 2. Group 1 activates
    // m2 (its chain is fine there); at 2 it can never follow m1. A correct client's message d to
    // [1] is ordered after m2 at 1 and waits for it.
    const net = new Net([1, 2]);
    const m1 = lying(1, 1, [2], [0]);
    const m2 = lying(1, 2, [1, 2], [0, 0]);
    const d = new TestClient(2).make([1]);
    expect(net.startAt(2, m1)).toBe("applied");
    expect(net.startAt(2, m2)).toBe("ignored"); // no group has activated it yet
    expect(net.startAt(1, m2)).toBe("applied");
    expect(net.startAt(1, d)).toBe("applied");
    expect(net.carry(1, 2)).toBe("applied"); // the proposal: activated at 2, out of chain order
    net.drain();
    expect([...net.ids(1)].sort()).toEqual(["1:2", "2:1"]);
    expect(net.ids(2)).toEqual(["1:1", "1:2"]);
    expect(net.startAt(2, m2)).toBe("duplicate");
    expect(net.group(1).pendingCount + net.group(2).pendingCount).toBe(0);
    agreed(net);
  });

  it("ignores such a message while no group has activated it, and then at every dest", () => {
    const net = new Net([1, 2]);
    net.startAt(2, lying(1, 1, [2], [0]));
    net.startAt(2, lying(1, 2, [1, 2], [0, 0]));
    net.startAt(1, lying(1, 3, [1, 2], [2, 0])); // waits at 1 for m2, which never comes
    net.drain();
    expect(net.ids(1)).toEqual([]);
    expect(net.ids(2)).toEqual(["1:1"]);
    expect(net.group(1).pendingCount + net.group(2).pendingCount).toBe(0);
  });

  it("declines a forwarded message whose seq its chain skipped here, below the watermark", () => {
    // c: m1 to [1, 2], then m2 to [2] naming 0 at 2, as if m1 were not addressed to 2. Group 2
    // activates m2 first: its watermark passes m1, whose start there is taken for a duplicate.
    // Group 1's proposal for m1 then arrives. Group 2 cannot tell an id its chain skipped from
    // one it delivered under another version (reused seqs), so it declines m1: group 1 is not
    // left waiting, and m1 is delivered nowhere.
    const net = new Net([1, 2]);
    const m1 = lying(1, 1, [1, 2], [0, 0]);
    const m2 = lying(1, 2, [2], [0]);
    const d = new TestClient(2).make([1]);
    expect(net.startAt(2, m2)).toBe("applied");
    expect(net.startAt(2, m1)).toBe("duplicate");
    expect(net.startAt(1, m1)).toBe("applied");
    expect(net.startAt(1, d)).toBe("applied");
    expect(net.carry(1, 2)).toBe("applied");
    net.drain();
    expect(net.ids(1)).toEqual(["2:1"]);
    expect(net.ids(2)).toEqual(["1:2"]);
    expect(net.startAt(2, m1)).toBe("duplicate");
    expect(net.group(1).pendingCount + net.group(2).pendingCount).toBe(0);
    agreed(net);
  });

  it("activates a forwarded message that names a predecessor another waiting message names", () => {
    // c: m2 to [2] waits at 2 for 1, which never comes; m3 to [1, 2] names 1 at 2 as well.
    const net = new Net([1, 2]);
    const m2 = lying(1, 2, [2], [1]);
    const m3 = lying(1, 3, [1, 2], [0, 1]);
    expect(net.startAt(2, m2)).toBe("applied");
    expect(net.startAt(2, m3)).toBe("ignored");
    expect(net.startAt(1, m3)).toBe("applied");
    expect(net.carry(1, 2)).toBe("applied");
    net.drain();
    expect(net.ids(1)).toEqual(["1:3"]);
    expect(net.ids(2)).toEqual(["1:3"]);
    // m2 left waiting once m3 passed its predecessor: nobody has activated it, so it is dropped.
    expect(net.group(2).waitingCount).toBe(0);
    expect(net.startAt(2, m2)).toBe("duplicate"); // below the watermark: a proposal would bring it
    agreed(net);
  });

  it("does not leave a message waiting once the watermark has passed its predecessor", () => {
    // c: m1 to [2]; m3 to [2, 3] names 2 at 2 (never sent) and waits there; m4 to [2, 3] names
    // 1 at 2 and 3 at 3. At 2, m4 follows m1 and passes m3's predecessor; at 3, m4 waits for m3.
    // Left waiting at 2, m3 would need an abandon, refused while m4 is undecided, and m4 needs
    // group 3's proposal, which waits for m3: the two groups would wait on each other.
    for (const proposalFirst of [false, true]) {
      const net = new Net([2, 3]);
      const m1 = lying(1, 1, [2], [0]);
      const m3 = lying(1, 3, [2, 3], [2, 0]);
      const m4 = lying(1, 4, [2, 3], [1, 3]);
      const d = new TestClient(2).make([2]);
      net.startAt(2, m1);
      net.startAt(2, m3);
      net.startAt(3, m3);
      if (proposalFirst) expect(net.carry(3, 2)).toBe("applied");
      expect(net.startAt(2, m4)).toBe("applied");
      expect(net.startAt(2, d)).toBe("applied");
      net.startAt(3, m4);
      net.drain();
      // Group 3's proposal for m3 reaching 2 before m4 activates it there; after, it is below
      // 2's watermark and declined: delivered nowhere (see "declines a forwarded message").
      const m3s = proposalFirst ? ["1:3"] : [];
      expect(net.ids(3), `proposal first: ${proposalFirst}`).toEqual([...m3s, "1:4"]);
      expect(net.ids(2), `proposal first: ${proposalFirst}`).toContain("2:1");
      expect([...net.ids(2)].sort()).toEqual(["1:1", ...m3s, "1:4", "2:1"]);
      expect(net.group(2).pendingCount + net.group(3).pendingCount).toBe(0);
      expect(net.group(2).waitingCount).toBe(0);
      agreed(net);
    }
  });

  it("keeps agreement and every correct client's FIFO order with a client that sends random prevs", () => {
    // The leader's part is played here: when nothing else moves, every group abandons its
    // stalled messages. Every message delivered anywhere must be delivered at all its dests.
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new Lcg(seed);
      const ids = [1, 2, 3, 4];
      const net = new Net(ids);
      const correct = [new TestClient(2), new TestClient(3)];
      const sent: Msg[] = [];
      const hostile: Msg[] = [];
      let hseq = 0;
      const hlast = new Map<number, number>();
      const dests = (): number[] => {
        const ds = ids.filter(() => rng.chance(0.5));
        return ds.length === 0 ? [ids[rng.below(ids.length)]!] : ds;
      };
      for (let i = 0; i < 30; i++) {
        if (rng.chance(0.4)) {
          hseq++;
          const ds = dests();
          const prev = ds.map((x) => (rng.chance(0.5) ? (hlast.get(x) ?? 0) : rng.below(hseq)));
          for (const x of ds) hlast.set(x, hseq);
          const m = lying(1, hseq, ds, prev);
          hostile.push(m);
          // It reaches some of its dests only.
          for (const x of ds) if (rng.chance(0.7)) net.inflight.push({ g: x, msg: m });
        } else {
          const m = correct[rng.below(correct.length)]!.make(dests());
          sent.push(m);
          net.multicast(m);
        }
      }
      settle(net, ids, rng, seed);
      agreed(net);
      for (const x of ids) expect(net.group(x).pendingCount, `seed ${seed} group ${x}`).toBe(0);
      for (const m of hostile) {
        const at = m.dests.filter((x) => net.ids(x).includes(idOf(m)));
        expect([0, m.dests.length], `seed ${seed}: ${idOf(m)} delivered at ${at}`).toContain(
          at.length,
        );
      }
      correctDelivered(net, ids, sent, correct, seed);
    }
  });
});

describe("GroupMulticast: incremental snapshots", () => {
  /**
   * A Net that snapshots a group after each apply, logs each group's commands, and after every
   * abandon and every 7th apply compares the snapshot with one built from scratch: a fresh
   * instance that replays the group's log and snapshots once.
   */
  class SnapshottingNet extends Net {
    readonly log = new Map<number, Cmd[]>();
    private applies = 0;
    override apply(at: number, cmd: Cmd): ApplyOutcome {
      const out = super.apply(at, cmd);
      this.log.set(at, [...(this.log.get(at) ?? []), cmd]);
      const snap = this.group(at).snapshot();
      if (cmd.kind === "abandon" || this.applies++ % 7 === 0) {
        expect(snap, `group ${at} after ${cmd.kind}`).toEqual(this.fromScratch(at));
      }
      return out;
    }
    fromScratch(at: number): Snap {
      const fresh = new GroupMulticast<string, string>(g(at));
      for (const cmd of this.log.get(at) ?? []) {
        fresh.apply(cmd);
        fresh.takeDeliveries();
      }
      return fresh.snapshot();
    }
  }

  it("rebuilds only the changed client records, and equals a snapshot built from scratch", () => {
    // Snapshots reuse the records of clients untouched since the previous one. Replaying each
    // group's log into a fresh instance and snapshotting once builds every record anew; with a
    // client sending random prevs, holes, taken and late messages are exercised too.
    for (let seed = 1; seed <= 15; seed++) {
      const rng = new Lcg(seed);
      const ids = [1, 2, 3];
      const net = new SnapshottingNet(ids);
      const clients = [new TestClient(2), new TestClient(3), new TestClient(4)];
      let hseq = 0;
      const check = (): void => {
        for (const x of ids) {
          expect(net.group(x).snapshot(), `seed ${seed} group ${x}`).toEqual(net.fromScratch(x));
        }
      };
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 12; i++) {
          const ds = ids.filter(() => rng.chance(0.5));
          if (ds.length === 0) ds.push(ids[rng.below(ids.length)]!);
          if (rng.chance(0.3)) {
            hseq++;
            const prev = ds.map(() => rng.below(hseq));
            const m: Msg = { client: clientId(1), seq: hseq, dests: ds.map(g), prev, payload: "" };
            for (const x of ds) if (rng.chance(0.7)) net.inflight.push({ g: x, msg: m });
          } else net.multicast(clients[rng.below(clients.length)]!.make(ds));
        }
        for (let k = 0; k < 40 && !net.quiescent(); k++) net.step(rng);
        check();
        settle(net, ids, rng, seed);
        check();
      }
    }
  });
});

describe("GroupMulticast: reused seqs (a client that sends two different messages under one id)", () => {
  const version = (seq: number, dests: number[], payload: string, prev?: number[]): Msg => ({
    client: clientId(1),
    seq,
    dests: dests.map(g),
    prev: prev ?? dests.map(() => 0),
    payload,
  });
  const nothingPending = (net: Net): void => {
    for (const [at, gm] of net.groups) {
      expect(gm.pendingCount + gm.waitingCount, `group ${at}`).toBe(0);
    }
  };

  it("never delivers an id twice: a group that delivered one version declines the other", () => {
    // A = (1, 1) to [1, 2] reaches 1 and 2 and is delivered there. Later B = (1, 1) to [2, 3]
    // reaches 3 only; 3 activates it and proposes to 2, below 2's watermark for the client.
    const net = new Net([1, 2, 3]);
    const a = version(1, [1, 2], "A");
    const b = version(1, [2, 3], "B");
    const d = new TestClient(2).make([3]); // a correct message ordered after B at 3
    net.startAt(1, a);
    net.startAt(2, a);
    net.drain();
    expect(net.ids(2)).toEqual(["1:1"]);
    expect(net.startAt(3, b)).toBe("applied");
    expect(net.startAt(3, d)).toBe("applied");
    expect(net.startAt(2, b)).toBe("duplicate");
    net.drain();
    expect(net.ids(1)).toEqual(["1:1"]);
    expect(net.ids(2)).toEqual(["1:1"]); // not twice
    expect(net.versions.get(2)![0]!.payload).toBe("A");
    expect(net.ids(3)).toEqual(["2:1"]); // B declined by 2: delivered nowhere; d not stuck
    nothingPending(net);
  });

  it("does not leave the other version's group waiting while its own version is undecided", () => {
    // Group 2 holds A undecided when 3's proposal for B arrives: 3 is not among A's dests, so
    // the proposal used to be dropped and 3 waited for ever.
    const net = new Net([1, 2, 3]);
    const a = version(1, [1, 2], "A");
    const b = version(1, [2, 3], "B");
    const d = new TestClient(2).make([3]);
    net.startAt(2, a);
    net.startAt(3, b);
    net.startAt(3, d);
    expect(net.carry(3, 2)).toBe("applied"); // B's proposal meets A, undecided at 2
    net.startAt(1, a);
    net.drain();
    expect(net.ids(1)).toEqual(["1:1"]);
    expect(net.ids(2)).toEqual(["1:1"]);
    expect(net.versions.get(2)![0]!.payload).toBe("A");
    expect(net.ids(3)).toEqual(["2:1"]);
    nothingPending(net);
  });

  it("tells versions with the same dests apart by payload: both declined, neither delivered", () => {
    // Each group holds one version and receives the other's proposal: counting it for its own
    // version would deliver A at 1 and B at 2 under one id with one timestamp.
    const net = new Net([1, 2]);
    const a = version(1, [1, 2], "A");
    const b = version(1, [1, 2], "B");
    net.startAt(1, a);
    net.startAt(2, b);
    net.drain();
    expect(net.ids(1)).toEqual([]);
    expect(net.ids(2)).toEqual([]);
    nothingPending(net);
    // Both versions are known now: any later start or retransmission is a duplicate.
    expect(net.startAt(1, b)).toBe("duplicate");
    expect(net.startAt(2, a)).toBe("duplicate");
  });

  it("counts an early proposal only for its own version, declining the other on activation", () => {
    // A = (1, 2) waits at 2 for its predecessor (1, 1); B = (1, 2) to [2, 3] is activated at 3,
    // whose proposal is held early at 2. The abandon activates A at 2, which declines B.
    const net = new Net([1, 2, 3]);
    const a = version(2, [1, 2], "A", [0, 1]);
    const b = version(2, [2, 3], "B");
    net.startAt(2, a);
    net.startAt(1, a);
    net.startAt(3, b);
    expect(net.carry(3, 2)).toBe("applied");
    expect(net.group(2).earlyCount).toBe(1);
    expect([...net.group(2).stalled()]).toEqual([{ client: clientId(1), seq: 2, broken: false }]);
    expect(net.apply(2, ab(clientId(1), 2))).toBe("applied");
    net.drain();
    expect(net.ids(1)).toEqual(["1:2"]);
    expect(net.ids(2)).toEqual(["1:2"]);
    expect(net.versions.get(2)![0]!.payload).toBe("A");
    expect(net.ids(3)).toEqual([]);
    nothingPending(net);
  });

  it("compares payloads structurally: a copy of the same version is the same message", () => {
    // Proposals arrive deserialized in a real deployment: equal data, other objects.
    const net = new Net([1, 2]);
    const a = version(1, [1, 2], "A");
    net.startAt(1, a);
    net.startAt(2, JSON.parse(JSON.stringify(a)) as Msg);
    net.drain();
    expect(net.ids(1)).toEqual(["1:1"]);
    expect(net.ids(2)).toEqual(["1:1"]);
  });

  it("keeps each id once per group, each version all-or-none, and correct clients whole, over random runs", () => {
    // Client 1 sends every seq in up to three versions (random dests, prev and payload), each
    // to some of its dests only; correct clients 2 and 3 send alongside. The leader's part is
    // played here: when nothing else moves, every group abandons its stalled messages.
    for (let seed = 1; seed <= 60; seed++) {
      const rng = new Lcg(seed);
      const ids = [1, 2, 3, 4];
      const net = new Net(ids);
      const correct = [new TestClient(2), new TestClient(3)];
      const sent: Msg[] = [];
      const faulty: Msg[] = [];
      let fseq = 0;
      const dests = (): number[] => {
        const ds = ids.filter(() => rng.chance(0.5));
        return ds.length === 0 ? [ids[rng.below(ids.length)]!] : ds;
      };
      for (let i = 0; i < 30; i++) {
        if (rng.chance(0.4)) {
          fseq++;
          const versions = 1 + rng.below(3);
          for (let v = 0; v < versions; v++) {
            const ds = dests();
            const prev = ds.map(() => rng.below(fseq));
            const m = version(fseq, ds, `v${rng.below(2)}`, prev);
            faulty.push(m);
            for (const x of ds) if (rng.chance(0.7)) net.inflight.push({ g: x, msg: m });
          }
        } else {
          const m = correct[rng.below(correct.length)]!.make(dests());
          sent.push(m);
          net.multicast(m);
        }
      }
      settle(net, ids, rng, seed);
      // Activated messages all resolved; a faulty one may still wait for a predecessor that
      // never comes, if no other dest activated it (nothing waits on it: `stalled` is empty).
      for (const x of ids) expect(net.group(x).pendingCount, `seed ${seed} group ${x}`).toBe(0);
      // Per group each id once; per version one final timestamp and all of its dests or none.
      const byVersion = new Map<string, { ts: Timestamp; at: number[] }>();
      for (const [at, log] of net.delivered) {
        const seen = log.map((d) => d.id);
        expect(new Set(seen).size, `seed ${seed}: group ${at} delivered an id twice`).toBe(
          seen.length,
        );
        const msgs = net.versions.get(at)!;
        for (const [i, d] of log.entries()) {
          const key = JSON.stringify(msgs[i]);
          const v = byVersion.get(key);
          if (v === undefined) byVersion.set(key, { ts: d.ts, at: [at] });
          else {
            expect(d.ts, `seed ${seed}: final ts of ${key}`).toEqual(v.ts);
            v.at.push(at);
          }
        }
      }
      for (const [key, v] of byVersion) {
        const m = JSON.parse(key) as Msg;
        expect([...v.at].sort(), `seed ${seed}: ${key}`).toEqual([...m.dests].map(Number));
      }
      // Ids delivered under two versions (at disjoint dests) are ordered as one node each
      // per version; the union of orders stays acyclic.
      const orders = [...net.versions.values()].map((log) =>
        log.map((m) => (m.client === clientId(1) ? JSON.stringify(m) : idOf(m))),
      );
      expect(acyclic(orders), `seed ${seed}`).toBe(true);
      correctDelivered(net, ids, sent, correct, seed);
    }
  });

  it("never throws on conflicting versions, whatever the order of starts and proposals", () => {
    // Every interleaving of the two versions' starts and the channel traffic, with duplicates:
    // an InvariantError while applying would stop every replica of the group.
    for (let seed = 1; seed <= 200; seed++) {
      const rng = new Lcg(seed);
      const net = new Net([1, 2, 3]);
      const a = version(1, [1, 2], "A");
      const b = version(1, [1 + rng.below(2), 3], "B");
      const c = version(1, [1, 2, 3], "C");
      for (const m of [a, b, c])
        for (const x of m.dests) net.inflight.push({ g: Number(x), msg: m });
      expect(() => net.run(rng, 0.2), `seed ${seed}`).not.toThrow();
      for (const [at, log] of net.delivered) {
        expect(log.length, `seed ${seed}: group ${at}`).toBeLessThanOrEqual(1);
      }
      nothingPending(net);
    }
  });
});

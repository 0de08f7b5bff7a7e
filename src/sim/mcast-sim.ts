// Many multicast groups and their clients in one process, from one seed, under faults, fully checked.
import { ChannelChecker } from "../check/channel-checker.ts";
import { MulticastChecker } from "../check/multicast-checker.ts";
import {
  defaultGroupReplicaOptions,
  GroupReplica,
  type GroupReplicaOptions,
  type GroupSnapshot,
} from "../core/group/group-replica.ts";
import type { McastResponse } from "../core/group/wire.ts";
import { type ClientId, clientId, type GroupId, groupId, type ReplicaId } from "../core/ids.ts";
import type { McastCommand, McastMessage } from "../core/multicast/types.ts";
import { defaultRaftOptions, type RaftOptions } from "../core/raft/types.ts";
import { type CostModel, defaultCostModel } from "./cost.ts";
import { DrivenGroupReplica } from "./driven-group.ts";
import type { FaultEvent, FaultKind } from "./faults.ts";
import {
  FAULTS_START,
  GroupConsensusChecks,
  groupTopology,
  standardFaults,
} from "./group-checks.ts";
import {
  type GroupNode,
  type GroupTraffic,
  type GroupWire,
  groupHandlers,
} from "./group-handlers.ts";
import {
  McastTestApp,
  relayId,
  type TestAppSnapshot,
  type TestPayload,
  type TestRelay,
  type TestResult,
} from "./mcast-test-app.ts";
import { defaultNetworkOptions, type NetworkOptions } from "./network.ts";
import { Rng } from "./rng.ts";
import { SimNode } from "./sim-node.ts";
import type { SimStorage } from "./storage.ts";
import { SimWorld } from "./world.ts";

/** Deliberate multicast bugs the simulation must catch. */
export const MCAST_BUG_NAMES = ["early-delivery"] as const;
/** Name of a deliberate multicast bug. */
export type McastBugName = (typeof MCAST_BUG_NAMES)[number];

/** Everything that defines one multicast run. */
export interface McastSimOptions {
  readonly seed: number;
  readonly groups: number;
  readonly replicas: number;
  readonly clients: number;
  /** Messages multicast in total. */
  readonly ops: number;
  /** Messages a client keeps in flight (FIFO order matters only when this exceeds 1). */
  readonly window: number;
  /** Share of messages addressed to more than one group. */
  readonly globalFraction: number;
  /** Share of messages whose delivery makes each destination relay a reliable message. */
  readonly relayFraction: number;
  readonly faults: ReadonlySet<FaultKind>;
  readonly bug: McastBugName | null;
  readonly raft: RaftOptions;
  readonly snapshotEvery: number;
  readonly network: NetworkOptions;
  readonly cost: CostModel;
  readonly tickMs: number;
  readonly thinkMs: number;
  readonly clientTimeoutMs: number;
  /** Time allowed after the last fault for every message to be delivered. */
  readonly settleMs: number;
  /** Time given to lagging replicas to catch up once the clients are done. */
  readonly catchUpMs: number;
  /**
   * Client 0 misbehaves as a client that keeps crashing half-way would: half of its single-group
   * messages are never sent, and each multi-group message misses one of its destinations; it
   * never retransmits. What it sends goes to every replica of the group, from 300 ms on (once
   * leaders are elected), so it does reach the groups. Its messages are exempt from liveness;
   * every other client's must still complete, which needs the groups to abandon its broken FIFO
   * chains (with `abandonTicks` enormous, they do not complete).
   */
  readonly brokenClient: boolean;
  /**
   * Client 0 lies about its FIFO chains: each `prev` it sends is, half the time, a random seq
   * below the message's own instead of its real predecessor at that group, so groups may see
   * a predecessor below what they already activated, or two messages naming the same one. It
   * sends each message once to every replica of every destination (from 300 ms on) and never
   * retransmits. FIFO and liveness are not promised for it; every other client's messages must
   * still complete (docs/multicast.md, "Inconsistent chains"). Combines with `brokenClient`.
   */
  readonly hostileClient: boolean;
  /**
   * Client 0 reuses seqs: half of its messages are followed by a second, different message under
   * the same seq (random dests and `prev`), each version sent once to every replica of its dests,
   * never retransmitted. The checker sees the versions as two messages (all of its dests or none
   * each) and the run also reports a group that delivers both (docs/multicast.md, "Reused
   * seqs"). Combines with the other faulty-client options.
   */
  readonly reusingClient: boolean;
  /** Ticks a leader lets a message stall on a missing FIFO predecessor before it abandons it. */
  readonly abandonTicks: number;
}

/** Defaults for a quick correctness run. */
export const defaultMcastSimOptions: McastSimOptions = {
  seed: 1,
  groups: 4,
  replicas: 3,
  clients: 4,
  ops: 200,
  window: 3,
  globalFraction: 0.5,
  relayFraction: 0.3,
  faults: new Set(),
  bug: null,
  raft: defaultRaftOptions,
  snapshotEvery: 32,
  network: { ...defaultNetworkOptions, minLatency: 0.1, meanExtraLatency: 0.2 },
  cost: defaultCostModel,
  tickMs: 10,
  thinkMs: 10,
  clientTimeoutMs: 200,
  settleMs: 20_000,
  catchUpMs: 1_000,
  brokenClient: false,
  hostileClient: false,
  reusingClient: false,
  abandonTicks: defaultGroupReplicaOptions(defaultRaftOptions).abandonTicks,
};

/** Counters of one run. */
export interface McastSimStats {
  readonly simulatedMs: number;
  readonly messages: number;
  readonly completed: number;
  readonly localMessages: number;
  readonly globalMessages: number;
  /** Client-observed latency (send to last destination's answer), ms, medians. */
  readonly localLatencyP50: number;
  readonly globalLatencyP50: number;
  readonly raftMessages: number;
  readonly interGroupMessages: number;
  readonly clientMessages: number;
  /** Log entries committed over all groups (consensus rounds, batched). */
  readonly entriesCommitted: number;
  readonly fsyncs: number;
  readonly faultsInjected: number;
}

/** One client message as the client saw it. */
export interface McastRecord {
  readonly client: number;
  readonly seq: number;
  readonly dests: readonly number[];
  readonly sentAt: number;
  /** When the last destination answered; null if some never did. */
  completedAt: number | null;
}

/** The outcome of one run. */
export interface McastSimResult {
  readonly seed: number;
  readonly violations: readonly string[];
  readonly stats: McastSimStats;
  readonly history: readonly McastRecord[];
  /** The faults injected. */
  readonly schedule: readonly FaultEvent[];
  /** The replicas of each group. */
  readonly members: readonly (readonly number[])[];
}

type Snap = GroupSnapshot<TestPayload, TestRelay, TestResult, TestAppSnapshot>;
type Cmd = McastCommand<TestPayload, TestRelay>;
type Wire = GroupWire<TestPayload, TestRelay, TestResult, TestAppSnapshot>;
type Node = GroupNode<TestPayload, TestRelay, TestResult, TestAppSnapshot>;

type ClientEvent =
  | { readonly kind: "next"; readonly client: number }
  | {
      readonly kind: "timeout";
      readonly client: number;
      readonly seq: number;
      readonly attempt: number;
    }
  | {
      readonly kind: "resend";
      readonly client: number;
      readonly seq: number;
      readonly group: GroupId;
    };

interface InFlight {
  readonly msg: McastMessage<TestPayload>;
  readonly record: McastRecord;
  readonly waiting: Set<GroupId>;
  readonly sentAt: number;
  attempt: number;
}

interface SimClient {
  readonly id: ClientId;
  readonly rng: Rng;
  remaining: number;
  seq: number;
  /** Unanswered messages by seq, oldest first (Map order is insertion order). */
  readonly inflight: Map<number, InFlight>;
  readonly lastSeqTo: Map<GroupId, number>;
  readonly guess: Map<GroupId, ReplicaId>;
  /** Sending loops parked because the window was full; resumed when the oldest completes. */
  parked: number;
}

const CLIENT_BASE = 1000;
/** When the broken client (option `brokenClient`) sends its first message, ms. */
const BROKEN_CLIENT_START = 300;

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Runs one seed: groups of replicas, clients multicasting to random sets of groups, the seed's
 * faults; then checks consensus in every group, atomic multicast (integrity, agreement, prefix
 * and acyclic order, FIFO, liveness) and the reliable channel (exactly once, FIFO, liveness).
 */
export function runMcastSimulation(opts: McastSimOptions): McastSimResult {
  const root = new Rng(opts.seed);
  const world = new SimWorld<Wire, ClientEvent, Node>(root, opts.network, opts.tickMs);
  const groupIds = Array.from({ length: opts.groups }, (_, i) => groupId(i + 1));
  const { members, groupOf } = groupTopology(groupIds, opts.replicas);
  const options: GroupReplicaOptions = {
    ...defaultGroupReplicaOptions(opts.raft),
    snapshotEvery: opts.snapshotEvery,
    abandonTicks: opts.abandonTicks,
    mcast: opts.bug === "early-delivery" ? { bugs: { earlyDelivery: true } } : {},
  };
  const checks = new GroupConsensusChecks(members);
  const mcastChecker = new MulticastChecker();
  const channelChecker = new ChannelChecker();
  const relayReported = new Map<GroupId, number>();
  for (const [g, ids] of members) {
    for (const id of ids) {
      const rng = root.fork(`replica-${id}`);
      const build = (storage: SimStorage<Cmd, Snap>) =>
        new DrivenGroupReplica(
          new GroupReplica(
            { group: g, replica: id, groups: members, random: () => rng.next() },
            options,
            () => new McastTestApp(),
            storage.load(),
          ),
        );
      world.add(new SimNode(id, build, rng, opts.cost));
    }
  }

  const traffic: GroupTraffic = { raftMessages: 0, interGroupMessages: 0, clientMessages: 0 };
  let lastCompletion = 0;
  let localMessages = 0;
  let globalMessages = 0;
  const localLatency: number[] = [];
  const globalLatency: number[] = [];
  const entriesByGroup = new Map<GroupId, number>();
  const history: McastRecord[] = [];
  // Client 0 misbehaves (see `brokenClient`, `hostileClient`): no liveness or FIFO promised to it.
  const faultyClient = opts.brokenClient || opts.hostileClient || opts.reusingClient;
  // Reused seqs (`reusingClient`): the checker id of each extra version, by id and content, and
  // per group the position at which each id was first delivered (a second one is a violation).
  const versionIds = new Map<string, Map<string, string>>();
  const versionKey = (m: McastMessage<TestPayload>): string =>
    JSON.stringify([m.dests, m.prev, m.payload]);
  const firstDelivery = new Map<GroupId, Map<string, number>>();
  const reuseViolations = new Set<string>(); // each replica reports the same positions

  const perClient = Math.ceil(opts.ops / opts.clients);
  const faultEnd = FAULTS_START + Math.max(300, (perClient / opts.window) * (opts.thinkMs + 5));
  const allReplicas = [...groupOf.keys()];
  const schedule = standardFaults(
    root.fork("faults"),
    opts.faults,
    [...members.values()],
    Array.from({ length: opts.clients }, (_, i) => CLIENT_BASE + i),
    faultEnd,
  );
  world.inject(schedule);

  const checkAllLogs = (): void =>
    checks.checkLogs((id) => world.nodes.get(id)?.replica?.core.raft);

  // Clients.
  const clients = new Map<number, SimClient>();
  for (let i = 0; i < opts.clients; i++) {
    const addr = CLIENT_BASE + i;
    const rng = root.fork(`client-${i}`);
    const guess = new Map<GroupId, ReplicaId>();
    for (const [g, ids] of members) guess.set(g, rng.pick(ids));
    clients.set(addr, {
      id: clientId(addr),
      rng,
      remaining: Math.min(perClient, Math.max(0, opts.ops - i * perClient)),
      seq: 0,
      inflight: new Map(),
      lastSeqTo: new Map(),
      guess,
      parked: 0,
    });
    // The broken client starts once the first leaders are elected: what it sends earlier is lost.
    const begin = faultyClient && i === 0 ? BROKEN_CLIENT_START : 0;
    for (let w = 0; w < opts.window; w++) {
      world.after(begin + rng.exponential(opts.thinkMs), { kind: "next", client: addr });
    }
  }
  const sendTo = (c: SimClient, addr: number, g: GroupId, msg: McastMessage<TestPayload>): void => {
    traffic.clientMessages++;
    world.send(addr, c.guess.get(g)!, { type: "mcast", msg });
  };
  const startNext = (addr: number): void => {
    const c = clients.get(addr)!;
    if (c.remaining === 0) return;
    // The window bounds the distance from the oldest unanswered seq, not just the count: the
    // groups remember a client's last `window` answers, so a retransmission of the oldest
    // must still find its answer however many later messages completed meanwhile.
    const oldest = c.inflight.keys().next();
    if (!oldest.done && c.seq + 1 - oldest.value >= opts.window) {
      c.parked++;
      return;
    }
    c.remaining--;
    const seq = ++c.seq;
    const global = opts.groups > 1 && c.rng.chance(opts.globalFraction);
    const count = global ? 2 + c.rng.int(opts.groups - 1) : 1;
    const dests = c.rng
      .shuffle([...groupIds])
      .slice(0, count)
      .sort((a, b) => a - b);
    const prev = dests.map((g) => c.lastSeqTo.get(g) ?? 0);
    if (opts.hostileClient && addr === CLIENT_BASE) {
      // Half of its prevs are made up: any seq below this one, not the real predecessor.
      for (let i = 0; i < prev.length; i++) if (c.rng.chance(0.5)) prev[i] = c.rng.int(seq);
    }
    for (const g of dests) c.lastSeqTo.set(g, seq);
    const msg: McastMessage<TestPayload> = {
      client: c.id,
      seq,
      dests,
      prev,
      payload: { relay: c.rng.chance(opts.relayFraction) },
    };
    if (global) globalMessages++;
    else localMessages++;
    mcastChecker.onSend(`${addr}.${seq}`, addr, seq, dests);
    const record: McastRecord = { client: addr, seq, dests, sentAt: world.now, completedAt: null };
    history.push(record);
    if (faultyClient && addr === CLIENT_BASE) {
      // Fire and forget, partly: nobody waits for this client's messages. When broken, a
      // single-group message is lost half the time and a multi-group one misses one destination.
      let skip = -1;
      if (opts.brokenClient) {
        skip = dests.length === 1 ? (c.rng.chance(0.5) ? 0 : -1) : c.rng.int(dests.length);
      }
      // What it does send goes to every replica, so it reaches the leader without retries.
      dests.forEach((g, i) => {
        if (i === skip) return;
        for (const r of members.get(g)!) {
          traffic.clientMessages++;
          world.send(addr, r, { type: "mcast", msg });
        }
      });
      if (opts.reusingClient && c.rng.chance(0.5)) {
        const n = 1 + c.rng.int(opts.groups);
        const dests2 = c.rng
          .shuffle([...groupIds])
          .slice(0, n)
          .sort((a, b) => a - b);
        const other: McastMessage<TestPayload> = {
          client: c.id,
          seq,
          dests: dests2,
          prev: dests2.map(() => c.rng.int(seq)),
          payload: { relay: false },
        };
        if (versionKey(other) !== versionKey(msg)) {
          const id = `${addr}.${seq}/2`;
          versionIds.set(`${addr}.${seq}`, new Map([[versionKey(other), id]]));
          // Its own rank among the sends (FIFO is not checked for this client): just after v1.
          mcastChecker.onSend(id, addr, seq + 0.5, dests2);
          for (const g of dests2) {
            for (const r of members.get(g)!) {
              traffic.clientMessages++;
              world.send(addr, r, { type: "mcast", msg: other });
            }
          }
        }
      }
      world.after(c.rng.exponential(opts.thinkMs), { kind: "next", client: addr });
      return;
    }
    c.inflight.set(seq, { msg, record, waiting: new Set(dests), sentAt: world.now, attempt: 0 });
    for (const g of dests) sendTo(c, addr, g, msg);
    world.after(opts.clientTimeoutMs, { kind: "timeout", client: addr, seq, attempt: 0 });
  };
  const onResponse = (addr: number, from: number, res: McastResponse<TestResult>): void => {
    const c = clients.get(addr);
    const f = c?.inflight.get(res.seq);
    if (c === undefined || f === undefined || !f.waiting.has(res.group)) return;
    if (res.type === "mcast-redirect") {
      if (res.leader !== null && res.leader !== from) {
        c.guess.set(res.group, res.leader);
        sendTo(c, addr, res.group, f.msg);
      } else {
        c.guess.set(res.group, c.rng.pick(members.get(res.group)!));
        world.after(opts.tickMs, { kind: "resend", client: addr, seq: res.seq, group: res.group });
      }
      return;
    }
    c.guess.set(res.group, from as ReplicaId);
    f.waiting.delete(res.group);
    if (f.waiting.size > 0) return;
    c.inflight.delete(res.seq);
    f.record.completedAt = world.now;
    (f.msg.dests.length > 1 ? globalLatency : localLatency).push(world.now - f.sentAt);
    lastCompletion = world.now;
    const loops = 1 + c.parked;
    c.parked = 0;
    for (let i = 0; i < loops; i++) {
      world.after(c.rng.exponential(opts.thinkMs), { kind: "next", client: addr });
    }
  };

  const handlers = groupHandlers(world, checks, traffic, {
    response: (to, from, msg) => {
      if (msg.type !== "query-reply") onResponse(to, from, msg);
    },
    applied(node, rd, adv) {
      const g = groupOf.get(node.id)!;
      for (const e of rd.raft.committed) {
        if (e.index > (entriesByGroup.get(g) ?? 0)) entriesByGroup.set(g, e.index);
      }
      for (const ev of adv.events) {
        if (ev.kind === "deliver") {
          const { client, seq } = ev.msg;
          const base = `${client}.${seq}`;
          const id = versionIds.get(base)?.get(versionKey(ev.msg)) ?? base;
          mcastChecker.onDeliver(g, node.id, ev.position, id);
          let first = firstDelivery.get(g);
          if (first === undefined) {
            first = new Map();
            firstDelivery.set(g, first);
          }
          const at = first.get(base);
          if (at === undefined) first.set(base, ev.position);
          else if (at !== ev.position) {
            reuseViolations.add(
              `integrity: group ${g} delivered two versions of ${base}, at positions ${at} and ${ev.position}`,
            );
          }
          // The group's relays are sent once, whichever replica first executes the delivery.
          if (ev.position > (relayReported.get(g) ?? 0)) {
            relayReported.set(g, ev.position);
            if (ev.msg.payload.relay) {
              for (const h of ev.msg.dests) {
                if (h !== g) channelChecker.onSend(g, h, relayId(client, seq, g));
              }
            }
          }
        } else {
          channelChecker.onAppend(g, node.id, ev.position, ev.from, ev.payload.id);
        }
      }
    },
    restored(node, data) {
      mcastChecker.onRestore(node.id, data?.delivered ?? 0);
      channelChecker.onRestore(node.id, data?.received ?? 0);
    },
    own(ev) {
      if (ev.kind === "next") {
        startNext(ev.client);
        return;
      }
      const c = clients.get(ev.client)!;
      const f = c.inflight.get(ev.seq);
      if (f === undefined) return;
      if (ev.kind === "resend") {
        if (f.waiting.has(ev.group)) sendTo(c, ev.client, ev.group, f.msg);
        return;
      }
      if (ev.attempt !== f.attempt) return;
      // No answer in time: try the next replica of every group that has not answered.
      f.attempt++;
      for (const g of f.waiting) {
        const ids = members.get(g)!;
        c.guess.set(g, ids[(ids.indexOf(c.guess.get(g)!) + 1) % ids.length]!);
        sendTo(c, ev.client, g, f.msg);
      }
      world.after(opts.clientTimeoutMs, {
        kind: "timeout",
        client: ev.client,
        seq: ev.seq,
        attempt: f.attempt,
      });
    },
  });

  const allDone = (): boolean => {
    for (const c of clients.values()) if (c.remaining > 0 || c.inflight.size > 0) return false;
    return true;
  };
  const completed = world.run(handlers, allDone, faultEnd + opts.settleMs);
  // Let lagging replicas catch up before judging that every correct replica delivered everything.
  world.run(handlers, () => false, world.now + opts.catchUpMs);
  checkAllLogs();

  const violations = checks.violations();
  const correct = new Set(allReplicas.filter((id) => world.nodes.get(id)?.up));
  const finish = { replicasByGroup: members, correct, checkLiveness: true };
  const correctSenders = new Set(
    [...clients.keys()].filter((a) => !(faultyClient && a === CLIENT_BASE)),
  );
  violations.push(...mcastChecker.finish({ ...finish, correctSenders, faultyAllOrNone: true }));
  violations.push(...reuseViolations);
  violations.push(...channelChecker.finish(finish).map((v) => `channel ${v}`));
  if (!completed) {
    let open = 0;
    for (const c of clients.values()) open += c.remaining + c.inflight.size;
    violations.push(
      `liveness: ${open} messages not answered by every destination ${opts.settleMs} ms after the faults healed`,
    );
  }
  let fsyncs = 0;
  for (const node of world.nodes.values()) fsyncs += node.storage.stats.fsyncs;
  let entriesCommitted = 0;
  for (const n of entriesByGroup.values()) entriesCommitted += n;
  return {
    seed: opts.seed,
    violations,
    stats: {
      simulatedMs: lastCompletion,
      messages: localMessages + globalMessages,
      completed: localLatency.length + globalLatency.length,
      localMessages,
      globalMessages,
      localLatencyP50: median(localLatency),
      globalLatencyP50: median(globalLatency),
      ...traffic,
      entriesCommitted,
      fsyncs,
      faultsInjected: schedule.length,
    },
    history,
    schedule,
    members: [...members.values()],
  };
}

// A whole replicated key-value group and its clients in one process, from one seed, under faults.

import type { Operation } from "../check/history.ts";
import { ConsensusChecker, type LogView } from "../check/invariants.ts";
import { kvModel } from "../check/kv-model.ts";
import { checkLinearizable } from "../check/linearizability.ts";
import { type ClientId, clientId, type ReplicaId, replicaId } from "../core/ids.ts";
import type { KvOp, KvResult } from "../core/kv/kv.ts";
import { KvMachine, type KvSnapshot } from "../core/kv/kv-machine.ts";
import { defaultRaftOptions, type RaftOptions } from "../core/raft/types.ts";
import type { BugName } from "../core/replica/bugs.ts";
import type { ClientRequest, ClientResponse, Command } from "../core/replica/messages.ts";
import {
  type Applied,
  type GroupMessage,
  Replica,
  type ReplicaOptions,
  type ReplicaReady,
  type ReplicaSnapshot,
} from "../core/replica/replica.ts";
import { type CostModel, defaultCostModel } from "./cost.ts";
import type { FaultKind } from "./faults.ts";
import { FAULTS_START, standardFaults } from "./group-checks.ts";
import { randomKvOp } from "./kv-workload.ts";
import { defaultNetworkOptions, type NetworkOptions } from "./network.ts";
import { Rng } from "./rng.ts";
import { type DrivenReplica, SimNode } from "./sim-node.ts";
import type { SimStorage } from "./storage.ts";
import { SimWorld, type WorldHandlers } from "./world.ts";

/** Everything that defines one simulated run; the same options give the same run, byte for byte. */
export interface KvSimOptions {
  readonly seed: number;
  readonly replicas: number;
  readonly clients: number;
  /** Client operations in total (spread evenly over the clients). */
  readonly ops: number;
  readonly keys: number;
  readonly faults: ReadonlySet<FaultKind>;
  readonly bug: BugName | null;
  readonly raft: RaftOptions;
  /** Applied entries between log compactions (small, so snapshots are exercised). */
  readonly snapshotEvery: number;
  readonly network: NetworkOptions;
  readonly cost: CostModel;
  /** Simulated milliseconds between consensus ticks. */
  readonly tickMs: number;
  /** Mean think time of a client between two operations (ms). */
  readonly thinkMs: number;
  /** A client retransmits to another replica after this long without an answer (ms). */
  readonly clientTimeoutMs: number;
  /** Time allowed after the last fault for every operation to complete (ms). */
  readonly settleMs: number;
  /** Check the linearizability of the history (costly on long runs). */
  readonly checkHistory: boolean;
}

/** Defaults for a quick correctness run. */
export const defaultKvSimOptions: KvSimOptions = {
  seed: 1,
  replicas: 3,
  clients: 5,
  ops: 200,
  keys: 4,
  faults: new Set(),
  bug: null,
  raft: defaultRaftOptions,
  snapshotEvery: 16,
  network: { ...defaultNetworkOptions, minLatency: 0.1, meanExtraLatency: 0.2 },
  cost: defaultCostModel,
  tickMs: 10,
  thinkMs: 10,
  clientTimeoutMs: 150,
  settleMs: 20_000,
  checkHistory: true,
};

/** Counters of one run, for reports and benchmarks. */
export interface KvSimStats {
  /** Simulated milliseconds from start to the last completed operation. */
  readonly simulatedMs: number;
  readonly opsCompleted: number;
  readonly opsIncomplete: number;
  /** Distinct log entries and client commands committed. */
  readonly entriesCommitted: number;
  readonly commandsCommitted: number;
  /** Consensus messages sent between replicas, and client requests and responses. */
  readonly raftMessages: number;
  readonly clientMessages: number;
  /** fsyncs and persisted Ready batches summed over replicas. */
  readonly fsyncs: number;
  readonly faultsInjected: number;
  readonly leaderChanges: number;
}

/** The outcome of one run. */
export interface KvSimResult {
  readonly seed: number;
  readonly violations: readonly string[];
  readonly stats: KvSimStats;
  readonly history: readonly Operation<KvOp, KvResult>[];
}

type Wire =
  | GroupMessage<KvOp, KvResult, KvSnapshot>
  | ClientRequest<KvOp>
  | ClientResponse<KvResult>;

/** The key-value simulation's own events: client timers. */
type ClientEvent =
  | { readonly kind: "client-next"; readonly client: number }
  | { readonly kind: "client-send"; readonly client: number; readonly attempt: number }
  | { readonly kind: "client-timeout"; readonly client: number; readonly attempt: number };

/** A closed-loop client with one operation in flight. */
interface SimClient {
  readonly id: ClientId;
  readonly rng: Rng;
  remaining: number;
  seq: number;
  /** Index in the history of the operation in flight, or -1. */
  current: number;
  op: KvOp | null;
  attempt: number;
  leaderGuess: ReplicaId;
}

/** Mutable record of an operation while it runs. */
interface OpRecord {
  id: number;
  client: number;
  input: KvOp;
  output: KvResult | undefined;
  call: number;
  ret: number;
}

const CLIENT_BASE = 1000;

type KvInput = GroupMessage<KvOp, KvResult, KvSnapshot> | ClientRequest<KvOp>;
type KvReady = ReplicaReady<KvOp, KvResult, KvSnapshot>;

/** Adapts a key-value replica to the simulator's node driver. */
class DrivenKvReplica
  implements
    DrivenReplica<
      KvInput,
      Command<KvOp>,
      ReplicaSnapshot<KvSnapshot, KvResult>,
      KvReady,
      Applied<KvOp, KvResult>
    >
{
  readonly core: Replica<KvOp, KvResult, KvSnapshot>;
  constructor(core: Replica<KvOp, KvResult, KvSnapshot>) {
    this.core = core;
  }
  tick(): void {
    this.core.tick();
  }
  input(x: KvInput): void {
    if (x.type === "request") this.core.request(x);
    else this.core.step(x);
  }
  hasReady(): boolean {
    return this.core.hasReady();
  }
  ready(): KvReady {
    return this.core.ready();
  }
  advance(rd: KvReady): Applied<KvOp, KvResult> {
    return this.core.advance(rd);
  }
}

type KvNode = SimNode<
  KvInput,
  Command<KvOp>,
  ReplicaSnapshot<KvSnapshot, KvResult>,
  KvReady,
  Applied<KvOp, KvResult>,
  DrivenKvReplica
>;

/**
 * Runs one seed: builds the group and clients, injects the seed's fault schedule, runs until every
 * operation completed or the settle time ran out, then checks consensus invariants, liveness and
 * linearizability.
 */
export function runKvSimulation(opts: KvSimOptions): KvSimResult {
  const root = new Rng(opts.seed);
  const world = new SimWorld<Wire, ClientEvent, KvNode>(root, opts.network, opts.tickMs);
  const checker = new ConsensusChecker();
  const ids = Array.from({ length: opts.replicas }, (_, i) => replicaId(i + 1));
  const replicaOptions: ReplicaOptions = {
    raft: opts.raft,
    snapshotEvery: opts.snapshotEvery,
    maxSessions: 1024,
    bugs: new Set(opts.bug === null ? [] : [opts.bug]),
  };
  for (const id of ids) {
    const rng = root.fork(`replica-${id}`);
    const build = (storage: SimStorage<Command<KvOp>, ReplicaSnapshot<KvSnapshot, KvResult>>) =>
      new DrivenKvReplica(
        new Replica(
          { id, members: ids, random: () => rng.next() },
          replicaOptions,
          () => new KvMachine(),
          storage.load(),
        ),
      );
    world.add(new SimNode(id, build, rng, opts.cost));
  }
  const keys = Array.from({ length: opts.keys }, (_, i) => `k${i}`);
  const clients = new Map<number, SimClient>();
  const history: OpRecord[] = [];
  let raftMessages = 0;
  let clientMessages = 0;
  let entriesCommitted = 0;
  let commandsCommitted = 0;
  let leaderChanges = 0;
  let lastLeader: number | null = null;
  let lastCompletion = 0;

  // Faults happen while the clients are expected to be busy, then everything heals.
  const perClient = Math.ceil(opts.ops / opts.clients);
  const faultEnd = FAULTS_START + Math.max(300, perClient * (opts.thinkMs + 2));
  const schedule = standardFaults(
    root.fork("faults"),
    opts.faults,
    [ids],
    Array.from({ length: opts.clients }, (_, i) => CLIENT_BASE + i),
    faultEnd,
  );
  world.inject(schedule);
  const deadline = faultEnd + opts.settleMs;

  const observe = (node: KvNode): void => {
    const raft = node.replica?.core.raft;
    if (raft === undefined) return;
    checker.observeRole(node.id, raft.role, raft.term, raft);
    checker.observeCommit(node.id, raft);
    if (raft.role === "leader" && lastLeader !== node.id) {
      lastLeader = node.id;
      leaderChanges++;
    }
  };
  const checkAllLogs = (): void => {
    const views = new Map<number, LogView>();
    for (const node of world.nodes.values()) {
      if (node.replica !== null) views.set(node.id, node.replica.core.raft);
    }
    checker.checkLogs(views);
  };

  // Clients.
  for (let i = 0; i < opts.clients; i++) {
    const addr = CLIENT_BASE + i;
    const rng = root.fork(`client-${i}`);
    const quota = Math.min(perClient, Math.max(0, opts.ops - i * perClient));
    clients.set(addr, {
      id: clientId(addr),
      rng,
      remaining: quota,
      seq: 0,
      current: -1,
      op: null,
      attempt: 0,
      leaderGuess: rng.pick(ids),
    });
    world.after(rng.exponential(opts.thinkMs), { kind: "client-next", client: addr });
  }
  const clientSend = (addr: number): void => {
    const c = clients.get(addr)!;
    if (c.op === null) return;
    const attempt = ++c.attempt;
    clientMessages++;
    world.send(addr, c.leaderGuess, { type: "request", client: c.id, seq: c.seq, op: c.op });
    world.after(opts.clientTimeoutMs, { kind: "client-timeout", client: addr, attempt });
  };
  const onResponse = (addr: number, from: number, res: ClientResponse<KvResult>): void => {
    const c = clients.get(addr);
    if (c === undefined || c.op === null || res.seq !== c.seq) return; // stale or duplicate
    if (res.type === "redirect") {
      // Follow the hint at once; without one, try another replica after a short pause.
      if (res.leader !== null && res.leader !== from) {
        c.leaderGuess = res.leader;
        world.after(0, { kind: "client-send", client: addr, attempt: c.attempt });
      } else {
        c.leaderGuess = c.rng.pick(ids);
        world.after(opts.tickMs, { kind: "client-send", client: addr, attempt: c.attempt });
      }
      return;
    }
    const rec = history[c.current]!;
    rec.output = res.result;
    rec.ret = world.now;
    lastCompletion = world.now;
    c.op = null;
    c.current = -1;
    if (c.remaining > 0) {
      world.after(c.rng.exponential(opts.thinkMs), { kind: "client-next", client: addr });
    }
  };
  const sendReplies = (node: KvNode, replies: readonly ClientResponse<KvResult>[]): void => {
    for (const r of replies) {
      clientMessages++;
      world.send(node.id, r.client, r);
    }
  };

  const handlers: WorldHandlers<Wire, ClientEvent, KvNode> = {
    deliver(to, from, msg) {
      if (msg.type === "reply" || msg.type === "redirect") {
        onResponse(to, from, msg);
        return;
      }
      const node = world.nodes.get(to);
      if (node === undefined || !node.up) return;
      node.push(msg);
      world.wake(node);
    },
    run(node) {
      const started = node.run();
      if (started === null) return;
      sendReplies(node, started.ready?.replies ?? []);
      // A leader's appends leave before its fsync (Ready.eager); the rest wait for `finish`.
      for (const m of started.ready?.raft.eager ?? []) {
        raftMessages++;
        world.send(node.id, m.to, m);
      }
      if (node.busy) world.finishAt(node, started.duration);
      observe(node);
    },
    finish(node) {
      const done = node.finish();
      if (done === null) return;
      const { raft } = done.rd;
      if (raft.restore && raft.snapshot !== null) {
        checker.observeRestore(node.id, raft.snapshot.meta.index);
      }
      for (const m of raft.messages) {
        raftMessages++;
        world.send(node.id, m.to, m);
      }
      checker.observeApply(node.id, done.adv.entries);
      for (const e of done.adv.entries) {
        // Count each index once, at its first application anywhere.
        if (e.index > entriesCommitted) {
          entriesCommitted = e.index;
          commandsCommitted += e.cmds.length;
        }
      }
      sendReplies(node, done.adv.replies);
      observe(node);
      if (node.queued > 0 || node.replica?.hasReady()) world.wake(node);
      if (world.events % 500 === 0) checkAllLogs();
    },
    crashed(node) {
      checker.observeRestart(node.id);
    },
    restarted(node) {
      checker.observeRestore(node.id, node.replica!.core.raft.snapshotIndex);
    },
    own(ev) {
      const c = clients.get(ev.client)!;
      switch (ev.kind) {
        case "client-next":
          if (c.remaining === 0 || c.op !== null) return;
          c.remaining--;
          c.seq++;
          c.op = randomKvOp(c.rng, keys);
          c.current = history.length;
          history.push({
            id: history.length,
            client: ev.client,
            input: c.op,
            output: undefined,
            call: world.now,
            ret: Number.POSITIVE_INFINITY,
          });
          clientSend(ev.client);
          return;
        case "client-send":
          if (c.op !== null && c.attempt === ev.attempt) clientSend(ev.client);
          return;
        case "client-timeout":
          if (c.op === null || c.attempt !== ev.attempt) return;
          c.leaderGuess = ids[(ids.indexOf(c.leaderGuess) + 1) % ids.length]!;
          clientSend(ev.client);
          return;
      }
    },
  };
  const allDone = (): boolean => {
    for (const c of clients.values()) if (c.remaining > 0 || c.op !== null) return false;
    return true;
  };
  world.run(handlers, allDone, deadline);

  checkAllLogs();
  const violations = [...checker.violations];
  const incomplete = history.filter((h) => h.output === undefined).length;
  const unstarted = [...clients.values()].reduce((n, c) => n + c.remaining, 0);
  if (incomplete + unstarted > 0) {
    violations.push(
      `liveness: ${incomplete} operations incomplete and ${unstarted} never started ${opts.settleMs} ms after the faults healed (at ${faultEnd} ms)`,
    );
  }
  if (opts.checkHistory) {
    const verdict = checkLinearizable(kvModel, history);
    if (verdict.ok === false) violations.push(`linearizability: ${verdict.explanation}`);
    else if (verdict.ok === "unknown") {
      violations.push(`linearizability: undecided (${verdict.reason})`);
    }
  }
  let fsyncs = 0;
  for (const node of world.nodes.values()) fsyncs += node.storage.stats.fsyncs;
  return {
    seed: opts.seed,
    violations,
    stats: {
      simulatedMs: lastCompletion,
      opsCompleted: history.length - incomplete,
      opsIncomplete: incomplete,
      entriesCommitted,
      commandsCommitted,
      raftMessages,
      clientMessages,
      fsyncs,
      faultsInjected: schedule.length,
      leaderChanges,
    },
    history,
  };
}

// Runs one group replica for real: TCP transport, durable storage, timers, and the Ready loop.
import { performance } from "node:perf_hooks";
import { ConfigError } from "../core/errors.ts";
import type { GroupApp } from "../core/group/app.ts";
import {
  defaultGroupReplicaOptions,
  type GroupEvent,
  GroupReplica,
  type GroupReplicaOptions,
  type GroupSend,
  type GroupSnapshot,
} from "../core/group/group-replica.ts";
import type { McastRequest, McastResponse } from "../core/group/wire.ts";
import type { GroupId, ReplicaId } from "../core/ids.ts";
import type { McastCommand } from "../core/multicast/types.ts";
import { defaultRaftOptions } from "../core/raft/types.ts";
import { type PeerAddress, Transport, type TransportOptions } from "../net/transport.ts";
import type { RaftStore } from "../storage/raft-store.ts";
import { classify, type Inbound } from "./inbound.ts";
import { type DriverCounters, emptyDriverCounters, type RuntimeMetrics } from "./metrics.ts";
import type { AppStatus, StatusReply } from "./status.ts";

/** Where everything is: this replica, the groups, and every replica's address. */
export interface NodeRuntimeConfig {
  readonly group: GroupId;
  readonly replica: ReplicaId;
  readonly groups: ReadonlyMap<GroupId, readonly ReplicaId[]>;
  /** Every replica's listening address, this one's included (it listens there). */
  readonly addresses: ReadonlyMap<ReplicaId, PeerAddress>;
}

/** Tunables; every field has a default. */
export interface NodeRuntimeOptions {
  /** Real milliseconds per consensus tick. Default 10. */
  readonly tickMs?: number;
  readonly replica?: GroupReplicaOptions;
  readonly transport?: TransportOptions;
  /** Randomness for election timeouts. Default Math.random. */
  readonly random?: () => number;
}

/** What the runtime is given to run: the app, its storage, and hooks. */
export interface NodeRuntimeServices<P, R, Res, Snap> {
  readonly makeApp: () => GroupApp<P, R, Res, Snap>;
  readonly storage: RaftStore<McastCommand<P, R>, GroupSnapshot<P, R, Res, Snap>>;
  /** Called after each advance with what the app was handed (for logs and checkers). */
  readonly onEvents?: (events: readonly GroupEvent<P, R>[]) => void;
  /**
   * Called when the loop cannot go on (a storage failure, a broken invariant). The replica
   * stops (fail-stop); the default rethrows outside the loop, ending the process.
   */
  readonly onFatal?: (err: unknown) => void;
  /**
   * Admission of a client's multicast request, before the replica (and so the log) sees it:
   * null admits it; an answer refuses it, goes back to the client at once, and the request is
   * dropped. `bytes` is the request's encoded size as it arrived. The core has no notion of
   * bytes, so limits on them live here. Default: admit everything.
   */
  readonly admit?: (req: McastRequest<P>, bytes: number) => McastResponse<Res> | null;
  /** Summarises the app's state for status replies (read-only; called outside the loop). */
  readonly describeApp?: (app: GroupApp<P, R, Res, Snap>) => AppStatus;
}

type Input<P, R, Res, Snap> =
  | Exclude<Inbound<P, R, Res, Snap>, { kind: "status" }>
  | { kind: "tick" };

/**
 * One replica of one group, run with real time, network and disk.
 *
 * The driver loop, which keeps the core's rule that no input arrives between `ready()` and
 * `advance()`:
 * 1. inputs (network messages, ticks) are queued as they arrive; a run is scheduled with
 *    `setImmediate`, so everything that arrived in one event-loop turn is handled together;
 * 2. the run hands every queued input to the replica, then, if it has work, takes `ready()`;
 * 3. sends decided without the log (`ready.sends`: redirects, acks) go out at once;
 * 4. hard state, snapshot and entries are saved and a sync starts;
 * 5. meanwhile the committed entries are applied (`applyCommitted`) and their answers go out:
 *    they are durable on a majority already, so they need not wait for this Ready's writes;
 * 6. the sync completes; inputs arriving meanwhile wait in the queue (the next cycle's batch);
 * 7. the Ready's consensus messages go out (never before step 6: the persistence contract);
 * 8. `advance()` marks the writes durable (installing a snapshot and applying, if step 5 left
 *    that to it); its sends go out; repeat while there is work.
 */
export class NodeRuntime<P, R, Res, Snap> {
  private readonly config: NodeRuntimeConfig;
  private readonly tickMs: number;
  private readonly services: NodeRuntimeServices<P, R, Res, Snap>;
  private readonly replicaOptions: GroupReplicaOptions;
  private readonly random: () => number;
  private readonly transport: Transport;
  private readonly members: ReadonlySet<number>;
  private readonly replicas: ReadonlySet<number>;
  private readonly counters: DriverCounters = emptyDriverCounters();
  private replica: GroupReplica<P, R, Res, Snap> | null = null;
  private inbox: Input<P, R, Res, Snap>[] = [];
  private scheduled = false;
  /** A run is in progress: the replica is between inputs and advance, or about to be. */
  private busy = false;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failed = false;

  constructor(
    config: NodeRuntimeConfig,
    services: NodeRuntimeServices<P, R, Res, Snap>,
    options: NodeRuntimeOptions = {},
  ) {
    const self = config.addresses.get(config.replica);
    if (self === undefined) throw new ConfigError(`no address for replica ${config.replica}`);
    const members = config.groups.get(config.group);
    if (members === undefined || !members.includes(config.replica)) {
      throw new ConfigError(`replica ${config.replica} is not a member of group ${config.group}`);
    }
    this.config = config;
    this.services = services;
    this.tickMs = options.tickMs ?? 10;
    this.replicaOptions = options.replica ?? defaultGroupReplicaOptions(defaultRaftOptions);
    this.random = options.random ?? Math.random;
    this.members = new Set(members);
    this.replicas = new Set([...config.groups.values()].flat());
    const peers = new Map<number, PeerAddress>();
    for (const [id, addr] of config.addresses) if (id !== config.replica) peers.set(id, addr);
    this.transport = new Transport(
      { id: config.replica, peers, listen: self },
      (from, msg, bytes) => this.onMessage(from, msg, bytes),
      options.transport,
    );
  }

  /** Recovers the replica from storage, listens, and starts ticking. */
  async start(): Promise<PeerAddress | null> {
    this.replica = new GroupReplica<P, R, Res, Snap>(
      {
        group: this.config.group,
        replica: this.config.replica,
        groups: this.config.groups,
        random: this.random,
      },
      this.replicaOptions,
      this.services.makeApp,
      this.services.storage.load(),
    );
    const addr = await this.transport.listen();
    // Dial the group's members now so that the first election does not wait for connections.
    for (const id of this.members) if (id !== this.config.replica) this.transport.connect(id);
    this.timer = setInterval(() => this.push({ kind: "tick" }), this.tickMs);
    return addr;
  }

  /** Stops ticking and taking inputs, finishes the cycle in progress, closes sockets and files. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.running !== null) await this.running;
    await this.transport.close();
    await this.services.storage.close();
  }

  /** Where the replica stands and what every layer counted. */
  metrics(): RuntimeMetrics {
    const raft = this.replica?.raft;
    return {
      ...this.counters,
      group: this.config.group,
      replica: this.config.replica,
      role: raft?.role ?? "follower",
      term: raft?.term ?? 0,
      leader: raft?.leader ?? null,
      commitIndex: raft?.commitIndex ?? 0,
      appliedIndex: raft?.appliedIndex ?? 0,
      lastIndex: raft?.lastIndex ?? 0,
      snapshotIndex: raft?.snapshotIndex ?? 0,
      delivered: this.replica?.deliveredCount ?? 0,
      storage: { ...this.services.storage.stats },
      transport: { ...this.transport.stats },
    };
  }

  private onMessage(from: number, msg: unknown, bytes: number): void {
    if (this.stopped) return;
    const input = classify<P, R, Res, Snap>(from, msg, {
      isMember: (id) => this.members.has(id),
      isReplica: (id) => this.replicas.has(id),
    });
    if (input === null) {
      this.counters.rejectedIn++;
      return;
    }
    if (input.kind === "status") {
      // Read-only getters: safe even while a cycle awaits its sync.
      this.counters.statusAnswered++;
      this.transport.send(from, this.status(input.req.id));
      return;
    }
    if (input.kind === "request" && this.services.admit !== undefined) {
      const refusal = this.services.admit(input.req, bytes);
      if (refusal !== null) {
        this.counters.refusedRequests++;
        this.transport.send(from, refusal);
        return;
      }
    }
    this.push(input);
  }

  private status(id: number): StatusReply {
    const m = this.metrics();
    return {
      type: "status-reply",
      id,
      group: m.group,
      replica: m.replica,
      role: m.role,
      term: m.term,
      leader: m.leader,
      commitIndex: m.commitIndex,
      appliedIndex: m.appliedIndex,
      lastIndex: m.lastIndex,
      snapshotIndex: m.snapshotIndex,
      delivered: m.delivered,
      pid: process.pid,
      app: this.appStatus(),
    };
  }

  /** The app's own summary, or null when there is no describer or no replica yet. */
  appStatus(): AppStatus | null {
    const describe = this.services.describeApp;
    if (describe === undefined || this.replica === null) return null;
    return describe(this.replica.application);
  }

  private push(input: Input<P, R, Res, Snap>): void {
    if (this.stopped || this.failed) return;
    this.inbox.push(input);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.busy || this.failed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.busy || this.failed) return;
      this.busy = true;
      this.running = this.loop();
    });
  }

  private async loop(): Promise<void> {
    try {
      await this.run();
    } catch (err) {
      this.fail(err);
    } finally {
      this.busy = false;
    }
    // Inputs that arrived after the last check of the run.
    if (this.inbox.length > 0 && !this.stopped) this.schedule();
  }

  /** Cycles until no input is queued and the replica has nothing ready. */
  private async run(): Promise<void> {
    const replica = this.replica;
    if (replica === null) return;
    const storage = this.services.storage;
    const c = this.counters;
    while (!this.failed && !this.stopped && (this.inbox.length > 0 || replica.hasReady())) {
      const inputs = this.inbox;
      this.inbox = [];
      for (const input of inputs) {
        switch (input.kind) {
          case "tick":
            c.ticks++;
            replica.tick();
            break;
          case "step":
            c.inputs++;
            replica.step(input.msg);
            break;
          case "request":
            c.inputs++;
            replica.request(input.req);
            break;
          case "query":
            c.inputs++;
            replica.query(input.req);
            break;
          case "receive":
            c.inputs++;
            replica.receive(input.msg, input.from);
            break;
        }
      }
      if (inputs.length > c.maxInputsPerCycle) c.maxInputsPerCycle = inputs.length;
      if (!replica.hasReady()) continue;
      const rd = replica.ready();
      c.cycles++;
      this.sendAll(rd.sends);
      const { hardState, snapshot, entries, messages, eager, committed } = rd.raft;
      // A leader's appends leave before its own fsync: disks on both sides write in parallel.
      for (const m of eager) {
        c.raftMessagesOut++;
        this.transport.send(m.to, m);
      }
      const persist = hardState !== null || snapshot !== null || entries.length > 0;
      let syncing: Promise<void> | null = null;
      const t0 = performance.now();
      if (persist) {
        storage.save(hardState, snapshot, entries);
        syncing = storage.sync();
      }
      // Committed entries are durable on a majority already: apply them and answer while this
      // Ready's own writes are on their way to disk (see GroupReplica.applyCommitted).
      const early = replica.applyCommitted(rd);
      if (early !== null) {
        this.sendAll(early.sends);
        if (early.events.length > 0) this.services.onEvents?.(early.events);
      }
      if (syncing !== null) {
        await syncing;
        c.syncWaitMs += performance.now() - t0;
        c.persistCycles++;
        c.entriesSaved += entries.length;
      }
      for (const m of messages) {
        c.raftMessagesOut++;
        this.transport.send(m.to, m);
      }
      for (const e of committed) {
        c.entriesCommitted++;
        c.commandsCommitted += e.cmds.length;
      }
      const adv = replica.advance(rd);
      this.sendAll(adv.sends);
      if (adv.events.length > 0) this.services.onEvents?.(adv.events);
    }
  }

  private sendAll(sends: readonly GroupSend<P, R, Res>[]): void {
    for (const s of sends) {
      if (s.kind === "client") this.counters.clientOut++;
      else this.counters.interGroupOut++;
      this.transport.send(s.to, s.msg);
    }
  }

  private fail(err: unknown): void {
    this.failed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.inbox = [];
    const onFatal =
      this.services.onFatal ??
      ((e: unknown) => {
        setImmediate(() => {
          throw e;
        });
      });
    onFatal(err);
  }
}

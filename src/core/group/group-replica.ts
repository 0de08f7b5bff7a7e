// One replica of a multicast group: consensus log, atomic multicast state, reliable channels and the app.
import { ConfigError, invariant } from "../errors.ts";
import type { ClientId, GroupId, ReplicaId } from "../ids.ts";
import { GroupMulticast } from "../multicast/group-multicast.ts";
import { validateMessage } from "../multicast/message.ts";
import type {
  McastCommand,
  McastMessage,
  McastOptions,
  McastSnapshot,
  Timestamp,
} from "../multicast/types.ts";
import { Raft } from "../raft/raft.ts";
import type { RaftMessage, RaftOptions, RaftStorageState, Ready } from "../raft/types.ts";
import { type SessionSnapshot, SessionTable } from "../replica/sessions.ts";
import type { GroupApp, GroupContext } from "./app.ts";
import type {
  InterGroupMessage,
  McastRequest,
  McastResponse,
  QueryRequest,
  QueryResponse,
} from "./wire.ts";

/** Tunables of a group replica. */
export interface GroupReplicaOptions {
  readonly raft: RaftOptions;
  /** Compact the log once this many entries were applied since the last snapshot. */
  readonly snapshotEvery: number;
  /** Client sessions remembered. */
  readonly maxSessions: number;
  /** Answers remembered per client: a client may keep this many messages in flight. */
  readonly repliesPerClient: number;
  /** A leader re-sends unacknowledged channel messages every this many ticks. */
  readonly resendTicks: number;
  /** Most channel bodies in one batch sent to another group. */
  readonly maxChannelBatch: number;
  /**
   * A leader logs `abandon` for a message that has waited this many ticks for its FIFO
   * predecessor, once another group has activated it (at once if that group did so later), and
   * again after as many more ticks if it still waits. Far longer than a correct client's
   * retransmission period.
   */
  readonly abandonTicks: number;
  readonly mcast: McastOptions;
}

/** Where everything is: this replica, its group, and the replicas of every group. */
export interface GroupIdentity {
  readonly group: GroupId;
  readonly replica: ReplicaId;
  readonly groups: ReadonlyMap<GroupId, readonly ReplicaId[]>;
  /** Injected randomness in [0, 1), for election timeouts. */
  readonly random: () => number;
}

/** Everything a group's log built, as a snapshot. */
export interface GroupSnapshot<P, R, Res, Snap> {
  readonly mcast: McastSnapshot<P, R>;
  readonly app: Snap;
  readonly sessions: SessionSnapshot<Res>;
  /** Atomic multicast deliveries and reliable messages handed to the app so far. */
  readonly delivered: number;
  readonly received: number;
}

/** The consensus message type of a group. */
export type GroupRaftMessage<P, R, Res, Snap> = RaftMessage<
  McastCommand<P, R>,
  GroupSnapshot<P, R, Res, Snap>
>;
/** The storage image of a group replica. */
export type GroupStorageState<P, R, Res, Snap> = RaftStorageState<
  McastCommand<P, R>,
  GroupSnapshot<P, R, Res, Snap>
>;

/** A message for another replica (of another group) or for a client. */
export type GroupSend<P, R, Res> =
  | { readonly kind: "replica"; readonly to: ReplicaId; readonly msg: InterGroupMessage<P, R> }
  | {
      readonly kind: "client";
      readonly to: ClientId;
      readonly msg: McastResponse<Res> | QueryResponse<Res>;
    };

/**
 * One unit of work for the driver: persist, send, then `advance(ready)`; `applyCommitted(ready)`
 * may come first, while the writes are still on their way to disk.
 */
export interface GroupReady<P, R, Res, Snap> {
  readonly raft: Ready<McastCommand<P, R>, GroupSnapshot<P, R, Res, Snap>>;
  /** Sends decided without the log (redirects, remembered replies, acks); safe at once. */
  readonly sends: readonly GroupSend<P, R, Res>[];
}

/** What the app was handed, numbered per group, for checkers. */
export type GroupEvent<P, R> =
  | {
      readonly kind: "deliver";
      readonly position: number;
      readonly msg: McastMessage<P>;
      readonly ts: Timestamp;
    }
  | {
      readonly kind: "receive";
      readonly position: number;
      readonly from: GroupId;
      readonly payload: R;
    };

/** What `applyCommitted` or `advance` produced. */
export interface GroupAdvance<P, R, Res> {
  readonly sends: readonly GroupSend<P, R, Res>[];
  readonly events: readonly GroupEvent<P, R>[];
}

/** Defaults for group replicas. */
export const defaultGroupReplicaOptions = (raft: RaftOptions): GroupReplicaOptions => ({
  raft,
  snapshotEvery: 256,
  maxSessions: 100_000,
  repliesPerClient: 16,
  resendTicks: 3,
  maxChannelBatch: 512,
  abandonTicks: 300,
  mcast: {},
});

/**
 * A replica of one group. Inputs: client requests, channel batches and acks from other groups,
 * consensus messages, ticks. The group's log holds multicast commands (start, channel, ack); the
 * replicated multicast state turns them into deliveries that the app handles in order.
 *
 * Invariants:
 * - the multicast state, the app, the session table and the delivery counters change only in
 *   `advance`, by applying committed entries in order or restoring a snapshot: replicas of a
 *   group at the same applied index are identical;
 * - only the leader talks to clients and other groups; what it sends derives from the applied
 *   state (outboxes, received counts) plus volatile send cursors that a new leader resets, so a
 *   leader change re-sends everything unacknowledged (duplicates are ignored on apply);
 * - a channel message is acknowledged only once it is applied here, i.e. committed in our log.
 */
export class GroupReplica<P, R, Res, Snap> {
  readonly raft: Raft<McastCommand<P, R>, GroupSnapshot<P, R, Res, Snap>>;
  readonly group: GroupId;
  private readonly groups: ReadonlyMap<GroupId, readonly ReplicaId[]>;
  private readonly options: GroupReplicaOptions;
  private readonly app: GroupApp<P, R, Res, Snap>;
  private mcast: GroupMulticast<P, R>;
  private readonly sessions: SessionTable<Res>;
  private delivered = 0;
  private received = 0;
  private readonly ctx: GroupContext<R, Res>;

  // Volatile, leader-only cursors (reset when this replica becomes leader).
  private wasLeader = false;
  private readonly leaderGuess = new Map<GroupId, ReplicaId>();
  private readonly sentUpTo = new Map<GroupId, number>();
  private readonly resendMark = new Map<GroupId, number>();
  /** Groups that answered (an ack or a hint) since the last re-send round. */
  private readonly heard = new Set<GroupId>();
  private readonly proposedUpTo = new Map<GroupId, number>();
  private readonly ackProposed = new Map<GroupId, number>();
  private readonly ackSent = new Map<GroupId, number>();
  private resendElapsed = 0;
  /** Ticks each waiting message (see GroupMulticast.waitingIds) has been seen waiting, by key. */
  /** Stalled messages whose age was raised once because another group broke their chain. */
  private readonly hurried = new Set<string>();
  private readonly waitingTicks = new Map<string, number>();
  private sends: GroupSend<P, R, Res>[] = [];
  private answering = false;
  /** The Ready whose committed entries `applyCommitted` already applied, if any. */
  private appliedEarly: GroupReady<P, R, Res, Snap> | null = null;

  constructor(
    identity: GroupIdentity,
    options: GroupReplicaOptions,
    makeApp: () => GroupApp<P, R, Res, Snap>,
    restored: GroupStorageState<P, R, Res, Snap>,
  ) {
    const members = identity.groups.get(identity.group);
    if (members === undefined || !members.includes(identity.replica)) {
      throw new ConfigError(
        `replica ${identity.replica} is not a member of group ${identity.group}`,
      );
    }
    if (!Number.isInteger(options.snapshotEvery) || options.snapshotEvery < 1) {
      throw new ConfigError(
        `snapshotEvery must be a positive integer, got ${options.snapshotEvery}`,
      );
    }
    if (!Number.isInteger(options.resendTicks) || options.resendTicks < 1) {
      throw new ConfigError(`resendTicks must be a positive integer, got ${options.resendTicks}`);
    }
    if (!Number.isInteger(options.abandonTicks) || options.abandonTicks < 1) {
      throw new ConfigError(`abandonTicks must be a positive integer, got ${options.abandonTicks}`);
    }
    this.group = identity.group;
    this.groups = identity.groups;
    this.options = options;
    this.app = makeApp();
    this.mcast = new GroupMulticast<P, R>(identity.group, options.mcast);
    this.sessions = new SessionTable<Res>(options.maxSessions, options.repliesPerClient);
    for (const [g, replicas] of identity.groups) {
      if (g !== identity.group && replicas[0] !== undefined) this.leaderGuess.set(g, replicas[0]);
    }
    this.ctx = {
      self: identity.group,
      send: (to, payload) => this.mcast.send(to, payload),
      reply: (client, seq, result) => this.recordReply(client, seq, result),
    };
    if (restored.snapshot !== null) this.load(restored.snapshot.data);
    this.raft = new Raft(
      { id: identity.replica, members, random: identity.random },
      options.raft,
      restored,
    );
  }

  /** A client asks this replica's group to order `req.msg`. */
  request(req: McastRequest<P>): void {
    const { msg } = req;
    // Malformed, not for us, or addressed to a group that does not exist (its timestamp would
    // never come, and the message would block this group's deliveries for ever): drop it.
    if (
      validateMessage(msg) !== null ||
      !msg.dests.includes(this.group) ||
      !msg.dests.every((g) => this.groups.has(g))
    ) {
      return;
    }
    const { client, seq } = msg;
    if (this.raft.role !== "leader") {
      this.toClient(client, {
        type: "mcast-redirect",
        group: this.group,
        client,
        seq,
        leader: this.raft.leader,
      });
      return;
    }
    const verdict = this.sessions.check(client, seq);
    if (verdict.kind === "duplicate") {
      this.toClient(client, {
        type: "mcast-reply",
        group: this.group,
        client,
        seq,
        result: verdict.result,
      });
      return;
    }
    // Already ordered here; an older seq is stale unless it is a predecessor abandoned here.
    const stale = verdict.kind === "stale" && !this.mcast.awaitsLate(client, seq);
    if (stale || this.mcast.isKnown(client, seq)) return;
    this.raft.propose({ kind: "start", msg }); // a full queue drops it: the client retransmits
  }

  /** A client's query: answered at once from this replica's applied state, or null. */
  query(req: QueryRequest<P>): void {
    const result = this.app.query?.(req.payload) ?? null;
    this.toClient(req.client, {
      type: "query-reply",
      group: this.group,
      client: req.client,
      id: req.id,
      result,
    });
  }

  /** A message from a replica of another group. */
  receive(msg: InterGroupMessage<P, R>, sender: ReplicaId): void {
    if (msg.to !== this.group) return;
    if (msg.type === "channel-ack") {
      this.leaderGuess.set(msg.from, msg.leader ?? sender);
      this.heard.add(msg.from);
      if (this.raft.role !== "leader") return;
      const view = this.mcast.outbox(msg.from);
      if (msg.upTo >= view.firstSeq && msg.upTo > (this.ackProposed.get(msg.from) ?? 0)) {
        if (this.raft.propose({ kind: "ack", from: msg.from, upTo: msg.upTo })) {
          this.ackProposed.set(msg.from, msg.upTo);
        }
      }
      return;
    }
    // A channel batch.
    const from = msg.from;
    if (this.raft.role !== "leader") {
      this.sendAck(from, sender, this.raft.leader);
      return;
    }
    this.leaderGuess.set(from, sender);
    let proposed = Math.max(this.mcast.received(from), this.proposedUpTo.get(from) ?? 0);
    let fresh = false;
    for (let i = 0; i < msg.bodies.length; i++) {
      const seq = msg.firstSeq + i;
      if (seq !== proposed + 1) continue; // already proposed, or a gap the sender will fill
      const body = msg.bodies[i]!;
      if (!this.raft.propose({ kind: "channel", from, seq, body })) break;
      proposed = seq;
      fresh = true;
    }
    this.proposedUpTo.set(from, proposed);
    // Nothing new: the sender lost our ack, so repeat it now.
    if (!fresh) this.sendAck(from, sender, this.raft.id);
  }

  /** A consensus message from a member of this group. */
  step(msg: GroupRaftMessage<P, R, Res, Snap>): void {
    this.raft.step(msg);
  }

  /** One unit of logical time. */
  tick(): void {
    this.raft.tick();
    if (this.raft.role !== "leader") return;
    if (++this.resendElapsed < this.options.resendTicks) return;
    this.resendElapsed = 0;
    this.abandonStalled(this.options.resendTicks);
    for (const [to, view] of this.mcast.outboxes()) {
      if (view.bodies.length === 0) continue;
      // Neither progress nor an answer since the last re-send: the guessed leader may be gone.
      if (this.resendMark.get(to) === view.firstSeq && !this.heard.has(to)) this.rotateGuess(to);
      this.resendMark.set(to, view.firstSeq);
      this.sentUpTo.set(to, view.firstSeq - 1);
    }
    this.heard.clear();
    this.flushOutboxes();
  }

  /** True when `ready()` has something for the driver. */
  hasReady(): boolean {
    return this.sends.length > 0 || this.raft.hasReady();
  }

  /** Collects the work of the inputs so far. */
  ready(): GroupReady<P, R, Res, Snap> {
    this.noticeLeadership();
    const sends = this.sends;
    this.sends = [];
    return { raft: this.raft.ready(), sends };
  }

  /**
   * Applies the committed entries of `rd` now, before the Ready's writes are durable, and returns
   * what that produced (answers to clients, messages for other groups): they may leave at once.
   *
   * Why this is safe: an entry in `rd.raft.committed` is committed, that is durable on a majority
   * of the group, whatever happens to this replica's own pending writes; the leader counts its
   * own entries only once durable, and a follower only learns commitment from a leader. So what
   * these entries produce is final: a crash before the sync completes loses nothing that another
   * replica, or this one after recovery from its peers, would not produce again in the same
   * order. It takes one fsync off every command's latency: the answer no longer waits for the
   * writes of commands that arrived after it. A Ready that installs a snapshot is applied by
   * `advance` instead (the snapshot must be loaded first); then this returns null.
   * Optional: `advance` applies whatever this did not.
   */
  applyCommitted(rd: GroupReady<P, R, Res, Snap>): GroupAdvance<P, R, Res> | null {
    invariant(this.appliedEarly === null, "group: applyCommitted twice for one Ready");
    if (rd.raft.restore && rd.raft.snapshot !== null) return null;
    this.appliedEarly = rd;
    const events = this.applyEntries(rd);
    if (this.raft.role === "leader") this.leaderSends();
    const sends = this.sends;
    this.sends = [];
    return { sends, events };
  }

  /**
   * The driver made `rd.raft` durable and sent its messages: apply (unless `applyCommitted`
   * did), advance, compact.
   */
  advance(rd: GroupReady<P, R, Res, Snap>): GroupAdvance<P, R, Res> {
    const { raft } = rd;
    let events: GroupEvent<P, R>[] = [];
    if (this.appliedEarly === rd) this.appliedEarly = null;
    else {
      invariant(this.appliedEarly === null, "group: advance of another Ready than the one applied");
      if (raft.restore && raft.snapshot !== null) this.load(raft.snapshot.data);
      events = this.applyEntries(rd);
    }
    this.raft.advance();
    this.noticeLeadership();
    if (this.raft.role === "leader") this.leaderSends();
    if (this.raft.appliedIndex - this.raft.snapshotIndex >= this.options.snapshotEvery) {
      this.raft.compact(this.raft.appliedIndex, this.snapshot());
    }
    const sends = this.sends;
    this.sends = [];
    return { sends, events };
  }

  /** Hands the committed entries of `rd` to multicast and the app, in log order. */
  private applyEntries(rd: GroupReady<P, R, Res, Snap>): GroupEvent<P, R>[] {
    const events: GroupEvent<P, R>[] = [];
    this.answering = this.raft.role === "leader";
    for (const entry of rd.raft.committed) {
      for (const cmd of entry.cmds) {
        this.mcast.apply(cmd);
        for (const d of this.mcast.takeDeliveries()) {
          if (d.kind === "deliver") {
            events.push({ kind: "deliver", position: ++this.delivered, msg: d.msg, ts: d.ts });
            this.app.deliver(d.msg, d.ts, this.ctx);
          } else {
            events.push({
              kind: "receive",
              position: ++this.received,
              from: d.from,
              payload: d.payload,
            });
            this.app.receive(d.from, d.payload, this.ctx);
          }
        }
      }
    }
    this.answering = false;
    return events;
  }

  /** Leader: sends new outbox bodies, and acks for channel messages received since the last. */
  private leaderSends(): void {
    this.flushOutboxes();
    for (const [from] of this.groups) {
      if (from === this.group) continue;
      const got = this.mcast.received(from);
      if (got > (this.ackSent.get(from) ?? 0)) {
        const to = this.leaderGuess.get(from);
        if (to !== undefined) this.sendAck(from, to, this.raft.id);
      }
    }
  }

  /** Counters for status and checks. */
  get deliveredCount(): number {
    return this.delivered;
  }

  /** The application (read-only use: status, tests). */
  get application(): GroupApp<P, R, Res, Snap> {
    return this.app;
  }

  /** The multicast state (read-only use: status, tests). */
  get multicast(): GroupMulticast<P, R> {
    return this.mcast;
  }

  private snapshot(): GroupSnapshot<P, R, Res, Snap> {
    return {
      mcast: this.mcast.snapshot(),
      app: this.app.snapshot(),
      sessions: this.sessions.snapshot(),
      delivered: this.delivered,
      received: this.received,
    };
  }

  private load(snap: GroupSnapshot<P, R, Res, Snap>): void {
    this.mcast = GroupMulticast.fromSnapshot<P, R>(snap.mcast, this.options.mcast);
    this.app.restore(snap.app);
    this.sessions.restore(snap.sessions);
    this.delivered = snap.delivered;
    this.received = snap.received;
  }

  private recordReply(client: ClientId, seq: number, result: Res): void {
    // Answers may come out of seq order (DS-SMR runs commands that share no variable past a
    // blocked one): every first answer is remembered, in its place, so that a lost reply to an
    // older command is still there when the client asks again.
    if (this.sessions.check(client, seq).kind !== "duplicate") {
      this.sessions.record(client, seq, result);
    }
    if (this.answering) {
      this.toClient(client, { type: "mcast-reply", group: this.group, client, seq, result });
    }
  }

  /** On becoming leader: forget send cursors so that everything unacknowledged goes out again. */
  private noticeLeadership(): void {
    const leader = this.raft.role === "leader";
    if (leader && !this.wasLeader) {
      this.sentUpTo.clear();
      this.proposedUpTo.clear();
      this.ackProposed.clear();
      this.ackSent.clear();
      this.resendMark.clear();
      this.waitingTicks.clear();
      this.hurried.clear();
      this.resendElapsed = 0;
    }
    this.wasLeader = leader;
  }

  /**
   * Leader, once per re-send round (`elapsed` ticks): ages every message that waits here for its
   * FIFO predecessor, from when it starts to wait, and logs `abandon` for those that another
   * group waits on (stalled) once they reached `abandonTicks`; the age then restarts, so a lost
   * abandon is proposed again later. Ageing from the wait rather than from the stall is what
   * keeps a broken chain to about one period: a message another group activates only after its
   * own abandon has usually waited here as long already, and goes at once instead of after
   * another full period per link. One that would be refused now (the client has an undecided
   * message here) keeps its age and is proposed as soon as it can apply.
   */
  private abandonStalled(elapsed: number): void {
    const seen = new Set<string>();
    for (const { client, seq } of this.mcast.waitingIds()) {
      const key = `${client}/${seq}`;
      seen.add(key);
      this.waitingTicks.set(key, (this.waitingTicks.get(key) ?? 0) + elapsed);
    }
    for (const key of [...this.waitingTicks.keys()]) {
      if (!seen.has(key)) this.waitingTicks.delete(key);
    }
    for (const key of [...this.hurried]) {
      if (!seen.has(key)) this.hurried.delete(key);
    }
    for (const { client, seq, broken } of this.mcast.stalled()) {
      const key = `${client}/${seq}`;
      let age = this.waitingTicks.get(key) ?? 0;
      // Another group took it out of its client's chain: it already waited a period there. Only
      // once, so that a lost abandon is retried after a period, as for any other.
      if (broken && !this.hurried.has(key)) {
        this.hurried.add(key);
        age = Math.max(age, this.options.abandonTicks);
        this.waitingTicks.set(key, age); // kept while the abandon would be refused
      }
      if (
        age >= this.options.abandonTicks &&
        this.mcast.canAbandon(client, seq) &&
        this.raft.propose({ kind: "abandon", client, seq })
      ) {
        this.waitingTicks.set(key, 0);
      }
    }
  }

  /** Sends every outbox body not yet sent by this leader. */
  private flushOutboxes(): void {
    for (const [to, view] of this.mcast.outboxes()) {
      const last = view.firstSeq + view.bodies.length - 1;
      const sent = Math.max(this.sentUpTo.get(to) ?? 0, view.firstSeq - 1);
      if (last <= sent) continue;
      const target = this.leaderGuess.get(to);
      if (target === undefined) continue;
      const start = sent + 1 - view.firstSeq;
      const end = Math.min(view.bodies.length, start + this.options.maxChannelBatch);
      this.sends.push({
        kind: "replica",
        to: target,
        msg: {
          type: "channel",
          from: this.group,
          to,
          firstSeq: sent + 1,
          bodies: view.bodies.slice(start, end),
        },
      });
      this.sentUpTo.set(to, view.firstSeq + end - 1);
    }
  }

  private sendAck(from: GroupId, to: ReplicaId, leader: ReplicaId | null): void {
    const upTo = this.mcast.received(from);
    if (leader === this.raft.id) this.ackSent.set(from, upTo);
    this.sends.push({
      kind: "replica",
      to,
      msg: { type: "channel-ack", from: this.group, to: from, upTo, leader },
    });
  }

  private rotateGuess(group: GroupId): void {
    const replicas = this.groups.get(group);
    if (replicas === undefined || replicas.length === 0) return;
    const current = this.leaderGuess.get(group);
    const i = current === undefined ? -1 : replicas.indexOf(current);
    this.leaderGuess.set(group, replicas[(i + 1) % replicas.length]!);
  }

  private toClient(client: ClientId, msg: McastResponse<Res> | QueryResponse<Res>): void {
    this.sends.push({ kind: "client", to: client, msg });
  }
}

// A Raft replica as a sans-IO, deterministic, synchronous state machine, in the style of etcd-io/raft.
import { ConfigError, invariant } from "../errors.ts";
import type { ReplicaId } from "../ids.ts";
import { RaftLog } from "./log.ts";
import { Progress } from "./progress.ts";
import type {
  Entry,
  HardState,
  RaftIdentity,
  RaftMessage,
  RaftOptions,
  RaftStorageState,
  Ready,
  Role,
  Snapshot,
} from "./types.ts";

/** Most committed entries handed out by one Ready: bounds the work of a single apply step. */
const MAX_COMMITTED_PER_READY = 4096;
/** Pending proposals are bounded at this many full batches (propose returns false beyond). */
const MAX_PENDING_BATCHES = 64;

/**
 * One Raft replica of a fixed group. Inputs are `tick`, `step` and `propose`; outputs come out
 * of `ready()` as a batch the caller persists, sends and applies, then confirms with `advance()`.
 * Nothing here reads a clock, a disk, a socket or a random source other than `identity.random`.
 *
 * Invariants (checked with `invariant` where they are cheap):
 * - `snapshotIndex <= appliedIndex <= commitIndex <= lastIndex`;
 * - `snapshotIndex <= stableIndex <= lastIndex`: entries up to `stableIndex` are durable, later
 *   ones go out in the next Ready. The leader counts itself towards a commit quorum only up to
 *   `stableIndex` (the persistence contract);
 * - every message is emitted through a Ready that also carries every state change made before
 *   it (hard state, entries, snapshot), so a message never claims anything not yet durable;
 * - at most one leader per term; a leader never truncates or rewrites its own log;
 * - only entries of the current term are committed by counting replicas (Raft §5.4.2); earlier
 *   entries commit with them;
 * - `commit` never decreases, and every committed entry is handed out in `Ready.committed`
 *   exactly once, in order, unless a restored snapshot covers it;
 * - between `ready()` and `advance()` no input is accepted, so the Ready describes the state
 *   exactly and `advance()` can mark it durable without re-checking.
 */
export class Raft<C, S> {
  /** This replica's id. */
  readonly id: ReplicaId;
  private readonly peers: readonly ReplicaId[];
  private readonly memberSet: ReadonlySet<ReplicaId>;
  private readonly quorum: number;
  private readonly random: () => number;
  private readonly opts: RaftOptions;
  private readonly maxPendingCmds: number;
  private readonly maxUncommitted: number;
  /** Scratch buffer for the commit computation (one slot per member). */
  private readonly matchScratch: Float64Array;

  // Persistent state (what HardState mirrors) and what of it is known durable.
  private currentTerm: number;
  private votedFor: ReplicaId | null;
  private durableTerm: number;
  private durableVote: ReplicaId | null;

  // The log, the latest snapshot, and what is durable / committed / handed out.
  private readonly log = new RaftLog<C>();
  private snap: Snapshot<S> | null = null;
  private stableIndex: number;
  private commit: number;
  private applied: number;
  private unsavedSnapshot: Snapshot<S> | null = null;
  private unsavedRestore = false;

  // Volatile role state.
  private roleNow: Role = "follower";
  private leaderId: ReplicaId | null = null;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private electionTimeout = 0;
  private readonly votes = new Map<ReplicaId, boolean>();
  private readonly progress = new Map<ReplicaId, Progress>();
  private pendingCmds: C[] = [];
  private outbox: RaftMessage<C, S>[] = [];

  // The Ready handed out and not yet advanced.
  private inReady = false;
  private readyLastIndex = 0;
  private readyHardState: HardState | null = null;

  /** Starts (or restarts) a replica from what its storage holds. */
  constructor(identity: RaftIdentity, options: RaftOptions, restored: RaftStorageState<C, S>) {
    validateOptions(options);
    const members = new Set(identity.members);
    if (members.size !== identity.members.length) throw new ConfigError("members: duplicate id");
    if (!members.has(identity.id))
      throw new ConfigError("members: must include the replica itself");
    this.id = identity.id;
    this.memberSet = members;
    this.peers = identity.members.filter((m) => m !== identity.id);
    this.quorum = Math.floor(identity.members.length / 2) + 1;
    this.random = identity.random;
    this.opts = options;
    this.maxPendingCmds = MAX_PENDING_BATCHES * options.maxBatch;
    this.maxUncommitted = Math.max(1024, 8 * options.maxInflight * options.maxEntriesPerAppend);
    this.matchScratch = new Float64Array(identity.members.length);

    const { hardState, snapshot, entries } = restored;
    invariant(
      hardState.vote === null || members.has(hardState.vote),
      "restore: vote for a non-member",
    );
    this.currentTerm = hardState.term;
    this.votedFor = hardState.vote;
    this.durableTerm = hardState.term;
    this.durableVote = hardState.vote;
    if (snapshot !== null) {
      this.log.restore(snapshot.meta.index, snapshot.meta.term);
      this.snap = snapshot;
    }
    // Storage may still hold entries the snapshot covers; they are redundant.
    for (const e of entries) if (e.index > this.log.snapshotIndex) this.log.append(e);
    invariant(this.log.lastTerm <= this.currentTerm, "restore: log term beyond the hard state");
    // Commitment is not persisted: it is re-learned from a leader (or by winning an election).
    this.commit = this.log.snapshotIndex;
    this.applied = this.log.snapshotIndex;
    this.stableIndex = this.log.lastIndex;
    this.resetTimers();
  }

  // ---------------------------------------------------------------------------------------------
  // Queries.

  /** Role in the current term. */
  get role(): Role {
    return this.roleNow;
  }

  /** Current term. */
  get term(): number {
    return this.currentTerm;
  }

  /** Known leader of the current term, or null. */
  get leader(): ReplicaId | null {
    return this.leaderId;
  }

  /** Highest index known committed. */
  get commitIndex(): number {
    return this.commit;
  }

  /** Last index handed out in `Ready.committed` or covered by a restored snapshot. */
  get appliedIndex(): number {
    return this.applied;
  }

  /** Index of the last log entry (the snapshot index when the log is empty). */
  get lastIndex(): number {
    return this.log.lastIndex;
  }

  /** Index covered by the latest snapshot (0 if none). */
  get snapshotIndex(): number {
    return this.log.snapshotIndex;
  }

  /** The entry at `index`, or undefined if compacted or absent. */
  entry(index: number): Entry<C> | undefined {
    return this.log.entry(index);
  }

  /** The term of the entry at `index` (also known at the snapshot index and at 0). */
  termAt(index: number): number | undefined {
    return this.log.termAt(index);
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs.

  /** One unit of logical time. */
  tick(): void {
    invariant(!this.inReady, "raft: tick between ready() and advance()");
    if (this.roleNow === "leader") this.tickLeader();
    else this.tickElection();
  }

  /** Handles one message; ignores messages for someone else or from a non-member. */
  step(msg: RaftMessage<C, S>): void {
    invariant(!this.inReady, "raft: step between ready() and advance()");
    if (msg.to !== this.id || msg.from === this.id || !this.memberSet.has(msg.from)) return;

    if (msg.term > this.currentTerm) {
      if (msg.type === "vote" || msg.type === "prevote") {
        // Leader stickiness: while we hear from a live leader, a (pre)candidate is someone cut
        // off from it (e.g. a healed partition); letting it win would disrupt a healthy group.
        const inLease =
          this.opts.checkQuorum &&
          this.leaderId !== null &&
          this.electionElapsed < this.opts.electionTicks;
        if (inLease) return;
      }
      const keepTerm = msg.type === "prevote" || (msg.type === "prevote-reply" && msg.granted);
      if (!keepTerm) {
        const fromLeader = msg.type === "append" || msg.type === "snapshot";
        this.becomeFollower(msg.term, fromLeader ? msg.from : null);
      }
    } else if (msg.term < this.currentTerm) {
      if ((this.opts.checkQuorum || this.opts.preVote) && msg.type === "append") {
        // A stale leader cut off by a partition: tell it our term so that it steps down. Without
        // this, a replica whose term moved on while its (pre)votes are refused would be stuck.
        // (If the sender leads our term too, this was a delayed append of an older term: the
        // hint, our commit, is then a correct if cautious place to probe from.)
        this.send({
          type: "append-reply",
          from: this.id,
          to: msg.from,
          term: this.currentTerm,
          success: false,
          index: this.commit,
        });
      } else if (msg.type === "prevote") {
        // Lets a pre-candidate with an old term learn the current one.
        this.send({
          type: "prevote-reply",
          from: this.id,
          to: msg.from,
          term: this.currentTerm,
          granted: false,
        });
      }
      return;
    }

    if (this.roleNow === "leader") {
      const pr = this.progress.get(msg.from);
      if (pr !== undefined) pr.recentActive = true;
    }

    switch (msg.type) {
      case "prevote":
        this.handlePreVote(msg);
        return;
      case "vote":
        this.handleVote(msg);
        return;
      case "prevote-reply":
        if (this.roleNow !== "precandidate") return;
        // Granted replies carry the term we would campaign for; refusals carry ours.
        if (msg.term !== (msg.granted ? this.currentTerm + 1 : this.currentTerm)) return;
        this.countVote(msg.from, msg.granted);
        return;
      case "vote-reply":
        if (this.roleNow !== "candidate" || msg.term !== this.currentTerm) return;
        this.countVote(msg.from, msg.granted);
        return;
      case "append":
      case "snapshot":
        invariant(this.roleNow !== "leader", `raft: two leaders in term ${this.currentTerm}`);
        if (this.roleNow !== "follower") this.becomeFollower(this.currentTerm, msg.from);
        this.leaderId = msg.from;
        this.electionElapsed = 0;
        if (msg.type === "append") this.handleAppend(msg);
        else this.handleSnapshot(msg);
        return;
      case "append-reply":
        if (this.roleNow === "leader") this.handleAppendReply(msg);
        return;
      case "snapshot-reply":
        if (this.roleNow === "leader") this.handleSnapshotReply(msg);
        return;
    }
  }

  /**
   * Queues a command (leader only). Commands are packed into entries when `ready()` is called,
   * so that one Ready (one fsync) carries many of them. Returns false when this replica is not
   * the leader or too much is already pending: the caller retries elsewhere or later.
   */
  propose(cmd: C): boolean {
    invariant(!this.inReady, "raft: propose between ready() and advance()");
    if (this.roleNow !== "leader") return false;
    if (this.pendingCmds.length >= this.maxPendingCmds) return false;
    if (this.log.lastIndex - this.commit >= this.maxUncommitted) return false;
    this.pendingCmds.push(cmd);
    return true;
  }

  /**
   * The state machine has a snapshot `data` of everything up to `index` (at most `appliedIndex`).
   * Entries up to `index` are dropped; the next Ready carries the snapshot to persist. A no-op
   * when an existing snapshot already covers `index`.
   */
  compact(index: number, data: S): void {
    invariant(!this.inReady, "raft: compact between ready() and advance()");
    invariant(index <= this.applied, `raft: compact ${index} beyond applied ${this.applied}`);
    if (index <= this.log.snapshotIndex) return;
    invariant(!this.unsavedRestore, "raft: compact while a restore is unsaved");
    const term = this.log.termAt(index);
    invariant(term !== undefined, `raft: compact ${index}: no such entry`);
    this.log.compact(index, term);
    this.snap = { meta: { index, term }, data };
    this.unsavedSnapshot = this.snap;
  }

  // ---------------------------------------------------------------------------------------------
  // Output.

  /** True when `ready()` has something for the caller. */
  hasReady(): boolean {
    if (this.inReady) return false;
    if (this.outbox.length > 0 || this.unsavedSnapshot !== null) return true;
    if (this.currentTerm !== this.durableTerm || this.votedFor !== this.durableVote) return true;
    if (this.stableIndex < this.log.lastIndex || this.commit > this.applied) return true;
    if (this.roleNow === "leader") {
      if (this.pendingCmds.length > 0) return true;
      for (const pr of this.progress.values())
        if (this.commitToSend(pr) > pr.sentCommit) return true;
    }
    return false;
  }

  /**
   * Everything the caller must do now (see `Ready` for the order). A leader packs the queued
   * proposals into entries first, so that they are persisted and sent in this same Ready.
   */
  ready(): Ready<C, S> {
    invariant(!this.inReady, "raft: ready() twice without advance()");
    if (this.roleNow === "leader") {
      this.flushProposals();
      this.bcastCommit();
    }
    const hardStateChanged =
      this.currentTerm !== this.durableTerm || this.votedFor !== this.durableVote;
    const hardState = hardStateChanged ? { term: this.currentTerm, vote: this.votedFor } : null;
    const lastIndex = this.log.lastIndex;
    const entries =
      this.stableIndex < lastIndex ? this.log.slice(this.stableIndex + 1, lastIndex) : [];
    // A leader whose term and vote are durable sends at once (see Ready.eager): its appends do
    // not depend on this Ready's writes, since it counts itself only up to stableIndex.
    const eagerOk = this.roleNow === "leader" && hardState === null;
    const messages = eagerOk ? [] : this.outbox;
    const eager = eagerOk ? this.outbox : [];
    this.outbox = [];
    let committed: Entry<C>[] = [];
    if (this.commit > this.applied) {
      const upTo = Math.min(this.commit, this.applied + MAX_COMMITTED_PER_READY);
      committed = this.log.slice(this.applied + 1, upTo);
      invariant(committed.length === upTo - this.applied, "raft: committed entry missing");
      this.applied = upTo;
    }
    const rd: Ready<C, S> = {
      hardState,
      snapshot: this.unsavedSnapshot,
      restore: this.unsavedRestore,
      entries,
      messages,
      eager,
      committed,
    };
    this.inReady = true;
    this.readyLastIndex = lastIndex;
    this.readyHardState = hardState;
    return rd;
  }

  /** The caller has persisted, sent and applied everything the last Ready asked for. */
  advance(): void {
    invariant(this.inReady, "raft: advance() without ready()");
    this.inReady = false;
    if (this.readyHardState !== null) {
      this.durableTerm = this.readyHardState.term;
      this.durableVote = this.readyHardState.vote;
    }
    this.stableIndex = this.readyLastIndex;
    this.unsavedSnapshot = null;
    this.unsavedRestore = false;
    // The leader's own entries just became durable: they may complete a quorum.
    if (this.roleNow === "leader") this.maybeCommit();
  }

  // ---------------------------------------------------------------------------------------------
  // Roles and elections.

  private resetTimers(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    const e = this.opts.electionTicks;
    // Randomised in [e, 2e) so that replicas rarely time out together (split votes).
    this.electionTimeout = e + Math.min(e - 1, Math.floor(this.random() * e));
  }

  /** Leaves any role; a higher `term` clears the vote. Pending proposals are dropped. */
  private becomeFollower(term: number, leader: ReplicaId | null): void {
    invariant(term >= this.currentTerm, "raft: term going backwards");
    if (term > this.currentTerm) {
      this.currentTerm = term;
      this.votedFor = null;
    }
    this.roleNow = "follower";
    this.leaderId = leader;
    this.leaveRole();
  }

  private leaveRole(): void {
    this.resetTimers();
    this.votes.clear();
    this.progress.clear();
    this.pendingCmds = [];
  }

  private becomeLeader(): void {
    invariant(this.roleNow === "candidate", "raft: leader without an election");
    this.roleNow = "leader";
    this.leaderId = this.id;
    this.leaveRole();
    const next = this.log.lastIndex + 1;
    for (const p of this.peers) this.progress.set(p, new Progress(p, next, this.opts.maxInflight));
    // A no-op of the new term: entries of earlier terms commit only with one of ours (§5.4.2).
    this.log.append({ term: this.currentTerm, index: next, cmds: [] });
    this.bcastAppend();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) this.campaign(this.opts.preVote);
  }

  /**
   * Starts a pre-election (asking whether we could win, without touching the term) or an
   * election (new term, vote for ourselves).
   */
  private campaign(pre: boolean): void {
    let voteTerm: number;
    if (pre) {
      this.roleNow = "precandidate";
      this.leaderId = null;
      this.leaveRole();
      voteTerm = this.currentTerm + 1;
    } else {
      this.currentTerm += 1;
      this.votedFor = this.id;
      this.roleNow = "candidate";
      this.leaderId = null;
      this.leaveRole();
      voteTerm = this.currentTerm;
    }
    this.countVote(this.id, true);
    if (this.roleNow !== (pre ? "precandidate" : "candidate")) return; // won alone
    const lastIndex = this.log.lastIndex;
    const lastTerm = this.log.lastTerm;
    for (const p of this.peers) {
      this.send({
        type: pre ? "prevote" : "vote",
        from: this.id,
        to: p,
        term: voteTerm,
        lastIndex,
        lastTerm,
      });
    }
  }

  /** Records a (pre)vote and moves on when the outcome is decided. */
  private countVote(from: ReplicaId, granted: boolean): void {
    this.votes.set(from, granted);
    let yes = 0;
    let no = 0;
    for (const g of this.votes.values()) {
      if (g) yes++;
      else no++;
    }
    const members = this.peers.length + 1;
    if (yes >= this.quorum) {
      if (this.roleNow === "precandidate") this.campaign(false);
      else this.becomeLeader();
    } else if (no > members - this.quorum) {
      this.becomeFollower(this.currentTerm, null);
    }
  }

  /** True if a candidate whose log ends at (lastIndex, lastTerm) is at least as up to date (§5.4.1). */
  private upToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.log.lastTerm;
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.log.lastIndex);
  }

  private handlePreVote(msg: Extract<RaftMessage<C, S>, { type: "prevote" }>): void {
    // A pre-vote binds nothing, so any replica behind the proposed term may grant it.
    const canVote =
      msg.term > this.currentTerm ||
      this.votedFor === msg.from ||
      (this.votedFor === null && this.leaderId === null);
    const granted = canVote && this.upToDate(msg.lastIndex, msg.lastTerm);
    this.send({
      type: "prevote-reply",
      from: this.id,
      to: msg.from,
      term: granted ? msg.term : this.currentTerm,
      granted,
    });
  }

  private handleVote(msg: Extract<RaftMessage<C, S>, { type: "vote" }>): void {
    // One vote per term; none for anyone else once we know this term's leader.
    const canVote =
      this.votedFor === msg.from || (this.votedFor === null && this.leaderId === null);
    const granted = canVote && this.upToDate(msg.lastIndex, msg.lastTerm);
    if (granted) {
      this.votedFor = msg.from;
      this.electionElapsed = 0;
    }
    // The vote is in this Ready's hard state, persisted before the reply leaves.
    this.send({ type: "vote-reply", from: this.id, to: msg.from, term: this.currentTerm, granted });
  }

  // ---------------------------------------------------------------------------------------------
  // Follower side of replication.

  private handleAppend(msg: Extract<RaftMessage<C, S>, { type: "append" }>): void {
    const ents = msg.entries;
    let prevIndex = msg.prevIndex;
    let prevTerm = msg.prevTerm;
    let start = 0;
    if (prevIndex < this.commit) {
      // Our committed prefix is in every later leader's log: skip what the message repeats of it.
      start = this.commit - prevIndex;
      if (start >= ents.length) {
        this.replyAppend(msg.from, true, this.commit);
        return;
      }
      const overlap = ents[start - 1] as Entry<C>;
      invariant(
        overlap.index === this.commit && overlap.term === this.log.termAt(this.commit),
        `raft: leader's entry ${overlap.index} differs from our committed one`,
      );
      prevIndex = this.commit;
      prevTerm = overlap.term;
    }

    if (this.log.termAt(prevIndex) !== prevTerm) {
      // Hint: the last index below the rejected one whose term could still match (terms at or
      // below prevTerm); everything above it is either missing or from a newer, divergent term.
      const hint = this.log.lastIndexWithTermAtMost(
        Math.min(prevIndex - 1, this.log.lastIndex),
        prevTerm,
      );
      invariant(hint >= this.commit, "raft: reject hint below our commit");
      this.replyAppend(msg.from, false, hint, this.log.termAt(hint));
      return;
    }

    for (let k = start; k < ents.length; k++) {
      const e = ents[k] as Entry<C>;
      invariant(e.index === prevIndex + 1 + k - start, "raft: append entries not contiguous");
      const have = this.log.termAt(e.index);
      if (have === e.term) continue; // already ours (duplicate or reordered append)
      if (have !== undefined) {
        // The first conflict: our suffix from here was never committed; the leader's wins.
        invariant(e.index > this.commit, `raft: conflict at committed index ${e.index}`);
        this.log.truncateFrom(e.index);
        if (this.stableIndex >= e.index) this.stableIndex = e.index - 1;
      }
      for (let j = k; j < ents.length; j++) this.log.append(ents[j] as Entry<C>);
      break;
    }

    const lastNew = msg.prevIndex + ents.length;
    // Raft's rule: commit no further than what this message proved we share with the leader.
    const commitTo = Math.min(msg.commit, lastNew);
    if (commitTo > this.commit) this.commit = commitTo;
    this.replyAppend(msg.from, true, lastNew);
  }

  private replyAppend(to: ReplicaId, success: boolean, index: number, hintTerm?: number): void {
    if (hintTerm === undefined) {
      this.send({
        type: "append-reply",
        from: this.id,
        to,
        term: this.currentTerm,
        success,
        index,
      });
    } else {
      this.send({
        type: "append-reply",
        from: this.id,
        to,
        term: this.currentTerm,
        success,
        index,
        hintTerm,
      });
    }
  }

  private handleSnapshot(msg: Extract<RaftMessage<C, S>, { type: "snapshot" }>): void {
    const { index, term } = msg.snapshot.meta;
    if (index > this.commit) {
      if (this.log.termAt(index) === term) {
        // We hold the snapshot's last entry: by log matching, all before it too. Just commit.
        this.commit = index;
      } else {
        this.log.restore(index, term);
        this.snap = msg.snapshot;
        this.unsavedSnapshot = msg.snapshot;
        this.unsavedRestore = true;
        this.commit = index;
        this.applied = index;
        this.stableIndex = index;
      }
    }
    // Our committed prefix matches the leader's; the reply leaves only after the Ready is durable.
    this.send({
      type: "snapshot-reply",
      from: this.id,
      to: msg.from,
      term: this.currentTerm,
      index: this.commit,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Leader side of replication.

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.opts.electionTicks) {
      this.electionElapsed = 0;
      if (this.opts.checkQuorum && !this.quorumActive()) {
        // Cut off from a majority: another leader may already be serving; stop pretending.
        this.becomeFollower(this.currentTerm, null);
        return;
      }
    }
    for (const pr of this.progress.values()) {
      if (pr.state === "snapshot" && ++pr.snapshotTicks >= this.opts.electionTicks) {
        // The snapshot (or its reply) was probably lost: probe again, which resends it if needed.
        pr.becomeProbe(pr.match + 1);
      }
    }
    if (this.heartbeatElapsed >= this.opts.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
  }

  /** Whether a majority (us included) was heard from in this window; starts a new window. */
  private quorumActive(): boolean {
    let active = 1;
    for (const pr of this.progress.values()) {
      if (pr.recentActive) active++;
      pr.recentActive = false;
    }
    return active >= this.quorum;
  }

  private handleAppendReply(msg: Extract<RaftMessage<C, S>, { type: "append-reply" }>): void {
    const pr = this.progress.get(msg.from);
    if (pr === undefined) return;
    if (msg.success) {
      invariant(msg.index <= this.log.lastIndex, "raft: follower acknowledged beyond our log");
      if (pr.maybeUpdate(msg.index)) {
        if (pr.state === "probe") pr.becomeReplicate();
        else if (pr.state === "snapshot" && pr.match >= pr.pendingSnapshot) pr.becomeReplicate();
        this.maybeCommit();
      } else if (pr.state === "probe") {
        // The follower is alive (a heartbeat or a stale reply): the lost probe can go again.
        pr.probeSent = false;
      }
      this.sendAppend(pr);
      return;
    }
    // A rejection. While a snapshot is on its way, or when the follower is known to hold more
    // than the hint (a reply to an append older than our last acknowledgement), it is stale.
    if (pr.state === "snapshot" || msg.index < pr.match) return;
    const retry =
      msg.hintTerm === undefined
        ? Math.min(msg.index, this.log.lastIndex)
        : this.log.lastIndexWithTermAtMost(msg.index, msg.hintTerm);
    pr.becomeProbe(retry + 1);
    this.sendAppend(pr);
  }

  private handleSnapshotReply(msg: Extract<RaftMessage<C, S>, { type: "snapshot-reply" }>): void {
    const pr = this.progress.get(msg.from);
    if (pr === undefined) return;
    invariant(msg.index <= this.log.lastIndex, "raft: follower's snapshot beyond our log");
    const updated = pr.maybeUpdate(msg.index);
    // A reply below the snapshot in flight answers an older one: keep waiting (or time out).
    if (pr.state === "snapshot" && pr.match >= pr.pendingSnapshot) pr.becomeReplicate();
    if (updated) this.maybeCommit();
    this.sendAppend(pr);
  }

  /** Moves the commit index to the highest index a quorum holds durably, if of our term. */
  private maybeCommit(): void {
    const m = this.matchScratch;
    m[0] = this.stableIndex; // our own entries count only once durable
    let i = 1;
    for (const pr of this.progress.values()) m[i++] = pr.match;
    m.sort();
    const q = m[m.length - this.quorum] as number;
    if (q > this.commit && this.log.termAt(q) === this.currentTerm) this.commit = q;
  }

  /** Packs queued proposals into entries of at most maxBatch commands and sends them. */
  private flushProposals(): void {
    const cmds = this.pendingCmds;
    if (cmds.length === 0) return;
    this.pendingCmds = [];
    const max = this.opts.maxBatch;
    if (cmds.length <= max) {
      this.appendOwn(cmds);
    } else {
      for (let i = 0; i < cmds.length; i += max) this.appendOwn(cmds.slice(i, i + max));
    }
    this.bcastAppend();
  }

  private appendOwn(cmds: readonly C[]): void {
    this.log.append({ term: this.currentTerm, index: this.log.lastIndex + 1, cmds });
  }

  private bcastAppend(): void {
    for (const pr of this.progress.values()) this.sendAppend(pr);
  }

  /**
   * Heartbeats are empty appends at the follower's known match, which always succeed and carry
   * the commit index it may use. In replicate state, if nothing was acknowledged since the last
   * heartbeat while appends are outstanding, the heartbeat probes `next - 1` instead: a success
   * acknowledges the whole window, a rejection (an append was lost) falls back to probing.
   */
  private bcastHeartbeat(): void {
    for (const pr of this.progress.values()) {
      const stalled = pr.state === "replicate" && pr.inflights.size > 0 && !pr.ackedSinceHeartbeat;
      pr.ackedSinceHeartbeat = false;
      if (!stalled) {
        this.sendEmptyAppend(pr, pr.match);
      } else if (pr.next - 1 >= this.log.snapshotIndex) {
        this.sendEmptyAppend(pr, pr.next - 1);
      } else {
        // The window's start is compacted away, so it cannot be probed: the follower needs the
        // snapshot unless it acknowledges more, and probing from its match finds out.
        this.sendEmptyAppend(pr, pr.match);
        pr.becomeProbe(pr.match + 1);
        this.sendAppend(pr);
      }
    }
  }

  /**
   * Tells followers about a commit index they could not have learned yet, once per Ready (not
   * per acknowledgement) and only where no append carrying it left in this Ready.
   */
  private bcastCommit(): void {
    for (const pr of this.progress.values()) {
      if (this.commitToSend(pr) > pr.sentCommit) this.sendEmptyAppend(pr, pr.match);
      // Otherwise hasReady() would stay true forever.
      invariant(this.commitToSend(pr) <= pr.sentCommit, "raft: commit broadcast did not stick");
    }
  }

  /**
   * The commit index a follower could use from an empty append at its match: none while it needs
   * a snapshot or its match is compacted here (an empty append cannot anchor there; it learns the
   * commit index with the entries or the snapshot it is about to receive).
   */
  private commitToSend(pr: Progress): number {
    if (pr.state === "snapshot" || pr.match < this.log.snapshotIndex) return 0;
    return Math.min(this.commit, pr.match);
  }

  private sendEmptyAppend(pr: Progress, prevIndex: number): void {
    let prevTerm = this.log.termAt(prevIndex);
    if (prevTerm === undefined) {
      // Compacted here: the empty prefix matches everyone, and still counts as a heartbeat.
      prevIndex = 0;
      prevTerm = 0;
    }
    this.send({
      type: "append",
      from: this.id,
      to: pr.id,
      term: this.currentTerm,
      prevIndex,
      prevTerm,
      entries: [],
      commit: this.commit,
    });
    const usable = Math.min(this.commit, prevIndex);
    if (usable > pr.sentCommit) pr.sentCommit = usable;
  }

  /** Sends to one follower whatever flow control allows: appends, or the snapshot. */
  private sendAppend(pr: Progress): void {
    const maxEntries = this.opts.maxEntriesPerAppend;
    while (!pr.paused) {
      if (pr.next <= this.log.snapshotIndex) {
        // The entries it needs are compacted away.
        this.sendSnapshot(pr);
        return;
      }
      const prevIndex = pr.next - 1;
      const prevTerm = this.log.termAt(prevIndex);
      if (prevTerm === undefined) invariant(false, `raft: next ${pr.next} beyond our log`);
      const last = Math.min(this.log.lastIndex, prevIndex + maxEntries);
      if (last <= prevIndex && !(pr.state === "probe" && pr.match < prevIndex)) return;
      const entries = last > prevIndex ? this.log.slice(prevIndex + 1, last) : [];
      this.send({
        type: "append",
        from: this.id,
        to: pr.id,
        term: this.currentTerm,
        prevIndex,
        prevTerm,
        entries,
        commit: this.commit,
      });
      const usable = Math.min(this.commit, last);
      if (usable > pr.sentCommit) pr.sentCommit = usable;
      if (pr.state === "probe") {
        pr.probeSent = true;
        return;
      }
      pr.inflights.add(last);
      pr.next = last + 1;
    }
  }

  private sendSnapshot(pr: Progress): void {
    const snap = this.snap;
    invariant(
      snap !== null && snap.meta.index === this.log.snapshotIndex,
      "raft: compacted log without its snapshot",
    );
    this.send({
      type: "snapshot",
      from: this.id,
      to: pr.id,
      term: this.currentTerm,
      snapshot: snap,
    });
    pr.becomeSnapshot(snap.meta.index);
  }

  private send(msg: RaftMessage<C, S>): void {
    this.outbox.push(msg);
  }
}

/** Throws ConfigError naming the first invalid option. */
function validateOptions(o: RaftOptions): void {
  const positiveInt = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${name}: must be a positive integer`);
  };
  positiveInt("electionTicks", o.electionTicks);
  positiveInt("heartbeatTicks", o.heartbeatTicks);
  positiveInt("maxBatch", o.maxBatch);
  positiveInt("maxEntriesPerAppend", o.maxEntriesPerAppend);
  positiveInt("maxInflight", o.maxInflight);
  if (o.heartbeatTicks >= o.electionTicks) {
    throw new ConfigError("heartbeatTicks: must be below electionTicks");
  }
}

// One replica of a group: consensus, client sessions and the application state machine, sans-IO.
import { ConfigError } from "../errors.ts";
import type { ReplicaId } from "../ids.ts";
import { Raft } from "../raft/raft.ts";
import type {
  Entry,
  RaftIdentity,
  RaftMessage,
  RaftOptions,
  RaftStorageState,
  Ready,
} from "../raft/types.ts";
import type { BugName } from "./bugs.ts";
import type { ClientRequest, ClientResponse, Command } from "./messages.ts";
import { type SessionSnapshot, SessionTable } from "./sessions.ts";
import type { StateMachine } from "./state-machine.ts";

/** Tunables of a replica beyond consensus. */
export interface ReplicaOptions {
  readonly raft: RaftOptions;
  /** Compact the log once this many entries were applied since the last snapshot. */
  readonly snapshotEvery: number;
  /** Client sessions remembered (see SessionTable). */
  readonly maxSessions: number;
  /** Deliberate bugs, for proving the checkers; empty in any real use. */
  readonly bugs: ReadonlySet<BugName>;
}

/** What a group's snapshot holds: the application's state and the session table. */
export interface ReplicaSnapshot<Snap, Res> {
  readonly app: Snap;
  readonly sessions: SessionSnapshot<Res>;
}

/** The consensus message type of a replica group. */
export type GroupMessage<Op, Res, Snap> = RaftMessage<Command<Op>, ReplicaSnapshot<Snap, Res>>;
/** The storage image of a replica group. */
export type GroupStorage<Op, Res, Snap> = RaftStorageState<Command<Op>, ReplicaSnapshot<Snap, Res>>;

/** One unit of work handed to the driver: persist, send, then call `advance(ready)`. */
export interface ReplicaReady<Op, Res, Snap> {
  readonly raft: Ready<Command<Op>, ReplicaSnapshot<Snap, Res>>;
  /** Replies decided without the log (redirects, remembered duplicates); safe to send at once. */
  readonly replies: readonly ClientResponse<Res>[];
}

/** What `advance` produced. */
export interface Applied<Op, Res> {
  readonly replies: readonly ClientResponse<Res>[];
  /** The entries applied by this step, for checkers. */
  readonly entries: readonly Entry<Command<Op>>[];
}

/**
 * A replica runs the driver loop: inputs (`request`, `step`, `tick`), then `ready()`, then the
 * driver persists and sends, then `advance(ready)`.
 *
 * Invariants:
 * - the application and the session table change only in `advance`, by applying committed entries
 *   in log order or by restoring a snapshot; so replicas at the same applied index are identical;
 * - a command (client, seq) is executed at most once: the session table filters duplicates at
 *   apply time, whatever the number of times it was proposed;
 * - only the leader answers applied commands; a client retransmits to find it.
 */
export class Replica<Op, Res, Snap> {
  readonly raft: Raft<Command<Op>, ReplicaSnapshot<Snap, Res>>;
  private readonly app: StateMachine<Op, Res, Snap>;
  private readonly sessions: SessionTable<Res>;
  private readonly options: ReplicaOptions;
  private readonly makeApp: () => StateMachine<Op, Res, Snap>;
  private replies: ClientResponse<Res>[] = [];

  constructor(
    identity: RaftIdentity,
    options: ReplicaOptions,
    makeApp: () => StateMachine<Op, Res, Snap>,
    restored: GroupStorage<Op, Res, Snap>,
  ) {
    this.options = options;
    this.makeApp = makeApp;
    if (!Number.isInteger(options.snapshotEvery) || options.snapshotEvery < 1) {
      throw new ConfigError(
        `snapshotEvery must be a positive integer, got ${options.snapshotEvery}`,
      );
    }
    this.app = makeApp();
    this.sessions = new SessionTable<Res>(options.maxSessions);
    if (restored.snapshot !== null) this.load(restored.snapshot.data);
    this.raft = new Raft(identity, options.raft, restored);
  }

  /** This replica's id. */
  get id(): ReplicaId {
    return this.raft.id;
  }

  /** A client command arrives at this replica. */
  request(req: ClientRequest<Op>): void {
    const { client, seq, op } = req;
    if (this.options.bugs.has("stale-read") && this.app.isReadOnly(op)) {
      // BUG on purpose: answers from local state, which may lag or belong to a deposed leader.
      this.replies.push({ type: "reply", client, seq, result: this.app.apply(op) });
      return;
    }
    if (this.raft.role !== "leader") {
      this.replies.push({ type: "redirect", client, seq, leader: this.raft.leader });
      return;
    }
    const verdict = this.sessions.check(client, seq);
    if (verdict.kind === "duplicate") {
      this.replies.push({ type: "reply", client, seq, result: verdict.result });
      return;
    }
    if (verdict.kind === "stale") return; // the client has moved on; nobody waits for this
    // A full proposal queue drops the command: the client will retransmit.
    if (!this.raft.propose({ client, seq, op })) return;
    if (this.options.bugs.has("early-ack") && !this.app.isReadOnly(op)) {
      // BUG on purpose: acknowledges a write before it commits, with a result computed on a copy.
      const scratch = this.makeApp();
      scratch.restore(this.app.snapshot());
      this.replies.push({ type: "reply", client, seq, result: scratch.apply(op) });
    }
  }

  /** A consensus message arrives. */
  step(msg: GroupMessage<Op, Res, Snap>): void {
    this.raft.step(msg);
  }

  /** One unit of logical time passes. */
  tick(): void {
    this.raft.tick();
  }

  /** True when `ready()` has something for the driver. */
  hasReady(): boolean {
    return this.replies.length > 0 || this.raft.hasReady();
  }

  /** Collects the work of the inputs so far. */
  ready(): ReplicaReady<Op, Res, Snap> {
    const replies = this.replies;
    this.replies = [];
    return { raft: this.raft.ready(), replies };
  }

  /**
   * The driver has made `rd.raft`'s writes durable and sent its messages: restore or apply what
   * it carries, let consensus advance, and compact the log when due.
   */
  advance(rd: ReplicaReady<Op, Res, Snap>): Applied<Op, Res> {
    const { raft } = rd;
    if (raft.restore && raft.snapshot !== null) this.load(raft.snapshot.data);
    const replies: ClientResponse<Res>[] = [];
    const answer = this.raft.role === "leader";
    for (const entry of raft.committed) {
      for (const { client, seq, op } of entry.cmds) {
        const verdict = this.sessions.check(client, seq);
        if (verdict.kind === "new") {
          const result = this.app.apply(op);
          this.sessions.record(client, seq, result);
          if (answer) replies.push({ type: "reply", client, seq, result });
        } else if (verdict.kind === "duplicate" && answer) {
          replies.push({ type: "reply", client, seq, result: verdict.result });
        }
      }
    }
    this.raft.advance();
    if (this.raft.appliedIndex - this.raft.snapshotIndex >= this.options.snapshotEvery) {
      this.raft.compact(this.raft.appliedIndex, {
        app: this.app.snapshot(),
        sessions: this.sessions.snapshot(),
      });
    }
    return { replies, entries: raft.committed };
  }

  /** A copy of the application state (for checkers and status). */
  appSnapshot(): Snap {
    return this.app.snapshot();
  }

  private load(snap: ReplicaSnapshot<Snap, Res>): void {
    this.app.restore(snap.app);
    this.sessions.restore(snap.sessions);
  }
}

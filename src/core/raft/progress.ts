// What a leader knows about one follower's log, and the flow control of appends sent to it.
import { invariant } from "../errors.ts";
import type { ReplicaId } from "../ids.ts";

/**
 * How the leader currently talks to a follower (as in etcd-io/raft):
 * - `probe`: the leader does not know where the logs diverge; one append at a time, the next one
 *   only after a reply (or a heartbeat reply) comes back;
 * - `replicate`: the follower is known to match up to `match`; appends are sent optimistically,
 *   advancing `next`, while fewer than `maxInflight` of them are unacknowledged;
 * - `snapshot`: the follower needs entries the leader has compacted; the whole snapshot is on its
 *   way and nothing else is sent until the follower confirms it (or a timeout gives up).
 */
export type ProgressState = "probe" | "replicate" | "snapshot";

/**
 * A bounded FIFO of the last indices carried by unacknowledged appends. An acknowledgement of
 * index i frees every append ending at or before i (the follower's log is a prefix, so it holds
 * all of them).
 */
export class Inflights {
  private readonly buf: Float64Array;
  private head = 0;
  private count = 0;

  /** A window of `capacity` appends. */
  constructor(capacity: number) {
    invariant(capacity >= 1, "inflights: capacity must be positive");
    this.buf = new Float64Array(capacity);
  }

  /** Number of unacknowledged appends. */
  get size(): number {
    return this.count;
  }

  /** True when no further append may be sent. */
  get full(): boolean {
    return this.count === this.buf.length;
  }

  /** Records an append whose last entry has index `last` (strictly increasing). */
  add(last: number): void {
    invariant(!this.full, "inflights: add to a full window");
    const cap = this.buf.length;
    if (this.count > 0) {
      const prev = this.buf[(this.head + this.count - 1) % cap] as number;
      if (last <= prev) invariant(false, `inflights: ${last} not after ${prev}`);
    }
    this.buf[(this.head + this.count) % cap] = last;
    this.count++;
  }

  /** Frees every append ending at or before `index`; returns how many were freed. */
  freeLE(index: number): number {
    const cap = this.buf.length;
    let freed = 0;
    while (this.count > 0 && (this.buf[this.head] as number) <= index) {
      this.head = (this.head + 1) % cap;
      this.count--;
      freed++;
    }
    if (this.count === 0) this.head = 0;
    return freed;
  }

  /** Forgets every append (the leader changes how it talks to the follower). */
  reset(): void {
    this.head = 0;
    this.count = 0;
  }
}

/**
 * The leader's record of one follower.
 *
 * Invariants: `match < next`; `match` never decreases during a term (it only moves on an
 * acknowledgement of durable entries); in `probe` and `snapshot` the inflight window is empty.
 */
export class Progress {
  /** The follower. */
  readonly id: ReplicaId;
  /** Highest index known to be durable on the follower and to match the leader's log. */
  match = 0;
  /** Index of the next entry to send. */
  next: number;
  state: ProgressState = "probe";
  /** probe: an append is out and unanswered; the next one waits for a reply or a heartbeat. */
  probeSent = false;
  /** snapshot: the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** snapshot: ticks since the snapshot was sent, to resend it if it was lost. */
  snapshotTicks = 0;
  /** replicate: unacknowledged appends. */
  readonly inflights: Inflights;
  /** Heard from during the current CheckQuorum window. */
  recentActive = false;
  /** replicate: an acknowledgement freed part of the window since the last heartbeat. */
  ackedSinceHeartbeat = false;
  /** Highest commit index this follower can have learned from our appends. */
  sentCommit = 0;

  /** A fresh record for a new leadership: the follower is probed from `next`. */
  constructor(id: ReplicaId, next: number, maxInflight: number) {
    this.id = id;
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  /** True when nothing may be sent to this follower now (flow control). */
  get paused(): boolean {
    if (this.state === "probe") return this.probeSent;
    if (this.state === "replicate") return this.inflights.full;
    return true; // snapshot
  }

  /** Records an acknowledgement of `index`; returns true if `match` moved forward. */
  maybeUpdate(index: number): boolean {
    if (this.state === "replicate" && this.inflights.freeLE(index) > 0) {
      this.ackedSinceHeartbeat = true;
    }
    if (index <= this.match) return false;
    this.match = index;
    if (this.next <= index) this.next = index + 1;
    return true;
  }

  /** Switches to probing from `next` (clamped above `match`). */
  becomeProbe(next: number): void {
    this.state = "probe";
    this.next = Math.max(this.match + 1, next);
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  /** Switches to optimistic pipelined replication right after `match`. */
  becomeReplicate(): void {
    this.state = "replicate";
    this.next = this.match + 1;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.ackedSinceHeartbeat = false;
    this.inflights.reset();
  }

  /** Switches to waiting for the snapshot ending at `index`. */
  becomeSnapshot(index: number): void {
    this.state = "snapshot";
    this.pendingSnapshot = index;
    this.snapshotTicks = 0;
    this.probeSent = false;
    this.inflights.reset();
  }
}

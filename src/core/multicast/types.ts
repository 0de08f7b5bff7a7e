// Atomic multicast contract of one group: messages, log commands, channel bodies, deliveries, snapshot.
import type { ClientId, GroupId } from "../ids.ts";

/**
 * A multicast message as the client builds it. Its id is (client, seq); seq grows per client.
 * Messages are immutable once built: the state machine keeps references to them.
 */
export interface McastMessage<P> {
  readonly client: ClientId;
  readonly seq: number;
  /** Destination groups: sorted ascending, unique, non-empty. */
  readonly dests: readonly GroupId[];
  /**
   * For each dest (same positions as `dests`): the seq of this client's previous message that
   * included that group, 0 if none. It chains a client's messages per group: FIFO per sender.
   */
  readonly prev: readonly number[];
  readonly payload: P;
}

/** A timestamp (t, g): logical time t proposed by group g. Compared lexicographically. */
export interface Timestamp {
  readonly t: number;
  readonly g: GroupId;
}

/** What one group sends another over the reliable group-to-group channel. */
export type ChannelBody<P, R> =
  /**
   * Group `from`'s local timestamp for message (client, seq), with the message itself: a group
   * that has not received the message from its client starts it from here, so a message reaches
   * every destination once it reaches one, even if its client stops (crashes) half-way.
   */
  | {
      readonly type: "proposal";
      readonly client: ClientId;
      readonly seq: number;
      /**
       * The proposer's local timestamp (at least 1), or {@link DECLINE}: the proposer holds
       * another version of (client, seq) and will never activate this one.
       */
      readonly ts: number;
      readonly msg: McastMessage<P>;
      /**
       * Set when the proposer activated the message outside its client's chain (taken by an
       * abandon, or late): the proposer already waited `abandonTicks` on that chain, so a
       * destination where the message stalls abandons it at once rather than after another
       * period. Only a faulty client's messages carry it; a hint for the leader's timer only.
       */
      readonly broken?: true;
    }
  /** An application-level reliable multicast (variable transfers, signals, oracle outcomes). */
  | { readonly type: "app"; readonly payload: R };

/**
 * The timestamp of a declining proposal: the proposer never activates this version of the id (it
 * holds another one), so the message is delivered at none of its destinations. Real local
 * timestamps are at least 1.
 */
export const DECLINE = 0;

/** Log commands of a group's multicast state: what its leader appends. */
export type McastCommand<P, R> =
  /** A client (re)sent `msg` to this group. */
  | { readonly kind: "start"; readonly msg: McastMessage<P> }
  /** The `seq`-th message on the channel (from → this group), carried by the leaders. */
  | {
      readonly kind: "channel";
      readonly from: GroupId;
      readonly seq: number;
      readonly body: ChannelBody<P, R>;
    }
  /** Group `from` has appended our channel messages up to `upTo`: trim the outbox to `from`. */
  | { readonly kind: "ack"; readonly from: GroupId; readonly upTo: number }
  /**
   * Stop waiting for the FIFO predecessor of the client's waiting message `seq` here: activate it
   * (with any of the client's waiting messages below it) now. The leader proposes it for a
   * message that another group has activated and that has waited here too long.
   */
  | { readonly kind: "abandon"; readonly client: ClientId; readonly seq: number };

/** What the group hands its application, in the order `apply` produced it. */
export type Delivery<P, R> =
  /** Atomic multicast delivery, in this group's delivery order, with the final timestamp. */
  | { readonly kind: "deliver"; readonly msg: McastMessage<P>; readonly ts: Timestamp }
  /** A reliable application message from group `from`, delivered exactly once. */
  | { readonly kind: "channel"; readonly from: GroupId; readonly payload: R };

/**
 * What applying one command did (for the driver, tests and counters; replicas agree on it):
 * - `applied`: state changed;
 * - `duplicate`: already known or already received, nothing changed;
 * - `refused`: a bound is full, nothing changed; the sender (client or group) will retry;
 * - `ignored`: malformed or out of order (a channel gap), nothing changed.
 */
export type ApplyOutcome = "applied" | "duplicate" | "refused" | "ignored";

/** Unacknowledged messages of one outgoing channel: `bodies[i]` has seq `firstSeq + i`. */
export interface OutboxView<P, R> {
  readonly firstSeq: number;
  readonly bodies: readonly ChannelBody<P, R>[];
}

/** Deliberate bugs, for proving the checkers; all off in any real use. */
export interface McastBugs {
  /** Deliver a multi-group message at its local timestamp, without the other groups' proposals. */
  readonly earlyDelivery?: boolean;
}

/** Bounds and switches of one group's multicast state. */
export interface McastOptions {
  /**
   * Most messages admitted and not yet delivered (activated plus waiting for their FIFO
   * predecessor). A start beyond it is refused, unless another group already proposed a
   * timestamp for that message (see GroupMulticast).
   */
  readonly maxPending?: number;
  /** Most messages one client may have waiting for their FIFO predecessor here. */
  readonly maxWaitingPerClient?: number;
  /** Most messages with proposals held before their start was applied here. */
  readonly maxEarly?: number;
  readonly bugs?: McastBugs;
}

/** One admitted, undelivered message in a snapshot. */
export interface PendingSnapshot<P> {
  readonly msg: McastMessage<P>;
  /** This group's local timestamp (its own group id is implied). */
  readonly local: number;
  /** Proposals held so far, [group, t], this group's own included. */
  readonly proposals: readonly (readonly [GroupId, number])[];
  readonly final: Timestamp | null;
}

/** Per-client FIFO state in a snapshot. */
export interface ClientSnapshot<P> {
  readonly client: ClientId;
  /** Highest seq of this client activated here (every lower message to this group was too). */
  readonly activated: number;
  /** Highest seq of this client delivered here. */
  readonly delivered: number;
  /** Messages waiting for their FIFO predecessor to get its final timestamp here. */
  readonly waiting: readonly McastMessage<P>[];
  /** Abandoned seqs still admitted if they arrive late, as ascending inclusive ranges [lo, hi]. */
  readonly holes: readonly (readonly [number, number])[];
  /** Messages an abandon took out of `waiting`, not yet activated, seq ascending. */
  readonly taken: readonly McastMessage<P>[];
  /** Seqs of the undecided pending messages that were activated late, out of chain order. */
  readonly late: readonly number[];
}

/** Proposals that arrived before their message's start, in a snapshot. */
export interface EarlySnapshot<P> {
  readonly client: ClientId;
  readonly seq: number;
  /** [group, t, the version of the message that group proposed for]. */
  readonly proposals: readonly (readonly [GroupId, number, McastMessage<P>])[];
  /** Present when a proposal held for it said its client's chain is broken at the proposer. */
  readonly broken?: true;
}

/** An outgoing channel in a snapshot. */
export interface OutboxSnapshot<P, R> {
  readonly to: GroupId;
  /** Seq of the first unacknowledged body (next seq to assign = firstSeq + bodies.length). */
  readonly firstSeq: number;
  readonly bodies: readonly ChannelBody<P, R>[];
}

/**
 * Version of the {@link McastSnapshot} layout. 3: early proposals carry the message they were
 * made for (reused seqs); 2: holes as seq ranges, `taken`, and `late` as seqs (broken FIFO
 * chains, docs/multicast.md); 1 had none of these.
 */
export const MCAST_SNAPSHOT_FORMAT = 3;

/**
 * Everything a group's multicast log built, as plain arrays and objects (JSON-serialisable when
 * P and R are). Restoring it gives identical future behaviour.
 */
export interface McastSnapshot<P, R> {
  /** {@link MCAST_SNAPSHOT_FORMAT} when written; restore refuses any other. */
  readonly format: number;
  readonly self: GroupId;
  readonly clock: number;
  /** Admitted, undelivered messages in activation order (ascending local timestamp). */
  readonly pending: readonly PendingSnapshot<P>[];
  readonly clients: readonly ClientSnapshot<P>[];
  readonly early: readonly EarlySnapshot<P>[];
  /** Per incoming channel: highest seq appended. */
  readonly received: readonly (readonly [GroupId, number])[];
  readonly outboxes: readonly OutboxSnapshot<P, R>[];
}

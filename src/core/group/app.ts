// What an application running on a multicast group sees: ordered deliveries, reliable messages, replies.
import type { ClientId, GroupId } from "../ids.ts";
import type { McastMessage, Timestamp } from "../multicast/types.ts";

/** Services a group application may call while it handles a delivery, deterministically. */
export interface GroupContext<R, Res> {
  /** The group this replica belongs to. */
  readonly self: GroupId;
  /** Reliable multicast to another group: delivered exactly once, in send order per channel. */
  send(to: GroupId, payload: R): void;
  /** Answers the client's command (client, seq); the group remembers the latest answer per client. */
  reply(client: ClientId, seq: number, result: Res): void;
}

/**
 * A deterministic application replicated by one group. Every replica calls it with the same
 * deliveries in the same order; it may not read clocks, randomness or I/O. It may block a command
 * (keep it and finish it on a later call) but must then do so identically on every replica.
 */
export interface GroupApp<P, R, Res, Snap> {
  /** An atomic multicast message, in the group's delivery order, with its final timestamp. */
  deliver(msg: McastMessage<P>, ts: Timestamp, ctx: GroupContext<R, Res>): void;
  /** A reliable message from another group. */
  receive(from: GroupId, payload: R, ctx: GroupContext<R, Res>): void;
  /**
   * Optional: answers a query from the current state, without ordering it (the answer may be
   * stale; use it only where a stale answer is harmless). Null: the question must be ordered.
   * Must not change the state.
   */
  query?(payload: P): Res | null;
  /** A serialisable copy of the state, unaffected by later changes. */
  snapshot(): Snap;
  /** Replaces the state with a snapshot's. */
  restore(snap: Snap): void;
}

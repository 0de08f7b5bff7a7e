// An admitted (activated) message that is not yet delivered, with its timestamps.
import { invariant } from "../errors.ts";
import type { GroupId } from "../ids.ts";
import { compareDelivery } from "./timestamp.ts";
import type { McastMessage, Timestamp } from "./types.ts";

/**
 * One activated message at this group. `final` is set once, when proposals from every dest are
 * held (or at once for a single-group message); it never changes afterwards.
 */
export interface Pending<P> {
  readonly msg: McastMessage<P>;
  /** This group's local timestamp t; the pair is (local, this group). */
  readonly local: number;
  /** Proposals held, this group's own local timestamp included; only dests appear. */
  readonly proposals: Map<GroupId, number>;
  final: Timestamp | null;
}

/** Delivery order between two messages that both have a final timestamp. */
export function compareFinal<P>(a: Pending<P>, b: Pending<P>): number {
  const fa = a.final;
  const fb = b.final;
  invariant(fa !== null && fb !== null, "delivery order asked of a message without a final ts");
  return compareDelivery(fa, a.msg.client, a.msg.seq, fb, b.msg.client, b.msg.seq);
}

/**
 * True when the undecided message `u` (local timestamp, no final yet) may still end up ordered
 * before `f` (which has its final timestamp): u's final will be at least its local timestamp, so
 * f is safe to deliver only when u's local timestamp is already above f's final one.
 */
export function mayPrecede<P>(u: Pending<P>, self: GroupId, f: Pending<P>): boolean {
  const ff = f.final;
  invariant(ff !== null, "mayPrecede asked of a message without a final ts");
  const local = { t: u.local, g: self };
  return compareDelivery(local, u.msg.client, u.msg.seq, ff, f.msg.client, f.msg.seq) < 0;
}

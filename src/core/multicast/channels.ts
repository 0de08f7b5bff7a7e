// The reliable group-to-group channels of one group: numbered outboxes and inbound watermarks.
import { invariant } from "../errors.ts";
import type { GroupId } from "../ids.ts";
import type { ApplyOutcome, ChannelBody, OutboxSnapshot, OutboxView } from "./types.ts";

interface Outbox<P, R> {
  firstSeq: number;
  bodies: ChannelBody<P, R>[];
}

const EMPTY: readonly never[] = [];

/**
 * Channel state, changed only by applying committed commands (so every replica agrees and a new
 * leader can re-send everything unacknowledged).
 *
 * Invariants:
 * - outgoing: messages to a group are numbered 1, 2, 3, ... in the order they were pushed;
 *   `bodies[i]` has seq `firstSeq + i`; only an ack removes them, and only from the front;
 * - inbound: `received(from)` is the highest seq appended from `from`; a message is accepted
 *   only when its seq is the next one, so each is applied exactly once and in order (a sender
 *   re-sends from its first unacknowledged seq, so gaps fill).
 */
export class Channels<P, R> {
  private readonly out = new Map<GroupId, Outbox<P, R>>();
  private readonly inbound = new Map<GroupId, number>();

  /** Appends `body` to the outbox for `to`; returns its channel seq. */
  push(to: GroupId, body: ChannelBody<P, R>): number {
    let box = this.out.get(to);
    if (box === undefined) {
      box = { firstSeq: 1, bodies: [] };
      this.out.set(to, box);
    }
    box.bodies.push(body);
    return box.firstSeq + box.bodies.length - 1;
  }

  /** Highest channel seq appended from `from` (0 if none). */
  received(from: GroupId): number {
    return this.inbound.get(from) ?? 0;
  }

  /** Records that message `seq` from `from` was applied; it must be the next one. */
  accept(from: GroupId, seq: number): void {
    invariant(
      seq === this.received(from) + 1,
      `channel from ${from}: accepted ${seq} out of order`,
    );
    this.inbound.set(from, seq);
  }

  /** `to` has appended our messages up to `upTo`: drop them. */
  ack(to: GroupId, upTo: number): ApplyOutcome {
    const box = this.out.get(to);
    if (box === undefined || !Number.isInteger(upTo)) return "ignored";
    const last = box.firstSeq + box.bodies.length - 1;
    if (upTo > last) return "ignored"; // acknowledges what was never sent: not from our peer
    if (upTo < box.firstSeq) return "duplicate";
    box.bodies.splice(0, upTo - box.firstSeq + 1);
    box.firstSeq = upTo + 1;
    return "applied";
  }

  /**
   * The unacknowledged messages for `to`. The view shares the live array: read it before the
   * next `apply` or `send`.
   */
  outbox(to: GroupId): OutboxView<P, R> {
    return this.out.get(to) ?? { firstSeq: 1, bodies: EMPTY };
  }

  /** Every outbox with unacknowledged messages, in first-use order (same sharing as `outbox`). */
  *outboxes(): Iterable<[GroupId, OutboxView<P, R>]> {
    for (const [to, box] of this.out) if (box.bodies.length > 0) yield [to, box];
  }

  /** Copies for a snapshot. */
  snapshot(): {
    received: (readonly [GroupId, number])[];
    outboxes: OutboxSnapshot<P, R>[];
  } {
    return {
      received: [...this.inbound],
      outboxes: [...this.out].map(([to, box]) => ({
        to,
        firstSeq: box.firstSeq,
        bodies: [...box.bodies],
      })),
    };
  }

  /** Replaces the state with a snapshot's. */
  restore(
    received: readonly (readonly [GroupId, number])[],
    outboxes: readonly OutboxSnapshot<P, R>[],
  ): void {
    this.inbound.clear();
    for (const [from, seq] of received) this.inbound.set(from, seq);
    this.out.clear();
    for (const box of outboxes) {
      this.out.set(box.to, { firstSeq: box.firstSeq, bodies: [...box.bodies] });
    }
  }
}

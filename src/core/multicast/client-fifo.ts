// Per-client FIFO state at one group: watermarks and the messages waiting for their predecessor.
import type { Pending } from "./pending.ts";
import type { McastMessage } from "./types.ts";

/**
 * What a group remembers about one client.
 *
 * Invariants:
 * - a client's messages to this group form a chain through `prev`; they are activated in chain
 *   order, each only once its predecessor has its final timestamp here, so at most one of them
 *   is activated and undecided at a time (`active`);
 * - hence `activated` is a watermark: every message of this client to this group with a seq at
 *   or below it has been activated here (a start for it is a duplicate), and every one below
 *   it, as well as `activated` itself when `active` is null, has its final timestamp (holes
 *   and `late` messages aside, see below);
 * - `delivered` only grows: final timestamps grow along the chain, so delivery is FIFO too;
 * - `waiting` maps a predecessor seq to the message that waits for it (one per predecessor).
 *
 * Abandoned chains (see GroupMulticast's `abandon`) are the one exception to chain order: an
 * abandon moves the client's waiting messages up to the abandoned one into `late` and records
 * each missing predecessor in `holes`. A message whose seq is a hole is accepted when it arrives
 * (even below `activated`) and joins `late`. Messages in `late` are activated in seq order, one
 * at a time, whenever `active` is null, before any waiting successor; `activated` stays the
 * highest seq activated. So "at most one undecided message per client" still holds, but FIFO
 * order is broken for that client: a late predecessor is ordered after its successors here.
 *
 * The record is kept for as long as the group lives: one small record per client, not one per
 * message, is the bound on duplicate detection (DESIGN §8).
 */
export class ClientFifo<P> {
  activated = 0;
  delivered = 0;
  active: Pending<P> | null = null;
  readonly waiting = new Map<number, McastMessage<P>>();
  /** Abandoned predecessors still accepted late (bounded: the oldest is forgotten first). */
  readonly holes = new Set<number>();
  /** Messages to activate out of chain order, seq ascending. */
  readonly late: McastMessage<P>[] = [];

  /** True when a message of this client with this seq is known here (activated or waiting). */
  knows(seq: number): boolean {
    if (this.holes.has(seq)) return false;
    if (seq <= this.activated) return true;
    return this.waitingWith(seq) !== undefined;
  }

  /** The waiting message with this seq, if any. */
  waitingWith(seq: number): McastMessage<P> | undefined {
    for (const m of this.waiting.values()) if (m.seq === seq) return m;
    return undefined;
  }

  /** True when the message with this seq is in `late`, not yet activated. */
  isLate(seq: number): boolean {
    return this.late.some((m) => m.seq === seq);
  }

  /** Inserts a message into `late`, keeping seq order. */
  addLate(msg: McastMessage<P>): void {
    let i = this.late.length;
    while (i > 0 && this.late[i - 1]!.seq > msg.seq) i--;
    this.late.splice(i, 0, msg);
  }

  /** The message whose predecessor here is `prev` and that may now be activated, removed. */
  takeSuccessor(prev: number): McastMessage<P> | undefined {
    const m = this.waiting.get(prev);
    if (m !== undefined) this.waiting.delete(prev);
    return m;
  }
}

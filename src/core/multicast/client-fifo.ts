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
 *   it, as well as `activated` itself when `active` is null, has its final timestamp;
 * - `delivered` only grows: final timestamps grow along the chain, so delivery is FIFO too;
 * - `waiting` maps a predecessor seq to the message that waits for it (one per predecessor).
 *
 * The record is kept for as long as the group lives: one small record per client, not one per
 * message, is the bound on duplicate detection (DESIGN §8).
 */
export class ClientFifo<P> {
  activated = 0;
  delivered = 0;
  active: Pending<P> | null = null;
  readonly waiting = new Map<number, McastMessage<P>>();

  /** True when a message of this client with this seq is known here (activated or waiting). */
  knows(seq: number): boolean {
    if (seq <= this.activated) return true;
    for (const m of this.waiting.values()) if (m.seq === seq) return true;
    return false;
  }

  /** The message whose predecessor here is `prev` and that may now be activated, removed. */
  takeSuccessor(prev: number): McastMessage<P> | undefined {
    const m = this.waiting.get(prev);
    if (m !== undefined) this.waiting.delete(prev);
    return m;
  }
}

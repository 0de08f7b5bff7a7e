// Per-client FIFO state at one group: watermarks, the messages waiting for their predecessor, abandoned chains.
import type { ClientId } from "../ids.ts";
import type { Pending } from "./pending.ts";
import { SeqRanges } from "./seq-ranges.ts";
import type { ClientSnapshot, McastMessage } from "./types.ts";

/** The empty lists of a quiet client's snapshot, shared by all of them. */
const NONE: readonly never[] = Object.freeze([]);

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
 *   and late messages aside, see below);
 * - `delivered` only grows: final timestamps grow along the chain, so delivery is FIFO too;
 * - `waiting` maps a predecessor seq to the message that waits for it (one per predecessor);
 *   every key is at or above `activated` (GroupMulticast drops the others when it rises), so a
 *   waiting message waits only for messages of smaller seq.
 *
 * Abandoned chains (see GroupMulticast's `abandon`) are the one exception to chain order:
 * - an abandon moves the client's waiting messages up to the abandoned one into `taken`, which
 *   are activated in seq order, one at a time through `active`, before any waiting successor;
 * - every seq the chain skipped on the way (from the watermark up to each taken message's
 *   predecessor) becomes a hole: the group cannot tell which of those seqs were addressed to
 *   it, only that any of them may arrive later;
 * - a message whose seq is a hole is admitted when it arrives (even below `activated`), leaves
 *   the holes and is activated at once, out of chain order, as a `late` message: it does not
 *   wait for `active` (another group may have ordered it before `active`, and wait on us);
 * - `activated` stays the highest seq activated, so a message is known here exactly when its
 *   seq is not a hole and is at or below `activated`, waiting, or taken.
 * A client that lies about `prev` gets late activations too (a message that cannot follow its
 * chain here and that another group has activated); they raise `activated` like any other.
 * FIFO order is broken for that client only: a late message is ordered after its successors
 * here, and `delivered` is then only the highest seq delivered.
 *
 * The record is kept for as long as the group lives: one small record per client, not one per
 * message, is the bound on duplicate detection (DESIGN §8).
 */
export class ClientFifo<P> {
  activated = 0;
  delivered = 0;
  /** The undecided message activated in chain order (a chain successor or a taken message). */
  active: Pending<P> | null = null;
  readonly waiting = new Map<number, McastMessage<P>>();
  /** Abandoned seqs still admitted late (bounded: the lowest ranges are forgotten first). */
  readonly holes: SeqRanges;
  /** Messages an abandon took out of `waiting`, to activate in seq order. */
  readonly taken: McastMessage<P>[] = [];
  /** Late messages (holes that arrived) activated out of chain order and still undecided, by seq. */
  readonly late = new Map<number, Pending<P>>();

  /** The last snapshot taken while nothing waited, was taken or late, and no holes were kept. */
  private quiet: ClientSnapshot<P> | null = null;

  /** `maxHoles`: most hole ranges remembered. */
  constructor(maxHoles: number) {
    this.holes = new SeqRanges(maxHoles);
  }

  /** True when a message of this client with this seq is known here (activated, waiting or taken). */
  knows(seq: number): boolean {
    if (this.holes.has(seq)) return false;
    if (seq <= this.activated || this.late.has(seq)) return true;
    return this.waitingWith(seq) !== undefined || this.isTaken(seq);
  }

  /** The waiting message with this seq, if any. */
  waitingWith(seq: number): McastMessage<P> | undefined {
    for (const m of this.waiting.values()) if (m.seq === seq) return m;
    return undefined;
  }

  /** True when the message with this seq is in `taken`, not yet activated. */
  isTaken(seq: number): boolean {
    return this.taken.some((m) => m.seq === seq);
  }

  /** The undecided message with this seq (chain or late), if any. */
  undecided(seq: number): Pending<P> | undefined {
    if (this.active !== null && this.active.msg.seq === seq) return this.active;
    return this.late.get(seq);
  }

  /**
   * This record in a snapshot. A group snapshots often and holds a record for every client it
   * ever heard from, most of them quiet (nothing waiting, taken, late or abandoned): such a
   * record is two numbers, and its snapshot is reused, not rebuilt, while they stay the same.
   * Snapshots are immutable values, so sharing one between two of them is safe.
   */
  snapshot(client: ClientId): ClientSnapshot<P> {
    const { activated, delivered } = this;
    if (
      this.waiting.size === 0 &&
      this.holes.size === 0 &&
      this.taken.length === 0 &&
      this.late.size === 0
    ) {
      const q = this.quiet;
      if (q !== null && q.activated === activated && q.delivered === delivered) return q;
      this.quiet = Object.freeze({
        client,
        activated,
        delivered,
        waiting: NONE,
        holes: NONE,
        taken: NONE,
        late: NONE,
      });
      return this.quiet;
    }
    return {
      client,
      activated,
      delivered,
      waiting: [...this.waiting.values()],
      holes: this.holes.toArray(),
      taken: [...this.taken],
      late: [...this.late.keys()],
    };
  }

  /** The message whose predecessor here is `prev` and that may now be activated, removed. */
  takeSuccessor(prev: number): McastMessage<P> | undefined {
    const m = this.waiting.get(prev);
    if (m !== undefined) this.waiting.delete(prev);
    return m;
  }
}

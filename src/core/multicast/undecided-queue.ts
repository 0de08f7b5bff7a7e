// Activated messages still without a final timestamp, in ascending local timestamp order.
import type { Pending } from "./pending.ts";

/**
 * A queue of activated messages in activation order. A group's clock grows on every activation,
 * so activation order is ascending local-timestamp order and the head is the undecided message
 * with the smallest local timestamp: the only one the delivery rule has to look at.
 *
 * Messages get their final timestamp in any order; they stay in the array and are skipped
 * lazily when they reach the head (each one once), so every operation is amortised O(1).
 * The array is compacted when the skipped prefix is more than half of it.
 */
export class UndecidedQueue<P> {
  private items: Pending<P>[] = [];
  private head = 0;

  /** Appends a just-activated message (its local timestamp is the largest so far). */
  push(p: Pending<P>): void {
    this.items.push(p);
  }

  /** The undecided message with the smallest local timestamp, or undefined. */
  first(): Pending<P> | undefined {
    const items = this.items;
    while (this.head < items.length && items[this.head]!.final !== null) this.head++;
    if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
    return this.items[this.head];
  }

  /** The messages still undecided, in ascending local timestamp order (for snapshots). */
  undecided(): Pending<P>[] {
    return this.items.slice(this.head).filter((p) => p.final === null);
  }

  /** Removes everything. */
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

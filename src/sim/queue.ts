// Deterministic priority queue of simulator events: a binary min-heap on (time, insertion order).
import { InvariantError } from "../core/errors.ts";

/** A queued item with its time (and, internally, its insertion order). */
export interface Timed<T> {
  readonly time: number;
  readonly item: T;
}

interface Node<T> extends Timed<T> {
  readonly seq: number;
}

/**
 * A min-heap of timed items. Items with equal times come out in the order they were pushed
 * (FIFO), so a simulation's order of events never depends on heap internals.
 */
export class EventQueue<T> {
  private readonly heap: Node<T>[] = [];
  private seq = 0;

  /** Number of queued items. */
  get size(): number {
    return this.heap.length;
  }

  /** Queues `item` at `time` (a finite number). */
  push(time: number, item: T): void {
    // Tested, not asserted: a message built on every push is a cost of every simulated event.
    if (!Number.isFinite(time)) {
      throw new InvariantError(`EventQueue.push needs a finite time, got ${time}`);
    }
    const heap = this.heap;
    const node: Node<T> = { time, seq: this.seq++, item };
    // Sift up: move parents down until the new node's slot is found.
    let i = heap.length;
    heap.push(node);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as Node<T>;
      if (!less(node, parent)) break;
      heap[i] = parent;
      i = p;
    }
    heap[i] = node;
  }

  /** Removes and returns the earliest item (FIFO among equal times), or undefined when empty. */
  pop(): { time: number; item: T } | undefined {
    const top = this.take();
    return top === undefined ? undefined : { time: top.time, item: top.item };
  }

  /**
   * As {@link pop}, but returns the queue's own record of the item instead of a fresh object:
   * the simulator's loop takes one per event, and an allocation per event adds up.
   */
  take(): Timed<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop() as Node<T>;
    const n = heap.length;
    if (n > 0) {
      // Sift down the former last node from the root.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        let child = heap[l] as Node<T>;
        if (r < n) {
          const right = heap[r] as Node<T>;
          if (less(right, child)) {
            c = r;
            child = right;
          }
        }
        if (!less(child, last)) break;
        heap[i] = child;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }

  /** Time of the earliest item, or undefined when empty. */
  peekTime(): number | undefined {
    return this.heap[0]?.time;
  }

  /** Removes every item. Insertion order keeps counting, so FIFO ties stay correct afterwards. */
  clear(): void {
    this.heap.length = 0;
  }
}

function less<T>(x: Node<T>, y: Node<T>): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq);
}

// A binary min-heap over a caller-given total order.
import { invariant } from "../errors.ts";

/**
 * A min-heap. The order must be total (no two distinct items compare equal) for pop order to be
 * independent of insertion history; the multicast state relies on that for identical behaviour
 * after a snapshot is restored.
 */
export class MinHeap<T> {
  private readonly items: T[] = [];
  private readonly less: (a: T, b: T) => boolean;

  /** `compare(a, b)` is negative when a comes first. */
  constructor(compare: (a: T, b: T) => number) {
    this.less = (a, b) => compare(a, b) < 0;
  }

  /** Number of items. */
  get size(): number {
    return this.items.length;
  }

  /** The smallest item, or undefined when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds an item: O(log n). */
  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      const p = items[parent]!;
      if (!this.less(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns the smallest item: O(log n). */
  pop(): T {
    const items = this.items;
    invariant(items.length > 0, "pop from an empty heap");
    const top = items[0]!;
    const last = items.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.less(items[r]!, items[l]!) ? r : l;
        if (!this.less(items[c]!, last)) break;
        items[i] = items[c]!;
        i = c;
      }
      items[i] = last;
    }
    return top;
  }

  /** The items in no particular order (for snapshots). */
  values(): readonly T[] {
    return this.items;
  }

  /** Removes every item. */
  clear(): void {
    this.items.length = 0;
  }
}

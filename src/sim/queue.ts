// Deterministic priority queue of simulator events: a binary min-heap on (time, insertion order).
import { InvariantError } from "../core/errors.ts";

/**
 * A min-heap of timed items. Items with equal times come out in the order they were pushed
 * (FIFO), so a simulation's order of events never depends on heap internals.
 *
 * The keys live in two typed arrays beside the items, not in one object per item: the
 * simulator pushes and pops an item for every event, and sifting then compares neighbouring
 * numbers instead of chasing a pointer per comparison, with nothing to allocate per event.
 */
export class EventQueue<T> {
  private times = new Float64Array(1024);
  /** Insertion order of each slot: unique, so (time, seq) is a total order. */
  private seqs = new Float64Array(1024);
  private items: (T | undefined)[] = [];
  private n = 0;
  private seq = 0;

  /** Number of queued items. */
  get size(): number {
    return this.n;
  }

  /** Queues `item` at `time` (a finite number). */
  push(time: number, item: T): void {
    // Tested, not asserted: a message built on every push is a cost of every simulated event.
    if (!Number.isFinite(time)) {
      throw new InvariantError(`EventQueue.push needs a finite time, got ${time}`);
    }
    if (this.n === this.times.length) this.grow();
    const { times, seqs, items } = this;
    const seq = this.seq++;
    // Sift up: move parents down until the new item's slot is found.
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!;
      if (pt < time || (pt === time && seqs[p]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[p]!;
      items[i] = items[p];
      i = p;
    }
    times[i] = time;
    seqs[i] = seq;
    items[i] = item;
  }

  /** Removes and returns the earliest item (FIFO among equal times), or undefined when empty. */
  pop(): { time: number; item: T } | undefined {
    if (this.n === 0) return undefined;
    const time = this.times[0]!;
    return { time, item: this.popItem() };
  }

  /**
   * Removes and returns the earliest item, as {@link pop} does, without allocating; read its
   * time with {@link peekTime} first. The queue must not be empty.
   */
  popItem(): T {
    if (this.n === 0) throw new InvariantError("EventQueue.popItem on an empty queue");
    const { times, seqs, items } = this;
    const top = items[0] as T;
    const n = --this.n;
    const lastTime = times[n]!;
    const lastSeq = seqs[n]!;
    const last = items[n];
    items[n] = undefined; // let the item go
    if (n > 0) {
      // Sift down the former last item from the root.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && (times[r]! < times[l]! || (times[r] === times[l] && seqs[r]! < seqs[l]!))) {
          c = r;
        }
        const ct = times[c]!;
        if (ct > lastTime || (ct === lastTime && seqs[c]! > lastSeq)) break;
        times[i] = ct;
        seqs[i] = seqs[c]!;
        items[i] = items[c];
        i = c;
      }
      times[i] = lastTime;
      seqs[i] = lastSeq;
      items[i] = last;
    }
    return top;
  }

  /** Time of the earliest item, or undefined when empty. */
  peekTime(): number | undefined {
    return this.n === 0 ? undefined : this.times[0];
  }

  /** Removes every item. Insertion order keeps counting, so FIFO ties stay correct afterwards. */
  clear(): void {
    this.n = 0;
    this.items = [];
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    const seqs = new Float64Array(this.seqs.length * 2);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
  }
}

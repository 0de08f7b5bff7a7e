// Tests of the event queue: time order, FIFO ties, and a property test against a stable sort.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventQueue } from "./queue.ts";

const drain = <T>(q: EventQueue<T>): { time: number; item: T }[] => {
  const out: { time: number; item: T }[] = [];
  for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e);
  return out;
};

describe("EventQueue", () => {
  it("starts empty", () => {
    const q = new EventQueue<string>();
    expect(q.size).toBe(0);
    expect(q.peekTime()).toBeUndefined();
    expect(q.pop()).toBeUndefined();
  });

  it("pops in time order with FIFO ties", () => {
    const q = new EventQueue<string>();
    q.push(5, "a");
    q.push(1, "b");
    q.push(5, "c");
    q.push(3, "d");
    q.push(1, "e");
    expect(q.size).toBe(5);
    expect(q.peekTime()).toBe(1);
    expect(drain(q).map((e) => `${e.time}${e.item}`)).toEqual(["1b", "1e", "3d", "5a", "5c"]);
  });

  it("keeps FIFO ties across interleaved pushes and pops, and after clear", () => {
    const q = new EventQueue<number>();
    q.push(2, 0);
    q.push(2, 1);
    expect(q.pop()?.item).toBe(0);
    q.push(2, 2);
    q.push(1, 3);
    expect(drain(q).map((e) => e.item)).toEqual([3, 1, 2]);
    q.push(4, 9);
    q.clear();
    expect(q.size).toBe(0);
    q.push(0, 7);
    q.push(0, 8);
    expect(drain(q).map((e) => e.item)).toEqual([7, 8]);
  });

  it("rejects a non-finite time", () => {
    const q = new EventQueue<number>();
    expect(() => q.push(Number.NaN, 1)).toThrow(/finite/);
    expect(() => q.push(Number.POSITIVE_INFINITY, 1)).toThrow(/finite/);
  });

  it("matches a stable sort by time for any sequence of pushes and pops", () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer({ min: 0, max: 20 }) }),
      fc.constant({ pop: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const q = new EventQueue<number>();
        // Reference model: a list kept stably sorted by time.
        let model: { time: number; item: number }[] = [];
        let id = 0;
        for (const o of ops) {
          if ("push" in o) {
            q.push(o.push, id);
            model.push({ time: o.push, item: id });
            id++;
            model = model.slice().sort((a, b) => a.time - b.time);
          } else {
            expect(q.pop()).toEqual(model.shift());
          }
          expect(q.size).toBe(model.length);
          expect(q.peekTime()).toBe(model[0]?.time);
        }
        expect(drain(q)).toEqual(model);
      }),
    );
  });
});

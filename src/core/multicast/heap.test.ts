// Unit tests of the binary min-heap.
import { describe, expect, it } from "vitest";
import { InvariantError } from "../errors.ts";
import { MinHeap } from "./heap.ts";

describe("MinHeap", () => {
  it("pops in ascending order whatever the insertion order", () => {
    const h = new MinHeap<number>((a, b) => a - b);
    let s = 7;
    const input: number[] = [];
    for (let i = 0; i < 500; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      input.push(s % 1000);
    }
    for (const x of input) h.push(x);
    expect(h.size).toBe(500);
    const out: number[] = [];
    while (h.size > 0) out.push(h.pop());
    expect(out).toEqual([...input].sort((a, b) => a - b));
    expect(h.peek()).toBeUndefined();
  });

  it("refuses to pop when empty", () => {
    expect(() => new MinHeap<number>((a, b) => a - b).pop()).toThrow(InvariantError);
  });
});

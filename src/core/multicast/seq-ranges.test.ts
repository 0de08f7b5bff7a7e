// Tests of the bounded range set that holds an abandoned chain's holes.
import { describe, expect, it } from "vitest";
import { SeqRanges } from "./seq-ranges.ts";

describe("SeqRanges", () => {
  it("holds ranges, merges those that touch, and splits on delete", () => {
    const r = new SeqRanges(10);
    r.add(5, 7);
    r.add(1, 1);
    r.add(9, 9);
    expect(r.toArray()).toEqual([
      [1, 1],
      [5, 7],
      [9, 9],
    ]);
    r.add(8, 8); // touches both neighbours
    expect(r.toArray()).toEqual([
      [1, 1],
      [5, 9],
    ]);
    r.add(3, 2); // empty
    expect(r.size).toBe(2);
    expect([0, 1, 2, 4, 5, 9, 10].map((s) => r.has(s))).toEqual([
      false,
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
    expect(r.delete(7)).toBe(true);
    expect(r.delete(7)).toBe(false);
    expect(r.toArray()).toEqual([
      [1, 1],
      [5, 6],
      [8, 9],
    ]);
    expect(r.delete(1)).toBe(true);
    expect(r.delete(5)).toBe(true);
    expect(r.toArray()).toEqual([
      [6, 6],
      [8, 9],
    ]);
  });

  it("costs one range however wide", () => {
    const r = new SeqRanges(1);
    r.add(1, 1_000_000_000);
    expect(r.has(123_456_789)).toBe(true);
    expect(r.size).toBe(1);
  });

  it("forgets the lowest ranges beyond its bound, also when a delete splits one", () => {
    const r = new SeqRanges(2);
    r.add(1, 1);
    r.add(3, 3);
    r.add(5, 9);
    expect(r.toArray()).toEqual([
      [3, 3],
      [5, 9],
    ]);
    r.delete(7);
    expect(r.toArray()).toEqual([
      [5, 6],
      [8, 9],
    ]);
    expect(r.has(3)).toBe(false);
  });
});

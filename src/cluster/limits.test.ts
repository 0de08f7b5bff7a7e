// Size limits: the client's fast size bound never lets an oversized command through, and reasons round-trip.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseReceiptRefusal, receiptRefusal } from "./admission.ts";
import {
  commandBytes,
  largestStringBytes,
  oversize,
  oversizeReason,
  parseOversizeReason,
} from "./limits.ts";

const HUGE = 1 << 30;

describe("oversize", () => {
  it("refuses exactly the commands over the limit, whatever their shape (the bound is safe)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: "grapheme" })), (v) => {
        const n = commandBytes(v);
        expect(oversize(v, { maxCommandBytes: n, maxValueBytes: HUGE })).toBeNull();
        expect(oversize(v, { maxCommandBytes: n - 1, maxValueBytes: HUGE })).toEqual({
          what: "command",
          bytes: n,
          limit: n - 1,
        });
      }),
      { numRuns: 500 },
    );
  });

  it("measures the largest value in UTF-8, keys included, before the command", () => {
    expect(largestStringBytes({ type: "put", key: "k", value: "é".repeat(10) })).toBe(20);
    expect(largestStringBytes({ ["x".repeat(30)]: 1, v: ["ab", ["😀"]] })).toBe(30);
    const cmd = { type: "put", key: "k", value: "v".repeat(100) };
    expect(oversize(cmd, { maxCommandBytes: 50, maxValueBytes: 99 })).toEqual({
      what: "value",
      bytes: 100,
      limit: 99,
    });
    expect(oversize(cmd, { maxCommandBytes: 200, maxValueBytes: 100 })).toBeNull();
  });

  it("walks a deeply nested value without overflowing the stack", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(largestStringBytes(deep)).toBe(4);
  });
});

describe("refusal reasons", () => {
  it("round-trip through the replica's invalid answer", () => {
    for (const o of [
      { what: "command", bytes: 2_000_000, limit: 1_572_864 },
      { what: "value", bytes: 70_000_000, limit: 1_048_576 },
    ] as const) {
      const reason = receiptRefusal(oversizeReason(o));
      expect(parseOversizeReason(parseReceiptRefusal(reason)!)).toEqual(o);
    }
    expect(parseReceiptRefusal("mget reads at most 100 keys")).toBeNull();
    expect(parseReceiptRefusal(receiptRefusal("mget reads at most 100 keys"))).toBe(
      "mget reads at most 100 keys",
    );
    expect(parseOversizeReason("too large: but not ours")).toBeNull();
  });
});

// Tests of the generic linearizability search, on a single read/write register.

import { describe, expect, it } from "vitest";
import type { Operation } from "./history.ts";
import { checkLinearizable } from "./linearizability.ts";
import type { Model } from "./model.ts";

type RegIn = { readonly kind: "write"; readonly value: number } | { readonly kind: "read" };
/** A read's value, or null to acknowledge a write. */
type RegOut = number | null;

const register: Model<number, RegIn, RegOut> = {
  init: () => 0,
  step(state, input, output) {
    if (input.kind === "write")
      return output === undefined || output === null ? input.value : undefined;
    return output === undefined || output === state ? state : undefined;
  },
  key: (state) => String(state),
  describe: (input, output) =>
    input.kind === "write" ? `write(${input.value})` : `read() -> ${output ?? "?"}`,
};

let nextId = 0;
const w = (client: number, call: number, ret: number, value: number): Operation<RegIn, RegOut> => ({
  id: nextId++,
  client,
  input: { kind: "write", value },
  output: null,
  call,
  ret,
});
const r = (client: number, call: number, ret: number, value: number): Operation<RegIn, RegOut> => ({
  id: nextId++,
  client,
  input: { kind: "read" },
  output: value,
  call,
  ret,
});
/** A write whose client never heard back. */
const lost = (client: number, call: number, value: number): Operation<RegIn, RegOut> => ({
  id: nextId++,
  client,
  input: { kind: "write", value },
  output: undefined,
  call,
  ret: Number.POSITIVE_INFINITY,
});

describe("checkLinearizable", () => {
  it("accepts the empty history", () => {
    expect(checkLinearizable(register, [])).toEqual({ ok: true });
  });

  it("accepts a sequential history", () => {
    const h = [w(0, 0, 1, 1), r(0, 2, 3, 1), w(0, 4, 5, 2), r(0, 6, 7, 2)];
    expect(checkLinearizable(register, h)).toEqual({ ok: true });
  });

  it("accepts concurrent histories whatever order the system picked", () => {
    // Two overlapping writes, then reads: either write may come last.
    for (const seen of [1, 2]) {
      const h = [w(0, 0, 10, 1), w(1, 1, 9, 2), r(2, 11, 12, seen), r(2, 13, 14, seen)];
      expect(checkLinearizable(register, h)).toEqual({ ok: true });
    }
    // A read overlapping a write may see the old or the new value.
    for (const seen of [0, 1]) {
      expect(checkLinearizable(register, [w(0, 0, 10, 1), r(1, 2, 3, seen)])).toEqual({ ok: true });
    }
  });

  it("rejects a stale read after a completed write and explains it", () => {
    const h = [w(0, 0, 1, 1), r(1, 2, 3, 0)];
    const res = checkLinearizable(register, h);
    expect(res.ok).toBe(false);
    if (res.ok !== false) return;
    expect(res.partition).toBe(0);
    expect(res.ops).toEqual(h);
    expect(res.explanation).toContain("Longest linearizable prefix found: 1 operation(s)");
    expect(res.explanation).toContain("write(1)");
    expect(res.explanation).toMatch(/read\(\) -> 0: its output is not a legal result/);
  });

  it("treats equal return and call times as concurrent", () => {
    // The write returns at 5 and the read is called at 5: they may overlap, so the old value is fine.
    expect(checkLinearizable(register, [w(0, 0, 5, 1), r(1, 5, 6, 0)])).toEqual({ ok: true });
    // Strictly after the return, the old value is stale.
    expect(checkLinearizable(register, [w(0, 0, 4, 1), r(1, 5, 6, 0)]).ok).toBe(false);
  });

  it("lets an incomplete write take effect any time after its call, or never", () => {
    expect(checkLinearizable(register, [lost(0, 0, 1), r(1, 5, 6, 1)])).toEqual({ ok: true });
    expect(checkLinearizable(register, [lost(0, 0, 1), r(1, 5, 6, 0)])).toEqual({ ok: true });
    // Late effect: not seen at first, seen afterwards.
    const late = [lost(0, 0, 1), r(1, 5, 6, 0), r(1, 7, 8, 1), r(1, 9, 10, 1)];
    expect(checkLinearizable(register, late)).toEqual({ ok: true });
    // But not before its call, and not undone once seen.
    expect(checkLinearizable(register, [r(1, 0, 1, 1), lost(0, 2, 1)]).ok).toBe(false);
    const undone = [lost(0, 0, 1), r(1, 5, 6, 1), r(1, 7, 8, 0)];
    expect(checkLinearizable(register, undone).ok).toBe(false);
  });

  it("treats an operation without output as incomplete even when it has a return time", () => {
    const gaveUp: Operation<RegIn, RegOut> = { ...lost(0, 0, 1), ret: 2 };
    expect(checkLinearizable(register, [gaveUp, r(1, 3, 4, 0), r(1, 5, 6, 1)])).toEqual({
      ok: true,
    });
  });

  it("says unknown when the step budget runs out, deterministically", () => {
    const h = [w(0, 0, 10, 1), w(1, 0, 10, 2), w(2, 0, 10, 3), r(3, 11, 12, 1), r(3, 13, 14, 2)];
    const res = checkLinearizable(register, h, { maxSteps: 3 });
    expect(res.ok).toBe("unknown");
    expect(checkLinearizable(register, h, { maxSteps: 3 })).toEqual(res);
    expect(checkLinearizable(register, h).ok).toBe(false);
  });

  it("reports the failing partition, which wins over an unknown one", () => {
    // Part 0: ten concurrent writes, then reads that no order explains; refuting it takes many
    // steps. Part 1: a stale read, refuted in a few.
    const hard = [
      ...Array.from({ length: 10 }, (_, i) => w(i, 0, 100, i + 1)),
      r(10, 101, 102, 7),
      r(11, 103, 104, 8),
    ];
    const easy = [w(0, 0, 1, 5), r(0, 2, 3, 0)];
    const inHard = new Set(hard);
    const split: Model<number, RegIn, RegOut> = {
      ...register,
      partition: (ops) => [ops.filter((o) => inHard.has(o)), ops.filter((o) => !inHard.has(o))],
    };
    const opts = { maxSteps: 50 };
    expect(checkLinearizable(register, hard, opts).ok).toBe("unknown");
    expect(checkLinearizable(register, easy, opts).ok).toBe(false);
    const res = checkLinearizable(split, [...hard, ...easy], opts);
    expect(res.ok).toBe(false);
    if (res.ok === false) {
      expect(res.partition).toBe(1);
      expect(res.ops).toEqual(easy);
      expect(res.explanation).toMatch(/^Partition 1 of 2 is not linearizable/);
    }
  });

  it("rejects malformed histories", () => {
    const a = w(0, 0, 1, 1);
    expect(() => checkLinearizable(register, [a, a])).toThrow(RangeError);
    expect(() => checkLinearizable(register, [w(0, 5, 4, 1)])).toThrow(RangeError);
    expect(() => checkLinearizable(register, [w(0, Number.NaN, 4, 1)])).toThrow(RangeError);
  });

  it("finds the one valid order among many concurrent writes", () => {
    // Ten concurrent writes, then reads that pin down the last one: only write 7 last works.
    const writes = Array.from({ length: 10 }, (_, i) => w(i, 0, 100, i + 1));
    const res = checkLinearizable(register, [...writes, r(10, 101, 102, 7), r(11, 103, 104, 7)]);
    expect(res).toEqual({ ok: true });
    const bad = checkLinearizable(register, [...writes, r(10, 101, 102, 7), r(11, 103, 104, 8)]);
    expect(bad.ok).toBe(false);
  });
});

// Property tests: the checker agrees with a brute-force enumeration of orders on small histories.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type KvOp, type KvResult, type KvState, kvApply } from "../core/kv/kv.ts";
import { deadline, isComplete, type Operation } from "./history.ts";
import { type KvOperation, kvModel } from "./kv-model.ts";
import { checkLinearizable } from "./linearizability.ts";
import type { Model } from "./model.ts";

/**
 * Linearizability by definition: for every subset of the incomplete operations, try every order
 * of the complete ones plus that subset in which A precedes B whenever A returned strictly
 * before B was called, and replay it on the model.
 */
function bruteForce<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[]): boolean {
  const complete = ops.filter((op) => isComplete(op));
  const optional = ops.filter((op) => !isComplete(op));
  const orders = (left: readonly Operation<I, O>[], state: S): boolean => {
    if (left.length === 0) return true;
    return left.some((x) => {
      if (left.some((y) => y !== x && deadline(y) < x.call)) return false;
      const after = model.step(state, x.input, x.output);
      return (
        after !== undefined &&
        orders(
          left.filter((y) => y !== x),
          after,
        )
      );
    });
  };
  for (let mask = 0; mask < 1 << optional.length; mask++) {
    const chosen = optional.filter((_, k) => (mask & (1 << k)) !== 0);
    if (orders([...complete, ...chosen], model.init())) return true;
  }
  return false;
}

/** The KV model without partitioning, so the brute force sees the history whole. */
const flat: Model<KvState, KvOp, KvResult> = {
  init: kvModel.init,
  step: kvModel.step,
  key: kvModel.key,
};

const keyArb = fc.constantFrom("a", "b");
const valueArb = fc.constantFrom("0", "1", "2");
const opArb: fc.Arbitrary<KvOp> = fc.oneof(
  fc.record({ type: fc.constant("get" as const), key: keyArb }),
  fc.record({ type: fc.constant("put" as const), key: keyArb, value: valueArb }),
  fc.record({
    type: fc.constant("cas" as const),
    key: keyArb,
    expected: fc.option(valueArb, { nil: null }),
    value: valueArb,
  }),
  fc.record({
    type: fc.constant("mget" as const),
    keys: fc.constantFrom(["a", "b"], ["b", "a"], ["a"]),
  }),
  fc.record({
    type: fc.constant("transfer" as const),
    from: keyArb,
    to: keyArb,
    amount: fc.integer({ min: 1, max: 2 }),
  }),
);

/** A plausible but arbitrary result for `op`, chosen by the bits of `r`. */
function randomResult(op: KvOp, r: number): KvResult {
  const vals = [null, "0", "1", "2", "3"] as const;
  const v = (shift: number) => vals[(r >>> shift) % vals.length] ?? null;
  switch (op.type) {
    case "get":
      return { type: "get", value: v(1) };
    case "put":
      return { type: "put" };
    case "cas":
      return { type: "cas", ok: (r & 1) === 0, current: v(1) };
    case "mget":
      return { type: "mget", values: op.keys.map((_, k) => v(1 + 4 * k)) };
    case "transfer":
      return { type: "transfer", ok: (r & 1) === 0 };
  }
}

/** Small time ranges make equal call/return times (the tie rule) common. */
const timedArb = fc.record({
  client: fc.integer({ min: 0, max: 2 }),
  input: opArb,
  call: fc.integer({ min: 0, max: 8 }),
  duration: fc.integer({ min: 0, max: 4 }),
});

/**
 * Histories from real executions: each operation takes effect at a point inside its interval (or,
 * if incomplete, maybe never), outputs come from kvApply in the order of those points, and then,
 * sometimes, one output is replaced by a random one.
 */
const executedArb: fc.Arbitrary<KvOperation[]> = fc
  .record({
    ops: fc.array(
      fc.record({
        timed: timedArb,
        at: fc.integer({ min: 0, max: 100 }),
        incomplete: fc.integer({ min: 0, max: 5 }).map((x) => x === 0),
        applied: fc.boolean(),
      }),
      { minLength: 1, maxLength: 7 },
    ),
    perturb: fc.option(fc.record({ index: fc.nat(), r: fc.nat() }), { nil: undefined }),
  })
  .map(({ ops, perturb }) => {
    const points = ops.map((o, id) => ({
      id,
      point: o.timed.call + (o.timed.duration * o.at) / 100,
    }));
    points.sort((x, y) => x.point - y.point || x.id - y.id);
    const state: KvState = new Map();
    const outputs = new Map<number, KvResult>();
    for (const { id } of points) {
      const o = ops[id]!;
      if (!o.incomplete || o.applied) outputs.set(id, kvApply(state, o.timed.input));
    }
    const history = ops.map(
      (o, id): KvOperation => ({
        id,
        client: o.timed.client,
        input: o.timed.input,
        output: o.incomplete ? undefined : outputs.get(id),
        call: o.timed.call,
        ret: o.incomplete ? Number.POSITIVE_INFINITY : o.timed.call + o.timed.duration,
      }),
    );
    if (perturb !== undefined) {
      const k = perturb.index % history.length;
      const o = history[k]!;
      if (o.output !== undefined) {
        history[k] = { ...o, output: randomResult(o.input, perturb.r) };
      }
    }
    return history;
  });

/** Histories whose outputs are random: mostly not linearizable, sometimes by luck. */
const randomArb: fc.Arbitrary<KvOperation[]> = fc
  .array(fc.record({ timed: timedArb, r: fc.nat(), incomplete: fc.integer({ min: 0, max: 5 }) }), {
    minLength: 1,
    maxLength: 7,
  })
  .map((ops) =>
    ops.map(
      (o, id): KvOperation => ({
        id,
        client: o.timed.client,
        input: o.timed.input,
        output: o.incomplete === 0 ? undefined : randomResult(o.timed.input, o.r),
        call: o.timed.call,
        ret: o.incomplete === 0 ? Number.POSITIVE_INFINITY : o.timed.call + o.timed.duration,
      }),
    ),
  );

/** Runs the comparison and returns how many histories were accepted and rejected. */
function compare(arb: fc.Arbitrary<KvOperation[]>, seed: number): { yes: number; no: number } {
  const counts = { yes: 0, no: 0 };
  fc.assert(
    fc.property(arb, (history) => {
      const expected = bruteForce(flat, history);
      const partitioned = checkLinearizable(kvModel, history).ok;
      const whole = checkLinearizable(flat, history).ok;
      expect(partitioned).toBe(expected);
      expect(whole).toBe(expected);
      if (expected) counts.yes++;
      else counts.no++;
    }),
    { numRuns: 1500, seed },
  );
  return counts;
}

describe("checkLinearizable agrees with brute force", () => {
  it("on perturbed real executions", () => {
    const { yes, no } = compare(executedArb, 20240601);
    // Both verdicts must be well represented for the comparison to mean something.
    expect(yes).toBeGreaterThan(300);
    expect(no).toBeGreaterThan(100);
  });

  it("on histories with random outputs", () => {
    const { yes, no } = compare(randomArb, 7);
    expect(yes).toBeGreaterThan(100);
    expect(no).toBeGreaterThan(300);
  });
});

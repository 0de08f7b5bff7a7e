// Tests of weighted sampling: proportions, ranges and their complements.
import { describe, expect, it } from "vitest";
import { Rng } from "../sim/rng.ts";
import { WeightedSampler, zipfWeights } from "./weighted.ts";

describe("WeightedSampler", () => {
  it("draws in proportion to the weights", () => {
    const s = new WeightedSampler([1, 2, 7]);
    const rng = new Rng(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 100_000; i++) counts[s.pickIn(rng)]!++;
    expect(counts[0]! / 100_000).toBeCloseTo(0.1, 1);
    expect(counts[1]! / 100_000).toBeCloseTo(0.2, 1);
    expect(counts[2]! / 100_000).toBeCloseTo(0.7, 1);
  });

  it("stays inside a range, or outside it", () => {
    const s = new WeightedSampler([5, 1, 1, 1, 5, 1]);
    const rng = new Rng(2);
    // Count violations instead of asserting per draw: thousands of expect calls are slow.
    let wrong = 0;
    for (let i = 0; i < 2000; i++) {
      const a = s.pickIn(rng, 1, 4);
      if (a < 1 || a >= 4) wrong++;
      const b = s.pickOutside(rng, 1, 4);
      if (b >= 1 && b < 4) wrong++;
      if (s.pickOutside(rng, 0, 4) < 4) wrong++;
      if (s.pickOutside(rng, 3, 6) >= 3) wrong++;
    }
    expect(wrong).toBe(0);
  });

  it("computes Zipf weights from ranks", () => {
    expect([...zipfWeights([0, 1, 3], 1)]).toEqual([1, 0.5, 0.25]);
    expect([...zipfWeights([2, 0], 0)]).toEqual([1, 1]);
  });
});

// Tests of hash placement: stable, spread evenly, and well mixed even modulo small powers of two.
import { describe, expect, it } from "vitest";
import { groupId } from "../core/ids.ts";
import { fnv1a, hashPlacement, nameHash } from "./placement.ts";

describe("hash placement", () => {
  it("is a stable function of the name", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c); // the published FNV-1a test vector
    expect(nameHash("alice")).toBe(nameHash("alice"));
  });

  it("spreads similar names evenly, and a prefix changes the placement", () => {
    const parts = [1, 2, 3, 4].map(groupId);
    const counts = [0, 0, 0, 0];
    let moved = 0;
    for (let i = 0; i < 8000; i++) {
      const name = `u${String(i).padStart(5, "0")}`;
      const p = hashPlacement(name, parts);
      counts[p - 1]!++;
      if (hashPlacement(`9/${name}`, parts) !== hashPlacement(`10/${name}`, parts)) moved++;
    }
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
    expect(moved / 8000).toBeGreaterThan(0.6);
  });

  it("needs a partition", () => {
    expect(() => hashPlacement("x", [])).toThrow(/at least one partition/);
  });
});

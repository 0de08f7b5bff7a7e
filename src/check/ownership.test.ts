// The ownership checker accepts a consistent map and reports each kind of inconsistency.
import { describe, expect, it } from "vitest";
import { checkOwnership } from "./ownership.ts";

describe("checkOwnership", () => {
  it("accepts partitions that agree with the oracle", () => {
    const oracle = new Map([
      ["a", 1],
      ["b", 2],
    ]);
    expect(
      checkOwnership(
        oracle,
        new Map([
          [1, ["a"]],
          [2, ["b"]],
        ]),
      ),
    ).toEqual([]);
  });
  it("reports a variable held twice", () => {
    const oracle = new Map([["a", 1]]);
    expect(
      checkOwnership(
        oracle,
        new Map([
          [1, ["a"]],
          [2, ["a"]],
        ]),
      ).join(),
    ).toMatch(/held by partitions 1 and 2/);
  });
  it("reports a variable where the oracle does not map it", () => {
    const oracle = new Map([["a", 1]]);
    expect(
      checkOwnership(
        oracle,
        new Map([
          [1, []],
          [2, ["a"]],
        ]),
      ).join(),
    ).toMatch(/maps it to 1/);
  });
  it("reports a mapped variable held nowhere", () => {
    const oracle = new Map([["a", 1]]);
    expect(checkOwnership(oracle, new Map([[1, []]])).join()).toMatch(/does not hold it/);
  });
});

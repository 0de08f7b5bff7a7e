// Unit tests of the destination policy: counts, heat, the balance cap and the tie-breaks.
import { describe, expect, it } from "vitest";
import { groupId } from "../ids.ts";
import { chooseDestination } from "./policy.ts";

const [P1, P2, P3] = [groupId(1), groupId(2), groupId(3)];
const never = () => {
  throw new Error("most is deterministic: it must not draw");
};

describe("chooseDestination most", () => {
  it("gathers where most variables are, and breaks ties by the first variable's partition", () => {
    const at = new Map([
      ["a", P2],
      ["b", P1],
      ["c", P1],
    ]);
    expect(chooseDestination("most", at, never)).toBe(P1);
    const tie = new Map([
      ["u", P2],
      ["w", P1],
    ]);
    expect(chooseDestination("most", tie, never, { first: "u" })).toBe(P2);
    expect(chooseDestination("most", tie, never, { first: "w" })).toBe(P1);
  });

  it("weighs a hot variable above several cold ones", () => {
    const at = new Map([
      ["hot", P3],
      ["x", P1],
      ["y", P1],
    ]);
    const heat = (v: string) => (v === "hot" ? 10 : 1);
    expect(chooseDestination("most", at, never, { heat })).toBe(P3);
  });

  it("never gathers past the balance cap while another partition fits", () => {
    const at = new Map([
      ["a", P1],
      ["b", P1],
      ["c", P2],
    ]);
    // 300 variables over 3 partitions: cap 120. P1 holds 120 already, so c cannot join it.
    const loads = new Map([
      [P1, 120],
      [P2, 90],
      [P3, 90],
    ]);
    expect(chooseDestination("most", at, never, { loads })).toBe(P2);
  });
});

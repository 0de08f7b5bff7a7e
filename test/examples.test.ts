// The README's example application runs as documented: correct under faults, and DS-SMR moves accounts.
import { describe, expect, it } from "vitest";
import { runBank } from "../examples/bank.ts";

describe("examples/bank.ts", () => {
  it("runs on four partitions under faults with no violation", () => {
    const r = runBank(1);
    expect(r.violations).toEqual([]);
    expect(r.stats.commandsCompleted).toBe(200);
    expect(r.stats.moves).toBeGreaterThan(0);
  });
});

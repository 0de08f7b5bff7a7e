// `dssmr chaos` end to end: a short run on real processes with fsync finds no violation and no lost write.
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out, err };
}

describe("dssmr chaos", () => {
  it("kills -9 and pauses replicas of a 9-process cluster under load, losing nothing", async () => {
    // Seed 1's first four cycles: a majority kill, a replica kill, a paused leader, a killed leader.
    const r = await cli("chaos", "--cycles", "4", "--seed", "1", "--clients", "4", "--json");
    const summary = JSON.parse(r.out.at(-1)!);
    if (r.status !== 0 || process.env.DSSMR_TEST_VERBOSE) console.info(r.err.join("\n"), summary);
    expect(r.status).toBe(0);
    expect(summary).toMatchObject({ cycles: 4, violations: 0, lostWrites: 0, unbalanced: 0 });
    expect(summary.faults).toEqual({ majority: 1, kill: 1, "pause-leader": 1, leader: 1 });
    expect(summary.operations).toBeGreaterThan(200);
    expect(summary.unchecked).toBe(0);
    expect(Object.keys(summary.recoveryMs).sort()).toEqual([
      "kill",
      "leader",
      "majority",
      "pause-leader",
    ]);
    expect(r.err.filter((l) => l.startsWith("cycle "))).toHaveLength(4);
  }, 90_000);

  it("refuses kill faults on in-memory logs as bad usage, before starting anything", async () => {
    const r = await cli("chaos", "--memory", "--faults", "pause,kill", "--cycles", "1");
    expect(r.status).toBe(2);
    expect(r.err.join("\n")).toMatch(/--faults kill needs logs on disk/);
    const bad = await cli("chaos", "--faults", "flood");
    expect(bad.status).toBe(2);
  });
});

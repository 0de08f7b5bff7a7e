// Simulation tests: determinism, a fixed sweep of seeds under every fault, and deliberate bugs caught.
import { describe, expect, it } from "vitest";
import { parseFaults } from "../../src/sim/faults.ts";
import { defaultKvSimOptions, type KvSimOptions, runKvSimulation } from "../../src/sim/kv-sim.ts";

const all = parseFaults("all");
const run = (o: Partial<KvSimOptions>) => runKvSimulation({ ...defaultKvSimOptions, ...o });

describe("kv simulation", () => {
  it("replays a seed byte for byte", () => {
    const a = run({ seed: 7, faults: all, ops: 150 });
    const b = run({ seed: 7, faults: all, ops: 150 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.stats.faultsInjected).toBeGreaterThan(0);
    const c = run({ seed: 8, faults: all, ops: 150 });
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it("completes every operation without faults", () => {
    const r = run({ seed: 1, ops: 300 });
    expect(r.violations).toEqual([]);
    expect(r.stats.opsCompleted).toBe(300);
    expect(r.stats.commandsCommitted).toBeGreaterThanOrEqual(300);
  });

  it("finds no violation in a fixed sweep of seeds under all faults", () => {
    const failures: string[] = [];
    let leaderChanges = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = run({ seed, faults: all, ops: 200 });
      leaderChanges += r.stats.leaderChanges;
      if (r.violations.length > 0) failures.push(`seed ${seed}: ${r.violations.join("; ")}`);
    }
    expect(failures).toEqual([]);
    // The faults must actually bite: leaders change many times over the sweep.
    expect(leaderChanges).toBeGreaterThan(40);
  });

  it("works with one and with five replicas", () => {
    for (const replicas of [1, 5]) {
      for (let seed = 1; seed <= 5; seed++) {
        const r = run({ seed, replicas, faults: all, ops: 120 });
        expect(r.violations, `replicas ${replicas} seed ${seed}`).toEqual([]);
      }
    }
  });

  it.each(["stale-read", "early-ack"] as const)(
    "catches the deliberate bug %s within a few dozen seeds",
    (bug) => {
      let failing: number | null = null;
      for (let seed = 1; seed <= 40 && failing === null; seed++) {
        if (run({ seed, faults: all, bug }).violations.length > 0) failing = seed;
      }
      expect(failing).not.toBeNull();
      // The failing seed replays to the same violations.
      const again = run({ seed: failing!, faults: all, bug });
      const first = run({ seed: failing!, faults: all, bug });
      expect(again.violations).toEqual(first.violations);
      expect(again.violations.join()).toMatch(/linearizability/);
    },
  );
});

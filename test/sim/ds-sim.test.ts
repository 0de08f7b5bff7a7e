// DS-SMR and S-SMR simulations: determinism, seed sweeps under faults, the fallback, a deliberate bug.
import { describe, expect, it } from "vitest";
import { dsKvWorkload } from "../../src/sim/ds-kv-workload.ts";
import { type DsSimOptions, defaultDsSimOptions, runDsSimulation } from "../../src/sim/ds-sim.ts";
import { parseFaults } from "../../src/sim/faults.ts";

const all = parseFaults("all");
const run = (o: Partial<DsSimOptions>) =>
  runDsSimulation({ ...defaultDsSimOptions, ...o }, dsKvWorkload());

describe("DS-SMR simulation", () => {
  it("replays a seed byte for byte", () => {
    const a = run({ seed: 3, faults: all });
    const b = run({ seed: 3, faults: all });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it("moves variables together and stays linearizable without faults", () => {
    const r = run({ seed: 1 });
    expect(r.violations).toEqual([]);
    expect(r.stats.commandsCompleted).toBe(200);
    expect(r.stats.moves).toBeGreaterThan(0);
    expect(r.stats.movesApplied).toBeGreaterThan(0);
    expect(r.stats.cacheHits).toBeGreaterThan(0);
  });

  it("finds no violation in a sweep of seeds under all faults", () => {
    const failures: string[] = [];
    let moves = 0;
    for (let seed = 1; seed <= 15; seed++) {
      const r = run({
        seed,
        faults: all,
        partitions: 2 + (seed % 3),
        policy: seed % 2 ? "random" : "most",
      });
      moves += r.stats.movesApplied;
      if (r.violations.length > 0)
        failures.push(`seed ${seed}: ${r.violations.join("; ").slice(0, 500)}`);
    }
    expect(failures).toEqual([]);
    expect(moves).toBeGreaterThan(50);
  });

  it("always terminates through the S-SMR fallback", () => {
    const failures: string[] = [];
    let fallbacks = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const r = run({ seed, faults: all, partitions: 3, retryThreshold: 0 });
      fallbacks += r.stats.fallbacks;
      if (r.violations.length > 0)
        failures.push(`seed ${seed}: ${r.violations.join("; ").slice(0, 500)}`);
    }
    expect(failures).toEqual([]);
    expect(fallbacks).toBeGreaterThan(20);
  });

  it("runs the S-SMR baseline with static placement and no moves", () => {
    for (let seed = 1; seed <= 6; seed++) {
      const r = run({ seed, mode: "ssmr", partitions: 3, faults: all });
      expect(r.violations, `seed ${seed}`).toEqual([]);
      expect(r.stats.moves).toBe(0);
      expect(r.stats.consults).toBe(0);
      expect(r.stats.multiPartition).toBeGreaterThan(0);
    }
  });

  it("catches the deliberate bug skip-retry within a few seeds, and replays it", () => {
    let failing: number | null = null;
    for (let seed = 1; seed <= 20 && failing === null; seed++) {
      if (run({ seed, bug: "skip-retry" }).violations.length > 0) failing = seed;
    }
    expect(failing).not.toBeNull();
    const a = run({ seed: failing!, bug: "skip-retry" });
    const b = run({ seed: failing!, bug: "skip-retry" });
    expect(a.violations).toEqual(b.violations);
    expect(a.violations.join()).toMatch(/linearizability/);
  });

  // The conflict-aware execution order's own deliberate bugs: each must be caught.
  it("catches the deliberate bug move-no-wait within a few seeds", () => {
    let caught: string | null = null;
    for (let seed = 1; seed <= 10 && caught === null; seed++) {
      const r = run({ seed, bug: "move-no-wait" });
      if (r.violations.length > 0) caught = r.violations.join("; ");
    }
    expect(caught).toMatch(/linearizability|ownership/);
  });

  // ignore-claims shows only when two clients race for one key (a move out of a partition queued
  // behind a move into it of the same key, before the value arrived): rare, so two set-ups and
  // more seeds (here seed 29 of the first, seeds 9 and 20 of the second). The partition-level
  // test in src/core/dssmr/partition.test.ts shows the same bug directly.
  it("catches the deliberate bug ignore-claims in a seed sweep", () => {
    const setups: [Partial<DsSimOptions>, number][] = [
      [{ partitions: 3, clients: 8, policy: "random" }, 40],
      [{ partitions: 4, clients: 12, thinkMs: 5, policy: "random" }, 20],
    ];
    let caught: string | null = null;
    for (const [extra, seeds] of setups) {
      for (let seed = 1; seed <= seeds && caught === null; seed++) {
        const w = extra.partitions === 4 ? dsKvWorkload(4) : dsKvWorkload();
        const r = runDsSimulation(
          { ...defaultDsSimOptions, ...extra, seed, bug: "ignore-claims" },
          w,
        );
        if (r.violations.length > 0) caught = r.violations.join("; ");
      }
    }
    expect(caught).toMatch(/ownership/);
  });
});

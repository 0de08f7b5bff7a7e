// The nemesis's schedule is a pure function of its seed, and every fault hits what its kind says.
import { describe, expect, it } from "vitest";
import { type ChaosTopology, FAULT_KINDS, parseFaultKinds, planFaults } from "./schedule.ts";

const topology: ChaosTopology = {
  oracle: 0,
  groups: [0, 1, 2].map((g) => ({ id: g, replicas: [1, 2, 3].map((i) => g * 100 + i) })),
};
const groupOf = (id: number): number => Math.floor(id / 100);

describe("planFaults", () => {
  it("gives the same schedule for the same seed and another for another seed", () => {
    const a = planFaults(7, 50, FAULT_KINDS, topology);
    expect(planFaults(7, 50, FAULT_KINDS, topology)).toEqual(a);
    expect(planFaults(8, 50, FAULT_KINDS, topology)).not.toEqual(a);
    // A longer run starts with the shorter one's faults.
    expect(planFaults(7, 80, FAULT_KINDS, topology).slice(0, 50)).toEqual(a);
  });

  it("targets what each kind names", () => {
    const plans = planFaults(3, 400, FAULT_KINDS, topology);
    expect(new Set(plans.map((p) => p.kind))).toEqual(new Set(FAULT_KINDS));
    for (const p of plans) {
      const groups = new Set(p.replicas.map(groupOf));
      switch (p.kind) {
        case "kill":
        case "pause":
          expect(p.replicas).toHaveLength(1);
          break;
        case "leader":
        case "pause-leader":
          expect(p.replicas).toEqual([]);
          expect(p.leaderOf).not.toBeNull();
          break;
        case "oracle":
          expect(groups).toEqual(new Set([0]));
          break;
        case "two-groups":
          expect(groups.size).toBe(2);
          break;
        case "majority":
          expect(new Set(p.replicas).size).toBe(2);
          expect(groups.size).toBe(1);
          break;
      }
      expect(p.downMs).toBeGreaterThanOrEqual(500);
      expect(p.downMs).toBeLessThanOrEqual(2_000);
    }
  });

  it("parses the fault list and refuses unknown faults", () => {
    expect(parseFaultKinds("all")).toEqual([...FAULT_KINDS]);
    expect(parseFaultKinds("kill, pause,kill")).toEqual(["kill", "pause"]);
    expect(() => parseFaultKinds("kill,flood")).toThrow(/unknown fault "flood"/);
  });
});

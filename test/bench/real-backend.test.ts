// The real back end's pure parts (config, /proc CPU, calibration table) and the simulator's cluster-demo workload; one real run is opt-in.
import { describe, expect, it } from "vitest";
import {
  calibratedCostModel,
  modeledCpuMsPerCommand,
  scaledCostModel,
} from "../../src/bench/calibrated-cost.ts";
import { type PaperRunSpec, runPaperSpec } from "../../src/bench/paper-bench.ts";
import { label } from "../../src/bench/paper-report.ts";
import { benchClusterConfig, procCpuMs, realBackend } from "../../src/bench/real-backend.ts";
import { CALIBRATED_LABEL, formatCpu } from "../../src/bench/real-sweep.ts";
import { simBackend } from "../../src/bench/sim-backend.ts";

const spec: PaperRunSpec = {
  mode: "dssmr",
  workload: "mix",
  partitions: 2,
  locality: "strong",
  crossFraction: 0,
  users: 200,
  clientsPerPartition: 2,
  durationMs: 400,
  windowMs: 100,
  warmupFraction: 0.5,
  policy: "most",
  retryThreshold: 3,
  seed: 1,
  graphSeed: 7,
};

describe("real back end, pure parts", () => {
  it("builds the cluster config of a spec without opening sockets", async () => {
    const c = await benchClusterConfig(spec, true, 3, 20_000);
    expect(c.mode).toBe("dssmr");
    expect(c.groups.map((g) => g.id)).toEqual([0, 1, 2]);
    expect(c.groups.every((g) => g.replicas.length === 3)).toBe(true);
    expect(c.tunables.memory).toBe(true);
    expect(c.tunables.policy).toBe("most");
    expect(c.demo).toMatchObject({ users: 200, seed: 7 });
    expect(c.secret).toBeDefined();
    const s = await benchClusterConfig({ ...spec, mode: "ssmr" }, false, 1, 20_000);
    expect(s.groups.map((g) => g.id)).toEqual([1, 2]);
    expect(s.tunables.memory).toBe(false);
  });

  it("reads a process's CPU time from /proc", () => {
    const ms = procCpuMs(process.pid, 100);
    if (ms === null) return; // not Linux
    expect(ms).toBeGreaterThan(0);
    expect(procCpuMs(2 ** 30, 100)).toBeNull();
  });

  it("refuses weak locality and labels its figures REAL", async () => {
    const b = realBackend({ memory: true });
    expect(b.simulated).toBe(false);
    expect(b.label).toContain("REAL");
    await expect(b.run({ ...spec, locality: "weak", crossFraction: 0.2 })).rejects.toThrow(
      /strong locality/,
    );
  });
});

describe("simulator on the real cluster's workload", () => {
  it("runs the cluster-demo workload, labelled, with the calibrated model", async () => {
    const b = simBackend({
      workload: "cluster-demo",
      cost: calibratedCostModel,
      label: CALIBRATED_LABEL,
    });
    const r = await runPaperSpec(spec, b);
    expect(r.completed).toBeGreaterThan(0);
    expect(label(r)).toBe(CALIBRATED_LABEL);
    // Users start in their community's partition: nothing needs to move under strong locality.
    expect(r.moves).toBe(0);
    const lines = formatCpu([{ ...r, extra: { ...r.extra, replicaCpuMsPerCmd: 0.25 } }]);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain("0.250");
  });

  it("charges CPU per command from message counts, and scales models", () => {
    const cost = { cpuPerInput: 0.01, cpuPerCommand: 0.002, cpuPerSend: 0.005, fsyncLatency: 0.45 };
    // 10 raft + 2 client messages for 1 command at 3 replicas: 11 * 0.015 + 3 * 0.002.
    const t = {
      raftMessages: 10,
      interGroupMessages: 0,
      clientMessages: 2,
      completed: 1,
      consults: 0,
      replicas: 3,
    };
    expect(modeledCpuMsPerCommand(cost, t)).toBeCloseTo(0.171);
    expect(modeledCpuMsPerCommand(cost, { ...t, completed: 0 })).toBe(0);
    const s = scaledCostModel(cost, 2, 0.35);
    expect(s.cpuPerInput).toBeCloseTo(0.02);
    expect(s.fsyncLatency).toBe(0.35);
  });
});

// One short run on real processes: slow (starts 9 replica processes), so opt-in.
describe.runIf(process.env.DSSMR_REAL_BENCH === "1")("real back end, processes", () => {
  it("runs Timeline on one partition and measures CPU per command", async () => {
    const r = await runPaperSpec(
      { ...spec, workload: "timeline", partitions: 1, durationMs: 2_000, windowMs: 500 },
      realBackend({ memory: true }),
    );
    expect(r.completed).toBeGreaterThan(0);
    expect(r.extra.replicaCpuMsPerCmd).toBeGreaterThan(0);
    expect(r.extra.errors).toBe(0);
  }, 120_000);
});

// The simulator's cost model calibrated against real runs on this 2-core machine (see docs/evaluation.md).
import type { CostModel } from "../sim/cost.ts";

/** Calibrated service times (ms); placeholder until the real sweep has run. */
export const calibratedCostModel: CostModel = {
  cpuPerInput: 0.01,
  cpuPerCommand: 0.002,
  cpuPerSend: 0.005,
  fsyncLatency: 0.35,
};

// The simulator's cost model calibrated against real runs on this 2-core machine (see docs/evaluation.md).
import { type CostModel, defaultCostModel } from "../sim/cost.ts";

/** The simulator's message counters of one run (RunObservation.extra of the sim back end). */
export interface SimTraffic {
  readonly raftMessages: number;
  readonly interGroupMessages: number;
  /** Client requests and replies together. */
  readonly clientMessages: number;
  /** Commands completed over the whole run. */
  readonly completed: number;
  /** Oracle consults over the whole run (DS-SMR; 0 for S-SMR). */
  readonly consults: number;
  readonly replicas: number;
}

/**
 * CPU time per completed command that `cost` charges, summed over every replica: each message a
 * replica receives is an input and each it sends a send (client requests are inputs, replies
 * sends: half of clientMessages each), and every replica of a group applies each command (a
 * consult is one more command, at the oracle). Ticks (one input per 10 ms per replica) are left
 * out: they cost well under 1% here. Batching is in the counts: the simulator sends fewer
 * messages per command when entries carry many commands.
 */
export function modeledCpuMsPerCommand(cost: CostModel, t: SimTraffic): number {
  if (t.completed <= 0) return 0;
  const msgs = t.raftMessages + t.interGroupMessages + t.clientMessages / 2;
  const applied = (t.completed + t.consults) * t.replicas;
  return (msgs * (cost.cpuPerInput + cost.cpuPerSend) + applied * cost.cpuPerCommand) / t.completed;
}

/** A cost model whose CPU times are `factor` times `base`'s; fsync latency replaced. */
export function scaledCostModel(base: CostModel, factor: number, fsyncLatency: number): CostModel {
  return {
    cpuPerInput: base.cpuPerInput * factor,
    cpuPerCommand: base.cpuPerCommand * factor,
    cpuPerSend: base.cpuPerSend * factor,
    fsyncLatency,
  };
}

/**
 * Real CPU per command / the default model's: the median over the 8 real configurations with
 * fsync (1 and 2 partitions, Timeline and Mix, DS-SMR and S-SMR; each real figure a median of 3
 * runs), 3.8 to 9.0 across them (Mix costs more than the model's flat per-command charge: a
 * post fans out to up to 1,000 timelines). See docs/evaluation.md, "Calibration".
 */
export const CPU_FACTOR = 5.85;

/** fdatasync p50 on this machine's disk (src/storage/wal-bench.ts). */
export const MEASURED_FSYNC_MS = 0.35;

/**
 * The calibrated model: the default's CPU times scaled by CPU_FACTOR (measured real CPU per
 * command over the default model's), fsync at the measured fdatasync p50. It still gives every
 * replica a core of its own (the simulator has no shared host CPU): it models a deployment on
 * dedicated machines, not the 2-core host.
 */
export const calibratedCostModel: CostModel = scaledCostModel(
  defaultCostModel,
  CPU_FACTOR,
  MEASURED_FSYNC_MS,
);

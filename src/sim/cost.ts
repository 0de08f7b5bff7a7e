// The simulator's cost model: CPU time a replica spends per input and per command, and fsync latency.

/**
 * Service times in simulated milliseconds. A replica is one server: while it handles a batch of
 * inputs and waits for its fsync it handles nothing else, so queueing, batching and saturation
 * appear in simulated runs as they do in real ones.
 */
export interface CostModel {
  /** CPU time to handle one input (a message, a tick or a client request). */
  readonly cpuPerInput: number;
  /** CPU time to apply one command. */
  readonly cpuPerCommand: number;
  /** CPU time to send one message. */
  readonly cpuPerSend: number;
  /** Time one fsync takes (the replica waits for it before sending). */
  readonly fsyncLatency: number;
}

/** Defaults in the range measured on a 2-core machine with a local SSD (fsync about 0.45 ms). */
export const defaultCostModel: CostModel = {
  cpuPerInput: 0.01,
  cpuPerCommand: 0.002,
  cpuPerSend: 0.005,
  fsyncLatency: 0.45,
};

// Reconnect delays: exponential, capped, jittered.

/** Bounds of the reconnect delay, in milliseconds. */
export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
}

/**
 * Delay before reconnect attempt number `attempt` (0 for the first retry): min·2^attempt capped
 * at max, then scaled by a factor in [0.5, 1) so that peers that lost each other at the same
 * moment do not retry in lockstep.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number,
): number {
  const raw = Math.min(options.maxMs, options.minMs * 2 ** Math.min(attempt, 30));
  return raw * (0.5 + random() / 2);
}

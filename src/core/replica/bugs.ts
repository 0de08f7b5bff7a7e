// Deliberate bugs that the simulator must catch: proof that the checkers can fail.

/** Names of the deliberate bugs a replica can be built with. */
export const BUG_NAMES = ["stale-read", "early-ack"] as const;

/**
 * - `stale-read`: any replica answers read-only commands from its local state at once, without
 *   ordering them through the log.
 * - `early-ack`: the leader acknowledges a write as soon as it proposes it, before it commits.
 */
export type BugName = (typeof BUG_NAMES)[number];

/** Narrows a string to a BugName. */
export function isBugName(name: string): name is BugName {
  return (BUG_NAMES as readonly string[]).includes(name);
}

// Timestamps (t, g) and the total orders built on them.
import type { ClientId } from "../ids.ts";
import type { Timestamp } from "./types.ts";

/** Lexicographic order on (t, g): negative when a < b, 0 when equal, positive when a > b. */
export function compareTs(a: Timestamp, b: Timestamp): number {
  return a.t - b.t || a.g - b.g;
}

/** The larger of two timestamps (the final timestamp is the max over the dests' proposals). */
export function maxTs(a: Timestamp, b: Timestamp): Timestamp {
  return compareTs(a, b) >= 0 ? a : b;
}

/**
 * The delivery order: (t, g, client, seq), lexicographic. Within one run a timestamp (t, g) is
 * assigned to one message only (group g's clock grows on every activation), so the message id
 * never decides in a correct run; it makes the order total even under the early-delivery bug.
 */
export function compareDelivery(
  a: Timestamp,
  aClient: ClientId,
  aSeq: number,
  b: Timestamp,
  bClient: ClientId,
  bSeq: number,
): number {
  return compareTs(a, b) || aClient - bClient || aSeq - bSeq;
}

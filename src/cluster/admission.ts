// What a replica refuses before logging it: oversized requests and commands, and malformed commands.
import type { PartitionedApp } from "../core/dssmr/app.ts";
import type { DsPayload, DsReply } from "../core/dssmr/types.ts";
import type { McastRequest, McastResponse } from "../core/group/wire.ts";
import type { GroupId } from "../core/ids.ts";
import {
  maxRequestBytes,
  type Oversize,
  oversize,
  oversizeReason,
  type SizeLimits,
} from "./limits.ts";

/**
 * The admission check of a DS-SMR replica of `group` (a NodeRuntime `admit` hook): refuses,
 * with an `invalid` answer the client turns into CommandTooLargeError (or InvalidCommandError),
 * a request over {@link maxRequestBytes}, a command or value over the limits, and a command the
 * app's `validate` rejects. The same checks run in the client before it sends, so only a client
 * with other limits or one that skips them meets a refusal here; nothing of it is logged, so one
 * huge request costs the group no log space, no replication and no election.
 *
 * A refused message never enters its client's FIFO chain at the group, so that client's later
 * messages there (whose `prev` names it) would wait for ever: the answer says it was refused on
 * receipt ({@link receiptRefusal}) and DsClient then replaces that session with a fresh one.
 * (Refusing by logging a small stand-in instead would keep the chain, but every destination
 * would have to substitute the same one, and a request may reach a group by another path.)
 * Delivery still validates every command (`malformed`), identically at
 * every destination; this check only keeps the bad ones out of the log. Sizes are not checked
 * at delivery: replicas whose configs disagree would then disagree on the outcome.
 */
export function dsAdmission<Cmd>(
  app: PartitionedApp<Cmd, unknown, unknown>,
  group: GroupId,
  limits: SizeLimits,
): (req: McastRequest<DsPayload<Cmd>>, bytes: number) => McastResponse<DsReply<never>> | null {
  const requestLimit = maxRequestBytes(limits);
  return (req, bytes) => {
    const { msg } = req;
    const refuse = (why: string): McastResponse<DsReply<never>> => ({
      type: "mcast-reply",
      group,
      client: msg.client,
      seq: msg.seq,
      result: { type: "invalid", reason: receiptRefusal(why) },
    });
    if (bytes > requestLimit) {
      return refuse(oversizeReason({ what: "command", bytes, limit: limits.maxCommandBytes }));
    }
    const p = msg.payload as unknown;
    if (typeof p !== "object" || p === null || !("cmd" in p)) return null; // delivery judges it
    const cmd = (p as { cmd: unknown }).cmd;
    const why = app.validate(cmd);
    if (why !== null) return refuse(why);
    // Nothing in a request is larger than the request: small ones need no measuring.
    if (bytes <= limits.maxValueBytes) return null;
    const big: Oversize | null = oversize(cmd, limits);
    return big === null ? null : refuse(oversizeReason(big));
  };
}

const REFUSED = "refused before logging: ";

/**
 * The `invalid` reason of a request refused on receipt. The client must tell it from a refusal
 * at delivery: this one left a hole in its FIFO chain (see {@link dsAdmission}), so the wording
 * is part of the protocol.
 */
export function receiptRefusal(why: string): string {
  return `${REFUSED}${why}`;
}

/** Why a request was refused on receipt, or null when `reason` is not such a refusal. */
export function parseReceiptRefusal(reason: string): string | null {
  return reason.startsWith(REFUSED) ? reason.slice(REFUSED.length) : null;
}

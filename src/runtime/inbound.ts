// Sorts what arrives from the network into the replica's inputs, dropping anything malformed.
import type { GroupRaftMessage } from "../core/group/group-replica.ts";
import type { InterGroupMessage, McastRequest } from "../core/group/wire.ts";
import type { ReplicaId } from "../core/ids.ts";
import type { StatusRequest } from "./status.ts";

/** One input for a replica, or a status request the runtime answers itself. */
export type Inbound<P, R, Res, Snap> =
  | { readonly kind: "step"; readonly msg: GroupRaftMessage<P, R, Res, Snap> }
  | { readonly kind: "request"; readonly req: McastRequest<P> }
  | { readonly kind: "receive"; readonly msg: InterGroupMessage<P, R>; readonly from: ReplicaId }
  | { readonly kind: "status"; readonly req: StatusRequest; readonly from: number };

const RAFT_TYPES: ReadonlySet<string> = new Set([
  "prevote",
  "prevote-reply",
  "vote",
  "vote-reply",
  "append",
  "append-reply",
  "snapshot",
  "snapshot-reply",
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** Who may send what: members of this group talk consensus, other replicas talk channels. */
export interface SenderRoles {
  isMember(id: number): boolean;
  isReplica(id: number): boolean;
}

/**
 * Classifies `msg` from transport sender `from`, or returns null to drop it: an unknown type, a
 * consensus message from a non-member or claiming another sender, a channel message from a
 * non-replica, or a request without the shape the core's validation expects (arrays where it
 * indexes). Deeper validation (sorted destinations, seq ranges) is the core's.
 */
export function classify<P, R, Res, Snap>(
  from: number,
  msg: unknown,
  roles: SenderRoles,
): Inbound<P, R, Res, Snap> | null {
  if (!isObject(msg) || typeof msg.type !== "string") return null;
  const type = msg.type;
  if (RAFT_TYPES.has(type)) {
    if (!roles.isMember(from) || msg.from !== from || !Number.isInteger(msg.term)) return null;
    return { kind: "step", msg: msg as unknown as GroupRaftMessage<P, R, Res, Snap> };
  }
  if (type === "mcast") {
    const m = msg.msg;
    if (!isObject(m) || !Array.isArray(m.dests) || !Array.isArray(m.prev)) return null;
    return { kind: "request", req: msg as unknown as McastRequest<P> };
  }
  if (type === "channel" || type === "channel-ack") {
    if (!roles.isReplica(from) || !Number.isInteger(msg.from) || !Number.isInteger(msg.to)) {
      return null;
    }
    if (type === "channel" && (!Array.isArray(msg.bodies) || !Number.isInteger(msg.firstSeq))) {
      return null;
    }
    return {
      kind: "receive",
      msg: msg as unknown as InterGroupMessage<P, R>,
      from: from as ReplicaId,
    };
  }
  if (type === "status" && Number.isInteger(msg.id)) {
    return { kind: "status", req: msg as unknown as StatusRequest, from };
  }
  return null;
}

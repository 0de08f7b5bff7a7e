// Sorts what arrives from the network into the replica's inputs, dropping anything malformed.
import type { GroupRaftMessage } from "../core/group/group-replica.ts";
import type { InterGroupMessage, McastRequest, QueryRequest } from "../core/group/wire.ts";
import type { ReplicaId } from "../core/ids.ts";
import { validateMessage } from "../core/multicast/message.ts";
import type { McastMessage } from "../core/multicast/types.ts";
import type { StatusRequest } from "./status.ts";

/** One input for a replica, or a status request the runtime answers itself. */
export type Inbound<P, R, Res, Snap> =
  | { readonly kind: "step"; readonly msg: GroupRaftMessage<P, R, Res, Snap> }
  | { readonly kind: "request"; readonly req: McastRequest<P> }
  | { readonly kind: "query"; readonly req: QueryRequest<P> }
  | { readonly kind: "receive"; readonly msg: InterGroupMessage<P, R>; readonly from: ReplicaId }
  | { readonly kind: "status"; readonly req: StatusRequest; readonly from: number };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** A non-negative safe integer (ids, terms, indexes, sequence numbers). */
const isNat = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

const isNatArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNat);

/**
 * An append's entries are well formed on their own: each has integer term and index and a
 * command array, indexes run on from `prevIndex`, and terms never go down, start at `prevTerm`
 * or later and end at the message's term or earlier (index 0 has term 0). (What the core asserts about entries it
 * cannot check without its log, e.g. agreement with committed ones, it trusts members for.)
 */
function entriesWellFormed(m: Record<string, unknown>): boolean {
  const entries = m.entries;
  if (!Array.isArray(entries) || !isNat(m.prevIndex) || !isNat(m.prevTerm) || !isNat(m.term)) {
    return false;
  }
  if (m.prevTerm > m.term || (m.prevIndex === 0 && m.prevTerm !== 0)) return false;
  let index = m.prevIndex;
  let term = m.prevTerm;
  for (const e of entries) {
    if (!isObject(e) || !isNat(e.term) || !isNat(e.index) || !Array.isArray(e.cmds)) return false;
    if (e.index !== index + 1 || e.term < term || e.term > m.term) return false;
    index = e.index;
    term = e.term;
  }
  return true;
}

/** Field checks of each consensus message type, beyond the common from/to/term. */
const RAFT_SHAPES: ReadonlyMap<string, (m: Record<string, unknown>) => boolean> = new Map([
  ["prevote", (m) => isNat(m.lastIndex) && isNat(m.lastTerm)],
  ["vote", (m) => isNat(m.lastIndex) && isNat(m.lastTerm)],
  ["prevote-reply", (m) => typeof m.granted === "boolean"],
  ["vote-reply", (m) => typeof m.granted === "boolean"],
  ["append", (m) => isNat(m.commit) && entriesWellFormed(m)],
  [
    "append-reply",
    (m) =>
      typeof m.success === "boolean" &&
      isNat(m.index) &&
      (m.hintTerm === undefined || isNat(m.hintTerm)),
  ],
  [
    "snapshot",
    (m) =>
      isObject(m.snapshot) &&
      isObject(m.snapshot.meta) &&
      isNat(m.snapshot.meta.index) &&
      isNat(m.snapshot.meta.term) &&
      "data" in m.snapshot,
  ],
  ["snapshot-reply", (m) => isNat(m.index)],
]);

/** A client's multicast message with the field types the core's checks rely on, well formed. */
const isMcastMessage = (m: unknown): boolean =>
  isObject(m) &&
  isNat(m.client) &&
  isNat(m.seq) &&
  isNatArray(m.dests) &&
  isNatArray(m.prev) &&
  validateMessage(m as unknown as McastMessage<unknown>) === null;

/** Who may send what: members of this group talk consensus, other replicas talk channels. */
export interface SenderRoles {
  isMember(id: number): boolean;
  isReplica(id: number): boolean;
}

/**
 * Classifies `msg` from transport sender `from`, or returns null to drop it: an unknown type, a
 * consensus message from a non-member, claiming another sender or missing a field (a number
 * where the core computes, an array where it iterates), a channel message from a non-replica or
 * without its fields, a status request without an id, or a multicast request that is not well
 * formed (integer client and seq, sorted integer destinations, matching prev). It never throws
 * and never looks inside application payloads: replicas of other groups and members are trusted
 * (crash faults only; a cluster secret keeps others out), and payloads are the application's to
 * validate when they are delivered.
 */
export function classify<P, R, Res, Snap>(
  from: number,
  msg: unknown,
  roles: SenderRoles,
): Inbound<P, R, Res, Snap> | null {
  if (!isObject(msg) || typeof msg.type !== "string") return null;
  const type = msg.type;
  const raftShape = RAFT_SHAPES.get(type);
  if (raftShape !== undefined) {
    if (!roles.isMember(from) || msg.from !== from) return null;
    if (!isNat(msg.to) || !isNat(msg.term) || !raftShape(msg)) return null;
    return { kind: "step", msg: msg as unknown as GroupRaftMessage<P, R, Res, Snap> };
  }
  if (type === "mcast") {
    if (!isMcastMessage(msg.msg)) return null;
    return { kind: "request", req: msg as unknown as McastRequest<P> };
  }
  if (type === "query") {
    // The app checks the payload; the envelope must name a client and an id.
    if (!isNat(msg.client) || !isNat(msg.id) || !("payload" in msg)) return null;
    return { kind: "query", req: msg as unknown as QueryRequest<P> };
  }
  if (type === "channel" || type === "channel-ack") {
    if (!roles.isReplica(from) || !isNat(msg.from) || !isNat(msg.to)) return null;
    if (type === "channel" && (!Array.isArray(msg.bodies) || !isNat(msg.firstSeq))) return null;
    if (
      type === "channel-ack" &&
      (!isNat(msg.upTo) || !(msg.leader === null || isNat(msg.leader)))
    ) {
      return null;
    }
    return {
      kind: "receive",
      msg: msg as unknown as InterGroupMessage<P, R>,
      from: from as ReplicaId,
    };
  }
  if (type === "status" && isNat(msg.id)) {
    return { kind: "status", req: msg as unknown as StatusRequest, from };
  }
  return null;
}

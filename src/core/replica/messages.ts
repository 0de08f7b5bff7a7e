// Messages between clients and the replicas of a group.
import type { ClientId, ReplicaId } from "../ids.ts";

/** A command as clients submit it: (client, seq) identifies it across retransmissions. */
export interface Command<Op> {
  readonly client: ClientId;
  readonly seq: number;
  readonly op: Op;
}

/** A client asks a replica to execute a command. */
export interface ClientRequest<Op> extends Command<Op> {
  readonly type: "request";
}

/** What a replica answers a client. */
export type ClientResponse<Res> =
  | {
      readonly type: "reply";
      readonly client: ClientId;
      readonly seq: number;
      readonly result: Res;
    }
  | {
      /** This replica cannot order commands now; try `leader` (null when unknown). */
      readonly type: "redirect";
      readonly client: ClientId;
      readonly seq: number;
      readonly leader: ReplicaId | null;
    };

// Messages that cross between clients and groups and between groups' leaders.
import type { ClientId, GroupId, ReplicaId } from "../ids.ts";
import type { ChannelBody, McastMessage } from "../multicast/types.ts";

/** A client asks a group to order a multicast message (sent to one replica of each destination). */
export interface McastRequest<P> {
  readonly type: "mcast";
  readonly msg: McastMessage<P>;
}

/**
 * A client asks one replica a question its app may answer from its current state, outside the
 * log (a hint that need not be linearizable, e.g. where variables live). `id` matches the answer.
 */
export interface QueryRequest<P> {
  readonly type: "query";
  readonly client: ClientId;
  readonly id: number;
  readonly payload: P;
}

/** The answer to a query; `result` null when the question must be ordered through the log. */
export interface QueryResponse<Res> {
  readonly type: "query-reply";
  readonly group: GroupId;
  readonly client: ClientId;
  readonly id: number;
  readonly result: Res | null;
}

/** What a group answers a client. */
export type McastResponse<Res> =
  | {
      readonly type: "mcast-reply";
      readonly group: GroupId;
      readonly client: ClientId;
      readonly seq: number;
      readonly result: Res;
    }
  | {
      /** This replica does not lead its group; try `leader` (null when unknown). */
      readonly type: "mcast-redirect";
      readonly group: GroupId;
      readonly client: ClientId;
      readonly seq: number;
      readonly leader: ReplicaId | null;
    };

/** Leader to leader: channel messages `firstSeq ..` from group `from` to group `to`. */
export interface ChannelBatch<P, R> {
  readonly type: "channel";
  readonly from: GroupId;
  readonly to: GroupId;
  readonly firstSeq: number;
  readonly bodies: readonly ChannelBody<P, R>[];
}

/**
 * Answer to a channel batch: group `from` has appended the channel from `to` up to `upTo`.
 * `leader` tells the sender where to send next time.
 */
export interface ChannelAck {
  readonly type: "channel-ack";
  readonly from: GroupId;
  readonly to: GroupId;
  readonly upTo: number;
  readonly leader: ReplicaId | null;
}

/** Everything that travels between replicas of different groups. */
export type InterGroupMessage<P, R> = ChannelBatch<P, R> | ChannelAck;

// Adapts a group replica to the simulator's node driver: inputs are routed by message type.
import type {
  GroupAdvance,
  GroupRaftMessage,
  GroupReady,
  GroupReplica,
  GroupSnapshot,
} from "../core/group/group-replica.ts";
import type { InterGroupMessage, McastRequest, QueryRequest } from "../core/group/wire.ts";
import type { ReplicaId } from "../core/ids.ts";
import type { McastCommand } from "../core/multicast/types.ts";
import type { DrivenReplica } from "./sim-node.ts";

/** Anything a group replica can receive, with its sender. */
export interface GroupInput<P, R, Res, Snap> {
  readonly from: number;
  readonly msg:
    | GroupRaftMessage<P, R, Res, Snap>
    | McastRequest<P>
    | QueryRequest<P>
    | InterGroupMessage<P, R>;
}

/** A group replica behind the simulator's DrivenReplica interface. */
export class DrivenGroupReplica<P, R, Res, Snap>
  implements
    DrivenReplica<
      GroupInput<P, R, Res, Snap>,
      McastCommand<P, R>,
      GroupSnapshot<P, R, Res, Snap>,
      GroupReady<P, R, Res, Snap>,
      GroupAdvance<P, R, Res>
    >
{
  readonly core: GroupReplica<P, R, Res, Snap>;

  constructor(core: GroupReplica<P, R, Res, Snap>) {
    this.core = core;
  }

  tick(): void {
    this.core.tick();
  }

  input({ from, msg }: GroupInput<P, R, Res, Snap>): void {
    if (msg.type === "mcast") this.core.request(msg);
    else if (msg.type === "query") this.core.query(msg);
    else if (msg.type === "channel" || msg.type === "channel-ack") {
      this.core.receive(msg, from as ReplicaId);
    } else this.core.step(msg);
  }

  hasReady(): boolean {
    return this.core.hasReady();
  }

  ready(): GroupReady<P, R, Res, Snap> {
    return this.core.ready();
  }

  advance(rd: GroupReady<P, R, Res, Snap>): GroupAdvance<P, R, Res> {
    return this.core.advance(rd);
  }
}

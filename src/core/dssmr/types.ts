// DS-SMR vocabulary: variables, partitions, the messages clients multicast and groups relay.
import type { ClientId, GroupId } from "../ids.ts";
import { groupId } from "../ids.ts";

/** The name of a partitioned variable (a Chirper user, a key of the KV store). */
export type VarId = string;

/** A partition is a group; group 0 is the oracle. */
export type PartitionId = GroupId;

/** The oracle's group. */
export const ORACLE: GroupId = groupId(0);

/** How multi-partition commands are handled. */
export type Mode = "dssmr" | "ssmr";

/** A command's id: the (client, seq) of the multicast message that carries it. */
export interface CommandRef {
  readonly client: ClientId;
  readonly seq: number;
}

/**
 * What a client multicasts (the payload of an atomic multicast message). `Cmd` is the
 * application's command type.
 */
export type DsPayload<Cmd> =
  /** Where are these variables? To the oracle only. */
  | { readonly type: "consult"; readonly cmd: Cmd; readonly vars: readonly VarId[] }
  /** Run the command here; every variable should be local. To one partition. */
  | { readonly type: "access"; readonly cmd: Cmd; readonly vars: readonly VarId[] }
  /**
   * Move variables from one partition to another (one message for every variable a command needs
   * from that source: moves are batched). To the oracle, the source and the destination.
   */
  | {
      readonly type: "move";
      readonly variables: readonly VarId[];
      readonly from: PartitionId;
      readonly to: PartitionId;
    }
  /** Create a variable in a partition. To the oracle and that partition. */
  | {
      readonly type: "create";
      readonly cmd: Cmd;
      readonly variable: VarId;
      readonly partition: PartitionId;
    }
  /** Delete a variable from a partition. To the oracle and that partition. */
  | {
      readonly type: "delete";
      readonly cmd: Cmd;
      readonly variable: VarId;
      readonly partition: PartitionId;
    }
  /**
   * Execute S-SMR style at every destination partition (the fallback, to all partitions; or
   * S-SMR mode, to the partitions of the variables), plus the oracle for create and delete.
   */
  | { readonly type: "global"; readonly cmd: Cmd; readonly vars: readonly VarId[] };

/**
 * What groups send each other over the reliable channel, about command `ref`. A value or an
 * outcome also counts as the sender's signal (execution atomicity).
 */
export type DsRelay<Val> =
  /** The sender has started executing the command. */
  | { readonly type: "signal"; readonly ref: CommandRef }
  /** The sender's values of the command's variables (null: the sender does not hold it). */
  | {
      readonly type: "value";
      readonly ref: CommandRef;
      readonly values: readonly (readonly [VarId, Val | null])[];
    }
  /** The oracle's decision on a create or delete; for a create, where the variable goes. */
  | {
      readonly type: "outcome";
      readonly ref: CommandRef;
      readonly ok: boolean;
      readonly partition: PartitionId | null;
    };

/** Where the oracle says variables are (a prophecy), or a decision that ends the command. */
export type Prophecy =
  | {
      readonly kind: "locations";
      readonly locations: readonly (readonly [VarId, PartitionId])[];
      /** Variables each partition holds, by the oracle's map (absent from old replies). */
      readonly loads?: readonly (readonly [PartitionId, number])[];
    }
  /** A create: the variable is new; create it here. */
  | { readonly kind: "place"; readonly partition: PartitionId }
  /** A delete of a mapped variable: it lives here. */
  | { readonly kind: "owner"; readonly partition: PartitionId }
  /** Access to an unknown variable (names it) or create of an existing one: the command fails. */
  | { readonly kind: "nok"; readonly variable: VarId }
  /** Delete of an unknown variable: nothing to do, the command succeeds. */
  | { readonly kind: "ok" };

/** What a group answers a client. */
export type DsReply<Res> =
  /** The command's result. */
  | { readonly type: "result"; readonly result: Res }
  /**
   * A variable was not local: retry with at least the variables `needs`. `missing` names the
   * variables that were not here (absent from old replies); `hints` says where some of them went
   * (this partition moved them out), so the client can route again without asking the oracle.
   */
  | {
      readonly type: "retry";
      readonly needs: readonly VarId[];
      readonly missing?: readonly VarId[];
      readonly hints?: readonly (readonly [VarId, PartitionId])[];
    }
  /** The oracle's answer to a consult. */
  | { readonly type: "prophecy"; readonly prophecy: Prophecy }
  /** A destination processed a message whose answer comes from elsewhere (moves, create at P). */
  | { readonly type: "done" }
  /** The message was malformed (every destination rejects it the same way; nothing changed). */
  | { readonly type: "invalid"; readonly reason: string };

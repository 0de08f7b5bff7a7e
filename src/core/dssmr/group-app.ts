// One application type for every DS-SMR group: the oracle for group 0, a partition otherwise.
import type { GroupApp, GroupContext } from "../group/app.ts";
import type { GroupId } from "../ids.ts";
import type { McastMessage, Timestamp } from "../multicast/types.ts";
import type { PartitionedApp } from "./app.ts";
import { OracleApp, type OracleSnapshot } from "./oracle.ts";
import { type DsDeployment, PartitionApp, type PartitionSnapshot } from "./partition.ts";
import {
  type DsPayload,
  type DsRelay,
  type DsReply,
  ORACLE,
  type PartitionId,
  type VarId,
} from "./types.ts";

/** A DS-SMR group's snapshot, tagged with the group's role. */
export type DsGroupSnapshot<Cmd, Val> =
  | { readonly role: "oracle"; readonly state: OracleSnapshot<Cmd, Val> }
  | { readonly role: "partition"; readonly state: PartitionSnapshot<Cmd, Val> };

/** Variables present at boot and where they live. */
export interface InitialState<Val> {
  readonly variables: readonly (readonly [VarId, PartitionId, Val])[];
}

/** The GroupApp of a DS-SMR group. */
export type DsGroupApp<Cmd, Res, Val> = GroupApp<
  DsPayload<Cmd>,
  DsRelay<Val>,
  DsReply<Res>,
  DsGroupSnapshot<Cmd, Val>
> & {
  /** The oracle or partition behind it (read-only use: status, tests). */
  readonly inner: OracleApp<Cmd, Res, Val> | PartitionApp<Cmd, Res, Val>;
};

/** Builds the app of group `group`: the oracle (group 0) or partition `group`. */
export function createDsGroupApp<Cmd, Res, Val>(
  group: GroupId,
  app: PartitionedApp<Cmd, Res, Val>,
  deployment: DsDeployment,
  initial: InitialState<Val> = { variables: [] },
): DsGroupApp<Cmd, Res, Val> {
  type Ctx = GroupContext<DsRelay<Val>, DsReply<Res>>;
  if (group === ORACLE) {
    const oracle = new OracleApp<Cmd, Res, Val>(
      group,
      app,
      deployment,
      initial.variables.map(([v, p]) => [v, p] as const),
    );
    return {
      inner: oracle,
      deliver: (m: McastMessage<DsPayload<Cmd>>, ts: Timestamp, ctx: Ctx) =>
        oracle.deliver(m, ts, ctx),
      receive: (from: GroupId, r: DsRelay<Val>, ctx: Ctx) => oracle.receive(from, r, ctx),
      query: (payload: DsPayload<Cmd>) => oracle.query(payload),
      snapshot: () => ({ role: "oracle", state: oracle.snapshot() }),
      restore: (s: DsGroupSnapshot<Cmd, Val>) => {
        if (s.role === "oracle") oracle.restore(s.state);
      },
    };
  }
  const partition = new PartitionApp<Cmd, Res, Val>(
    group,
    app,
    deployment,
    initial.variables.filter(([, p]) => p === group).map(([v, , value]) => [v, value] as const),
  );
  return {
    inner: partition,
    deliver: (m: McastMessage<DsPayload<Cmd>>, ts: Timestamp, ctx: Ctx) =>
      partition.deliver(m, ts, ctx),
    receive: (from: GroupId, r: DsRelay<Val>, ctx: Ctx) => partition.receive(from, r, ctx),
    snapshot: () => ({ role: "partition", state: partition.snapshot() }),
    restore: (s: DsGroupSnapshot<Cmd, Val>) => {
      if (s.role === "partition") partition.restore(s.state);
    },
  };
}

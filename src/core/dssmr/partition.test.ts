// Unit tests of a partition's execution order: a move into the partition reserves its variables.
import { describe, expect, it } from "vitest";
import { createDsKv } from "../../apps/kv/dskv.ts";
import type { DsKvCmd, DsKvResult } from "../../apps/kv/types.ts";
import type { GroupContext } from "../group/app.ts";
import { clientId, type GroupId, groupId } from "../ids.ts";
import type { McastMessage } from "../multicast/types.ts";
import { type DsBugName, type DsDeployment, PartitionApp } from "./partition.ts";
import { type DsPayload, type DsRelay, type DsReply, ORACLE } from "./types.ts";

const [P1, P2, P3] = [groupId(1), groupId(2), groupId(3)];

function partition(bugs: DsBugName[] = []) {
  const deployment: DsDeployment = { mode: "dssmr", partitions: [P1, P2, P3], bugs: new Set(bugs) };
  const p = new PartitionApp<DsKvCmd, DsKvResult, string>(P2, createDsKv(), deployment);
  const sent: [GroupId, DsRelay<string>][] = [];
  const ctx: GroupContext<DsRelay<string>, DsReply<DsKvResult>> = {
    self: P2,
    send: (to, r) => sent.push([to, r]),
    reply: () => {},
  };
  let seq = 0;
  const move = (from: GroupId, to: GroupId): McastMessage<DsPayload<DsKvCmd>> => {
    const m: McastMessage<DsPayload<DsKvCmd>> = {
      client: clientId(1000 + seq),
      seq: ++seq,
      dests: [ORACLE, from, to].sort((a, b) => a - b),
      prev: [0, 0, 0],
      payload: { type: "move", variables: ["k"], from, to },
    };
    p.deliver(m, { t: seq, g: P2 }, ctx);
    return m;
  };
  return { p, sent, ctx, move };
}

describe("PartitionApp: a move reserves its variables until the value arrives", () => {
  it("forwards a variable moved on before it arrived, once it arrives", () => {
    const { p, sent, ctx, move } = partition();
    const moveIn = move(P1, P2); // k is on its way from P1
    move(P2, P3); // and already asked for by P3
    expect(sent).toEqual([]); // the move out waits: k is not here yet
    p.receive(
      P1,
      { type: "value", ref: { client: moveIn.client, seq: moveIn.seq }, values: [["k", "v"]] },
      ctx,
    );
    expect(sent).toEqual([[P3, expect.objectContaining({ type: "value", values: [["k", "v"]] })]]);
    expect(p.variables().has("k")).toBe(false);
  });

  it("with the deliberate bug ignore-claims, strands the variable here", () => {
    const { p, sent, ctx, move } = partition(["ignore-claims"]);
    const moveIn = move(P1, P2);
    move(P2, P3);
    // The move out ran at once and sent nothing of k: P3 gets null, the oracle maps k to P3.
    expect(sent).toEqual([[P3, expect.objectContaining({ type: "value", values: [["k", null]] })]]);
    p.receive(
      P1,
      { type: "value", ref: { client: moveIn.client, seq: moveIn.seq }, values: [["k", "v"]] },
      ctx,
    );
    expect(p.variables().get("k")).toBe("v"); // held here, where nobody will look for it
  });
});

// Unit tests of the oracle: creates of different variables overlap, those of one variable do not.
import { describe, expect, it } from "vitest";
import { createDsKv } from "../../apps/kv/dskv.ts";
import type { DsKvCmd, DsKvResult } from "../../apps/kv/types.ts";
import type { GroupContext } from "../group/app.ts";
import { type ClientId, clientId, groupId } from "../ids.ts";
import type { McastMessage } from "../multicast/types.ts";
import { OracleApp } from "./oracle.ts";
import type { DsDeployment } from "./partition.ts";
import { type DsPayload, type DsRelay, type DsReply, ORACLE } from "./types.ts";

const P1 = groupId(1);
const deployment: DsDeployment = { mode: "dssmr", partitions: [P1, groupId(2)] };

function harness() {
  const oracle = new OracleApp<DsKvCmd, DsKvResult, string>(ORACLE, createDsKv(), deployment);
  const sent: DsRelay<string>[] = [];
  const replies: [ClientId, number, DsReply<DsKvResult>][] = [];
  const ctx: GroupContext<DsRelay<string>, DsReply<DsKvResult>> = {
    self: ORACLE,
    send: (_to, r) => sent.push(r),
    reply: (c, s, r) => replies.push([c, s, r]),
  };
  let t = 0;
  const create = (client: number, key: string): McastMessage<DsPayload<DsKvCmd>> => {
    const m: McastMessage<DsPayload<DsKvCmd>> = {
      client: clientId(client),
      seq: 1,
      dests: [ORACLE, P1],
      prev: [0, 0],
      payload: {
        type: "create",
        cmd: { type: "create", key, value: "v" },
        variable: key,
        partition: P1,
      },
    };
    oracle.deliver(m, { t: ++t, g: ORACLE }, ctx);
    return m;
  };
  const signal = (m: McastMessage<DsPayload<DsKvCmd>>) =>
    oracle.receive(P1, { type: "signal", ref: { client: m.client, seq: m.seq } }, ctx);
  return { oracle, sent, replies, create, signal };
}

describe("OracleApp execution order", () => {
  it("decides creates of different variables without waiting for each other's partition", () => {
    const h = harness();
    const a = h.create(1, "a");
    const b = h.create(2, "b");
    // Both decisions left before either partition signalled: creates no longer serialise.
    expect(h.sent.map((r) => r.type)).toEqual(["outcome", "outcome"]);
    h.signal(b);
    expect(h.replies.map(([c]) => c)).toEqual([clientId(2)]);
    h.signal(a);
    expect(h.replies.map(([c]) => c)).toEqual([clientId(2), clientId(1)]);
    expect(h.oracle.stats.creates).toBe(2);
  });

  it("keeps a second create of the same variable behind the first, which it then fails", () => {
    const h = harness();
    const first = h.create(1, "a");
    const second = h.create(2, "a");
    expect(h.sent).toHaveLength(1); // the second has not started
    h.signal(second); // its partition may start it early; it still waits for the first
    expect(h.replies).toHaveLength(0);
    h.signal(first);
    expect(h.replies.map(([c, , r]) => [c, r.type === "result" && r.result.type])).toEqual([
      [clientId(1), "create"],
      [clientId(2), "error"],
    ]);
  });
});

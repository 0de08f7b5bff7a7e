// The client proxy's window: bounded by distance from the oldest unanswered seq, not by count.
import { describe, expect, it } from "vitest";
import { dsKv } from "../../src/apps/kv/dskv.ts";
import type { DsKvCmd, DsKvResult } from "../../src/apps/kv/types.ts";
import type { PartitionedApp } from "../../src/core/dssmr/app.ts";
import { ClientProxy, defaultProxyOptions } from "../../src/core/dssmr/proxy.ts";
import { clientId, groupId, replicaId } from "../../src/core/ids.ts";

const G = groupId(1);
const LEADER = replicaId(101);

function proxy(maxInFlight: number): ClientProxy<DsKvCmd, DsKvResult> {
  return new ClientProxy<DsKvCmd, DsKvResult>(
    {
      ...defaultProxyOptions,
      client: clientId(7),
      groups: new Map([[G, [LEADER, replicaId(102), replicaId(103)]]]),
      deployment: { mode: "ssmr", partitions: [G] },
      maxInFlight,
    },
    dsKv as PartitionedApp<DsKvCmd, DsKvResult, unknown>,
    () => 0.5,
  );
}

const seqsSent = (p: ClientProxy<DsKvCmd, DsKvResult>): number[] =>
  p.takeSends().map((s) => (s.msg.type === "mcast" ? s.msg.msg.seq : -1));

const answer = (p: ClientProxy<DsKvCmd, DsKvResult>, seq: number): void =>
  p.receive(
    {
      type: "mcast-reply",
      group: G,
      client: clientId(7),
      seq,
      result: { type: "result", result: { type: "create" } },
    },
    LEADER,
  );

describe("ClientProxy window", () => {
  it("sends nothing maxInFlight or more past the oldest unanswered message, however many later ones completed", () => {
    const p = proxy(4);
    for (let i = 0; i < 12; i++) p.submit({ type: "put", key: `k${i}`, value: "v" });
    expect(seqsSent(p)).toEqual([1, 2, 3, 4]);
    // Seq 1's answer is lost; 2, 3 and 4 complete. A window on the count alone would now send
    // 5, 6 and 7, and the groups (which remember 4 answers per client) would forget seq 1's.
    for (const seq of [2, 3, 4]) answer(p, seq);
    expect(seqsSent(p)).toEqual([]);
    // The retransmission of seq 1 is answered: the window slides past it.
    answer(p, 1);
    expect(seqsSent(p)).toEqual([5, 6, 7, 8]);
    expect(p.takeResults().map((r) => r.ok)).toEqual([true, true, true, true]);
  });
});

// In-process tests of the node runtime: two groups of three on real sockets, in-memory storage.
import { afterEach, describe, expect, it } from "vitest";
import { defaultGroupReplicaOptions, type GroupSnapshot } from "../core/group/group-replica.ts";
import { clientId, type GroupId, groupId, type ReplicaId, replicaId } from "../core/ids.ts";
import type { McastCommand } from "../core/multicast/types.ts";
import { defaultRaftOptions } from "../core/raft/types.ts";
import { freePorts } from "../net/free-port.ts";
import type { PeerAddress } from "../net/transport.ts";
import {
  McastTestApp,
  type TestAppSnapshot,
  type TestPayload,
  type TestRelay,
  type TestResult,
} from "../sim/mcast-test-app.ts";
import { MemoryStore } from "../storage/memory-store.ts";
import { McastClient } from "./mcast-client.ts";
import { NodeRuntime } from "./node-runtime.ts";

type Cmd = McastCommand<TestPayload, TestRelay>;
type Snap = GroupSnapshot<TestPayload, TestRelay, TestResult, TestAppSnapshot>;

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
});

describe("NodeRuntime", () => {
  it("orders single- and two-group multicasts and answers from every destination", async () => {
    const groups = new Map<GroupId, ReplicaId[]>([
      [groupId(1), [101, 102, 103].map(replicaId)],
      [groupId(2), [201, 202, 203].map(replicaId)],
    ]);
    const ids = [...groups.values()].flat();
    const ports = await freePorts(ids.length);
    const addresses = new Map<ReplicaId, PeerAddress>(
      ids.map((id, i) => [id, { host: "127.0.0.1", port: ports[i]! }]),
    );
    const runtimes = ids.map(
      (id) =>
        new NodeRuntime(
          { group: groupId(Math.floor(id / 100)), replica: id, groups, addresses },
          { makeApp: () => new McastTestApp(), storage: new MemoryStore<Cmd, Snap>() },
          { replica: { ...defaultGroupReplicaOptions(defaultRaftOptions), snapshotEvery: 16 } },
        ),
    );
    for (const r of runtimes) stops.push(() => r.stop());
    await Promise.all(runtimes.map((r) => r.start()));
    const client = new McastClient<TestPayload, TestResult>({
      id: clientId(1000),
      groups,
      addresses,
    });
    stops.push(() => client.close());
    const dests = (i: number): GroupId[] =>
      i % 3 === 0 ? [groupId(1), groupId(2)] : [groupId((i % 3) as 1 | 2)];
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => client.multicast(dests(i), { relay: i % 6 === 0 })),
    );
    for (const [i, a] of answers.entries()) expect([...a.keys()].sort()).toEqual(dests(i));
    // A two-group message gets the same final timestamp from both groups.
    for (const [i, a] of answers.entries()) {
      if (dests(i).length === 2) expect(a.get(groupId(1))).toEqual(a.get(groupId(2)));
    }
    const leader = runtimes.find((r) => r.metrics().role === "leader")!;
    const m = leader.metrics();
    expect(m.commandsCommitted).toBeGreaterThan(0);
    expect(m.transport.framesOut).toBeGreaterThan(0);
    expect(m.storage.fsyncs).toBeGreaterThan(0);
    const status = await client.status(m.replica);
    expect(status).toMatchObject({ type: "status-reply", role: "leader", replica: m.replica });
  });
});

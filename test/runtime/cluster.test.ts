// End to end: 2 groups x 3 replica processes over TCP with disk logs; kill -9 a leader, restart it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { clientId, type GroupId, groupId, type ReplicaId } from "../../src/core/ids.ts";
import { McastClient } from "../../src/runtime/mcast-client.ts";
import type { TestPayload, TestResult } from "../../src/sim/mcast-test-app.ts";
import { ProcessCluster } from "./process-cluster.ts";

const G1 = groupId(1);
const G2 = groupId(2);
let cluster: ProcessCluster | null = null;
let client: McastClient<TestPayload, TestResult> | null = null;
let baseDir = "";

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
  if (baseDir !== "") await rm(baseDir, { recursive: true, force: true });
});

const until = async (what: string, cond: () => Promise<boolean>, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("process cluster", () => {
  it("keeps every message, in one order, across kill -9 and restart of a leader", async () => {
    baseDir = await mkdtemp(join(tmpdir(), "dssmr-cluster-"));
    cluster = await ProcessCluster.start({
      groups: 2,
      replicas: 3,
      baseDir,
      snapshotEvery: 32,
      segmentBytes: 16 * 1024,
    });
    const c = new McastClient<TestPayload, TestResult>(
      { id: clientId(1000), groups: cluster.groups, addresses: cluster.addresses },
      { timeoutMs: 300 },
    );
    client = c;

    // The client numbers its messages 1, 2, ... in call order: the i-th call has seq i + 1.
    const sent: GroupId[][] = [];
    const destsOf = (i: number): GroupId[] => (i % 3 === 0 ? [G1, G2] : i % 3 === 1 ? [G1] : [G2]);
    const burst = async (n: number, window = 8): Promise<void> => {
      const calls: Promise<unknown>[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < n) {
          next++;
          const i = sent.length;
          const dests = destsOf(i);
          sent.push(dests);
          const answers = await c.multicast(dests, { relay: i % 5 === 0 });
          expect([...answers.keys()].sort()).toEqual(dests);
          if (dests.length === 2) expect(answers.get(G1)).toEqual(answers.get(G2));
        }
      };
      for (let w = 0; w < window; w++) calls.push(worker());
      await Promise.all(calls);
    };

    await burst(90);

    let leader: ReplicaId | null = null;
    await until("a leader in group 1", async () => {
      for (const id of cluster!.groups.get(G1)!) {
        const s = await c.status(id);
        if (s?.role === "leader") leader = id;
      }
      return leader !== null;
    });
    await cluster.kill(leader!);
    await burst(90);
    await cluster.startNode(leader!);
    await burst(90);

    const expected = new Map<GroupId, number>([
      [G1, sent.filter((d) => d.includes(G1)).length],
      [G2, sent.filter((d) => d.includes(G2)).length],
    ]);
    await until("every replica delivered everything", async () => {
      for (const id of cluster!.ids) {
        const s = await c.status(id);
        if (s?.delivered !== expected.get(cluster!.groupOf(id))) return false;
      }
      return true;
    });
    await c.close();
    client = null;
    await cluster.stop();

    // Each group: one sequence, the same at every replica, holding exactly its messages once.
    const sequences = new Map<GroupId, string[]>();
    for (const [g, ids] of cluster.groups) {
      const seq: string[] = [];
      for (const id of ids) {
        const { byPosition, conflicts } = cluster.deliveries(id);
        expect(conflicts, `replica ${id}`).toEqual([]);
        for (const [pos, msg] of byPosition) {
          if (seq[pos - 1] === undefined) seq[pos - 1] = msg;
          else expect(msg, `replica ${id} position ${pos}`).toBe(seq[pos - 1]);
        }
      }
      const want = sent.flatMap((d, i) => (d.includes(g) ? [`1000.${i + 1}`] : []));
      expect(seq.length).toBe(expected.get(g));
      expect([...seq].sort()).toEqual([...want].sort());
      sequences.set(g, seq);
    }
    // Messages to both groups are delivered in the same relative order by both.
    const common = (g: GroupId): string[] =>
      sequences.get(g)!.filter((m) => sent[Number(m.split(".")[1]) - 1]!.length === 2);
    expect(common(G1)).toEqual(common(G2));
    expect(common(G1).length).toBe(sent.filter((d) => d.length === 2).length);
  });
});

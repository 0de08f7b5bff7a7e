// Replicas in this process: each partition's status counts the demo graph's users per community, before and after a move.
import { afterEach, describe, expect, it } from "vitest";
import type { ChirperCmd, ChirperResult } from "../apps/chirper/types.ts";
import { DsClient } from "../client/ds-client.ts";
import { type ClusterStatus, clusterStatus } from "../client/status.ts";
import { placementOf } from "../dashboard/cluster-backend.ts";
import { freePorts } from "../net/free-port.ts";
import { appSetup, demoGraph } from "./app-setup.ts";
import { type LoadedConfig, parseClusterConfig } from "./config.ts";
import { type ClusterNode, startClusterNode } from "./node.ts";
import { partitionsOf } from "./topology.ts";

const USERS = 40;
const running: ClusterNode[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
});

/** Oracle + 2 partitions of one in-memory replica each, with a demo graph placed as asked. */
async function startCluster(placement: "community" | "random"): Promise<LoadedConfig> {
  const ports = await freePorts(3);
  const config = parseClusterConfig({
    app: "chirper",
    groups: [0, 1, 2].map((g, i) => ({
      id: g,
      replicas: [{ id: g * 100 + 1, host: "127.0.0.1", port: ports[i]!, dataDir: `r${g}` }],
    })),
    tunables: { memory: true, tickMs: 5 },
    demo: { users: USERS, placement },
  });
  const loaded: LoadedConfig = { config, file: null, dir: "." };
  for (const g of config.groups) running.push(await startClusterNode(loaded, g.replicas[0]!.id));
  return loaded;
}

async function readyStatus(loaded: LoadedConfig): Promise<ClusterStatus> {
  for (let i = 0; i < 200; i++) {
    const s = await clusterStatus(loaded, { timeoutMs: 300 });
    if (s.ready) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the cluster did not elect leaders");
}

describe("partition status: users per community", () => {
  it("is diagonal when the demo graph is placed by community", async () => {
    const loaded = await startCluster("community");
    const s = await readyStatus(loaded);
    expect(s.groups[0]!.communities).toBeNull();
    const view = placementOf(s)!;
    expect(view.partitions).toEqual([1, 2]);
    expect(view.communities).toBe(2);
    expect(view.matrix[0]![1]).toBe(0);
    expect(view.matrix[1]![0]).toBe(0);
    expect(view.matrix.flat().reduce((a, b) => a + b, 0)).toBe(USERS);
  });

  it("is scattered when placed at random, and follows a move", async () => {
    const loaded = await startCluster("random");
    const before = await readyStatus(loaded);
    const view = placementOf(before)!;
    const graph = demoGraph(loaded.config)!;
    const sizes = [0, 1].map((c) => graph.community.filter((x) => x === c).length);
    expect(view.matrix.map((row) => row[0]! + row[1]!)).toEqual(sizes);
    expect(view.matrix.every((row) => row[0]! > 0 && row[1]! > 0)).toBe(true);

    // Two users of community 0 in different partitions: a follow gathers them in one.
    const setup = appSetup(loaded.config);
    if (setup.kind !== "chirper") throw new Error("expected chirper");
    const where = new Map<string, number>();
    const partitions = partitionsOf(loaded.config);
    for (const [i, u] of graph.users.entries()) {
      if (graph.community[i] === 0) where.set(u, setup.app.place(u, partitions));
    }
    const [a] = [...where].find(([, p]) => p === 1)!;
    const [b] = [...where].find(([, p]) => p === 2)!;
    const client = await DsClient.connect<ChirperCmd, ChirperResult>(loaded, setup.app);
    try {
      const r = await client.execute({ type: "follow", user: a, other: b }, { timeoutMs: 10_000 });
      expect(r.ok).toBe(true);
      expect(client.stats().moves).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
    const after = placementOf(await clusterStatus(loaded, { timeoutMs: 500 }))!;
    const row = after.matrix[0]!;
    expect(row[0]! + row[1]!).toBe(sizes[0]);
    expect(Math.abs(row[0]! - view.matrix[0]![0]!)).toBe(1);
    expect(after.matrix[1]).toEqual(view.matrix[1]);
    const delivered = (s: ClusterStatus) => s.groups.map((g) => g.replicas[0]!.delivered ?? 0);
    const d0 = delivered(before);
    const d1 = delivered(await clusterStatus(loaded, { timeoutMs: 500 }));
    expect(d1.every((d, i) => d >= d0[i]!)).toBe(true);
    expect(d1[1]! + d1[2]!).toBeGreaterThan(d0[1]! + d0[2]!);
  });
});

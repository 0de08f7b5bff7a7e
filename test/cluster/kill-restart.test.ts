// Real processes: a KV cluster on disk under kill -9 of a leader and a follower, then a whole-cluster restart.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DsKvCmd, DsKvResult } from "../../src/apps/kv/types.ts";
import { createDsKvModel } from "../../src/check/dskv-model.ts";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import { DsClient } from "../../src/client/ds-client.ts";
import { clusterStatus } from "../../src/client/status.ts";
import { appSetup } from "../../src/cluster/app-setup.ts";
import type { LoadedConfig } from "../../src/cluster/config.ts";
import { LocalCluster } from "../../src/cluster/launcher.ts";
import { defaultLocalClusterOptions, prepareLocalConfig } from "../../src/cluster/local-config.ts";
import { HistoryRecorder, NUM_KEYS, runWorkload, STR_KEYS } from "./kv-workload.ts";

type Kv = DsClient<DsKvCmd, DsKvResult>;

let dir = "";
let loaded: LoadedConfig;
let cluster: LocalCluster | null = null;
const clients: Kv[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = async (what: string, cond: () => Promise<boolean>, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
};

const connect = async (): Promise<Kv> => {
  const setup = appSetup(loaded.config);
  if (setup.kind !== "kv") throw new Error("expected the kv app");
  const c = await DsClient.connect(loaded, setup.app, { timeoutMs: 10_000 });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dssmr-kv-cluster-"));
  ({ loaded } = await prepareLocalConfig(dir, {
    ...defaultLocalClusterOptions,
    app: "kv",
    httpPort: null,
    metrics: false,
    demoUsers: 0,
    snapshotEvery: 40,
  }));
  cluster = await LocalCluster.start(loaded);
  await cluster.waitReady();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster?.stop();
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

/** The leader, or a follower, of group `g` right now. */
const pick = async (g: number, role: "leader" | "follower"): Promise<number> => {
  let found: number | null = null;
  await until(`a ${role} in group ${g}`, async () => {
    const s = await clusterStatus(loaded);
    const group = s.groups.find((x) => x.id === g);
    found = group?.replicas.find((r) => r.role === role)?.id ?? null;
    return found !== null;
  });
  return found!;
};

describe("a KV cluster of 9 processes with logs on disk", () => {
  it("stays linearizable, losing no acknowledged write, while a partition leader and then a follower are killed -9 and restarted", async () => {
    const c = cluster!;
    const recorder = new HistoryRecorder();
    const setup = await connect();
    for (const k of NUM_KEYS) {
      expect(
        await recorder.run(setup, 0, { type: "create", key: k, value: "100" }, 10_000),
      ).toEqual({ type: "create" });
    }
    for (const k of STR_KEYS) {
      await recorder.run(setup, 0, { type: "create", key: k, value: "init" }, 10_000);
    }
    const workers = await Promise.all([connect(), connect(), connect(), connect()]);
    let stop = false;
    const load = runWorkload(recorder, workers, () => stop, 7, 4_000);

    await sleep(1_500);
    const leader = await pick(1, "leader");
    await c.kill(leader, "SIGKILL");
    await sleep(1_500);
    await c.startReplica(leader);
    await sleep(1_000);
    const follower = await pick(2, "follower");
    await c.kill(follower, "SIGKILL");
    await sleep(1_500);
    await c.startReplica(follower);
    await sleep(1_000);
    stop = true;
    await load;
    // Commands that timed out keep running in their proxies: let them finish.
    await until("every client idle", async () => workers.every((w) => w.pending === 0));

    const { completed, incomplete } = recorder.counts();
    expect(completed).toBeGreaterThan(100);
    if (process.env.DSSMR_TEST_VERBOSE)
      console.info({ completed, incomplete, leader, follower, stats: workers[0]!.stats() });
    const verdict = checkLinearizable(createDsKvModel(), recorder.history());
    if (verdict.ok !== true) {
      throw new Error(
        `history of ${completed} completed and ${incomplete} incomplete operations is not linearizable: ${
          verdict.ok === false ? verdict.explanation : verdict.reason
        }`,
      );
    }

    // The restarted replicas caught up with their groups.
    await until("restarted replicas caught up", async () => {
      const s = await clusterStatus(loaded);
      return s.groups.every((g) => {
        const applied = g.replicas.map((r) => r.appliedIndex);
        return applied.every((a) => a !== null && a === applied[0]);
      });
    });
    // Money is conserved by transfers: nothing acknowledged was lost or applied twice.
    const all = await setup.execute({ type: "mget", keys: NUM_KEYS });
    if (all.type !== "mget") throw new Error(`unexpected ${all.type}`);
    expect(all.values.reduce((s, v) => s + Number(v), 0)).toBe(100 * NUM_KEYS.length);
  });

  it("recovers every value when the whole cluster is killed -9 and started again from its data", async () => {
    const c = cluster!;
    const reader = await connect();
    const keys = [...NUM_KEYS, ...STR_KEYS];
    const before = await reader.execute({ type: "mget", keys });
    expect(before.type).toBe("mget");
    await Promise.all(c.ids.map((id) => c.kill(id, "SIGKILL")));
    await Promise.all(c.ids.map((id) => c.startReplica(id)));
    await c.waitReady();
    const after = await (await connect()).execute({ type: "mget", keys });
    expect(after).toEqual(before);
    const s = await clusterStatus(loaded);
    // Every key still has exactly one home: the oracle maps all of them, the partitions hold all.
    const oracle = s.groups.find((g) => g.kind === "oracle")!;
    expect(oracle.variables).toBe(keys.length);
    const held = s.groups.filter((g) => g.kind === "partition").map((g) => g.variables ?? 0);
    expect(held.reduce((a, b) => a + b, 0)).toBe(keys.length);
  });
});

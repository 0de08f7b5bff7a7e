// Size limits on a real cluster (in-process replicas over TCP): E_TOO_LARGE at once, the client still usable, refusals before the log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDsKv } from "../../src/apps/kv/dskv.ts";
import type { DsKvCmd, DsKvResult } from "../../src/apps/kv/types.ts";
import { DsClient } from "../../src/client/ds-client.ts";
import { CommandTooLargeError, InvalidCommandError } from "../../src/client/errors.ts";
import { type LoadedConfig, parseClusterConfig } from "../../src/cluster/config.ts";
import {
  commandBytes,
  DEFAULT_MAX_COMMAND_BYTES,
  DEFAULT_MAX_VALUE_BYTES,
} from "../../src/cluster/limits.ts";
import { type ClusterNode, startClusterNode } from "../../src/cluster/node.ts";
import { freePorts } from "../../src/net/free-port.ts";

type Kv = DsClient<DsKvCmd, DsKvResult>;

let loaded: LoadedConfig;
const nodes: ClusterNode[] = [];
const clients: Kv[] = [];

/** One lane: every command rides the same session (the case a poisoned chain would show). */
const connect = async (config = loaded, app = createDsKv()): Promise<Kv> => {
  const c = await DsClient.connect<DsKvCmd, DsKvResult>(config, app, {
    timeoutMs: 15_000,
    lanes: 1,
  });
  clients.push(c);
  return c;
};

/** The partition's replica (group 1). */
const partition = (): ClusterNode => nodes.find((n) => n.group === 1)!;

beforeAll(async () => {
  const ports = await freePorts(2);
  const config = parseClusterConfig({
    app: "kv",
    groups: [0, 1].map((g, i) => ({
      id: g,
      replicas: [{ id: g * 100 + 1, host: "127.0.0.1", port: ports[i]!, dataDir: `r${g}` }],
    })),
    tunables: { memory: true, tickMs: 5 },
  });
  loaded = { config, file: null, dir: "." };
  for (const g of config.groups) nodes.push(await startClusterNode(loaded, g.replicas[0]!.id));
  // Ready once a command goes through.
  const c = await connect();
  expect(await c.execute({ type: "create", key: "k", value: "v0" })).toEqual({ type: "create" });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(nodes.map((n) => n.stop()));
});

/** A tx of two sets whose encoded size is exactly `bytes` (each value under the value limit). */
function txOfSize(bytes: number): DsKvCmd {
  const make = (n: number): DsKvCmd => ({
    type: "tx",
    ops: [
      { op: "set", key: "k", value: "a".repeat(DEFAULT_MAX_VALUE_BYTES) },
      { op: "set", key: "k", value: "b".repeat(n) },
    ],
  });
  // MessagePack's string header is fixed in this range (str32): one step finds the length.
  const n = bytes - commandBytes(make(100_000)) + 100_000;
  const cmd = make(n);
  expect(commandBytes(cmd)).toBe(bytes);
  return cmd;
}

describe("size limits", () => {
  it("defaults to etcd's 1.5 MiB command and 1 MiB value", () => {
    expect(loaded.config.tunables.maxCommandBytes).toBe(1536 * 1024);
    expect(loaded.config.tunables.maxValueBytes).toBe(1024 * 1024);
  });

  it("refuses a command one byte over the limit at once; the same client goes on", async () => {
    const client = await connect();
    const submitted = client.stats().submitted;
    const err = await client.execute(txOfSize(DEFAULT_MAX_COMMAND_BYTES + 1)).catch((e) => e);
    expect(err).toBeInstanceOf(CommandTooLargeError);
    expect(err).toMatchObject({
      code: "E_TOO_LARGE",
      what: "command",
      bytes: DEFAULT_MAX_COMMAND_BYTES + 1,
      limit: DEFAULT_MAX_COMMAND_BYTES,
    });
    expect(err.message).toContain(`${DEFAULT_MAX_COMMAND_BYTES + 1} bytes`);
    expect(err.message).toContain("maxCommandBytes");
    // Nothing was handed to a lane: no seq, nothing pending.
    expect(client.stats().submitted).toBe(submitted);
    expect(client.pending).toBe(0);
    // Exactly at the limit is accepted, and runs.
    const ok = await client.execute(txOfSize(DEFAULT_MAX_COMMAND_BYTES));
    expect(ok.type).toBe("tx");
    expect(await client.execute({ type: "get", key: "k" })).toMatchObject({
      type: "get",
      value: expect.stringMatching(/^b+$/),
    });
  });

  it("refuses a 70 MB value at once with E_TOO_LARGE, and the client's next command works", async () => {
    const client = await connect();
    const t0 = performance.now();
    const err = await client
      .execute({ type: "put", key: "k", value: "x".repeat(70_000_000) })
      .catch((e) => e);
    const ms = performance.now() - t0;
    expect(err).toBeInstanceOf(CommandTooLargeError);
    expect(err).toMatchObject({ code: "E_TOO_LARGE", what: "value", bytes: 70_000_000 });
    expect(ms).toBeLessThan(1_000);
    expect(client.pending).toBe(0);
    expect(await client.execute({ type: "put", key: "k", value: "small" })).toEqual({
      type: "put",
    });
    expect(await client.execute({ type: "get", key: "k" })).toEqual({
      type: "get",
      value: "small",
    });
  });

  it("the replica refuses what a client with other limits sends, before logging it", async () => {
    // A client configured with looser limits than the cluster's skips nothing it knows of.
    const loose = parseClusterConfig({
      ...loaded.config,
      tunables: { ...loaded.config.tunables, maxCommandBytes: 8 << 20, maxValueBytes: 8 << 20 },
    });
    const client = await connect({ config: loose, file: null, dir: "." });
    const before = partition().metrics();
    const err = await client
      .execute({ type: "put", key: "k", value: "y".repeat(2 << 20) })
      .catch((e) => e);
    expect(err).toBeInstanceOf(CommandTooLargeError);
    expect(err).toMatchObject({
      code: "E_TOO_LARGE",
      what: "value",
      limit: DEFAULT_MAX_VALUE_BYTES,
    });
    const after = partition().metrics();
    expect(after.refusedRequests).toBeGreaterThan(before.refusedRequests);
    expect(after.lastIndex).toBe(before.lastIndex); // nothing was logged
    // The refused message left a hole in its lane's chain at the group; the client replaced
    // the lane, so the next commands run at once.
    for (let i = 0; i < 8; i++) {
      expect(await client.execute({ type: "get", key: "k" }, { timeoutMs: 3_000 })).toMatchObject({
        type: "get",
      });
    }
    // The replaced lane's counters still count.
    expect(client.stats().submitted).toBe(9);
    expect(client.pending).toBe(0);
  }, 30_000);

  it("the replica refuses an invalid command (too many mget keys) before logging it", async () => {
    // A client whose app validates nothing: only the replica stands in the way.
    const lax = { ...createDsKv(), validate: () => null };
    const client = await connect(loaded, lax);
    const before = partition().metrics();
    const keys = Array.from({ length: 101 }, () => "k");
    const err = await client.execute({ type: "mget", keys }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidCommandError);
    expect(err.message).toContain("at most 100 keys");
    const after = partition().metrics();
    expect(after.refusedRequests).toBeGreaterThan(before.refusedRequests);
    expect(after.lastIndex).toBe(before.lastIndex);
    expect(await client.execute({ type: "get", key: "k" }, { timeoutMs: 3_000 })).toMatchObject({
      type: "get",
    });
  }, 30_000);
});

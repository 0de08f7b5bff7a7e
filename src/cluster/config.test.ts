// Cluster config validation: defaults, field-named errors, cross-field rules.
import { describe, expect, it } from "vitest";
import { ClusterConfigError, type ClusterConfigInput, parseClusterConfig } from "./config.ts";

const replica = (id: number, port: number) => ({
  id,
  host: "127.0.0.1",
  port,
  dataDir: `r${id}`,
});

const valid = (): ClusterConfigInput => ({
  app: "chirper",
  groups: [
    { id: 0, replicas: [replica(1, 7001)] },
    { id: 1, replicas: [replica(101, 7101), replica(102, 7102), replica(103, 7103)] },
  ],
});

const issues = (raw: unknown): readonly string[] => {
  try {
    parseClusterConfig(raw);
  } catch (err) {
    if (err instanceof ClusterConfigError) return err.issues;
    throw err;
  }
  return [];
};

describe("parseClusterConfig", () => {
  it("fills in defaults", () => {
    const c = parseClusterConfig(valid());
    expect(c.mode).toBe("dssmr");
    expect(c.tunables).toEqual({
      tickMs: 10,
      snapshotEvery: 256,
      retryThreshold: 3,
      policy: "most",
      memory: false,
      clientRetransmitMs: 300,
      maxCommandBytes: 1536 * 1024,
      maxValueBytes: 1024 * 1024,
      abandonTicks: 300,
    });
  });

  it("checks abandonTicks against the client retransmission time", () => {
    const withTunables = (t: Record<string, unknown>) => ({ ...valid(), tunables: t });
    expect(issues(withTunables({ abandonTicks: 89 }))).toEqual([
      "tunables.abandonTicks: expected at least 90 (3 × clientRetransmitMs 300 ms at tickMs 10): a correct client's lost message must be resent before its group abandons the chain",
    ]);
    expect(issues(withTunables({ abandonTicks: 90 }))).toEqual([]);
    // A slower client needs a longer period; faster ticks need more of them.
    expect(issues(withTunables({ clientRetransmitMs: 2000 }))[0]).toMatch(
      /^tunables\.abandonTicks: expected at least 600 /,
    );
    expect(issues(withTunables({ tickMs: 5, abandonTicks: 180 }))).toEqual([]);
    expect(parseClusterConfig(withTunables({ abandonTicks: 1000 })).tunables.abandonTicks).toBe(
      1000,
    );
  });

  it("bounds the size limits: values within commands, commands within half a frame", () => {
    const withTunables = (t: Record<string, unknown>) => ({ ...valid(), tunables: t });
    expect(issues(withTunables({ maxCommandBytes: 4096, maxValueBytes: 8192 }))).toEqual([
      "tunables.maxValueBytes: expected at most maxCommandBytes (4096)",
    ]);
    expect(issues(withTunables({ maxValueBytes: 2 * 1024 * 1024 }))).toEqual([
      "tunables.maxValueBytes: expected at most maxCommandBytes (1572864)",
    ]);
    expect(issues(withTunables({ maxCommandBytes: 64 * 1024 * 1024 }))).toEqual([
      "tunables.maxCommandBytes: expected integer 1024..33554432",
    ]);
    expect(issues(withTunables({ maxCommandBytes: 4096, maxValueBytes: 4096 }))).toEqual([]);
  });

  it("names the bad field", () => {
    const raw = valid() as { groups: { replicas: { port: unknown }[] }[] };
    raw.groups[1]!.replicas[2]!.port = 70_000;
    expect(issues(raw)).toEqual(["groups[1].replicas[2].port: expected integer 1..65535"]);
    raw.groups[1]!.replicas[2]!.port = "7103";
    expect(issues(raw)).toEqual(["groups[1].replicas[2].port: expected integer 1..65535"]);
  });

  it("rejects unknown fields, malformed apps and modes", () => {
    // Any other name is an app module (a path or a package): loading it is checked at start.
    expect(issues({ ...valid(), app: "./bank.ts" })).toEqual([]);
    const appError = 'app: expected "chirper", "kv" or an app module (a path or package name)';
    expect(issues({ ...valid(), app: 7 })).toEqual([appError]);
    expect(issues({ ...valid(), app: "" })).toEqual([appError]);
    expect(issues({ ...valid(), mode: "paxos" })).toEqual(['mode: expected "dssmr" or "ssmr"']);
    expect(issues({ ...valid(), extra: 1 })[0]).toMatch(/extra/);
  });

  it("checks group numbering, unique ids and unique addresses", () => {
    const raw = valid();
    expect(issues({ ...raw, mode: "ssmr" })).toContain(
      "groups[0].id: expected 1: in ssmr mode groups are partitions 1..k, in order",
    );
    const dup = {
      ...raw,
      groups: [
        { id: 0, replicas: [replica(1, 7001)] },
        { id: 1, replicas: [replica(1, 7001)] },
      ],
    };
    expect(issues(dup)).toEqual([
      "groups[1].replicas[0].id: duplicate replica id 1 (also groups[0].replicas[0])",
      "groups[1].replicas[0].port: address 127.0.0.1:7001 is also used by groups[0].replicas[0]",
    ]);
    expect(issues({ ...raw, groups: [{ id: 0, replicas: [replica(1, 7001)] }] })).toEqual([
      "groups: dssmr mode needs the oracle (group 0) and at least one partition",
    ]);
  });

  it("keeps replica ids below the client id range", () => {
    const raw = valid() as { groups: { replicas: { id: number }[] }[] };
    raw.groups[0]!.replicas[0]!.id = 1_000_000;
    expect(issues(raw)).toEqual(["groups[0].replicas[0].id: expected integer 1..999999"]);
  });

  it("allows a demo graph only for chirper", () => {
    expect(issues({ ...valid(), app: "kv", demo: { users: 10 } })).toEqual([
      "demo: a demo graph needs app chirper",
    ]);
    expect(parseClusterConfig({ ...valid(), demo: { users: 10 } }).demo).toEqual({
      users: 10,
      seed: 1,
      placement: "community",
    });
    expect(issues({ ...valid(), demo: { users: 10, placement: "spread" } })).toEqual([
      'demo.placement: expected "community" or "random"',
    ]);
  });

  it("allows a RESP section only for kv, and checks its fields and address", () => {
    const kv = { ...valid(), app: "kv" as const };
    expect(parseClusterConfig({ ...kv, resp: { port: 6379, password: "pw" } }).resp).toEqual({
      port: 6379,
      password: "pw",
    });
    expect(issues({ ...valid(), resp: {} })).toEqual(["resp: a RESP front end needs app kv"]);
    expect(issues({ ...kv, resp: { password: "", maxBulkBytes: 0 } })).toEqual([
      "resp.password: expected a password",
      "resp.maxBulkBytes: expected integer 1..536870912",
    ]);
    expect(issues({ ...kv, resp: { port: 7001 } })).toEqual([
      "resp.port: address 127.0.0.1:7001 is also used by groups[0].replicas[0]",
    ]);
  });
});

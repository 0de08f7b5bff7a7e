// The local cluster config: built once, reused by later `up` runs, refused when it describes another shape.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.ts";
import { defaultLocalClusterOptions, prepareLocalConfig } from "./local-config.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
const tempDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), "dssmr-local-config-"));
  dirs.push(d);
  return d;
};

describe("prepareLocalConfig", () => {
  it("writes oracle + partitions with replica ids g*100+i, then reuses the file", async () => {
    const dir = await tempDir();
    const first = await prepareLocalConfig(dir, defaultLocalClusterOptions);
    expect(first.created).toBe(true);
    const c = first.loaded.config;
    expect(c.groups.map((g) => g.replicas.map((r) => r.id))).toEqual([
      [1, 2, 3],
      [101, 102, 103],
      [201, 202, 203],
    ]);
    expect(c.demo).toEqual({ users: 100, seed: 1, placement: "random" });
    expect(c.tunables.policy).toBe("most");
    expect(c.http).toEqual({ host: "127.0.0.1", port: 8080 });
    const text = await readFile(join(dir, "cluster.json"), "utf8");
    const again = await prepareLocalConfig(dir, { ...defaultLocalClusterOptions, partitions: 5 });
    expect(again.created).toBe(false);
    expect(await readFile(join(dir, "cluster.json"), "utf8")).toBe(text);
  });

  it("refuses explicit options that contradict the existing cluster, and updates memory", async () => {
    const dir = await tempDir();
    await prepareLocalConfig(dir, defaultLocalClusterOptions);
    await expect(
      prepareLocalConfig(
        dir,
        { ...defaultLocalClusterOptions, partitions: 3 },
        new Set(["partitions"]),
      ),
    ).rejects.toThrow(ConfigError);
    const mem = await prepareLocalConfig(
      dir,
      { ...defaultLocalClusterOptions, memory: true },
      new Set(["memory"]),
    );
    expect(mem.loaded.config.tunables.memory).toBe(true);
    await expect(
      prepareLocalConfig(
        dir,
        { ...defaultLocalClusterOptions, demoPlacement: "community" },
        new Set(["demoPlacement"]),
      ),
    ).rejects.toThrow(/--demo-placement community \(the existing cluster has random\)/);
  });

  it("builds an S-SMR cluster of partitions 1..k without an oracle", async () => {
    const dir = await tempDir();
    const { loaded } = await prepareLocalConfig(dir, {
      ...defaultLocalClusterOptions,
      mode: "ssmr",
      app: "kv",
      partitions: 3,
      replicas: 1,
      demoUsers: 0,
    });
    expect(loaded.config.groups.map((g) => g.id)).toEqual([1, 2, 3]);
    expect(loaded.config.demo).toBeUndefined();
  });
});

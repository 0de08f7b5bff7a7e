// `dssmr node`: three replicas started one by one as a multi-host deployment would, run from the bundle, stopped by SIGTERM.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { clusterStatus } from "../../src/client/status.ts";
import { defaultLocalClusterOptions, prepareLocalConfig } from "../../src/cluster/local-config.ts";

const children: ChildProcess[] = [];
let dir = "";

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

const dssmr = (args: string[]): ChildProcess => {
  const child = spawn(process.execPath, ["bin/dssmr.js", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return child;
};

const readyLine = (child: ChildProcess): Promise<void> =>
  new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready ")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });

const exitOf = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });

/** The command lines of `pid`'s child processes. */
const childArgs = (pid: number): string[] =>
  execFileSync("ps", ["--ppid", String(pid), "-o", "args="], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.trim() !== "");

describe("dssmr node", () => {
  it("runs each replica from the bundle, forms a group, stops cleanly on SIGTERM and never orphans a replica", async () => {
    dir = await mkdtemp(join(tmpdir(), "dssmr-node-cmd-"));
    const { loaded } = await prepareLocalConfig(dir, {
      ...defaultLocalClusterOptions,
      app: "kv",
      mode: "ssmr",
      partitions: 1,
      httpPort: null,
      metrics: false,
      demoUsers: 0,
    });
    const file = loaded.file!;
    const ids = loaded.config.groups.flatMap((g) => g.replicas.map((r) => r.id));
    const nodes = ids.map((id) => dssmr(["node", "--config", file, "--id", String(id)]));
    await Promise.all(nodes.map(readyLine));
    for (const n of nodes) {
      // Besides the replica, esbuild's service process may be a child too.
      const args = childArgs(n.pid!).filter((a) => a.includes("--config"));
      expect(args, childArgs(n.pid!).join("\n")).toHaveLength(1);
      expect(args[0]).toMatch(
        /replica-[0-9a-f]{16}\.mjs --config .* --id \d+ --log-level info --exit-with-parent$/,
      );
    }
    let leader: number | null = null;
    const end = Date.now() + 15_000;
    while (leader === null && Date.now() < end) {
      const s = await clusterStatus(loaded);
      leader = s.groups[0]?.replicas.find((r) => r.role === "leader")?.id ?? null;
      if (leader === null) await new Promise((r) => setTimeout(r, 100));
    }
    expect(leader).not.toBeNull();
    // Each launcher's replica child (esbuild's service may be a child too).
    const replicaPids = nodes.map((n) => {
      const line = execFileSync("ps", ["--ppid", String(n.pid), "-o", "pid=,args="], {
        encoding: "utf8",
      })
        .split("\n")
        .find((l) => l.includes("--config"));
      return Number(line?.trim().split(/\s+/)[0]);
    });
    expect(replicaPids.every((p) => Number.isSafeInteger(p) && p > 0)).toBe(true);
    // SIGTERM stops two gracefully; SIGKILL of the third's launcher must not orphan its replica.
    nodes[0]!.kill("SIGTERM");
    nodes[1]!.kill("SIGTERM");
    nodes[2]!.kill("SIGKILL");
    expect(await Promise.all(nodes.slice(0, 2).map(exitOf))).toEqual([0, 0]);
    await exitOf(nodes[2]!);
    // The replicas stopped with their launchers: nothing is left running.
    const gone = (pid: number) => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    const end2 = Date.now() + 10_000;
    while (!replicaPids.every(gone) && Date.now() < end2) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(replicaPids.filter((p) => !gone(p))).toEqual([]);
  });

  it("refuses an unknown replica id or log level before starting anything", () => {
    const config = join(dir, "cluster.json");
    const badId = spawnSync(
      process.execPath,
      ["bin/dssmr.js", "node", "--config", config, "--id", "999"],
      {
        encoding: "utf8",
      },
    );
    expect(badId.status).toBe(2);
    expect(badId.stderr).toMatch(/999/);
    const badLevel = spawnSync(
      process.execPath,
      ["bin/dssmr.js", "node", "--config", config, "--id", "101", "--log-level", "loud"],
      { encoding: "utf8" },
    );
    expect(badLevel.status).toBe(2);
    expect(badLevel.stderr).toContain("--log-level must be one of");
  });
});

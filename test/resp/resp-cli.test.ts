// The CLI end to end: `dssmr up --app kv --resp-port`, a second front end from `dssmr resp`, and bad usage.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { freePorts } from "../../src/net/free-port.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const BIN = join(ROOT, "bin/dssmr.js");

const dssmr = (args: readonly string[]): Promise<{ code: number; stderr: string }> =>
  new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 60_000 }, (err, _o, stderr) =>
      done({ code: err === null ? 0 : typeof err.code === "number" ? err.code : -1, stderr }),
    );
  });

/** Starts a long-running `dssmr …` and resolves once its output shows `ready`. */
const serve = async (args: readonly string[], ready: string): Promise<ChildProcess> => {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "${ready}" in:\n${out}`)), 40_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes(ready)) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`exited with ${code}:\n${out}`));
    });
  });
  return child;
};

const children: ChildProcess[] = [];
let dir = "";
let upPort = 0;

afterAll(async () => {
  // The front end first, then the cluster: Ctrl-C each and wait for it.
  for (const c of children.reverse()) {
    if (c.exitCode !== null) continue;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGINT");
    const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

describe("dssmr up --resp-port and dssmr resp", () => {
  it("serve one kv cluster to Redis clients from two front ends", async () => {
    dir = await mkdtemp(join(tmpdir(), "dssmr-resp-cli-"));
    const [p1, p2] = (await freePorts(2)) as [number, number];
    upPort = p1;
    const data = join(dir, "data");
    await serve(
      [
        "up",
        "--app",
        "kv",
        "--data",
        data,
        "--partitions",
        "2",
        "--replicas",
        "1",
        "--memory",
      ].concat(["--no-http", "--resp-port", String(p1)]),
      `redis://127.0.0.1:${p1}`,
    );
    await serve(["resp", "--config", join(data, "cluster.json"), "--port", String(p2)], "Ctrl-C");
    const a = new Redis({ port: p1, lazyConnect: true, maxRetriesPerRequest: 1 });
    const b = new Redis({ port: p2, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await a.connect();
      await b.connect();
      expect(await a.mset("x", "1", "y", "2", "z", "3")).toBe("OK");
      expect(await b.mget("x", "y", "z")).toEqual(["1", "2", "3"]);
      expect(await b.multi().incr("x").incr("z").exec()).toEqual([
        [null, 2],
        [null, 4],
      ]);
      expect(await a.mget("x", "z")).toEqual(["2", "4"]);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  }, 90_000);

  it("refuses a chirper cluster and a taken port clearly", async () => {
    const cfg = join(dir, "chirper.json");
    await writeFile(
      cfg,
      JSON.stringify({
        app: "chirper",
        groups: [
          { id: 0, replicas: [{ id: 1, host: "127.0.0.1", port: 1, dataDir: "r1" }] },
          { id: 1, replicas: [{ id: 101, host: "127.0.0.1", port: 2, dataDir: "r101" }] },
        ],
      }),
    );
    const chirper = await dssmr(["resp", "--config", cfg, "--port", "0"]);
    expect(chirper.code).toBe(2);
    expect(chirper.stderr).toMatch(/RESP serves the kv app/);
    const up = await dssmr(["up", "--app", "chirper", "--resp-port", "6379"]);
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(/--resp-port: the RESP front end serves --app kv only/);
    const taken = await dssmr([
      "resp",
      "--config",
      join(dir, "data", "cluster.json"),
      "--port",
      String(upPort),
    ]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(new RegExp(`cannot serve RESP on 127\\.0\\.0\\.1:${upPort}`));
  });
});

// The CLI end to end: `dssmr up` as a process, Chirper commands, status, and the failure exits.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paperBenchDefaults } from "../../src/cli/bench-command.ts";
import { PAPER_HELP_DEFAULTS } from "../../src/cli/main.ts";
import { freePorts } from "../../src/net/free-port.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const BIN = join(ROOT, "bin/dssmr.js");

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `dssmr ARGS` to completion. */
const dssmr = (args: readonly string[]): Promise<Run> =>
  new Promise((done) => {
    const t0 = Date.now();
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
        done({ code, stdout, stderr, ms: Date.now() - t0 });
      },
    );
  });

let dir = "";
let up: ChildProcess | null = null;
let upExit: Promise<number | null> = Promise.resolve(null);
let upOut = "";
let config = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dssmr-cli-"));
  const data = join(dir, "data");
  config = join(data, "cluster.json");
  const child = spawn(
    process.execPath,
    [
      BIN,
      "up",
      "--data",
      data,
      "--partitions",
      "2",
      "--replicas",
      "1",
      "--memory",
      "--no-http",
      "--demo-users",
      "0",
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  up = child;
  upExit = new Promise((r) => child.once("exit", (code) => r(code)));
  child.stderr!.on("data", (d: Buffer) => {
    upOut += d.toString();
  });
  await new Promise<void>((resolveUp, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`dssmr up did not come up:\n${upOut}`)),
      40_000,
    );
    child.stdout!.on("data", (d: Buffer) => {
      upOut += d.toString();
      if (upOut.includes("Ctrl-C stops the cluster")) {
        clearTimeout(timer);
        resolveUp();
      }
    });
    void upExit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`dssmr up exited with ${code}:\n${upOut}`));
    });
  });
});

afterAll(async () => {
  if (up !== null && up.exitCode === null) {
    up.kill("SIGINT");
    const timer = setTimeout(() => up?.kill("SIGKILL"), 10_000);
    await upExit;
    clearTimeout(timer);
  }
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

describe("dssmr CLI against a local cluster", () => {
  it("adds users, follows, posts, and shows the post in the follower's timeline", async () => {
    expect(upOut).toContain(`config   ${config}`);
    const [alice, bob] = await Promise.all([
      dssmr(["chirper", "adduser", "alice", "--config", config]),
      dssmr(["chirper", "adduser", "bob", "--config", config]),
    ]);
    expect(alice).toMatchObject({ code: 0, stdout: "added user alice\n" });
    expect(bob.code).toBe(0);
    expect(await dssmr(["chirper", "follow", "alice", "bob", "--config", config])).toMatchObject({
      code: 0,
      stdout: "alice now follows bob\n",
    });
    const post = await dssmr([
      "chirper",
      "post",
      "bob",
      "hello",
      "from",
      "bob",
      "--config",
      config,
    ]);
    expect(post.code).toBe(0);
    const timeline = await dssmr(["chirper", "timeline", "alice", "--config", config]);
    expect(timeline).toMatchObject({ code: 0, stdout: "bob: hello from bob\n" });
  });

  it("reports failures: unknown user and unreachable cluster exit 1, usage errors exit 2; status --json lists every group", async () => {
    const raw = JSON.parse(await readFile(config, "utf8")) as {
      secret: string;
      groups: { replicas: { port: number }[] }[];
    };
    expect(raw.secret.length).toBeGreaterThanOrEqual(16);
    const dead = await freePorts(3);
    const deadConfig = join(dir, "dead.json");
    await writeFile(
      deadConfig,
      JSON.stringify({
        ...raw,
        groups: raw.groups.map((g, i) => ({
          ...g,
          replicas: [{ ...g.replicas[0]!, port: dead[i]! }],
        })),
      }),
    );
    const bad = join(dir, "bad.json");
    await writeFile(
      bad,
      JSON.stringify({
        ...raw,
        groups: raw.groups.map((g, i) =>
          i === 1 ? { ...g, replicas: [{ ...g.replicas[0]!, port: 70_000 }] } : g,
        ),
      }),
    );
    // The local cluster requires its shared secret: a client with another one is refused.
    const wrongSecret = join(dir, "wrong-secret.json");
    await writeFile(wrongSecret, JSON.stringify({ ...raw, secret: "not-the-cluster-secret" }));
    const [
      unknown,
      exists,
      status,
      unreachable,
      deadStatus,
      badConfig,
      wrongApp,
      badFlag,
      refused,
    ] = await Promise.all([
      dssmr(["chirper", "post", "carol", "hi", "--config", config]),
      dssmr(["chirper", "adduser", "alice", "--json", "--config", config]),
      dssmr(["status", "--json", "--config", config]),
      dssmr(["chirper", "timeline", "alice", "--config", deadConfig, "--timeout", "1500"]),
      dssmr(["status", "--config", deadConfig]),
      dssmr(["chirper", "timeline", "alice", "--config", bad]),
      dssmr(["kv", "get", "x", "--config", config]),
      dssmr(["chirper", "timeline", "alice", "--timeout", "soon", "--config", config]),
      dssmr(["chirper", "timeline", "alice", "--config", wrongSecret, "--timeout", "1500"]),
    ]);
    expect(unknown).toMatchObject({ code: 1, stdout: "", stderr: 'error: unknown user "carol"\n' });
    expect(exists.code).toBe(1);
    expect(JSON.parse(exists.stdout)).toEqual({
      type: "adduser",
      ok: false,
      error: "user-exists",
      user: "alice",
    });

    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as {
      ready: boolean;
      groups: {
        id: number;
        kind: string;
        variables: number;
        replicas: {
          up: boolean;
          pid: number;
          role: string;
          commitIndex: number;
          address: string;
        }[];
      }[];
    };
    expect(s.ready).toBe(true);
    expect(s.groups.map((g) => [g.id, g.kind])).toEqual([
      [0, "oracle"],
      [1, "partition"],
      [2, "partition"],
    ]);
    for (const g of s.groups) {
      expect(g.replicas).toHaveLength(1);
      expect(g.replicas[0]).toMatchObject({ up: true, role: "leader" });
      expect(g.replicas[0]!.pid).toBeGreaterThan(0);
      expect(g.replicas[0]!.commitIndex).toBeGreaterThan(0);
      expect(g.replicas[0]!.address).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    // alice and bob: the oracle maps both, the partitions hold both between them.
    expect(s.groups[0]!.variables).toBe(2);
    expect(s.groups[1]!.variables + s.groups[2]!.variables).toBe(2);

    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("error: the cluster did not answer within 1500 ms");
    expect(deadStatus.code).toBe(1);
    expect(deadStatus.stdout).toContain("DOWN");

    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain("groups[1].replicas[0].port: expected integer 1..65535");
    expect(wrongApp.code).toBe(2);
    expect(wrongApp.stderr).toContain("runs the chirper app, not kv");
    expect(badFlag.code).toBe(2);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("did not answer within 1500 ms");
  });

  it("serves the dashboard of the running cluster with `dssmr dashboard`, without kill and restart", async () => {
    expect(upOut).toContain("http     off (--no-http)");
    const [port] = await freePorts(1);
    const child = spawn(
      process.execPath,
      [BIN, "dashboard", "--config", config, "--http-port", String(port)],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    let out = "";
    child.stderr!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    try {
      await new Promise<void>((ready, reject) => {
        const timer = setTimeout(() => reject(new Error(`no dashboard:\n${out}`)), 30_000);
        child.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("Ctrl-C stops the dashboard")) {
            clearTimeout(timer);
            ready();
          }
        });
        void exit.then((code) => reject(new Error(`dssmr dashboard exited with ${code}:\n${out}`)));
      });
      const url = `http://127.0.0.1:${port}`;
      expect(out).toContain(`dashboard ${url}/`);
      expect(out).toContain(`chirper  ${url}/chirper`);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<html");
      const timeline = await fetch(`${url}/api/users/alice/timeline`);
      expect(await timeline.json()).toMatchObject({
        user: "alice",
        posts: [{ author: "bob", text: "hello from bob" }],
      });
      const kill = await fetch(`${url}/control/replicas/1/kill`, { method: "POST" });
      expect(kill.status).toBe(409);
      expect(await kill.json()).toEqual({
        error: "this dashboard did not start the cluster: it cannot kill or restart replicas",
      });
      // The first server-sent snapshot: every group with its leader, and per-replica deliveries.
      const events = await fetch(`${url}/events`);
      const reader = events.body!.getReader();
      let text = "";
      while (!text.includes("\n\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      const data = /^data: (.*)$/m.exec(text)?.[1];
      const snap = JSON.parse(data ?? "null") as {
        groups: { replicas: { role: string; delivered: number }[] }[];
        placement: unknown;
      };
      expect(snap.groups).toHaveLength(3);
      for (const g of snap.groups) {
        expect(g.replicas[0]).toMatchObject({ role: "leader", delivered: expect.any(Number) });
      }
      const delivered = snap.groups.map((g) => g.replicas[0]!.delivered);
      expect(delivered[1]! + delivered[2]!).toBeGreaterThan(0);
      expect(snap.placement).toBeNull(); // no demo graph in this cluster
    } finally {
      child.kill("SIGINT");
    }
    expect(await exit).toBe(0);
  });

  it("stops the cluster cleanly on Ctrl-C", async () => {
    up!.kill("SIGINT");
    expect(await upExit).toBe(0);
    expect(upOut).toContain("stopped; the data stays in");
    await expect(readFile(join(dir, "data", "pids.json"))).rejects.toThrow();
  });
});

describe("dssmr bench --help", () => {
  it("shows the paper defaults bench-command.ts uses (main.ts loads it only when bench runs)", () => {
    expect(PAPER_HELP_DEFAULTS).toEqual({
      users: paperBenchDefaults.users,
      clientsPerPartition: paperBenchDefaults.clientsPerPartition,
    });
  });
});

// Real processes: a 2-partition KV cluster behind the RESP front end, driven by ioredis, node-redis and redis-cli.
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPlacement } from "../../src/apps/placement.ts";
import type { Operation } from "../../src/check/history.ts";
import { partitionByKeys } from "../../src/check/key-partition.ts";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import type { Model } from "../../src/check/model.ts";
import type { LoadedConfig } from "../../src/cluster/config.ts";
import { LocalCluster } from "../../src/cluster/launcher.ts";
import { defaultLocalClusterOptions, prepareLocalConfig } from "../../src/cluster/local-config.ts";
import { partitionsOf } from "../../src/cluster/topology.ts";
import { type RespFrontEnd, startRespFrontEnd } from "../../src/resp/server.ts";

let dir = "";
let loaded: LoadedConfig;
let cluster: LocalCluster | null = null;
let open: RespFrontEnd | null = null;
let locked: RespFrontEnd | null = null;
const closers: (() => Promise<unknown>)[] = [];
const PASSWORD = "open sesame";

/** `n` fresh key names that hash to partition index `i` (of 2). */
const keysIn = (i: number, n: number, prefix: string): string[] => {
  const parts = partitionsOf(loaded.config);
  const out: string[] = [];
  for (let j = 0; out.length < n; j++) {
    const k = `${prefix}${j}`;
    if (hashPlacement(k, parts) === parts[i]) out.push(k);
  }
  return out;
};

const ioredis = (port: number, opts: Record<string, unknown> = {}): Redis => {
  const r = new Redis({
    port,
    host: "127.0.0.1",
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    // Fail, do not reconnect for ever: a refused password must stay refused.
    retryStrategy: () => null,
    ...opts,
  });
  r.on("error", () => {});
  closers.push(async () => r.disconnect());
  return r;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dssmr-resp-"));
  ({ loaded } = await prepareLocalConfig(dir, {
    ...defaultLocalClusterOptions,
    app: "kv",
    partitions: 2,
    memory: true,
    httpPort: null,
    metrics: false,
    demoUsers: 0,
  }));
  cluster = await LocalCluster.start(loaded);
  await cluster.waitReady();
  open = await startRespFrontEnd(loaded, { port: 0 });
  locked = await startRespFrontEnd(
    { ...loaded, config: { ...loaded.config, resp: { password: PASSWORD } } },
    { port: 0, clients: 1 },
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  await open?.close();
  await locked?.close();
  await cluster?.stop();
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

describe("ioredis against the RESP front end", () => {
  it("sets, gets, pipelines and reports Redis's errors", async () => {
    const r = ioredis(open!.server.port);
    await r.connect();
    expect(await r.ping()).toBe("PONG");
    expect(await r.set("io:a", "1")).toBe("OK");
    expect(await r.get("io:a")).toBe("1");
    expect(await r.get("io:missing")).toBeNull();
    expect(await r.incrby("io:a", 41)).toBe(42);
    const p = r.pipeline();
    for (let i = 0; i < 50; i++) p.incr("io:n").set(`io:p${i}`, String(i));
    p.get("io:n");
    const results = await p.exec();
    expect(results!.every(([err]) => err === null)).toBe(true);
    expect(results!.at(-1)![1]).toBe("50");
    expect(await r.mget("io:p0", "io:p49", "io:none")).toEqual(["0", "49", null]);
    await r.hset("io:h", "f", "v");
    await expect(r.get("io:h")).rejects.toThrow(/^WRONGTYPE/);
    await expect(r.call("nosuchcommand", "x")).rejects.toThrow(
      /^ERR unknown command 'nosuchcommand'/,
    );
    await expect(r.incr("io:h")).rejects.toThrow(/WRONGTYPE/);
    expect(await r.del("io:p0", "io:p1", "io:none")).toBe(2);
    expect(await r.exists("io:p0", "io:p2")).toBe(1);
    expect(await r.dbsize()).toBeGreaterThan(0);
    expect(await r.info("dssmr")).toMatch(/partitions:2/);
  });

  it("runs MSET, MGET, RENAME and MULTI/EXEC atomically across partitions", async () => {
    const r = ioredis(open!.server.port);
    await r.connect();
    const [x, y] = [keysIn(0, 1, "xp:")[0]!, keysIn(1, 1, "xp:")[0]!];
    expect(await r.mset(x, "1", y, "2")).toBe("OK");
    expect(await r.mget(x, y)).toEqual(["1", "2"]);
    expect(await r.msetnx(x, "9", "xp:fresh", "9")).toBe(0);
    const tx = await r.multi().incr(x).incrby(y, 10).get(x).get(y).exec();
    expect(tx).toEqual([
      [null, 2],
      [null, 12],
      [null, "2"],
      [null, "12"],
    ]);
    const [a, b] = [keysIn(0, 1, "rn:")[0]!, keysIn(1, 1, "rn:")[0]!];
    await r.set(a, "moved");
    expect(await r.rename(a, b)).toBe("OK");
    expect(await r.mget(a, b)).toEqual([null, "moved"]);
    // A runtime error inside EXEC leaves the other commands applied, as in Redis.
    await r.hset("xp:hash", "f", "1");
    const mixed = await r.multi().set(x, "10").incr("xp:hash").hincrby("xp:hash", "f", 2).exec();
    expect(mixed![0]).toEqual([null, "OK"]);
    expect(String(mixed![1]![0])).toMatch(/WRONGTYPE/);
    expect(mixed![2]).toEqual([null, 3]);
    expect(await r.hgetall("xp:hash")).toEqual({ f: "3" });
  });

  it("aborts EXEC after WATCH when another connection changed a watched key", async () => {
    const [r, other] = [ioredis(open!.server.port), ioredis(open!.server.port)];
    await Promise.all([r.connect(), other.connect()]);
    const [x, y] = [keysIn(0, 1, "w:")[0]!, keysIn(1, 1, "w:")[0]!];
    await r.mset(x, "1", y, "1");
    await r.watch(x, y);
    expect(await r.multi().incr(x).incr(y).exec()).toEqual([
      [null, 2],
      [null, 2],
    ]);
    await r.watch(x, y);
    await other.set(y, "10");
    expect(await r.multi().incr(x).incr(y).exec()).toBeNull();
    expect(await r.mget(x, y)).toEqual(["2", "10"]);
  });

  it("keeps concurrent cross-partition transfers atomic: the total never changes", async () => {
    const accounts = [...keysIn(0, 2, "acct:"), ...keysIn(1, 2, "acct:")];
    const conns = [0, 1, 2, 3].map(() => ioredis(open!.server.port));
    await Promise.all(conns.map((c) => c.connect()));
    await conns[0]!.mset(...accounts.flatMap((k) => [k, "100"]));
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    const work = conns.map(async (c) => {
      for (let i = 0; i < 15; i++) {
        const from = accounts[rand(4)]!;
        const to = accounts.filter((k) => k !== from)[rand(3)]!;
        await c.multi().decrby(from, 3).incrby(to, 3).exec();
        const values = (await c.mget(...accounts)).map(Number);
        expect(values.reduce((s, v) => s + v, 0)).toBe(400);
      }
    });
    await Promise.all(work);
  }, 60_000);

  it("requires the configured password", async () => {
    // RESP2 and no ready check: ioredis's HELLO 3 and INFO would be refused (as Redis would
    // refuse them) and it would hang up before we could try AUTH.
    const r = ioredis(locked!.server.port, { enableReadyCheck: false, protocol: 2 });
    await r.connect();
    await expect(r.get("k")).rejects.toThrow(/^NOAUTH Authentication required/);
    await expect(r.auth("wrong")).rejects.toThrow(/^WRONGPASS/);
    expect(await r.auth(PASSWORD)).toBe("OK");
    expect(await r.set("auth:k", "v")).toBe("OK");
    // ioredis 6 speaks RESP3 by default, authenticating in HELLO 3 AUTH; RESP2 uses AUTH.
    for (const protocol of [2, 3] as const) {
      const good = ioredis(locked!.server.port, { password: PASSWORD, protocol });
      await good.connect();
      expect(await good.get("auth:k")).toBe("v");
      expect(await good.hset(`auth:h${protocol}`, "f", "1")).toBe(1);
      expect(await good.hgetall(`auth:h${protocol}`)).toEqual({ f: "1" });
    }
  });
});

describe("node-redis against the RESP front end", () => {
  it("speaks RESP3 after HELLO 3 and RESP2 otherwise", async () => {
    for (const RESP of [2, 3] as const) {
      const c = createClient({ url: `redis://127.0.0.1:${open!.server.port}`, RESP });
      c.on("error", () => {});
      await c.connect();
      closers.push(async () => c.destroy());
      const k = `nr${RESP}:`;
      expect(await c.set(`${k}a`, "1")).toBe("OK");
      expect(await c.incr(`${k}a`)).toBe(2);
      expect(await c.hSet(`${k}h`, { f: "1", g: "2" })).toBe(2);
      const all = await c.hGetAll(`${k}h`);
      expect({ ...all }).toEqual({ f: "1", g: "2" });
      const [x, y] = [keysIn(0, 1, k)[0]!, keysIn(1, 1, k)[0]!];
      expect(await c.mSet([x, "1", y, "2"])).toBe("OK");
      expect(await c.mGet([x, y, `${k}none`])).toEqual(["1", "2", null]);
      const res = await c.multi().incr(x).get(y).exec();
      expect(res).toEqual([2, "2"]);
      await expect(c.sendCommand(["BLAH"])).rejects.toThrow(/unknown command/);
      if (RESP === 3) {
        const hello = (await c.sendCommand(["HELLO", "3"])) as unknown;
        expect(JSON.stringify(hello)).toMatch(/proto/);
      }
      await c.close();
    }
  });
});

const redisCli = spawnSync("redis-cli", ["--version"]).status === 0;

/** Runs redis-cli; never a sync call: the server under test shares this event loop. */
const redisCliRun = async (args: string[], input?: string): Promise<string> => {
  const p = promisify(execFile)("redis-cli", ["-p", String(open!.server.port), ...args], {
    encoding: "utf8",
  });
  if (input !== undefined) p.child.stdin!.end(input);
  return (await p).stdout;
};

describe.skipIf(!redisCli)("redis-cli against the RESP front end", () => {
  it("gives Redis's answers to the README's commands", async () => {
    const cli = async (...args: string[]) => (await redisCliRun(args)).trim();
    expect(await cli("set", "cli:a", "1")).toBe("OK");
    expect(await cli("mset", "cli:x", "1", "cli:y", "2")).toBe("OK");
    expect(await cli("mget", "cli:a", "cli:x", "cli:y", "cli:none")).toBe("1\n1\n2");
    expect(await cli("hset", "cli:h", "f", "v")).toBe("1");
    expect(await cli("hgetall", "cli:h")).toBe("f\nv");
    expect(await cli("get", "cli:h")).toMatch(/WRONGTYPE/);
    const piped = await redisCliRun([], "multi\nset cli:m 1\nincr cli:m\nexec\n");
    expect(piped.trim().split("\n")).toEqual(["OK", "QUEUED", "QUEUED", "OK", "2"]);
  });
});
if (!redisCli) {
  console.warn(
    "redis-cli not found: its tests are skipped (apt-get install -y redis-tools; CI installs it)",
  );
}

/** A Redis command as the history records it, and its reply (undefined: error or no answer). */
type RedisOp = Operation<readonly string[], unknown>;
type RedisState = ReadonlyMap<string, string>;

/**
 * An independent sequential model of the commands the workload sends (not the front end's own
 * code): SET, GET, INCR, MSET, MGET and a MULTI of two INCRs, recorded as ["tx", k1, k2].
 */
const redisModel: Model<RedisState, readonly string[], unknown> = {
  init: () => new Map(),
  step(state, input, output) {
    const next = new Map(state);
    const [cmd, ...a] = input;
    const incr = (k: string): number => {
      const n = Number(next.get(k) ?? "0") + 1;
      next.set(k, String(n));
      return n;
    };
    let want: unknown;
    switch (cmd) {
      case "set":
        next.set(a[0]!, a[1]!);
        want = "OK";
        break;
      case "mset":
        for (let i = 0; i < a.length; i += 2) next.set(a[i]!, a[i + 1]!);
        want = "OK";
        break;
      case "get":
        want = next.get(a[0]!) ?? null;
        break;
      case "mget":
        want = a.map((k) => next.get(k) ?? null);
        break;
      case "incr":
        want = incr(a[0]!);
        break;
      default:
        want = a.map(incr);
    }
    if (output !== undefined && JSON.stringify(output) !== JSON.stringify(want)) return undefined;
    return next;
  },
  key: (s) => JSON.stringify([...s].sort()),
  partition: (ops) =>
    partitionByKeys(
      ops,
      (i) => (i[0] === "mset" ? i.slice(1).filter((_, j) => j % 2 === 0) : i.slice(1)),
      (i) => i[0] === "get" || i[0] === "mget",
    ),
  describe: (i, o) => `${i.join(" ")} -> ${o === undefined ? "?" : JSON.stringify(o)}`,
};

describe("a history recorded through RESP", () => {
  it("is linearizable across partitions while a partition leader is killed -9", async () => {
    const keys = [...keysIn(0, 2, "lin:"), ...keysIn(1, 2, "lin:")];
    const ops: RedisOp[] = [];
    const conns = [0, 1, 2, 3].map(() => ioredis(open!.server.port, { commandTimeout: 15_000 }));
    await Promise.all(conns.map((c) => c.connect()));
    let seed = 99;
    const rand = (n: number) => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    const record = async (client: number, input: string[], run: () => Promise<unknown>) => {
      const op = {
        id: ops.length,
        client,
        input,
        output: undefined as unknown,
        call: performance.now(),
        ret: Infinity,
      };
      ops.push(op);
      try {
        op.output = await run();
        op.ret = performance.now();
      } catch {
        // An error or no answer: the command may or may not have taken effect.
      }
    };
    const worker = async (n: number) => {
      const c = conns[n]!;
      for (let i = 0; i < 40; i++) {
        const k = keys[rand(keys.length)]!;
        const k2 = keys.filter((x) => x !== k)[rand(keys.length - 1)]!;
        const v = String(rand(1000));
        switch (rand(6)) {
          case 0:
            await record(n, ["set", k, v], () => c.set(k, v));
            break;
          case 1:
            await record(n, ["get", k], () => c.get(k));
            break;
          case 2:
            await record(n, ["incr", k], () => c.incr(k));
            break;
          case 3:
            await record(n, ["mset", k, v, k2, v], () => c.mset(k, v, k2, v));
            break;
          case 4:
            await record(n, ["mget", k, k2], () => c.mget(k, k2));
            break;
          default:
            await record(n, ["tx", k, k2], async () =>
              ((await c.multi().incr(k).incr(k2).exec()) ?? []).map(([err, r]) => {
                if (err) throw err;
                return r;
              }),
            );
        }
      }
    };
    const running = Promise.all([0, 1, 2, 3].map(worker));
    await new Promise((r) => setTimeout(r, 300));
    const status = await cluster!.waitReady();
    const leader = status.groups.find((g) => g.kind === "partition")?.leader;
    expect(leader).toBeTypeOf("number");
    await cluster!.kill(leader!);
    await running;
    const completed = ops.filter((o) => o.output !== undefined).length;
    expect(completed).toBeGreaterThan(ops.length / 2);
    const verdict = checkLinearizable(redisModel, ops);
    expect(verdict.ok, verdict.ok === false ? verdict.explanation : "").toBe(true);
  }, 120_000);
});

// An app module on real processes: examples/bank.ts on 2 partitions, `dssmr call`, a replica killed -9, money conserved.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BankCmd, type BankResult, bankModel } from "../../examples/bank.ts";
import type { Operation } from "../../src/check/history.ts";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import { main } from "../../src/cli/main.ts";
import { DsClient } from "../../src/client/ds-client.ts";
import { AppMismatchError, ClientTimeoutError } from "../../src/client/errors.ts";
import { clusterStatus } from "../../src/client/status.ts";
import { appSpecForConfig, loadAppModule } from "../../src/cluster/app-module.ts";
import { loadAppSetup } from "../../src/cluster/app-setup.ts";
import type { LoadedConfig } from "../../src/cluster/config.ts";
import { LocalCluster } from "../../src/cluster/launcher.ts";
import { defaultLocalClusterOptions, prepareLocalConfig } from "../../src/cluster/local-config.ts";
import { partitionsOf } from "../../src/cluster/topology.ts";
import { Rng } from "../../src/sim/rng.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const BANK = join(ROOT, "examples/bank.ts");
const ACCOUNTS = Array.from({ length: 8 }, (_, i) => `acct${i}`);
const START = 100;

type Bank = DsClient<BankCmd, BankResult>;

let dir = "";
let loaded: LoadedConfig;
let cluster: LocalCluster | null = null;
const clients: Bank[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `dssmr ARGS` in this process: exit status and what it printed. */
const call = async (...args: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["call", ...args, "--config", loaded.file!], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
};

const connect = async (): Promise<Bank> => {
  const setup = await loadAppSetup(loaded);
  const c = await DsClient.connect(loaded, setup.app as unknown as Bank["application"], {
    timeoutMs: 10_000,
  });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dssmr-bank-"));
  ({ loaded } = await prepareLocalConfig(dir, {
    ...defaultLocalClusterOptions,
    // As `dssmr up --app ./examples/bank.ts` writes it: relative to the config's folder.
    app: appSpecForConfig("./examples/bank.ts", ROOT, dir),
    partitions: 2,
    memory: true,
    httpPort: null,
    metrics: false,
    demoUsers: 0,
  }));
  cluster = await LocalCluster.start(loaded);
  await cluster.waitReady();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster?.stop();
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

describe("examples/bank.ts as an app module on a real cluster", () => {
  it("answers `dssmr call` with JSON, and exits 2 for bad JSON or an invalid command", async () => {
    expect(loaded.config.app).toMatch(/^\.\.?\/.*examples\/bank\.ts$/);
    expect(partitionsOf(loaded.config)).toHaveLength(2);
    expect(await call(JSON.stringify({ type: "open", account: "acct0" }))).toEqual({
      code: 0,
      out: '{"ok":true,"balance":0}',
      err: "",
    });
    const cmdFile = join(dir, "deposit.json");
    await writeFile(cmdFile, JSON.stringify({ type: "deposit", account: "acct0", amount: START }));
    expect(await call("--file", cmdFile)).toMatchObject({
      code: 0,
      out: '{"ok":true,"balance":100}',
    });
    // An application-level failure: printed as JSON, exit 1.
    expect(await call('{"type":"open","account":"acct0"}')).toMatchObject({
      code: 1,
      out: '{"ok":false,"error":"exists: acct0"}',
    });
    const bad = await call("{not json");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/not valid JSON/);
    const invalid = await call('{"type":"transfer","from":"a","to":"a","amount":1}');
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/invalid command: from and to must be different accounts/);
    expect((await call()).code).toBe(2);
  });

  it("reads the command from standard input through the real binary", async () => {
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      const child = execFile(
        process.execPath,
        [join(ROOT, "bin/dssmr.js"), "call", "-", "--config", loaded.file!],
        { cwd: ROOT, timeout: 60_000 },
        (err, stdout, stderr) =>
          done({ code: err === null ? 0 : Number(err.code ?? -1), stdout, stderr }),
      );
      child.stdin!.end(JSON.stringify({ type: "balance", account: "acct0" }));
    });
    expect(run).toMatchObject({ code: 0, stdout: '{"ok":true,"balance":100}\n' });
  });

  it("conserves money under concurrent transfers while a partition leader is killed -9 and restarted, linearizably", async () => {
    const c = cluster!;
    const setup = await connect();
    for (const a of ACCOUNTS.slice(1)) {
      expect(await setup.execute({ type: "open", account: a })).toEqual({ ok: true, balance: 0 });
      expect(await setup.execute({ type: "deposit", account: a, amount: START })).toEqual({
        ok: true,
        balance: START,
      });
    }
    const initial = new Map(ACCOUNTS.map((a) => [a, START] as const));
    const history: Operation<BankCmd, BankResult>[] = [];
    const workers = await Promise.all([connect(), connect()]);
    let stop = false;
    const loop = async (w: Bank, no: number): Promise<void> => {
      const rng = new Rng(100 + no);
      while (!stop) {
        const from = rng.pick(ACCOUNTS);
        let to = rng.pick(ACCOUNTS);
        if (to === from) to = ACCOUNTS[(ACCOUNTS.indexOf(from) + 1) % ACCOUNTS.length]!;
        const input: BankCmd = rng.chance(0.8)
          ? { type: "transfer", from, to, amount: 1 + rng.int(30) }
          : { type: "balance", account: from };
        const op: Operation<BankCmd, BankResult> = {
          id: history.length,
          client: no,
          input,
          output: undefined,
          call: performance.now(),
          ret: Number.POSITIVE_INFINITY,
        };
        history.push(op);
        try {
          const out = await w.execute(input, { timeoutMs: 4_000 });
          history[op.id] = { ...op, output: out, ret: performance.now() };
        } catch (err) {
          if (!(err instanceof ClientTimeoutError)) throw err; // outcome unknown: left open
        }
      }
    };
    const load = Promise.all([0, 1, 2, 3].map((i) => loop(workers[i % 2]!, i)));

    await sleep(1_500);
    const s = await clusterStatus(loaded);
    const leader = s.groups.find((g) => g.id === 1)!.leader!;
    await c.kill(leader, "SIGKILL");
    await sleep(1_500);
    await c.startReplica(leader);
    await sleep(1_500);
    stop = true;
    await load;
    const end = Date.now() + 15_000;
    while (!workers.every((w) => w.pending === 0) && Date.now() < end) await sleep(100);

    const done = history.filter((h) => h.output !== undefined);
    expect(done.length).toBeGreaterThan(50);
    expect(done.filter((h) => h.input.type === "transfer" && h.output?.ok).length).toBeGreaterThan(
      20,
    );
    // The bank's invariant: transfers move money, never make or lose it.
    let total = 0;
    for (const a of ACCOUNTS) {
      const r = await setup.execute({ type: "balance", account: a });
      expect(r.ok).toBe(true);
      total += r.ok ? (r.balance ?? 0) : 0;
    }
    expect(total).toBe(START * ACCOUNTS.length);
    // And every answer is one a single bank could have given, in an order real time allows.
    const verdict = checkLinearizable(bankModel(initial), history);
    expect(verdict.ok === true ? "linearizable" : JSON.stringify(verdict)).toBe("linearizable");
  });

  it("refuses a client that loads another version of the module, with a clear error", async () => {
    // Same app name, other file contents: another identity.
    await writeFile(
      join(dir, "bank-v2.ts"),
      `// another version\nexport { bank as default } from ${JSON.stringify(BANK)};\n`,
    );
    const other = await loadAppModule("./bank-v2.ts", dir, {
      mode: loaded.config.mode,
      partitions: partitionsOf(loaded.config),
    });
    const mine = await loadAppSetup(loaded);
    expect(other.identity).not.toBe(mine.identity);
    const client = await DsClient.connect(loaded, other.app, {
      appIdentity: other.identity,
      timeoutMs: 10_000,
    });
    clients.push(client as unknown as Bank);
    const t0 = Date.now();
    const err = await client
      .execute({ type: "balance", account: "acct0" })
      .catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(AppMismatchError);
    expect(String((err as Error).message)).toContain(`runs app "${other.identity}"`);
    expect(String((err as Error).message)).toContain(`the cluster runs "${mine.identity}"`);
    expect(Date.now() - t0).toBeLessThan(5_000); // refused at the handshake, not timed out

    // `dssmr call` with a config naming the other version: exit 1 and the same reason.
    const cfg = join(dir, "other.json");
    await writeFile(cfg, JSON.stringify({ ...loaded.config, app: "./bank-v2.ts" }));
    const out: string[] = [];
    const code = await main(["call", '{"type":"balance","account":"acct0"}', "--config", cfg], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    expect(code).toBe(1);
    expect(out.join("\n")).toMatch(/application mismatch/);
  });
});

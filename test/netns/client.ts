// Test helper process: a KV workload client driven over stdin/stdout, run inside its own network namespace.
//
// `node --import tsx test/netns/client.ts --config FILE --history FILE [--workers N] [--seed N]`
//
// The test drives it with one command per line on stdin and reads one JSON object per line on
// stdout (nothing else is written there):
//   status      -> {"event":"status","status":ClusterStatus}
//   start       -> creates the test keys, starts the workers -> {"event":"started"}
//   mark NAME   -> {"event":"mark","name":NAME,"t":<history clock>,"completed":N}
//   stop        -> stops the workers, waits for stragglers, reads every key back (recorded in
//                  the history, so the checker also judges the final reads), writes the history
//                  to the --history file -> {"event":"done",...} (status still works after)
//   quit        -> exits
// It starts with {"event":"up"}, answers a failed command with {"event":"error","error":TEXT},
// and exits when stdin closes (the test process is gone).
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import type { DsKvCmd, DsKvResult } from "../../src/apps/kv/types.ts";
import { DsClient } from "../../src/client/ds-client.ts";
import { clusterStatus } from "../../src/client/status.ts";
import { appSetup } from "../../src/cluster/app-setup.ts";
import { loadClusterConfig } from "../../src/cluster/config.ts";
import { HistoryRecorder, NUM_KEYS, runWorkload, STR_KEYS } from "../cluster/kv-workload.ts";

type Kv = DsClient<DsKvCmd, DsKvResult>;

const args = process.argv.slice(2);
const flag = (name: string, fallback?: string): string => {
  const i = args.indexOf(name);
  const v = i < 0 ? fallback : args[i + 1];
  if (v === undefined) throw new Error(`missing ${name}`);
  return v;
};

const loaded = loadClusterConfig(flag("--config"));
const historyFile = flag("--history");
const workerCount = Number(flag("--workers", "4"));
const seed = Number(flag("--seed", "11"));

const setup = appSetup(loaded.config);
if (setup.kind !== "kv") throw new Error("expected the kv app");
const kvApp = setup.app;

const emit = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const recorder = new HistoryRecorder();
const clients: Kv[] = [];
const connect = async (): Promise<Kv> => {
  const c = await DsClient.connect(loaded, kvApp, { timeoutMs: 10_000 });
  clients.push(c);
  return c;
};

let stop = false;
let load: Promise<void> | null = null;
let admin: Kv | null = null;

/** Creates the keys (client 0), then starts closed-loop workers 1..N. */
async function start(): Promise<void> {
  admin = await connect();
  for (const k of NUM_KEYS) {
    const r = await recorder.run(admin, 0, { type: "create", key: k, value: "100" }, 10_000);
    if (r?.type !== "create") throw new Error(`create ${k}: ${JSON.stringify(r)}`);
  }
  for (const k of STR_KEYS) {
    const r = await recorder.run(admin, 0, { type: "create", key: k, value: "init" }, 10_000);
    if (r?.type !== "create") throw new Error(`create ${k}: ${JSON.stringify(r)}`);
  }
  const workers = await Promise.all(Array.from({ length: workerCount }, () => connect()));
  // A short per-operation limit: an operation stuck on the cut-off leader gives up (and stays
  // incomplete in the history) instead of holding its worker for the whole cut.
  load = runWorkload(recorder, workers, () => stop, seed, 3_000);
}

/** Stops the workers, reads everything back, writes the history. */
async function finish(): Promise<Record<string, unknown>> {
  stop = true;
  await load;
  // Timed-out commands keep running in their proxies: let them finish before the final reads.
  const end = Date.now() + 15_000;
  while (clients.some((c) => c.pending > 0) && Date.now() < end) await sleep(50);
  const keys = [...NUM_KEYS, ...STR_KEYS];
  const back = await recorder.run(admin!, 0, { type: "mget", keys }, 10_000);
  writeFileSync(historyFile, JSON.stringify(recorder.history()));
  return {
    event: "done",
    ...recorder.counts(),
    values: back?.type === "mget" ? back.values : null,
    idle: clients.every((c) => c.pending === 0),
  };
}

/** Ops completed so far (the history clock is this process's performance.now()). */
const completedNow = (): number => recorder.counts().completed;

emit({ event: "up" });
const lines = createInterface({ input: process.stdin });
// Commands run one at a time, in order.
let queue: Promise<void> = Promise.resolve();
lines.on("line", (line) => {
  const [cmd, ...rest] = line.trim().split(/\s+/);
  queue = queue.then(async () => {
    try {
      if (cmd === "status") {
        emit({ event: "status", status: await clusterStatus(loaded, { timeoutMs: 300 }) });
      } else if (cmd === "start") {
        await start();
        emit({ event: "started" });
      } else if (cmd === "mark") {
        emit({ event: "mark", name: rest[0], t: performance.now(), completed: completedNow() });
      } else if (cmd === "stop") {
        emit(await finish());
      } else if (cmd === "quit") {
        process.exit(0);
      } else {
        emit({ event: "error", error: `unknown command ${cmd}` });
      }
    } catch (err) {
      emit({ event: "error", error: err instanceof Error ? err.message : String(err) });
    }
  });
});
// The test process is gone: nothing will read our output.
lines.on("close", () => process.exit(0));

// Entry script of a test node process: one McastTestApp replica, recording its deliveries to a file.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  defaultGroupReplicaOptions,
  type GroupEvent,
  type GroupSnapshot,
} from "../core/group/group-replica.ts";
import type { McastCommand } from "../core/multicast/types.ts";
import { defaultRaftOptions } from "../core/raft/types.ts";
import {
  McastTestApp,
  type TestAppSnapshot,
  type TestPayload,
  type TestRelay,
  type TestResult,
} from "../sim/mcast-test-app.ts";
import { MemoryStore } from "../storage/memory-store.ts";
import type { RaftStore } from "../storage/raft-store.ts";
import { WalStorage } from "../storage/wal.ts";
import { parseNodeConfig, runtimeConfig } from "./node-config.ts";
import { NodeRuntime } from "./node-runtime.ts";

// Usage: node --import tsx src/runtime/test-node-main.ts '<NodeProcessConfig JSON>'
// Prints "ready <port>" once listening. Exits on SIGTERM (gracefully) or when stdin closes
// (the parent died), so a crashed test never leaves nodes behind.

type Cmd = McastCommand<TestPayload, TestRelay>;
type Snap = GroupSnapshot<TestPayload, TestRelay, TestResult, TestAppSnapshot>;

const config = parseNodeConfig(process.argv[2] ?? "");
mkdirSync(config.dataDir, { recursive: true });
const storage: RaftStore<Cmd, Snap> = config.memory
  ? new MemoryStore<Cmd, Snap>()
  : await WalStorage.open<Cmd, Snap>(
      join(config.dataDir, "wal"),
      config.segmentBytes === undefined ? {} : { segmentBytes: config.segmentBytes },
    );
const deliveries = join(config.dataDir, "deliveries.log");

/** One line per delivery, "position client.seq", appended before anything else happens. */
const record = (events: readonly GroupEvent<TestPayload, TestRelay>[]): void => {
  let lines = "";
  for (const ev of events) {
    if (ev.kind === "deliver") lines += `${ev.position} ${ev.msg.client}.${ev.msg.seq}\n`;
  }
  if (lines !== "") appendFileSync(deliveries, lines);
};

const runtime = new NodeRuntime(
  runtimeConfig(config),
  {
    makeApp: () => new McastTestApp(),
    storage,
    onEvents: record,
    onFatal: (err) => {
      console.error(`replica ${config.replica}: fatal:`, err);
      process.exit(1);
    },
  },
  {
    tickMs: config.tickMs ?? 10,
    replica: {
      ...defaultGroupReplicaOptions(defaultRaftOptions),
      snapshotEvery: config.snapshotEvery ?? 256,
    },
  },
);
const addr = await runtime.start();
console.log(`ready ${addr?.port ?? 0}`);

let stopping = false;
const stop = async (code: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await runtime.stop();
  process.exit(code);
};
process.on("SIGTERM", () => void stop(0));
process.stdin.on("end", () => void stop(0));
process.stdin.on("error", () => void stop(0));
process.stdin.resume();

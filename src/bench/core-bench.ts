// Benchmarks of one group: the consensus core in-process (wall clock) and the simulator (simulated time).
import { clientId, type ReplicaId, replicaId } from "../core/ids.ts";
import type { KvOp, KvResult } from "../core/kv/kv.ts";
import { KvMachine, type KvSnapshot } from "../core/kv/kv-machine.ts";
import { defaultRaftOptions } from "../core/raft/types.ts";
import { type GroupMessage, Replica } from "../core/replica/replica.ts";
import { defaultKvSimOptions, runKvSimulation } from "../sim/kv-sim.ts";
import { Rng } from "../sim/rng.ts";

/** One in-process measurement. */
export interface CoreBenchResult {
  readonly batch: number;
  readonly commands: number;
  readonly entries: number;
  readonly seconds: number;
  readonly commandsPerSecond: number;
  readonly entriesPerSecond: number;
  readonly messagesPerCommand: number;
}

/**
 * Three replicas wired directly (messages delivered in-process, storage a no-op): the leader
 * proposes `batch` commands per round, rounds repeat until `commands` are applied on every
 * replica. Measures the CPU cost of consensus plus apply, without I/O.
 */
export function benchCore(commands: number, batch: number): CoreBenchResult {
  const ids = [1, 2, 3].map(replicaId);
  const rng = new Rng(1);
  const options = {
    raft: {
      ...defaultRaftOptions,
      maxBatch: Math.max(1, batch),
      maxInflight: 64,
      maxEntriesPerAppend: 64,
    },
    snapshotEvery: 10_000,
    maxSessions: 1024,
    bugs: new Set<never>(),
  };
  const replicas = new Map(
    ids.map((id) => [
      id,
      new Replica<KvOp, KvResult, KvSnapshot>(
        { id, members: ids, random: () => rng.next() },
        options,
        () => new KvMachine(),
        { hardState: { term: 0, vote: null }, snapshot: null, entries: [] },
      ),
    ]),
  );
  const pending: GroupMessage<KvOp, KvResult, KvSnapshot>[] = [];
  let messages = 0;
  const pump = (): void => {
    for (let guard = 0; guard < 10_000; guard++) {
      let progressed = false;
      for (const r of replicas.values()) {
        if (!r.hasReady()) continue;
        progressed = true;
        const rd = r.ready();
        for (const m of rd.raft.eager) pending.push(m);
        for (const m of rd.raft.messages) pending.push(m);
        r.advance(rd);
      }
      while (pending.length > 0) {
        const m = pending.shift()!;
        messages++;
        replicas.get(m.to as ReplicaId)!.step(m);
        progressed = true;
      }
      if (!progressed) return;
    }
  };
  // Elect replica 1.
  const first = replicas.get(ids[0]!)!;
  for (let t = 0; t < 100 && first.raft.role !== "leader"; t++) {
    first.tick();
    pump();
  }
  if (first.raft.role !== "leader") throw new Error("bench: no leader elected");
  messages = 0;
  const startIndex = first.raft.commitIndex;
  const started = process.hrtime.bigint();
  let seq = 0;
  const client = clientId(1);
  while (seq < commands) {
    for (let i = 0; i < batch && seq < commands; i++) {
      seq++;
      first.request({
        type: "request",
        client,
        seq,
        op: { type: "put", key: `k${seq % 100}`, value: "v" },
      });
    }
    pump();
  }
  for (let t = 0; t < 5; t++) {
    for (const r of replicas.values()) r.tick();
    pump();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const entries = first.raft.commitIndex - startIndex;
  return {
    batch,
    commands,
    entries,
    seconds,
    commandsPerSecond: commands / seconds,
    entriesPerSecond: entries / seconds,
    messagesPerCommand: messages / commands,
  };
}

/** One simulated measurement. */
export interface SimBenchResult {
  readonly maxBatch: number;
  readonly clients: number;
  readonly commandsPerSimSecond: number;
  readonly raftMessagesPerCommand: number;
  readonly fsyncsPerCommand: number;
  readonly commandsPerEntry: number;
}

/**
 * The simulator with its cost model, no faults: `clients` closed-loop clients with no think time
 * against a group whose leader packs at most `maxBatch` commands per entry.
 */
export function benchSim(maxBatch: number, clients: number, ops: number): SimBenchResult {
  const r = runKvSimulation({
    ...defaultKvSimOptions,
    seed: 1,
    clients,
    ops,
    thinkMs: 0,
    checkHistory: false,
    raft: { ...defaultRaftOptions, maxBatch },
  });
  if (r.violations.length > 0) throw new Error(`bench: violations: ${r.violations.join("; ")}`);
  const s = r.stats;
  return {
    maxBatch,
    clients,
    commandsPerSimSecond: s.commandsCommitted / (s.simulatedMs / 1000),
    raftMessagesPerCommand: s.raftMessages / s.commandsCommitted,
    fsyncsPerCommand: s.fsyncs / s.commandsCommitted,
    commandsPerEntry: s.commandsCommitted / s.entriesCommitted,
  };
}

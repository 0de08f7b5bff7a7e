// Atomic multicast benchmarks in the simulator: rounds, messages and latency per message, and scaling.
import { pathToFileURL } from "node:url";
import type { CostModel } from "../sim/cost.ts";
import {
  defaultMcastSimOptions,
  type McastRecord,
  type McastSimOptions,
  type McastSimResult,
  runMcastSimulation,
} from "../sim/mcast-sim.ts";

/**
 * A network whose every message takes exactly 1 simulated ms, so that a latency in ms reads
 * directly as a number of message delays.
 */
export const unitDelayNetwork = {
  minLatency: 1,
  meanExtraLatency: 0,
  dropRate: 0,
  duplicateRate: 0,
} as const;

/** A cost model in which replicas spend no time at all: only message delays count. */
export const zeroCost: CostModel = {
  cpuPerInput: 0,
  cpuPerCommand: 0,
  cpuPerSend: 0,
  fsyncLatency: 0,
};

/** Percentile `p` (0..1) of `xs`, nearest rank; 0 for an empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

/** Latencies of the completed messages of `history` that `keep` selects. */
function latencies(history: readonly McastRecord[], keep: (r: McastRecord) => boolean): number[] {
  const out: number[] = [];
  for (const r of history) {
    if (r.completedAt !== null && keep(r)) out.push(r.completedAt - r.sentAt);
  }
  return out;
}

/**
 * Time after the last answer for followers to learn the last commits (the liveness checker wants
 * every correct replica caught up); short, so that idle heartbeats barely count.
 */
const CATCH_UP_MS = 50;

/** Runs one fault-free simulation and insists that it was clean and complete. */
function run(o: Partial<McastSimOptions>): McastSimResult {
  const r = runMcastSimulation({
    ...defaultMcastSimOptions,
    relayFraction: 0,
    catchUpMs: CATCH_UP_MS,
    settleMs: 120_000,
    ...o,
  });
  if (r.violations.length > 0) {
    throw new Error(`mcast bench: violations: ${r.violations.slice(0, 3).join("; ")}`);
  }
  if (r.stats.completed !== r.stats.messages) {
    throw new Error(
      `mcast bench: ${r.stats.messages - r.stats.completed} messages never completed`,
    );
  }
  return r;
}

/** Cost of one kind of message without contention (SIMULATED, unit-delay network, zero CPU). */
export interface McastCostResult {
  /** "local" (one group) or "global" (several). */
  readonly kind: "local" | "global";
  /** Groups in the system; a global message goes to 2..groups of them, chosen at random. */
  readonly groups: number;
  /** Mean number of destination groups per message. */
  readonly meanDests: number;
  readonly messages: number;
  /** Log entries committed over all groups per multicast (consensus rounds, no batching here). */
  readonly entriesPerMessage: number;
  /** Consensus messages (appends, replies, heartbeats, elections) per multicast. */
  readonly raftPerMessage: number;
  /** Consensus messages per multicast once the idle rate (heartbeats) is taken out. */
  readonly raftPerMessageBusy: number;
  /** Leader-to-leader channel batches and acks per multicast. */
  readonly interGroupPerMessage: number;
  /** Client requests, redirects and replies per multicast. */
  readonly clientPerMessage: number;
  /** Client-observed latency in message delays: 10th, 50th and 90th percentiles. */
  readonly delaysP10: number;
  readonly delaysP50: number;
  readonly delaysP90: number;
}

/**
 * Consensus messages per simulated ms of a group set with nothing to do (heartbeats only):
 * the same run measured with a short and with a long idle tail after the last answer.
 */
function idleRaftRate(o: Partial<McastSimOptions>): number {
  const tail = 2_000;
  const a = run(o);
  const b = run({ ...o, catchUpMs: CATCH_UP_MS + tail });
  return (b.stats.raftMessages - a.stats.raftMessages) / tail;
}

/**
 * One client, one message in flight, on the unit-delay network with zero service time: latency
 * in ms equals message delays, and log entries per message equal consensus rounds (there is
 * nothing to batch). `local`: every message to one of `groups` groups; `global`: every message
 * to 2..`groups` of them.
 */
export function benchMcastCost(
  groups: number,
  kind: "local" | "global",
  ops: number,
): McastCostResult {
  const o: Partial<McastSimOptions> = {
    seed: 1,
    groups,
    clients: 1,
    window: 1,
    ops,
    thinkMs: 0,
    globalFraction: kind === "local" ? 0 : 1,
    network: unitDelayNetwork,
    cost: zeroCost,
  };
  const r = run(o);
  const s = r.stats;
  const idle = idleRaftRate(o);
  const n = s.messages;
  const d = latencies(r.history, () => true);
  let dests = 0;
  for (const h of r.history) dests += h.dests.length;
  return {
    kind,
    groups,
    meanDests: dests / n,
    messages: n,
    entriesPerMessage: s.entriesCommitted / n,
    raftPerMessage: s.raftMessages / n,
    raftPerMessageBusy: (s.raftMessages - idle * (s.simulatedMs + CATCH_UP_MS)) / n,
    interGroupPerMessage: s.interGroupMessages / n,
    clientPerMessage: s.clientMessages / n,
    delaysP10: percentile(d, 0.1),
    delaysP50: percentile(d, 0.5),
    delaysP90: percentile(d, 0.9),
  };
}

/** Latency under contention (SIMULATED, unit-delay network). */
export interface McastContentionResult {
  readonly clients: number;
  readonly window: number;
  /** "zero" (only message delays) or "default" (the simulator's cost model). */
  readonly cost: "zero" | "default";
  readonly messages: number;
  /**
   * Median and 99th percentile latency in the steady part of the run, in message delays (ms of
   * the unit-delay network; with the default cost model they include service time too).
   */
  readonly localP50: number;
  readonly localP99: number;
  readonly globalP50: number;
  readonly globalP99: number;
  /** Completed messages per simulated second, between 10% and 90% of completions. */
  readonly perSimSecond: number;
  readonly entriesPerMessage: number;
}

/** The steady part of a run: between the 10% and the 90% completion times. */
interface Steady {
  /** Completed messages per simulated second in the window. */
  readonly perSimSecond: number;
  /** Latencies of the messages sent and answered inside the window, local and global. */
  readonly local: number[];
  readonly global: number[];
}

/**
 * Measures over the middle 80% of completions, which leaves out the start (elections, every
 * client's first message at once) and the tail (the last clients finishing alone).
 */
export function steadyState(history: readonly McastRecord[]): Steady {
  const done: number[] = [];
  for (const r of history) if (r.completedAt !== null) done.push(r.completedAt);
  done.sort((a, b) => a - b);
  const i = Math.floor(done.length * 0.1);
  const j = Math.floor(done.length * 0.9);
  const lo = done[i] ?? 0;
  const hi = done[j] ?? 0;
  const inside = (r: McastRecord): boolean =>
    r.sentAt >= lo && r.completedAt !== null && r.completedAt <= hi;
  return {
    perSimSecond: hi > lo ? (j - i) / ((hi - lo) / 1000) : 0,
    local: latencies(history, (r) => inside(r) && r.dests.length === 1),
    global: latencies(history, (r) => inside(r) && r.dests.length > 1),
  };
}

/**
 * `clients` closed-loop clients with no think time against 4 groups, half the messages global
 * (to 2 to 4 groups), on the unit-delay network: how much queueing behind other messages (and,
 * with the default cost model, behind busy leaders) adds to the uncontended delays.
 */
export function benchMcastContention(
  clients: number,
  window: number,
  cost: "zero" | "default",
  ops: number,
): McastContentionResult {
  const r = run({
    seed: 1,
    groups: 4,
    clients,
    window,
    ops,
    thinkMs: 0,
    globalFraction: 0.5,
    network: unitDelayNetwork,
    cost: cost === "zero" ? zeroCost : defaultMcastSimOptions.cost,
  });
  const st = steadyState(r.history);
  return {
    clients,
    window,
    cost,
    messages: r.stats.messages,
    localP50: percentile(st.local, 0.5),
    localP99: percentile(st.local, 0.99),
    globalP50: percentile(st.global, 0.5),
    globalP99: percentile(st.global, 0.99),
    perSimSecond: st.perSimSecond,
    entriesPerMessage: r.stats.entriesCommitted / r.stats.messages,
  };
}

/** Throughput of a system of `groups` groups (SIMULATED, default cost model and network). */
export interface McastScalingResult {
  readonly groups: number;
  readonly globalFraction: number;
  readonly clients: number;
  readonly window: number;
  readonly messages: number;
  /** Completed messages per simulated second, between 10% and 90% of completions. */
  readonly perSimSecond: number;
  /** Median latency of local and of global messages, simulated ms. */
  readonly localP50: number;
  readonly globalP50: number;
  /** Multicast messages per log entry (batching), over all groups. */
  readonly messagesPerEntry: number;
}

/**
 * `clientsPerGroup × groups` closed-loop clients, window `window`, no think time, a share
 * `globalFraction` of messages to 2..groups random groups, the simulator's default cost model
 * (CPU per input, command and send; 0.45 ms fsync) and network.
 */
export function benchMcastScaling(
  groups: number,
  globalFraction: number,
  opsPerGroup: number,
  clientsPerGroup: number,
  window: number,
): McastScalingResult {
  const clients = clientsPerGroup * groups;
  const r = run({
    seed: 1,
    groups,
    clients,
    window,
    ops: opsPerGroup * groups,
    thinkMs: 0,
    globalFraction,
  });
  const st = steadyState(r.history);
  return {
    groups,
    globalFraction,
    clients,
    window,
    messages: r.stats.messages,
    perSimSecond: st.perSimSecond,
    localP50: percentile(st.local, 0.5),
    globalP50: percentile(st.global, 0.5),
    messagesPerEntry: r.stats.messages / r.stats.entriesCommitted,
  };
}

/** Everything `dssmr bench --layer multicast` measures. */
export interface McastBenchSuite {
  readonly cost: readonly McastCostResult[];
  readonly contention: readonly McastContentionResult[];
  readonly scaling: readonly McastScalingResult[];
}

/** Runs the multicast benchmarks; `quick` shrinks them for smoke tests. */
export function runMcastBenchSuite(quick: boolean): McastBenchSuite {
  const costOps = quick ? 40 : 400;
  const cost = [
    benchMcastCost(1, "local", costOps),
    benchMcastCost(4, "local", costOps),
    benchMcastCost(2, "global", costOps),
    benchMcastCost(4, "global", costOps),
    benchMcastCost(8, "global", costOps),
  ];
  const contentionOps = quick ? 400 : 4_000;
  const contention = (quick ? [1, 16] : [1, 4, 16, 64, 256]).flatMap((clients) =>
    (["zero", "default"] as const).map((c) => benchMcastContention(clients, 1, c, contentionOps)),
  );
  const opsPerGroup = quick ? 300 : 4_000;
  const scaling = (quick ? [1, 2] : [1, 2, 4, 8]).flatMap((groups) =>
    (groups === 1 ? [0] : [0, 0.1, 0.5]).map((f) =>
      benchMcastScaling(groups, f, opsPerGroup, 64, 4),
    ),
  );
  return { cost, contention, scaling };
}

const num = (x: number, digits: number, width: number): string => x.toFixed(digits).padStart(width);

/** The suite as the text tables `dssmr bench` prints. */
export function formatMcastBench(s: McastBenchSuite): string[] {
  const out: string[] = [];
  out.push(
    "Multicast cost per message, 1 client, 1 in flight, every message delay 1 ms, zero CPU and",
    "fsync (SIMULATED; latency in message delays, client send to last destination's answer):",
    "kind    groups  dests  entries/msg  raft/msg  raft-busy/msg  inter-group/msg  client/msg  delays p10/p50/p90",
  );
  for (const r of s.cost) {
    out.push(
      `${r.kind.padEnd(6)}  ${String(r.groups).padStart(6)}  ${num(r.meanDests, 2, 5)}  ${num(r.entriesPerMessage, 2, 11)}  ${num(r.raftPerMessage, 1, 8)}  ${num(r.raftPerMessageBusy, 1, 13)}  ${num(r.interGroupPerMessage, 2, 15)}  ${num(r.clientPerMessage, 2, 10)}  ${r.delaysP10}/${r.delaysP50}/${r.delaysP90}`,
    );
  }
  out.push(
    "",
    "Contention: 4 groups, 50% global, closed-loop clients with 1 message in flight each, every",
    "message delay 1 ms (SIMULATED; steady state; latency in ms = delays plus service time):",
    "clients  cost     local p50  local p99  global p50  global p99  msgs/sim-s  entries/msg",
  );
  for (const r of s.contention) {
    out.push(
      `${String(r.clients).padStart(7)}  ${r.cost.padEnd(7)}  ${num(r.localP50, 2, 9)}  ${num(r.localP99, 2, 9)}  ${num(r.globalP50, 2, 10)}  ${num(r.globalP99, 2, 10)}  ${num(r.perSimSecond, 0, 10)}  ${num(r.entriesPerMessage, 2, 11)}`,
    );
  }
  out.push(
    "",
    "Scaling: 64 clients per group, 4 in flight each, default cost model and network",
    "(SIMULATED; steady state):",
    "groups  global  clients  msgs/sim-s  local p50 ms  global p50 ms  msgs/entry",
  );
  for (const r of s.scaling) {
    out.push(
      `${String(r.groups).padStart(6)}  ${`${Math.round(r.globalFraction * 100)}%`.padStart(6)}  ${String(r.clients).padStart(7)}  ${num(r.perSimSecond, 0, 10)}  ${num(r.localP50, 2, 12)}  ${num(r.globalP50, 2, 13)}  ${num(r.messagesPerEntry, 2, 10)}`,
    );
  }
  return out;
}

// Run as a script: `npx tsx src/bench/mcast-bench.ts [--quick] [--json]`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const suite = runMcastBenchSuite(process.argv.includes("--quick"));
  const lines = process.argv.includes("--json")
    ? [JSON.stringify({ multicast: suite })]
    : formatMcastBench(suite);
  for (const line of lines) process.stdout.write(`${line}\n`);
}

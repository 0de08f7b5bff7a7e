// `dssmr sim`: runs seeds of a simulated workload under faults and reports every violation.
import { writeFileSync } from "node:fs";
import type { Operation } from "../check/history.ts";
import { DS_BUG_NAMES } from "../core/dssmr/partition.ts";
import type { DestinationPolicy } from "../core/dssmr/policy.ts";
import type { Mode } from "../core/dssmr/types.ts";
import { InputError } from "../core/errors.ts";
import { BUG_NAMES, isBugName } from "../core/replica/bugs.ts";
import { dsKvWorkload } from "../sim/ds-kv-workload.ts";
import { defaultDsSimOptions, runDsSimulation } from "../sim/ds-sim.ts";
import { type FaultKind, parseFaults } from "../sim/faults.ts";
import { defaultKvSimOptions, runKvSimulation } from "../sim/kv-sim.ts";
import { defaultMcastSimOptions, MCAST_BUG_NAMES, runMcastSimulation } from "../sim/mcast-sim.ts";

/** Which layer a simulation exercises. */
export const SIM_LAYERS = ["consensus", "multicast", "dssmr"] as const;
/**
 * A simulated layer: one replicated group (KV), many groups with atomic multicast, or a whole
 * DS-SMR / S-SMR deployment (oracle and partitions) running the partitioned KV store.
 */
export type SimLayer = (typeof SIM_LAYERS)[number];

/** Options of `dssmr sim` after parsing. */
export interface SimCommandOptions {
  readonly layer: SimLayer;
  readonly seed: number;
  readonly seeds: number;
  readonly faults: string;
  readonly ops: number;
  readonly replicas: number;
  readonly clients: number;
  readonly groups: number;
  readonly partitions: number;
  readonly mode: Mode;
  readonly policy: DestinationPolicy;
  readonly bug: string | null;
  readonly historyOut: string | null;
  readonly json: boolean;
}

/** Where the command writes. */
export interface CommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Validates a `--layer` value. */
export function parseLayer(raw: string): SimLayer {
  const layer = SIM_LAYERS.find((l) => l === raw);
  if (layer === undefined) {
    throw new InputError(`--layer: unknown layer "${raw}"; use ${SIM_LAYERS.join(" or ")}`);
  }
  return layer;
}

/** Validates a `--bug` value for a layer. */
export function parseBug(layer: SimLayer, raw: string): string {
  const known: readonly string[] =
    layer === "consensus" ? BUG_NAMES : layer === "multicast" ? MCAST_BUG_NAMES : DS_BUG_NAMES;
  if (!known.includes(raw)) {
    throw new InputError(
      `--bug: unknown bug "${raw}" for layer ${layer}; known bugs: ${known.join(", ")}`,
    );
  }
  return raw;
}

/** The one-line command that replays a seed exactly. */
export function replayCommand(o: SimCommandOptions, seed: number): string {
  const parts = ["npx dssmr sim"];
  if (o.layer === "multicast") parts.push(`--layer ${o.layer}`, `--groups ${o.groups}`);
  if (o.layer === "dssmr") {
    parts.push(`--layer ${o.layer}`, `--mode ${o.mode}`, `--partitions ${o.partitions}`);
    if (o.policy !== defaultDsSimOptions.policy) parts.push(`--policy ${o.policy}`);
  }
  parts.push(`--seed ${seed}`, `--ops ${o.ops}`, `--faults ${o.faults}`);
  const defaults =
    o.layer === "consensus"
      ? defaultKvSimOptions
      : o.layer === "multicast"
        ? defaultMcastSimOptions
        : defaultDsSimOptions;
  if (o.replicas !== defaults.replicas) parts.push(`--replicas ${o.replicas}`);
  if (o.clients !== defaults.clients) parts.push(`--clients ${o.clients}`);
  if (o.bug !== null) parts.push(`--bug ${o.bug}`);
  return parts.join(" ");
}

/** One client operation of a history as a JSON line. */
function historyLine<I extends { readonly type: string }, O>(
  seed: number,
  h: Operation<I, O>,
): string {
  return JSON.stringify({
    seed,
    id: h.id,
    client: h.client,
    operation: h.input.type,
    input: h.input,
    output: h.output ?? null,
    invokedAt: h.call,
    completedAt: Number.isFinite(h.ret) ? h.ret : null,
    incomplete: h.output === undefined,
  });
}

/** What one seed produced, whatever the layer. */
interface SeedOutcome {
  readonly seed: number;
  readonly violations: readonly string[];
  readonly ops: number;
  readonly summary: string;
  readonly commands: number;
  readonly raftMessages: number;
  readonly fsyncs: number;
  readonly faults: number;
  /** The history as JSON lines, built only when asked for. */
  readonly history: () => string[];
}

function runSeed(o: SimCommandOptions, seed: number): SeedOutcome {
  const faults = parseFaults(o.faults);
  if (o.layer === "consensus") {
    const bug = o.bug !== null && isBugName(o.bug) ? o.bug : null;
    const r = runKvSimulation({
      ...defaultKvSimOptions,
      seed,
      ops: o.ops,
      replicas: o.replicas,
      clients: o.clients,
      faults,
      bug,
    });
    const s = r.stats;
    return {
      seed,
      violations: r.violations,
      ops: s.opsCompleted + s.opsIncomplete,
      summary: `${s.opsCompleted} ops, ${s.faultsInjected} faults, ${s.leaderChanges} leader changes`,
      commands: s.commandsCommitted,
      raftMessages: s.raftMessages,
      fsyncs: s.fsyncs,
      faults: s.faultsInjected,
      history: () => r.history.map((h) => historyLine(seed, h)),
    };
  }
  if (o.layer === "dssmr") return runDsSeed(o, seed, faults);
  const r = runMcastSimulation({
    ...defaultMcastSimOptions,
    seed,
    ops: o.ops,
    groups: o.groups,
    replicas: o.replicas,
    clients: o.clients,
    faults,
    bug: o.bug === "early-delivery" ? "early-delivery" : null,
  });
  const s = r.stats;
  return {
    seed,
    violations: r.violations,
    ops: s.messages,
    summary: `${s.completed} messages (${s.globalMessages} global), ${s.faultsInjected} faults`,
    commands: s.completed,
    raftMessages: s.raftMessages,
    fsyncs: s.fsyncs,
    faults: s.faultsInjected,
    history: () =>
      r.history.map((h) =>
        JSON.stringify({
          seed,
          client: h.client,
          operation: "multicast",
          input: { seq: h.seq, dests: h.dests },
          output: h.completedAt === null ? null : "delivered",
          invokedAt: h.sentAt,
          completedAt: h.completedAt,
          incomplete: h.completedAt === null,
        }),
      ),
  };
}

function runDsSeed(o: SimCommandOptions, seed: number, faults: Set<FaultKind>): SeedOutcome {
  const r = runDsSimulation(
    {
      ...defaultDsSimOptions,
      seed,
      ops: o.ops,
      mode: o.mode,
      partitions: o.partitions,
      policy: o.policy,
      replicas: o.replicas,
      clients: o.clients,
      faults,
      bug: DS_BUG_NAMES.find((b) => b === o.bug) ?? null,
    },
    dsKvWorkload(),
  );
  const s = r.stats;
  return {
    seed,
    violations: r.violations,
    ops: r.history.length,
    summary:
      `${s.commandsCompleted} commands, ${s.moves} moves, ${s.retries} retries, ` +
      `${s.fallbacks} fallbacks, ${s.faultsInjected} faults`,
    commands: s.commandsCompleted,
    raftMessages: s.raftMessages,
    fsyncs: s.fsyncs,
    faults: s.faultsInjected,
    history: () => r.history.map((h) => historyLine(seed, h)),
  };
}

/** Runs the command; returns the exit status (0 clean, 1 violations). */
export function runSimCommand(o: SimCommandOptions, io: CommandIo): number {
  const faults = parseFaults(o.faults); // validate before running anything
  let violations = 0;
  let firstFailingSeed: number | null = null;
  const failingSeeds: number[] = [];
  let ops = 0;
  let historySeed: SeedOutcome | null = null;
  const totals = { commands: 0, raftMessages: 0, fsyncs: 0, faults: 0 };
  for (let seed = o.seed; seed < o.seed + o.seeds; seed++) {
    const r = runSeed(o, seed);
    ops += r.ops;
    totals.commands += r.commands;
    totals.raftMessages += r.raftMessages;
    totals.fsyncs += r.fsyncs;
    totals.faults += r.faults;
    if (r.violations.length > 0) {
      violations += r.violations.length;
      failingSeeds.push(seed);
      if (firstFailingSeed === null) {
        firstFailingSeed = seed;
        historySeed = r;
      }
      io.out(`seed ${seed}: ${r.violations.length} violation(s)`);
      for (const v of r.violations.slice(0, 3)) {
        io.out(`  ${v.split("\n").slice(0, 12).join("\n  ")}`);
      }
      io.out(`  replay: ${replayCommand(o, seed)}`);
    } else if (!o.json) {
      io.out(`seed ${seed}: ok (${r.summary})`);
    }
    if (historySeed === null && seed === o.seed + o.seeds - 1) historySeed = r;
  }
  if (o.historyOut !== null && historySeed !== null) {
    const lines = historySeed.history();
    writeFileSync(o.historyOut, lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  }
  const replay = firstFailingSeed === null ? null : replayCommand(o, firstFailingSeed);
  const summary = {
    layer: o.layer,
    seeds: o.seeds,
    ops,
    violations,
    firstFailingSeed,
    failingSeeds,
    replay,
    faults: [...faults],
    bug: o.bug,
    commandsCommitted: totals.commands,
    raftMessagesPerCommand: totals.commands === 0 ? 0 : totals.raftMessages / totals.commands,
    fsyncsPerCommand: totals.commands === 0 ? 0 : totals.fsyncs / totals.commands,
    faultsInjected: totals.faults,
  };
  if (o.json) io.out(JSON.stringify(summary));
  else {
    io.out(
      `${o.seeds} seed(s), ${ops} operations, ${violations} violation(s)` +
        (replay === null ? "" : `; first failing seed ${firstFailingSeed}: ${replay}`),
    );
  }
  return violations > 0 ? 1 : 0;
}

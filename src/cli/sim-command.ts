// `dssmr sim`: runs seeds of a simulated workload under faults and reports every violation.
import { writeFileSync } from "node:fs";
import { InputError } from "../core/errors.ts";
import { BUG_NAMES, type BugName, isBugName } from "../core/replica/bugs.ts";
import { parseFaults } from "../sim/faults.ts";
import { defaultKvSimOptions, type KvSimResult, runKvSimulation } from "../sim/kv-sim.ts";

/** Options of `dssmr sim` after parsing. */
export interface SimCommandOptions {
  readonly seed: number;
  readonly seeds: number;
  readonly faults: string;
  readonly ops: number;
  readonly replicas: number;
  readonly clients: number;
  readonly bug: BugName | null;
  readonly historyOut: string | null;
  readonly json: boolean;
}

/** Where the command writes. */
export interface CommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Validates a `--bug` value. */
export function parseBug(raw: string): BugName {
  if (!isBugName(raw)) {
    throw new InputError(`--bug: unknown bug "${raw}"; known bugs: ${BUG_NAMES.join(", ")}`);
  }
  return raw;
}

/** The one-line command that replays a seed exactly. */
export function replayCommand(o: SimCommandOptions, seed: number): string {
  const parts = ["npx dssmr sim", `--seed ${seed}`, `--ops ${o.ops}`, `--faults ${o.faults}`];
  if (o.replicas !== defaultKvSimOptions.replicas) parts.push(`--replicas ${o.replicas}`);
  if (o.clients !== defaultKvSimOptions.clients) parts.push(`--clients ${o.clients}`);
  if (o.bug !== null) parts.push(`--bug ${o.bug}`);
  return parts.join(" ");
}

/** Writes a run's history as JSON lines, one per client operation. */
function writeHistory(file: string, result: KvSimResult): void {
  const lines = result.history.map((h) =>
    JSON.stringify({
      seed: result.seed,
      id: h.id,
      client: h.client,
      operation: h.input.type,
      input: h.input,
      output: h.output ?? null,
      invokedAt: h.call,
      completedAt: Number.isFinite(h.ret) ? h.ret : null,
      incomplete: h.output === undefined,
    }),
  );
  writeFileSync(file, lines.length === 0 ? "" : `${lines.join("\n")}\n`);
}

/** Runs the command; returns the exit status (0 clean, 1 violations). */
export function runSimCommand(o: SimCommandOptions, io: CommandIo): number {
  const faults = parseFaults(o.faults);
  let violations = 0;
  let firstFailingSeed: number | null = null;
  const failingSeeds: number[] = [];
  let ops = 0;
  let historyResult: KvSimResult | null = null;
  const totals = { commands: 0, raftMessages: 0, fsyncs: 0, simulatedMs: 0, faults: 0 };
  for (let seed = o.seed; seed < o.seed + o.seeds; seed++) {
    const result = runKvSimulation({
      ...defaultKvSimOptions,
      seed,
      ops: o.ops,
      replicas: o.replicas,
      clients: o.clients,
      faults,
      bug: o.bug,
    });
    ops += result.stats.opsCompleted + result.stats.opsIncomplete;
    totals.commands += result.stats.commandsCommitted;
    totals.raftMessages += result.stats.raftMessages;
    totals.fsyncs += result.stats.fsyncs;
    totals.simulatedMs += result.stats.simulatedMs;
    totals.faults += result.stats.faultsInjected;
    if (result.violations.length > 0) {
      violations += result.violations.length;
      failingSeeds.push(seed);
      if (firstFailingSeed === null) {
        firstFailingSeed = seed;
        historyResult = result;
      }
      io.out(`seed ${seed}: ${result.violations.length} violation(s)`);
      for (const v of result.violations.slice(0, 3))
        io.out(`  ${v.split("\n").slice(0, 12).join("\n  ")}`);
      io.out(`  replay: ${replayCommand(o, seed)}`);
    } else if (!o.json) {
      io.out(
        `seed ${seed}: ok (${result.stats.opsCompleted} ops, ${result.stats.faultsInjected} faults, ${result.stats.leaderChanges} leader changes)`,
      );
    }
    if (historyResult === null && seed === o.seed + o.seeds - 1) historyResult = result;
  }
  if (o.historyOut !== null && historyResult !== null) writeHistory(o.historyOut, historyResult);
  const summary = {
    seeds: o.seeds,
    ops,
    violations,
    firstFailingSeed,
    failingSeeds,
    replay: firstFailingSeed === null ? null : replayCommand(o, firstFailingSeed),
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
        (firstFailingSeed === null
          ? ""
          : `; first failing seed ${firstFailingSeed}: ${summary.replay}`),
    );
  }
  return violations > 0 ? 1 : 0;
}

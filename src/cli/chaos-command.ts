// `dssmr chaos`: kill -9 and pause replicas of a local KV cluster under load, then check the history.
import type { Command } from "commander";
import { ChaosError } from "../chaos/errors.ts";
import { type ChaosSummary, chaosPassed, defaultChaosOptions, runChaos } from "../chaos/run.ts";
import { FAULT_KINDS, KILL_FAULTS, parseFaultKinds } from "../chaos/schedule.ts";
import { InputError } from "../core/errors.ts";
import { EXIT_FAILURE, EXIT_OK } from "./client-flags.ts";
import { parseIntFlag } from "./parse.ts";
import type { CommandIo } from "./sim-command.ts";

/** Human-readable lines of a run's summary. */
export function formatChaosSummary(s: ChaosSummary): string[] {
  const faults = Object.entries(s.faults)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  const lines = [
    `chaos: seed ${s.seed}, ${s.partitions} partitions, ${s.storage} logs, ${s.clients} clients, ${Math.round(s.durationMs / 1000)} s`,
    `faults: ${s.cycles} (${faults || "none"}); replicas that crashed by themselves: ${s.crashes}`,
    `operations: ${s.operations} (${s.incomplete} incomplete)`,
    `linearizability: ${s.violations} violations${s.unchecked > 0 ? `, ${s.unchecked} parts unchecked (search budget)` : ""}`,
    `lost writes: ${s.lostWrites}; unbalanced transfers: ${s.unbalanced}; keys not read back: ${s.unread}`,
    `availability: longest gap without a completion ${s.longestGapMs} ms, longest one client waited ${s.longestClientStallMs} ms`,
    `throughput per second: ${s.throughput.join(" ")}`,
  ];
  for (const [kind, r] of Object.entries(s.recoveryMs)) {
    const o = s.outageMs[kind as keyof typeof s.outageMs];
    lines.push(
      `${kind}: recovery after the heal p50 ${r.p50 ?? "-"} ms, p99 ${r.p99 ?? "-"} ms, max ${r.max ?? "-"} ms; longest client outage p50 ${o?.p50 ?? "-"} ms, max ${o?.max ?? "-"} ms; over ${r.count}${r.unrecovered > 0 ? ` (${r.unrecovered} never recovered)` : ""}`,
    );
  }
  if (s.firstViolation !== null) lines.push(s.firstViolation);
  for (const w of s.lost)
    lines.push(`lost: ${w.key} = ${JSON.stringify(w.value)} (op ${w.op}): ${w.reason}`);
  if (s.data !== null) lines.push(`data and replica logs kept in ${s.data}`);
  return lines;
}

/** Registers `dssmr chaos`; `done` receives the exit status (1 on any violation or lost write). */
export function registerChaosCommand(
  program: Command,
  io: CommandIo,
  done: (status: number) => void,
): void {
  const d = defaultChaosOptions;
  program
    .command("chaos")
    .description(
      "start a local KV cluster, kill -9 and pause its replicas under load, then check linearizability, lost writes and availability",
    )
    .option("--memory", "in-memory logs (no fsync): pause faults only", false)
    .option("--partitions <n>", "partitions (plus the oracle)", String(d.partitions))
    .option(
      "--cycles <n>",
      `faults to inject (default ${d.cycles}; with --duration-ms alone, no limit)`,
    )
    .option("--duration-ms <ms>", "start no new fault after the load has run this long")
    .option("--seed <n>", "seed of the fault schedule and the workload", String(d.seed))
    .option(
      "--faults <list>",
      `all, or a comma list of ${FAULT_KINDS.join(",")} (default: all; with --memory, the pause faults)`,
    )
    .option("--clients <n>", "closed-loop workload clients", String(d.clients))
    .option("--keep", "keep the cluster's data folder and replica logs", false)
    .option("--json", "make the last line of stdout a JSON summary", false)
    .action(async (raw: Record<string, string | boolean | undefined>) => {
      const memory = raw.memory === true;
      const faults =
        raw.faults === undefined
          ? d.faults.filter((k) => !memory || !KILL_FAULTS.has(k))
          : parseFaultKinds(String(raw.faults));
      const durationMs =
        raw.durationMs === undefined
          ? null
          : parseIntFlag("--duration-ms", String(raw.durationMs), 1, 86_400_000);
      const killing = faults.filter((k) => KILL_FAULTS.has(k));
      if (memory && killing.length > 0) {
        throw new InputError(
          `--faults ${killing.join(",")} needs logs on disk: a killed in-memory replica restarts without the term, vote and log Raft needs persisted (use the pause faults with --memory)`,
        );
      }
      const json = raw.json === true;
      try {
        const summary = await runChaos({
          ...d,
          memory,
          partitions: parseIntFlag("--partitions", String(raw.partitions), 1, 16),
          // --duration-ms alone bounds the run by time rather than by a count of faults.
          cycles:
            raw.cycles === undefined
              ? durationMs === null
                ? d.cycles
                : 100_000
              : parseIntFlag("--cycles", String(raw.cycles), 0, 100_000),
          durationMs,
          seed: parseIntFlag("--seed", String(raw.seed), 0, 2 ** 32 - 1),
          faults,
          clients: parseIntFlag("--clients", String(raw.clients), 1, 256),
          keep: raw.keep === true,
          log: (line) => io.err(line),
        });
        const ok = chaosPassed(summary);
        if (json) io.out(JSON.stringify(summary));
        else for (const line of formatChaosSummary(summary)) io.out(line);
        done(ok ? EXIT_OK : EXIT_FAILURE);
      } catch (err) {
        if (err instanceof ChaosError) {
          io.err(`error: ${err.message}`);
          done(EXIT_FAILURE);
          return;
        }
        throw err;
      }
    });
}

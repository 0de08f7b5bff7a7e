// `dssmr status`: every group of the cluster, its leader, commit index, variables, and each replica.
import type { Command } from "commander";
import { type ClusterStatus, clusterStatus } from "../client/status.ts";
import {
  EXIT_FAILURE,
  EXIT_OK,
  loadFor,
  parseClientFlags,
  reportClusterError,
  withClientFlags,
} from "./client-flags.ts";
import type { CommandIo } from "./sim-command.ts";

const dash = (v: number | string | null): string => (v === null ? "-" : String(v));

/** Renders a cluster status as a human-readable table. */
export function formatClusterStatus(s: ClusterStatus): string[] {
  const lines = [`cluster: ${s.app} app, ${s.mode} mode, config ${s.config ?? "(in memory)"}`];
  for (const g of s.groups) {
    const name = g.kind === "oracle" ? "oracle" : "partition";
    lines.push(
      `group ${g.id} (${name}): leader ${dash(g.leader)}, term ${dash(g.term)}, commit ${dash(g.commitIndex)}, ${g.kind === "oracle" ? "variables mapped" : "variables"} ${dash(g.variables)}`,
    );
    for (const r of g.replicas) {
      lines.push(
        r.up
          ? `  replica ${r.id}  ${r.address}  up    ${(r.role ?? "").padEnd(12)} term ${dash(r.term)}  commit ${dash(r.commitIndex)}  pid ${dash(r.pid)}`
          : `  replica ${r.id}  ${r.address}  DOWN`,
      );
    }
  }
  if (!s.ready) lines.push("not ready: some group has no leader");
  return lines;
}

/** Registers `dssmr status`; `done` receives the exit status (1 when no replica answered). */
export function registerStatusCommand(
  program: Command,
  io: CommandIo,
  done: (status: number) => void,
): void {
  withClientFlags(
    program
      .command("status")
      .description("show every group: leader, term, commit index, variables, replicas up or down"),
    1_000,
  ).action(async (raw: Record<string, unknown>) => {
    const flags = parseClientFlags(raw);
    try {
      const loaded = loadFor(flags);
      const s = await clusterStatus(loaded, { timeoutMs: flags.timeoutMs });
      if (flags.json) io.out(JSON.stringify(s));
      else for (const line of formatClusterStatus(s)) io.out(line);
      const anyUp = s.groups.some((g) => g.replicas.some((r) => r.up));
      if (!anyUp) io.err(`error: no replica of the cluster answered (config ${loaded.file})`);
      done(anyUp ? EXIT_OK : EXIT_FAILURE);
    } catch (err) {
      done(reportClusterError(io, err, flags));
    }
  });
}

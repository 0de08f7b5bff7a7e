// `dssmr node --config FILE --id ID`: runs one replica in this process (multi-host deployments).
import type { Command } from "commander";
import { runNodeProcess } from "../cluster/node-process.ts";
import { DEFAULT_CONFIG, reportClusterError } from "./client-flags.ts";
import { parseIntFlag } from "./parse.ts";
import type { CommandIo } from "./sim-command.ts";

/** Registers `dssmr node`; `done` receives the exit status once the replica stops. */
export function registerNodeCommand(
  program: Command,
  io: CommandIo,
  done: (status: number) => void,
): void {
  program
    .command("node")
    .description(
      "run one replica of the cluster a config describes, until SIGTERM or Ctrl-C (JSON logs on stderr)",
    )
    .option("--config <file>", "the cluster's config file", DEFAULT_CONFIG)
    .requiredOption("--id <id>", "the replica to run (its id in the config)")
    .option("--log-level <level>", "trace, debug, info, warn, error or fatal", "info")
    .action(async (raw: { config: string; id: string; logLevel: string }) => {
      try {
        const id = parseIntFlag("--id", raw.id, 1);
        done(await runNodeProcess({ config: raw.config, id, logLevel: raw.logLevel }));
      } catch (err) {
        done(reportClusterError(io, err));
      }
    });
}

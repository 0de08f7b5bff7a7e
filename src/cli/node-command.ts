// `dssmr node --config FILE --id ID`: runs one replica (multi-host deployments).
import type { Command } from "commander";
import { pino } from "pino";
import { loadAppSetup } from "../cluster/app-setup.ts";
import { loadClusterConfig } from "../cluster/config.ts";
import { execReplica } from "../cluster/replica-exec.ts";
import { findReplica } from "../cluster/topology.ts";
import { ConfigError } from "../core/errors.ts";
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
        if (!Object.hasOwn(pino.levels.values, raw.logLevel)) {
          throw new ConfigError(
            `--log-level must be one of ${Object.keys(pino.levels.values).join(", ")}, got ${raw.logLevel}`,
          );
        }
        // Check the config and the id here, for a clear error before anything starts; the
        // replica itself runs from the bundle, in a child process.
        const loaded = loadClusterConfig(raw.config);
        findReplica(loaded.config, id);
        await loadAppSetup(loaded); // an app module that does not load, said here

        done(await execReplica(loaded.file ?? raw.config, id, raw.logLevel));
      } catch (err) {
        done(reportClusterError(io, err));
      }
    });
}

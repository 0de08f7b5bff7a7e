// `dssmr up`: starts a local cluster (oracle + partitions as child processes) and stops it on Ctrl-C.
import { resolve } from "node:path";
import type { Command } from "commander";
import { appSpecForConfig } from "../cluster/app-module.ts";
import type { LocalClusterOptions } from "../cluster/local-config.ts";
import { defaultLocalClusterOptions } from "../cluster/local-config.ts";
import { runUp } from "../cluster/up.ts";
import { InputError } from "../core/errors.ts";
import { DEFAULT_DATA_DIR, reportClusterError } from "./client-flags.ts";
import { parseIntFlag } from "./parse.ts";
import type { CommandIo } from "./sim-command.ts";

interface RawUp {
  app: string;
  partitions: string;
  replicas: string;
  mode: string;
  data: string;
  memory: boolean;
  httpPort: string;
  http: boolean;
  basePort?: string;
  demoUsers: string;
  demoPlacement: string;
  respPort?: string;
}

/** Flag name → the LocalClusterOptions field it sets (for "given explicitly"). */
const FIELDS: Record<string, keyof LocalClusterOptions> = {
  app: "app",
  partitions: "partitions",
  replicas: "replicas",
  mode: "mode",
  memory: "memory",
  httpPort: "httpPort",
  http: "httpPort",
  demoPlacement: "demoPlacement",
};

/** Registers `dssmr up`; `done` receives the exit status once the cluster has stopped. */
export function registerUpCommand(
  program: Command,
  io: CommandIo,
  done: (status: number) => void,
): void {
  const d = defaultLocalClusterOptions;
  program
    .command("up")
    .description(
      "start a local cluster as child processes (Chirper demo by default); Ctrl-C stops it",
    )
    .option(
      "--app <app>",
      "chirper, kv, or an app module: a path (./examples/bank.ts) or package exporting a PartitionedApp",
      d.app,
    )
    .option("--partitions <n>", "partitions (plus the oracle in dssmr mode)", String(d.partitions))
    .option("--replicas <n>", "replicas per group", String(d.replicas))
    .option("--mode <mode>", "dssmr or ssmr", d.mode)
    .option("--data <dir>", "data folder: cluster.json, logs, replica data", DEFAULT_DATA_DIR)
    .option("--memory", "keep logs in memory (no fsync; nothing survives a restart)", false)
    .option(
      "--http-port <port>",
      "port of the dashboard, the Chirper page and its HTTP API",
      String(d.httpPort),
    )
    .option("--no-http", "serve no dashboard and no HTTP API")
    .option("--base-port <port>", "first replica port (default: ports the OS says are free)")
    .option("--demo-users <n>", "users of the Chirper demo graph (0: none)", String(d.demoUsers))
    .option(
      "--demo-placement <how>",
      "where the demo users start: random (DS-SMR gathers the communities) or community",
      d.demoPlacement,
    )
    .option("--resp-port <port>", "also serve the kv cluster to Redis clients on this port")
    .action(async (raw: RawUp, cmd: Command) => {
      try {
        if (raw.app === "") throw new InputError("--app: expected chirper, kv or an app module");
        // A module path is given from here; the config names it from its own folder.
        const app = appSpecForConfig(raw.app, process.cwd(), resolve(raw.data));
        if (raw.mode !== "dssmr" && raw.mode !== "ssmr") {
          throw new InputError(`--mode: unknown mode "${raw.mode}"; use dssmr or ssmr`);
        }
        if (raw.demoPlacement !== "random" && raw.demoPlacement !== "community") {
          throw new InputError(
            `--demo-placement: unknown placement "${raw.demoPlacement}"; use random or community`,
          );
        }
        if (raw.respPort !== undefined && raw.app !== "kv") {
          throw new InputError("--resp-port: the RESP front end serves --app kv only");
        }
        const explicit = new Set<keyof LocalClusterOptions>();
        for (const [flag, field] of Object.entries(FIELDS)) {
          if (cmd.getOptionValueSource(flag) === "cli") explicit.add(field);
        }
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        try {
          done(
            await runUp(
              {
                ...d,
                app,
                mode: raw.mode,
                partitions: parseIntFlag("--partitions", raw.partitions, 1, 64),
                replicas: parseIntFlag("--replicas", raw.replicas, 1, 15),
                memory: raw.memory,
                httpPort: raw.http ? parseIntFlag("--http-port", raw.httpPort, 1, 65_535) : null,
                basePort:
                  raw.basePort === undefined
                    ? null
                    : parseIntFlag("--base-port", raw.basePort, 1, 65_000),
                demoUsers: parseIntFlag("--demo-users", raw.demoUsers, 0, 100_000),
                demoPlacement: raw.demoPlacement,
                dataDir: raw.data,
                explicit,
                respPort:
                  raw.respPort === undefined
                    ? null
                    : parseIntFlag("--resp-port", raw.respPort, 0, 65_535),
              },
              io,
              stop.signal,
            ),
          );
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
      } catch (err) {
        done(reportClusterError(io, err));
      }
    });
}

// `dssmr dashboard --config FILE`: serves the dashboard (and Chirper page and API) of any running cluster.
import type { Command } from "commander";
import { loadClusterConfig } from "../cluster/config.ts";
import { errorMessage } from "../cluster/errors.ts";
import { type ClusterHttp, startClusterHttp } from "../dashboard/cluster-app.ts";
import { DEFAULT_CONFIG, EXIT_FAILURE, EXIT_OK, reportClusterError } from "./client-flags.ts";
import { parseIntFlag } from "./parse.ts";
import type { CommandIo } from "./sim-command.ts";

/** Default port of `dssmr dashboard` (one above `dssmr up`'s, so both can run side by side). */
export const DEFAULT_DASHBOARD_PORT = 8081;

/** What `dssmr dashboard` was asked for. */
export interface DashboardOptions {
  /** The cluster's config file. */
  readonly config: string;
  readonly host: string;
  readonly port: number;
}

/**
 * Serves the dashboard of the cluster `opts.config` describes (started by `dssmr up`, or by
 * `dssmr node` on several hosts) until `stop` fires. It did not start the replicas, so its kill
 * and restart controls answer 409. Resolves with the exit status: 0 after a clean stop, 1 when
 * the port cannot be bound.
 */
export async function runDashboard(
  opts: DashboardOptions,
  io: CommandIo,
  stop: AbortSignal,
): Promise<number> {
  const loaded = loadClusterConfig(opts.config);
  let http: ClusterHttp;
  try {
    http = await startClusterHttp(loaded, { listen: { host: opts.host, port: opts.port } });
  } catch (err) {
    io.err(
      `error: could not listen on ${opts.host}:${opts.port} (${errorMessage(err)}); pick another with --http-port`,
    );
    return EXIT_FAILURE;
  }
  try {
    io.out(`dashboard of the cluster in ${loaded.file ?? opts.config}`);
    io.out(`  dashboard ${http.url}/`);
    if (http.chirper)
      io.out(`  chirper  ${http.url}/chirper (and the HTTP API at ${http.url}/api)`);
    io.out(
      "  (this process did not start the replicas: the dashboard cannot kill or restart them)",
    );
    io.out("");
    io.out("Ctrl-C stops the dashboard (the cluster keeps running).");
    await new Promise<void>((r) => {
      if (stop.aborted) r();
      else stop.addEventListener("abort", () => r(), { once: true });
    });
  } finally {
    await http.close();
  }
  return EXIT_OK;
}

/** Registers `dssmr dashboard`; `done` receives the exit status once it has stopped. */
export function registerDashboardCommand(
  program: Command,
  io: CommandIo,
  done: (status: number) => void,
): void {
  program
    .command("dashboard")
    .description(
      "serve the live dashboard, Chirper page and HTTP API of a running cluster; Ctrl-C stops it",
    )
    .option("--config <file>", "the cluster's config file", DEFAULT_CONFIG)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--http-port <port>", "port to listen on", String(DEFAULT_DASHBOARD_PORT))
    .action(async (raw: { config: string; host: string; httpPort: string }) => {
      try {
        const port = parseIntFlag("--http-port", raw.httpPort, 1, 65_535);
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        try {
          done(await runDashboard({ config: raw.config, host: raw.host, port }, io, stop.signal));
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
      } catch (err) {
        done(reportClusterError(io, err));
      }
    });
}

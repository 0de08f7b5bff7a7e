// `dssmr resp --config FILE --port P`: serves a running KV cluster to Redis clients over RESP.
import type { Command } from "commander";
import { loadClusterConfig } from "../cluster/config.ts";
import { startRespFrontEnd } from "../resp/server.ts";
import { DEFAULT_CONFIG, EXIT_OK, reportClusterError } from "./client-flags.ts";
import { parseIntFlag } from "./parse.ts";
import type { CommandIo } from "./sim-command.ts";

/** What `dssmr resp` was asked for; unset host and port come from the config's `resp` section. */
export interface RespCommandOptions {
  readonly config: string;
  readonly host?: string;
  readonly port?: number;
}

/** Serves RESP until `stop` fires; resolves with the exit status. */
export async function runResp(
  opts: RespCommandOptions,
  io: CommandIo,
  stop: AbortSignal,
): Promise<number> {
  const loaded = loadClusterConfig(opts.config);
  const front = await startRespFrontEnd(loaded, {
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
  });
  try {
    io.out(`serving the kv cluster of ${loaded.file ?? opts.config} over RESP (Redis protocol)`);
    io.out(`  redis    redis://${front.host}:${front.server.port}`);
    io.out(`  try      redis-cli -p ${front.server.port} set greeting hello`);
    io.out(
      `  auth     ${loaded.config.resp?.password !== undefined ? "required (resp.password in the config)" : "none"}`,
    );
    io.out("");
    io.out("Ctrl-C stops the front end (the cluster keeps running).");
    await new Promise<void>((r) => {
      if (stop.aborted) r();
      else stop.addEventListener("abort", () => r(), { once: true });
    });
  } finally {
    await front.close();
  }
  return EXIT_OK;
}

/** Registers `dssmr resp`; `done` receives the exit status once it has stopped. */
export function registerRespCommand(
  program: Command,
  io: CommandIo,
  done: (status: number) => void,
): void {
  program
    .command("resp")
    .description("serve a running kv cluster to Redis clients (RESP2/RESP3); Ctrl-C stops it")
    .option("--config <file>", "the cluster's config file", DEFAULT_CONFIG)
    .option("--host <host>", "address to listen on (default: resp.host, else 127.0.0.1)")
    .option("--port <port>", "port to listen on (default: resp.port, else 6379)")
    .action(async (raw: { config: string; host?: string; port?: string }) => {
      try {
        const port =
          raw.port === undefined ? undefined : parseIntFlag("--port", raw.port, 0, 65_535);
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        try {
          done(
            await runResp(
              {
                config: raw.config,
                ...(raw.host !== undefined ? { host: raw.host } : {}),
                ...(port !== undefined ? { port } : {}),
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

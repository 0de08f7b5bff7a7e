// Flags and error reporting shared by the cluster client commands (chirper, kv, status).
import { resolve } from "node:path";
import type { Command } from "commander";
import { ClientTimeoutError, CommandTooLargeError, InvalidCommandError } from "../client/errors.ts";
import { type LoadedConfig, loadClusterConfig } from "../cluster/config.ts";
import { CONFIG_FILE } from "../cluster/local-config.ts";
import { DssmrError, InputError } from "../core/errors.ts";
import { parseIntFlag } from "./parse.ts";
import type { CommandIo } from "./sim-command.ts";

/** Where `dssmr up` keeps its data by default. */
export const DEFAULT_DATA_DIR = "./dssmr-data";
/** The config every client command reads by default. */
export const DEFAULT_CONFIG = `${DEFAULT_DATA_DIR}/${CONFIG_FILE}`;
/** Default time limit of a client command. */
export const DEFAULT_TIMEOUT_MS = 5_000;

/** Exit statuses of the cluster commands. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE_ERROR = 2;

/** Parsed common flags of a client command. */
export interface ClientFlags {
  readonly config: string;
  readonly timeoutMs: number;
  readonly json: boolean;
}

/** Adds `--config`, `--timeout` and `--json` to a client command. */
export function withClientFlags(cmd: Command, defaultTimeoutMs = DEFAULT_TIMEOUT_MS): Command {
  return cmd
    .option("--config <file>", "the cluster's config file", DEFAULT_CONFIG)
    .option("--timeout <ms>", "give up after this long without an answer", String(defaultTimeoutMs))
    .option("--json", "print the result as one JSON object", false);
}

/** Reads the common flags from commander's option values. */
export function parseClientFlags(raw: Record<string, unknown>): ClientFlags {
  return {
    config: String(raw.config ?? DEFAULT_CONFIG),
    timeoutMs: parseIntFlag("--timeout", String(raw.timeout ?? DEFAULT_TIMEOUT_MS), 1, 3_600_000),
    json: raw.json === true,
  };
}

/** Loads the config a client command names, checking that it runs the expected application. */
export function loadFor(flags: ClientFlags, app?: "chirper" | "kv"): LoadedConfig {
  const loaded = loadClusterConfig(flags.config);
  if (app !== undefined && loaded.config.app !== app) {
    throw new InputError(
      `the cluster of ${resolve(flags.config)} runs the ${loaded.config.app} app, not ${app}`,
    );
  }
  return loaded;
}

/**
 * Prints a command's result: the plain lines on stdout when it succeeded, on stderr when the
 * application refused it (exit 1); with --json, the result as JSON on stdout either way.
 */
export function printResult(
  io: CommandIo,
  flags: ClientFlags,
  result: unknown,
  shown: { readonly ok: boolean; readonly lines: readonly string[] },
): number {
  if (flags.json) io.out(JSON.stringify(result));
  else for (const line of shown.lines) (shown.ok ? io.out : io.err)(line);
  return shown.ok ? EXIT_OK : EXIT_FAILURE;
}

/** Error codes that mean bad usage or a bad config (an app module that does not load is one). */
const USAGE_CODES: ReadonlySet<string> = new Set(["E_INPUT", "E_CONFIG", "E_APP_MODULE"]);

/**
 * Maps an error of a cluster command to a message and an exit status: bad usage, bad config,
 * invalid and oversized commands exit 2; timeouts (the cluster cannot be reached) and other failures of
 * ours exit 1. Anything else is a bug and is rethrown.
 */
export function reportClusterError(io: CommandIo, err: unknown, flags?: ClientFlags): number {
  if (err instanceof ClientTimeoutError) {
    const where = flags === undefined ? "" : ` (config ${resolve(flags.config)})`;
    io.err(
      `error: the cluster did not answer within ${err.timeoutMs} ms${where}: is it running? \`dssmr status\` shows which replicas are up. The command may still take effect.`,
    );
    return EXIT_FAILURE;
  }
  if (err instanceof InvalidCommandError || err instanceof CommandTooLargeError) {
    io.err(`error: ${err.message}`);
    return EXIT_USAGE_ERROR;
  }
  if (err instanceof DssmrError) {
    io.err(`error: ${err.message}`);
    return USAGE_CODES.has(err.code) ? EXIT_USAGE_ERROR : EXIT_FAILURE;
  }
  throw err;
}

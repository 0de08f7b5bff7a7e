// `dssmr call '<command as JSON>'`: runs any command of the cluster's application and prints the result as JSON.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { DsClient } from "../client/ds-client.ts";
import { loadAppSetup } from "../cluster/app-setup.ts";
import { InputError } from "../core/errors.ts";
import {
  type ClientFlags,
  DEFAULT_CONFIG,
  DEFAULT_TIMEOUT_MS,
  EXIT_FAILURE,
  EXIT_OK,
  loadFor,
  parseClientFlags,
  reportClusterError,
} from "./client-flags.ts";
import type { CommandIo } from "./sim-command.ts";

/** Where the command's JSON comes from: the argument, a file, or standard input (`-`). */
export type CallSource =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "stdin" };

/** Picks the source from `<json>` and `--file`: exactly one, `-` meaning standard input. */
export function callSource(arg: string | undefined, file: string | undefined): CallSource {
  if (arg !== undefined && file !== undefined) {
    throw new InputError("give the command either as an argument or with --file, not both");
  }
  if (file !== undefined) return file === "-" ? { kind: "stdin" } : { kind: "file", path: file };
  if (arg === undefined) {
    throw new InputError(
      'no command: give it as JSON (dssmr call \'{"type":"…"}\'), with --file FILE, or - for standard input',
    );
  }
  return arg === "-" ? { kind: "stdin" } : { kind: "text", text: arg };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** The command a source holds, parsed; InputError (exit 2) on unreadable or malformed JSON. */
export async function readCallCommand(
  source: CallSource,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<unknown> {
  let text: string;
  let where: string;
  if (source.kind === "text") {
    text = source.text;
    where = "the argument";
  } else if (source.kind === "file") {
    where = source.path;
    try {
      text = await readFile(source.path, "utf8");
    } catch (err) {
      throw new InputError(`--file: cannot read ${source.path}: ${(err as Error).message}`);
    }
  } else {
    text = await readAll(stdin);
    where = "standard input";
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`the command in ${where} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Whether a result reports a failure, by the convention the built-in and example apps follow:
 * an object with `ok: false`, or with a string `error`. `dssmr call` exits 1 for those.
 */
export function resultFailed(result: unknown): boolean {
  if (typeof result !== "object" || result === null) return false;
  const r = result as Record<string, unknown>;
  return r.ok === false || typeof r.error === "string";
}

/**
 * Runs one command of the configured application (any app: built-in or module) and prints its
 * result as one JSON line on stdout. Exit 0 when it succeeded, 1 when the result reports a
 * failure (resultFailed) or the cluster did not answer, 2 for bad usage, bad JSON or a command
 * the application's `validate` rejects.
 */
export async function runCallCommand(
  source: CallSource,
  flags: ClientFlags,
  io: CommandIo,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  let client: DsClient<unknown, unknown> | null = null;
  try {
    const cmd = await readCallCommand(source, stdin);
    const loaded = loadFor(flags);
    const setup = await loadAppSetup(loaded);
    client = await DsClient.connect<unknown, unknown>(loaded, setup.app, {
      timeoutMs: flags.timeoutMs,
      appIdentity: setup.identity,
      // One command: one session is enough, and dials a third of the connections.
      lanes: 1,
    });
    const result = await client.execute(cmd);
    io.out(JSON.stringify(result));
    return resultFailed(result) ? EXIT_FAILURE : EXIT_OK;
  } catch (err) {
    return reportClusterError(io, err, flags);
  } finally {
    await client?.close();
  }
}

/** Registers `dssmr call`; `done` receives the exit status. */
export function registerCallCommand(
  program: Command,
  io: CommandIo,
  done: (status: number) => void,
): void {
  program
    .command("call")
    .argument("[json]", "the command, as JSON (- reads it from standard input)")
    .option("--file <file>", "read the command's JSON from a file (- for standard input)")
    .option("--config <file>", "the cluster's config file", DEFAULT_CONFIG)
    .option(
      "--timeout <ms>",
      "give up after this long without an answer",
      String(DEFAULT_TIMEOUT_MS),
    )
    .description(
      "run any command of the cluster's application (chirper, kv or an app module); prints the result as JSON",
    )
    .action(async (json: string | undefined, raw: Record<string, unknown>) => {
      try {
        const source = callSource(json, raw.file === undefined ? undefined : String(raw.file));
        done(await runCallCommand(source, parseClientFlags(raw), io));
      } catch (err) {
        done(reportClusterError(io, err));
      }
    });
}

// `dssmr kv create|get|put|cas|delete|mget|transfer`: key-value commands against a running cluster.
import type { Command } from "commander";
import type { DsKvCmd, DsKvResult } from "../apps/kv/types.ts";
import { validateDsKv } from "../apps/kv/validate.ts";
import { DsClient, type ExecuteOptions } from "../client/ds-client.ts";
import { ClientAbortedError, ClientTimeoutError } from "../client/errors.ts";
import { appSetup } from "../cluster/app-setup.ts";
import { InputError, InvariantError } from "../core/errors.ts";
import {
  type ClientFlags,
  loadFor,
  parseClientFlags,
  printResult,
  reportClusterError,
  withClientFlags,
} from "./client-flags.ts";
import { parseIntFlag } from "./parse.ts";
import type { CommandIo } from "./sim-command.ts";

/** Renders a KV result for people; `ok` false means the command failed. */
export function describeKvResult(
  cmd: DsKvCmd,
  result: DsKvResult,
): { readonly ok: boolean; readonly lines: readonly string[] } {
  const q = JSON.stringify;
  switch (result.type) {
    case "error":
      return {
        ok: false,
        lines: [
          result.error === "unknown-key"
            ? `error: unknown key ${q(result.key)}`
            : `error: key ${q(result.key)} already exists`,
        ],
      };
    case "get":
      return { ok: true, lines: [result.value ?? "(no value)"] };
    case "mget": {
      const keys = cmd.type === "mget" ? cmd.keys : [];
      return {
        ok: true,
        lines: keys.map((k, i) => `${k} = ${q(result.values[i] ?? null)}`),
      };
    }
    case "cas":
      return result.ok
        ? { ok: true, lines: ["ok"] }
        : {
            ok: false,
            lines: [
              `error: cas failed: the value is ${q(result.current)}${cmd.type === "cas" ? `, not ${q(cmd.expected)}` : ""}`,
            ],
          };
    case "transfer":
      return result.ok
        ? { ok: true, lines: ["ok"] }
        : {
            ok: false,
            lines: ["error: transfer failed (balance too low, or a value is not a number)"],
          };
    case "create":
      return { ok: true, lines: [`created ${"key" in cmd ? cmd.key : ""}`] };
    case "delete":
      return { ok: true, lines: [`deleted ${"key" in cmd ? cmd.key : ""}`] };
    case "put":
      return { ok: true, lines: ["ok"] };
    case "tx":
      return { ok: true, lines: result.replies.map((r) => q(r)) };
  }
}

type Kv = DsClient<DsKvCmd, DsKvResult>;

/**
 * `put` as users expect it: an upsert. The partitioned store's put needs an existing key, so an
 * unknown key is created instead (and a create that loses a race to another creator puts).
 */
async function upsert(
  client: Kv,
  key: string,
  value: string,
  opts: ExecuteOptions,
): Promise<DsKvResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const put = await client.execute({ type: "put", key, value }, opts);
    if (put.type !== "error" || put.error !== "unknown-key") return put;
    const created = await client.execute({ type: "create", key, value }, opts);
    if (created.type !== "error") return { type: "put" };
  }
  throw new InvariantError(`put ${key}: the key kept appearing and disappearing`);
}

/** Runs one KV command (`put` as an upsert); resolves to the exit status. */
export async function runKvCommand(
  cmd: DsKvCmd,
  flags: ClientFlags,
  io: CommandIo,
): Promise<number> {
  let client: Kv | null = null;
  try {
    const why = validateDsKv(cmd);
    if (why !== null) throw new InputError(why);
    const loaded = loadFor(flags, "kv");
    const setup = appSetup(loaded.config);
    if (setup.kind !== "kv") throw new InvariantError("kv config without kv app");
    // One command per process: one session is enough, and dials fewer connections.
    client = await DsClient.connect(loaded, setup.app, { timeoutMs: flags.timeoutMs, lanes: 1 });
    // One deadline for the whole command, however many steps it takes.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), flags.timeoutMs);
    const opts: ExecuteOptions = { signal: deadline.signal, timeoutMs: Number.POSITIVE_INFINITY };
    let result: DsKvResult;
    try {
      result =
        cmd.type === "put"
          ? await upsert(client, cmd.key, cmd.value, opts)
          : await client.execute(cmd, opts);
    } catch (err) {
      throw err instanceof ClientAbortedError ? new ClientTimeoutError(flags.timeoutMs) : err;
    } finally {
      clearTimeout(timer);
    }
    const shown = describeKvResult(cmd, result);
    return printResult(io, flags, result, shown);
  } catch (err) {
    return reportClusterError(io, err, flags);
  } finally {
    await client?.close();
  }
}

/** Registers `dssmr kv …` on `program`; `done` receives each run's exit status. */
export function registerKvCommand(
  program: Command,
  io: CommandIo,
  done: (status: number) => void,
): void {
  const kv = program
    .command("kv")
    .description("key-value commands against a running cluster started with --app kv");
  const leaf = (
    spec: string,
    description: string,
    build: (a: readonly (string | string[])[]) => DsKvCmd,
  ): void => {
    withClientFlags(kv.command(spec).description(description)).action(
      async (...params: unknown[]) => {
        const cmdObj = params[params.length - 1] as Command;
        const args = params.slice(0, -2) as (string | string[])[];
        done(await runKvCommand(build(args), parseClientFlags(cmdObj.opts()), io));
      },
    );
  };
  const s = (v: string | string[] | undefined): string =>
    Array.isArray(v) ? v.join(" ") : String(v);
  leaf("create <key> <value>", "create a key (fails if it exists)", ([k, v]) => ({
    type: "create",
    key: s(k),
    value: s(v),
  }));
  leaf("get <key>", "print a key's value", ([k]) => ({ type: "get", key: s(k) }));
  leaf("put <key> <value>", "set a key's value (creating the key if needed)", ([k, v]) => ({
    type: "put",
    key: s(k),
    value: s(v),
  }));
  leaf("cas <key> <expected> <value>", "set the value if it is <expected>", ([k, e, v]) => ({
    type: "cas",
    key: s(k),
    expected: s(e),
    value: s(v),
  }));
  leaf("delete <key>", "delete a key", ([k]) => ({ type: "delete", key: s(k) }));
  leaf("mget <keys...>", "read several keys atomically", ([keys]) => ({
    type: "mget",
    keys: Array.isArray(keys) ? keys : [s(keys)],
  }));
  leaf(
    "transfer <from> <to> <amount>",
    "move a number between two keys atomically",
    ([f, t, a]) => ({
      type: "transfer",
      from: s(f),
      to: s(t),
      amount: parseIntFlag("<amount>", s(a), 1),
    }),
  );
}

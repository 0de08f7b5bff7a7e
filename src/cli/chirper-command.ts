// `dssmr chirper adduser|post|timeline|follow|unfollow`: Chirper commands against a running cluster.
import type { Command } from "commander";
import type { ChirperCmd, ChirperResult } from "../apps/chirper/types.ts";
import { FOLLOW_CAP } from "../apps/chirper/types.ts";
import { validateChirper } from "../apps/chirper/validate.ts";
import { DsClient } from "../client/ds-client.ts";
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
import type { CommandIo } from "./sim-command.ts";

/** Renders a Chirper result for people; `ok` false means the command failed. */
export function describeChirperResult(
  cmd: ChirperCmd,
  result: ChirperResult,
): { readonly ok: boolean; readonly lines: readonly string[] } {
  if (!result.ok) {
    const who = JSON.stringify(result.user);
    switch (result.error) {
      case "unknown-user":
        return { ok: false, lines: [`error: unknown user ${who}`] };
      case "user-exists":
        return { ok: false, lines: [`error: user ${who} already exists`] };
      case "follow-limit":
        return {
          ok: false,
          lines: [`error: user ${who} has reached the follow limit (${FOLLOW_CAP})`],
        };
    }
  }
  switch (result.type) {
    case "adduser":
      return { ok: true, lines: [`added user ${result.user}`] };
    case "post":
      return { ok: true, lines: [`${cmd.user} posted (time ${result.time})`] };
    case "timeline":
      return {
        ok: true,
        lines:
          result.posts.length === 0
            ? [`(the timeline of ${cmd.user} is empty)`]
            : result.posts.map((p) => `${p.author}: ${p.text}`),
      };
    case "follow":
    case "unfollow": {
      if (cmd.type !== "follow" && cmd.type !== "unfollow") break;
      const verb = cmd.type === "follow" ? "now follows" : "no longer follows";
      return { ok: true, lines: [`${cmd.user} ${verb} ${cmd.other}`] };
    }
  }
  throw new InvariantError(`result ${result.type} does not answer command ${cmd.type}`);
}

/** Runs one Chirper command; resolves to the exit status. */
export async function runChirperCommand(
  cmd: ChirperCmd,
  flags: ClientFlags,
  io: CommandIo,
): Promise<number> {
  let client: DsClient<ChirperCmd, ChirperResult> | null = null;
  try {
    const why = validateChirper(cmd);
    if (why !== null) throw new InputError(why);
    const loaded = loadFor(flags, "chirper");
    const setup = appSetup(loaded.config);
    if (setup.kind !== "chirper") throw new InvariantError("chirper config without chirper app");
    // One command per process: one session is enough, and dials fewer connections.
    client = await DsClient.connect(loaded, setup.app, { timeoutMs: flags.timeoutMs, lanes: 1 });
    const result = await client.execute(cmd);
    const shown = describeChirperResult(cmd, result);
    return printResult(io, flags, result, shown);
  } catch (err) {
    return reportClusterError(io, err, flags);
  } finally {
    await client?.close();
  }
}

/** Registers `dssmr chirper …` on `program`; `done` receives each run's exit status. */
export function registerChirperCommand(
  program: Command,
  io: CommandIo,
  done: (status: number) => void,
): void {
  const chirper = program
    .command("chirper")
    .description("Chirper commands against a running cluster (see `dssmr up`)");
  const leaf = (
    name: string,
    args: string,
    description: string,
    build: (a: string[]) => ChirperCmd,
  ): void => {
    withClientFlags(chirper.command(`${name} ${args}`).description(description)).action(
      async (...params: unknown[]) => {
        const cmdObj = params[params.length - 1] as Command;
        // A variadic last argument (post's text) arrives as an array of words.
        const positional = params
          .slice(0, -2)
          .map((p) => (Array.isArray(p) ? p.join(" ") : String(p)));
        done(await runChirperCommand(build(positional), parseClientFlags(cmdObj.opts()), io));
      },
    );
  };
  leaf("adduser", "<user>", "create a user", ([user]) => ({ type: "adduser", user: user! }));
  leaf(
    "post",
    "<user> <text...>",
    "post as a user (reaches every follower's timeline)",
    ([u, t]) => ({
      type: "post",
      user: u!,
      text: t!,
    }),
  );
  leaf("timeline", "<user>", "show a user's timeline, newest first", ([user]) => ({
    type: "timeline",
    user: user!,
  }));
  leaf("follow", "<user> <other>", "make user follow other", ([user, other]) => ({
    type: "follow",
    user: user!,
    other: other!,
  }));
  leaf("unfollow", "<user> <other>", "make user stop following other", ([user, other]) => ({
    type: "unfollow",
    user: user!,
    other: other!,
  }));
}

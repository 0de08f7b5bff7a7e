// Chirper as a PartitionedApp: a Twitter-like service with one variable per user.
import type { PartitionedApp } from "../../core/dssmr/app.ts";
import type { PartitionId } from "../../core/dssmr/types.ts";
import { InvariantError } from "../../core/errors.ts";
import { chirperError, executeChirper } from "./execute.ts";
import { placeByInterest } from "./placement.ts";
import { type ChirperCmd, type ChirperResult, type ChirperUser, NEW_USER } from "./types.ts";
import { validateChirper } from "./validate.ts";

/** Options of {@link createChirper}. */
export interface ChirperOptions {
  /**
   * Where the oracle places a new user. Default {@link placeByInterest}. Benchmarks that want
   * placement independent of communities (the paper's setup) pass their own.
   */
  readonly place?: (user: string, partitions: readonly PartitionId[]) => PartitionId;
}

/** Creates the Chirper application. */
export function createChirper(
  opts: ChirperOptions = {},
): PartitionedApp<ChirperCmd, ChirperResult, ChirperUser> {
  const place = opts.place ?? placeByInterest;
  return {
    name: "chirper",
    classify: (cmd) =>
      cmd.type === "adduser" ? { kind: "create", variable: cmd.user } : { kind: "access" },
    // post declares only its author: the followers are learned by reading the author.
    variables: (cmd) =>
      cmd.type === "follow" || cmd.type === "unfollow" ? [cmd.user, cmd.other] : [cmd.user],
    execute: executeChirper,
    initial: () => NEW_USER,
    created: (cmd) => ({ type: "adduser", ok: true, user: cmd.user }),
    deleted: (cmd) => {
      // Chirper has no delete command, so classify never asks for this.
      throw new InvariantError(`chirper command ${cmd.type} is not a delete`);
    },
    rejected: (cmd, reason, variable) =>
      chirperError(cmd, reason === "exists" ? "user-exists" : "unknown-user", variable),
    place,
    validate: validateChirper,
    // A post reads its author's followers: the next post of that author needs them again.
    learnKey: (cmd) => (cmd.type === "post" ? `post:${cmd.user}` : null),
  };
}

/** Chirper with default placement. */
export const chirper: PartitionedApp<ChirperCmd, ChirperResult, ChirperUser> = createChirper();

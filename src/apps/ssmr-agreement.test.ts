// Both apps follow the S-SMR rules: partitions that each see their own variables plus the declared ones agree with one copy.
import { describe, expect, it } from "vitest";
import type { PartitionedApp } from "../core/dssmr/app.ts";
import type { VarId } from "../core/dssmr/types.ts";
import { Rng } from "../sim/rng.ts";
import { chirper } from "./chirper/chirper.ts";
import type { ChirperCmd, ChirperUser } from "./chirper/types.ts";
import { dsKv } from "./kv/dskv.ts";
import type { DsKvCmd } from "./kv/types.ts";
import { MapView } from "./map-view.ts";
import { runSequential } from "./sequential.ts";

/**
 * Executes an access command S-SMR style over `parts` (disjoint maps, together every variable):
 * each partition sees its own variables plus the declared variables held elsewhere, and keeps
 * only the writes to its own. Returns each partition's result.
 */
function ssmr<Cmd, Res, Val>(
  app: PartitionedApp<Cmd, Res, Val>,
  parts: Map<VarId, Val>[],
  cmd: Cmd,
  time: number,
): Res[] {
  const declared = app.variables(cmd);
  const views = parts.map((local) => {
    const seen = new Map(local);
    for (const other of parts) {
      for (const v of declared) {
        const value = other.get(v);
        if (value !== undefined) seen.set(v, value);
      }
    }
    return new MapView(seen);
  });
  // Execute everywhere first, then commit: no partition sees another's writes to this command.
  const results = views.map((view) => app.execute(cmd, view, { time }));
  views.forEach((view, i) => {
    view.commit(parts[i]!);
  });
  return results;
}

/** Splits `state` over `n` partitions by a draw per variable. */
function split<Val>(rng: Rng, state: Map<VarId, Val>, n: number): Map<VarId, Val>[] {
  const parts = Array.from({ length: n }, () => new Map<VarId, Val>());
  for (const [k, v] of state) parts[rng.int(n)]!.set(k, v);
  return parts;
}

/** Checks that S-SMR execution over a split state matches one sequential copy, command by command. */
function agree<Cmd, Res, Val>(
  app: PartitionedApp<Cmd, Res, Val>,
  state: Map<VarId, Val>,
  cmds: Cmd[],
  rng: Rng,
): void {
  const parts = split(rng, state, 3);
  for (const [i, cmd] of cmds.entries()) {
    if (app.classify(cmd).kind !== "access") continue;
    const results = ssmr(app, parts, cmd, i + 1);
    const expected = runSequential(app, state, cmd, i + 1);
    for (const r of results) expect(r).toEqual(expected);
    const merged = new Map(parts.flatMap((p) => [...p]));
    expect(merged).toEqual(state);
  }
}

describe("S-SMR agreement", () => {
  it("holds for Chirper (post learns followers held by other partitions)", () => {
    const rng = new Rng(1);
    const users = Array.from({ length: 12 }, (_, i) => `u${i}`);
    const state = new Map<VarId, ChirperUser>();
    for (const u of users) runSequential(chirper, state, { type: "adduser", user: u });
    const cmds: ChirperCmd[] = [];
    for (let i = 0; i < 400; i++) {
      const user = rng.pick(users);
      let other = rng.pick(users);
      if (other === user) other = `${other}-ghost`; // sometimes a user that does not exist
      const kind = rng.int(4);
      cmds.push(
        kind === 0
          ? { type: "post", user, text: `t${i}` }
          : kind === 1
            ? { type: "timeline", user }
            : { type: rng.chance(0.7) ? "follow" : "unfollow", user, other },
      );
    }
    agree(chirper, state, cmds, rng);
  });

  it("holds for the partitioned KV store", () => {
    const rng = new Rng(2);
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const state = new Map(keys.map((k) => [k, "10"]));
    const cmds: DsKvCmd[] = [];
    for (let i = 0; i < 400; i++) {
      const key = rng.chance(0.1) ? "missing" : rng.pick(keys);
      const cmd: DsKvCmd[] = [
        { type: "get", key },
        { type: "put", key, value: String(rng.int(20)) },
        { type: "cas", key, expected: String(rng.int(20)), value: String(rng.int(20)) },
        { type: "mget", keys: [rng.pick(keys), key, rng.pick(keys)] },
        { type: "transfer", from: key, to: rng.pick(keys), amount: 1 + rng.int(5) },
      ];
      cmds.push(rng.pick(cmd));
    }
    agree(dsKv, state, cmds, rng);
  });
});

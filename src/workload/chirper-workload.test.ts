// Tests of the Chirper workloads: mix ratios, follow/unfollow choices, locality and determinism.
import { describe, expect, it } from "vitest";
import { chirper } from "../apps/chirper/chirper.ts";
import type { ChirperCmd, ChirperUser } from "../apps/chirper/types.ts";
import { runSequential } from "../apps/sequential.ts";
import { Rng } from "../sim/rng.ts";
import { chirperInitialVars } from "./chirper-init.ts";
import { CHIRPER_MIXES, type ChirperMix, ChirperWorkload } from "./chirper-workload.ts";
import { generateSocialGraph } from "./social-graph.ts";

const graph = generateSocialGraph(new Rng(1), { users: 2000, communities: 4 });

/** The share of each command type among `n` commands of `mix`. */
function shares(mix: keyof typeof CHIRPER_MIXES, n: number): ChirperMix {
  const w = new ChirperWorkload(graph, { mix });
  const rng = new Rng(2);
  const counts = { timeline: 0, post: 0, follow: 0, unfollow: 0 };
  for (let i = 0; i < n; i++) {
    const cmd = w.next(rng);
    if (cmd.type !== "adduser") counts[cmd.type]++;
  }
  return {
    timeline: counts.timeline / n,
    post: counts.post / n,
    follow: counts.follow / n,
    unfollow: counts.unfollow / n,
  };
}

describe("ChirperWorkload", () => {
  it("produces each workload's command mix", () => {
    const n = 40_000;
    for (const name of ["timeline", "post", "follow", "mix"] as const) {
      const got = shares(name, n);
      const want = CHIRPER_MIXES[name];
      for (const k of ["timeline", "post", "follow", "unfollow"] as const) {
        expect(Math.abs(got[k] - want[k]), `${name}.${k}`).toBeLessThan(0.01);
      }
    }
  });

  it("emits valid commands only", () => {
    const w = new ChirperWorkload(graph, { mix: "mix", textLength: 280 });
    const rng = new Rng(3);
    for (let i = 0; i < 5000; i++) {
      const cmd = w.next(rng);
      const bad = chirper.validate(cmd);
      if (bad !== null) throw new Error(`${bad}: ${JSON.stringify(cmd)}`);
    }
  });

  it("follows someone not followed yet and unfollows someone followed", () => {
    const w = new ChirperWorkload(graph, { mix: "follow" });
    const index = new Map(graph.users.map((u, i) => [u, i]));
    // Our own copy of the follow graph, changed as the commands say.
    const mirror = new Map<number, Set<number>>();
    const follows = (u: number): Set<number> => {
      const s = mirror.get(u) ?? new Set(graph.following[u]);
      mirror.set(u, s);
      return s;
    };
    const rng = new Rng(4);
    let wrong = 0;
    for (let i = 0; i < 5000; i++) {
      const cmd = w.next(rng);
      if (cmd.type !== "follow" && cmd.type !== "unfollow") throw new Error(cmd.type);
      const u = index.get(cmd.user)!;
      const o = index.get(cmd.other)!;
      const mine = follows(u);
      if (cmd.type === "follow") {
        if (u === o || mine.has(o)) wrong++;
        mine.add(o);
      } else {
        if (!mine.has(o)) wrong++;
        mine.delete(o);
      }
      if (w.following(u).length !== mine.size) wrong++;
    }
    expect(wrong).toBe(0);
  });

  it("keeps follows inside the community under strong locality", () => {
    const w = new ChirperWorkload(graph, { mix: "follow" });
    const index = new Map(graph.users.map((u, i) => [u, i]));
    const rng = new Rng(5);
    let cross = 0;
    for (let i = 0; i < 2000; i++) {
      const cmd = w.next(rng);
      if (cmd.type !== "follow") continue;
      const c = (name: string) => graph.community[index.get(name)!];
      if (c(cmd.user) !== c(cmd.other)) cross++;
    }
    expect(cross).toBe(0);
  });

  it("is deterministic", () => {
    const run = (): ChirperCmd[] => {
      const w = new ChirperWorkload(graph, { mix: "mix" });
      const rng = new Rng(6);
      return Array.from({ length: 500 }, () => w.next(rng));
    };
    expect(run()).toEqual(run());
  });

  it("runs on the preloaded graph with every command succeeding", () => {
    const state = new Map<string, ChirperUser>(chirperInitialVars(graph));
    const w = new ChirperWorkload(graph, { mix: "mix" });
    const rng = new Rng(7);
    for (let i = 0; i < 3000; i++) {
      const cmd = w.next(rng);
      const r = runSequential(chirper, state, cmd, i + 1);
      if (!r.ok) throw new Error(`${JSON.stringify(cmd)} -> ${JSON.stringify(r)}`);
    }
  });

  it("rejects shares that do not sum to 1", () => {
    const bad = { timeline: 0.5, post: 0.1, follow: 0, unfollow: 0 };
    expect(() => new ChirperWorkload(graph, { mix: bad })).toThrow(/sum to 1/);
  });
});

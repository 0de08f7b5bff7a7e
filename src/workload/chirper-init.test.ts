// Tests of booting Chirper from a graph and of the graph placements.
import { describe, expect, it } from "vitest";
import { chirper, createChirper } from "../apps/chirper/chirper.ts";
import type { PartitionId } from "../core/dssmr/types.ts";
import { groupId } from "../core/ids.ts";
import { Rng } from "../sim/rng.ts";
import { chirperInitialVars } from "./chirper-init.ts";
import { ChirperWorkload } from "./chirper-workload.ts";
import { placeByCommunity, placeRandomly } from "./graph-placement.ts";
import { generateSocialGraph } from "./social-graph.ts";

const parts = [1, 2, 3, 4].map(groupId);

describe("chirperInitialVars", () => {
  it("gives every user its followers and followees by name", () => {
    const g = generateSocialGraph(new Rng(1), { users: 500, communities: 2 });
    const vars = chirperInitialVars(g);
    expect(vars).toHaveLength(500);
    const byName = new Map(vars);
    for (const [name, v] of vars) {
      for (const f of v.followers) expect(byName.get(f)!.following).toContain(name);
      expect(v.posts).toEqual([]);
      expect(v.timeline).toEqual([]);
    }
    const [name0, v0] = vars[0]!;
    expect(name0).toBe("u00000");
    expect(v0.followers).toEqual(g.followers[0]!.map((i) => g.users[i]));
    // Plain data: survives a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(vars))).toEqual(vars);
  });
});

describe("graph placements", () => {
  it("by community: under strong locality every command is single-partition", () => {
    const g = generateSocialGraph(new Rng(2), { users: 4000, communities: 4, crossFraction: 0 });
    const app = createChirper({ place: placeByCommunity(g) });
    const vars = new Map(chirperInitialVars(g));
    const where = (u: string): PartitionId => app.place(u, parts);
    const w = new ChirperWorkload(g, { mix: "mix" });
    const rng = new Rng(3);
    let multi = 0;
    for (let i = 0; i < 5000; i++) {
      const cmd = w.next(rng);
      const touched = [...app.variables(cmd)];
      if (cmd.type === "post") touched.push(...vars.get(cmd.user)!.followers);
      if (new Set(touched.map(where)).size > 1) multi++;
    }
    expect(multi).toBe(0);
  });

  it("at random: spread over partitions, independent of community, stable per seed", () => {
    const g = generateSocialGraph(new Rng(4), { users: 4000, communities: 4 });
    const place = placeRandomly(9);
    const counts = new Map<PartitionId, number>();
    let sameAsCommunity = 0;
    for (const [i, u] of g.users.entries()) {
      const p = place(u, parts);
      counts.set(p, (counts.get(p) ?? 0) + 1);
      if (p === parts[g.community[i]!]) sameAsCommunity++;
    }
    for (const p of parts) expect(counts.get(p)!).toBeGreaterThan(800);
    expect(sameAsCommunity / 4000).toBeLessThan(0.35);
    expect(place("u00001", parts)).toBe(placeRandomly(9)("u00001", parts));
    const other = placeRandomly(10);
    expect(g.users.some((u) => other(u, parts) !== place(u, parts))).toBe(true);
    // Chirper's default placement is a stable hash too.
    expect(chirper.place("u00001", parts)).toBe(chirper.place("u00001", parts));
  });
});

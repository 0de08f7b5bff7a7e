// Tests of the social graph generator: determinism, balance, locality, skew and speed.
import { describe, expect, it } from "vitest";
import { Rng } from "../sim/rng.ts";
import { generateSocialGraph, userName } from "./social-graph.ts";

describe("generateSocialGraph", () => {
  it("is deterministic in its seed", () => {
    const opts = { users: 2000, communities: 4, crossFraction: 0.1 };
    const a = generateSocialGraph(new Rng(7), opts);
    const b = generateSocialGraph(new Rng(7), opts);
    const c = generateSocialGraph(new Rng(8), opts);
    expect(b.followers).toEqual(a.followers);
    expect(b.activity).toEqual(a.activity);
    expect(c.followers).not.toEqual(a.followers);
  });

  it("names users and balances communities", () => {
    const g = generateSocialGraph(new Rng(1), { users: 1003, communities: 10 });
    expect(g.users[42]).toBe("u00042");
    expect(userName(123456, 1_000_000)).toBe("u123456");
    const sizes = new Array<number>(10).fill(0);
    for (const c of g.community) sizes[c]!++;
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(g.activity.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it("keeps followers and following consistent, without self-loops or duplicates", () => {
    const g = generateSocialGraph(new Rng(3), {
      users: 3000,
      communities: 3,
      crossFraction: 0.3,
      maxFollowers: 50,
    });
    // Count violations instead of asserting per edge: thousands of expect calls are slow.
    let edges = 0;
    let bad = 0;
    for (const [t, fs] of g.followers.entries()) {
      if (new Set(fs).size !== fs.length || fs.length > 50) bad++;
      for (const f of fs) if (f === t || !g.following[f]!.includes(t)) bad++;
      edges += fs.length;
    }
    expect(bad).toBe(0);
    expect(g.following.reduce((a, f) => a + f.length, 0)).toBe(edges);
    expect(edges / 3000).toBeGreaterThan(8);
  });

  it("has no cross-community edge at crossFraction 0", () => {
    const g = generateSocialGraph(new Rng(4), { users: 10_000, communities: 8, crossFraction: 0 });
    expect(g.edges()).toBeGreaterThan(50_000);
    expect(g.crossEdgeFraction()).toBe(0);
  });

  it("crosses communities on about crossFraction of the edges", () => {
    const g = generateSocialGraph(new Rng(5), {
      users: 10_000,
      communities: 8,
      crossFraction: 0.2,
    });
    expect(g.crossEdgeFraction()).toBeGreaterThan(0.18);
    expect(g.crossEdgeFraction()).toBeLessThan(0.22);
  });

  it("skews follower counts: the top 1% of users hold a large share", () => {
    const g = generateSocialGraph(new Rng(6), { users: 20_000, communities: 4 });
    const counts = g.followers.map((f) => f.length).sort((a, b) => b - a);
    const top = counts.slice(0, 200).reduce((a, b) => a + b, 0);
    const all = counts.reduce((a, b) => a + b, 0);
    expect(top / all).toBeGreaterThan(0.25);
    expect(counts[0]).toBeLessThanOrEqual(1000);
    // Activity is skewed too.
    const act = [...g.activity].sort((a, b) => b - a);
    expect(act.slice(0, 200).reduce((a, b) => a + b, 0)).toBeGreaterThan(0.4);
  });

  it("draws active users by activity", () => {
    const g = generateSocialGraph(new Rng(9), { users: 100, activityExponent: 2 });
    const rng = new Rng(10);
    const top = g.activity.indexOf(Math.max(...g.activity));
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (g.pickActiveUser(rng) === top) hits++;
    expect(hits / 20_000).toBeCloseTo(g.activity[top]!, 1);
  });

  it("generates 100,000 users quickly", () => {
    const t0 = performance.now();
    const g = generateSocialGraph(new Rng(11), {
      users: 100_000,
      communities: 16,
      crossFraction: 0.1,
    });
    const ms = performance.now() - t0;
    expect(g.size).toBe(100_000);
    expect(g.edges()).toBeGreaterThan(900_000);
    expect(ms).toBeLessThan(2000);
  });

  it("rejects bad options", () => {
    expect(() => generateSocialGraph(new Rng(1), { users: 0 })).toThrow(/users/);
    expect(() => generateSocialGraph(new Rng(1), { users: 5, communities: 6 })).toThrow(
      /communities/,
    );
    expect(() =>
      generateSocialGraph(new Rng(1), { users: 5, communities: 2, crossFraction: 2 }),
    ).toThrow(/crossFraction/);
  });
});

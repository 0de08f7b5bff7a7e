// Tests of the seeded generator: determinism, distribution and independent forks.
import { describe, expect, it } from "vitest";
import { Rng } from "./rng.ts";

const draws = (r: Rng, n: number): number[] => Array.from({ length: n }, () => r.next());

describe("Rng", () => {
  it("is deterministic from the seed", () => {
    expect(draws(new Rng(42), 100)).toEqual(draws(new Rng(42), 100));
    expect(draws(new Rng(42), 10)).not.toEqual(draws(new Rng(43), 10));
  });

  it("reduces the seed to 32 bits and rejects non-integers", () => {
    expect(new Rng(-1).seed).toBe(0xffffffff);
    expect(new Rng(2 ** 32 + 5).seed).toBe(5);
    expect(() => new Rng(1.5)).toThrow(/integer/);
  });

  it("gives next() in [0, 1) with roughly uniform buckets", () => {
    const r = new Rng(1);
    const buckets = new Array<number>(10).fill(0);
    const n = 100_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      if (!(x >= 0 && x < 1)) outside++;
      const b = Math.floor(x * 10);
      buckets[b] = (buckets[b] ?? 0) + 1;
    }
    expect(outside).toBe(0);
    for (const c of buckets) expect(Math.abs(c - n / 10)).toBeLessThan(n / 100);
  });

  it("keeps int and range within bounds and hits every value", () => {
    const r = new Rng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = r.range(-3, 3);
      expect(Number.isInteger(x)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(-3);
      expect(x).toBeLessThanOrEqual(3);
      seen.add(x);
      const y = r.int(5);
      expect(y >= 0 && y < 5).toBe(true);
    }
    expect(seen.size).toBe(7);
    expect(() => r.int(0)).toThrow();
    expect(() => r.range(2, 1)).toThrow();
  });

  it("has chance(p) near p, never for 0 and always for 1", () => {
    const r = new Rng(3);
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (r.chance(0.25)) hits++;
    expect(Math.abs(hits / 20_000 - 0.25)).toBeLessThan(0.02);
    for (let i = 0; i < 1000; i++) {
      expect(r.chance(0)).toBe(false);
      expect(r.chance(1)).toBe(true);
    }
  });

  it("has exponential() with the requested mean", () => {
    const r = new Rng(9);
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 50_000; i++) {
      const x = r.exponential(4);
      min = Math.min(min, x);
      sum += x;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(Math.abs(sum / 50_000 - 4)).toBeLessThan(0.15);
    expect(r.exponential(0)).toBe(0);
  });

  it("shuffles in place into a permutation and picks members", () => {
    const r = new Rng(11);
    const arr = Array.from({ length: 20 }, (_, i) => i);
    const same = r.shuffle(arr);
    expect(same).toBe(arr);
    expect([...arr].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(arr).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (let i = 0; i < 100; i++) expect(["a", "b", "c"]).toContain(r.pick(["a", "b", "c"]));
    expect(() => r.pick([])).toThrow();
  });

  it("forks without consuming from the parent", () => {
    const a = new Rng(5);
    const b = new Rng(5);
    a.fork("network");
    a.fork("disk");
    expect(draws(a, 20)).toEqual(draws(b, 20));
  });

  it("forks deterministically by label, independent of parent position and order", () => {
    const a = new Rng(5);
    const b = new Rng(5);
    draws(b, 7);
    expect(draws(a.fork("network"), 20)).toEqual(draws(b.fork("network"), 20));
    expect(draws(a.fork("network"), 5)).not.toEqual(draws(a.fork("disk"), 5));
    expect(draws(a.fork("x"), 5)).not.toEqual(draws(a, 5));
    expect(new Rng(6).fork("network").seed).not.toBe(new Rng(5).fork("network").seed);
  });

  it("gives forks that are not correlated with each other", () => {
    const root = new Rng(123);
    const x = draws(root.fork("a"), 10_000);
    const y = draws(root.fork("b"), 10_000);
    const mean = (v: number[]): number => v.reduce((s, e) => s + e, 0) / v.length;
    const mx = mean(x);
    const my = mean(y);
    let cov = 0;
    let vx = 0;
    let vy = 0;
    for (let i = 0; i < x.length; i++) {
      const dx = (x[i] ?? 0) - mx;
      const dy = (y[i] ?? 0) - my;
      cov += dx * dy;
      vx += dx * dx;
      vy += dy * dy;
    }
    expect(Math.abs(cov / Math.sqrt(vx * vy))).toBeLessThan(0.05);
  });
});

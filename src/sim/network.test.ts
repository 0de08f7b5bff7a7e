// Tests of the simulated network: latency, loss, duplicates, cuts, partitions and validation.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.ts";
import { defaultNetworkOptions, SimNetwork } from "./network.ts";
import { Rng } from "./rng.ts";

describe("SimNetwork", () => {
  it("delivers one copy after at least minLatency, with an exponential tail", () => {
    const net = new SimNetwork(new Rng(1), { minLatency: 5, meanExtraLatency: 2 });
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 10_000; i++) {
      const times = net.deliveries(1, 2, 100);
      const t = times[0] ?? 0;
      if (times.length !== 1) throw new Error("expected exactly one copy");
      min = Math.min(min, t);
      sum += t - 100;
    }
    expect(min).toBeGreaterThanOrEqual(105);
    expect(Math.abs(sum / 10_000 - 7)).toBeLessThan(0.15);
    expect(net.stats).toEqual({ sent: 10_000, dropped: 0, duplicated: 0, cut: 0 });
  });

  it("reorders messages on one link", () => {
    const net = new SimNetwork(new Rng(2));
    const arrivals = Array.from({ length: 50 }, (_, i) => net.deliveries(1, 2, i * 0.1)[0] ?? 0);
    const sorted = [...arrivals].sort((a, b) => a - b);
    expect(arrivals).not.toEqual(sorted);
  });

  it("uses a fixed latency when there is no tail", () => {
    const net = new SimNetwork(new Rng(3), { minLatency: 4, meanExtraLatency: 0 });
    expect(net.deliveries(1, 2, 10)).toEqual([14]);
  });

  it("is deterministic from the seed", () => {
    const run = (): number[][] => {
      const net = new SimNetwork(new Rng(9), { dropRate: 0.2, duplicateRate: 0.2 });
      return Array.from({ length: 200 }, (_, i) => net.deliveries(i % 3, (i + 1) % 3, i));
    };
    expect(run()).toEqual(run());
  });

  it("drops and duplicates at roughly the configured rates, and counts them", () => {
    const net = new SimNetwork(new Rng(4), { dropRate: 0.1, duplicateRate: 0.2 });
    const n = 20_000;
    let copies = 0;
    for (let i = 0; i < n; i++) copies += net.deliveries(1, 2, 0).length;
    const { sent, dropped, duplicated } = net.stats;
    expect(sent).toBe(n);
    expect(Math.abs(dropped / n - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(duplicated / (n - dropped) - 0.2)).toBeLessThan(0.015);
    expect(copies).toBe(n - dropped + duplicated);
  });

  it("changes rates at run time", () => {
    const net = new SimNetwork(new Rng(5));
    net.setRates({ dropRate: 1 });
    expect(net.deliveries(1, 2, 0)).toEqual([]);
    net.setRates({ dropRate: 0, duplicateRate: 1 });
    expect(net.deliveries(1, 2, 0)).toHaveLength(2);
    expect(net.options).toMatchObject({ dropRate: 0, duplicateRate: 1 });
    expect(net.stats).toMatchObject({ sent: 2, dropped: 1, duplicated: 1 });
    expect(() => net.setRates({ duplicateRate: 2 })).toThrow(/duplicateRate/);
  });

  it("cuts and heals one-way links", () => {
    const net = new SimNetwork(new Rng(6));
    net.cut(1, 2);
    expect(net.isCut(1, 2)).toBe(true);
    expect(net.isCut(2, 1)).toBe(false);
    expect(net.deliveries(1, 2, 0)).toEqual([]);
    expect(net.deliveries(2, 1, 0)).toHaveLength(1);
    expect(net.stats.cut).toBe(1);
    net.heal(1, 2);
    expect(net.isCut(1, 2)).toBe(false);
    net.cutBoth(3, 4);
    expect(net.isCut(3, 4) && net.isCut(4, 3)).toBe(true);
    net.healAll();
    expect(net.isCut(3, 4) || net.isCut(4, 3)).toBe(false);
  });

  it("partitions sides from each other, leaving sides and unlisted nodes connected", () => {
    const net = new SimNetwork(new Rng(7));
    net.partition([[1, 2], [3], [4, 5]]);
    for (const [a, b] of [
      [1, 3],
      [2, 4],
      [3, 5],
    ] as const) {
      expect(net.isCut(a, b)).toBe(true);
      expect(net.isCut(b, a)).toBe(true);
    }
    expect(net.isCut(1, 2)).toBe(false);
    expect(net.isCut(4, 5)).toBe(false);
    expect(net.isCut(1, 9)).toBe(false);
    expect(net.isCut(9, 3)).toBe(false);
    expect(() => net.partition([[1], [1, 2]])).toThrow(ConfigError);
    net.healAll();
    expect(net.isCut(1, 3)).toBe(false);
  });

  it("isolates a node from everyone, until it rejoins or everything heals", () => {
    const net = new SimNetwork(new Rng(8));
    net.isolate(3);
    expect(net.isCut(3, 1)).toBe(true);
    expect(net.isCut(100, 3)).toBe(true);
    expect(net.isCut(3, 3)).toBe(false);
    net.rejoin(3);
    expect(net.isCut(3, 1)).toBe(false);
    net.isolate(3);
    net.healAll();
    expect(net.isCut(1, 3)).toBe(false);
  });

  it("validates options, naming the field", () => {
    const rng = new Rng(0);
    expect(() => new SimNetwork(rng, { dropRate: 1.5 })).toThrow(/dropRate/);
    expect(() => new SimNetwork(rng, { duplicateRate: -0.1 })).toThrow(/duplicateRate/);
    expect(() => new SimNetwork(rng, { minLatency: -1 })).toThrow(/minLatency/);
    expect(() => new SimNetwork(rng, { meanExtraLatency: Number.NaN })).toThrow(/meanExtraLatency/);
    expect(() => new SimNetwork(rng, { dropRate: 2 })).toThrow(ConfigError);
    expect(new SimNetwork(rng).options).toEqual(defaultNetworkOptions);
  });
});

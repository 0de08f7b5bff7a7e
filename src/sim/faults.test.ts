// Tests of fault parsing and schedule generation: determinism, recovery and limits.
import { describe, expect, it } from "vitest";
import { ConfigError, InputError } from "../core/errors.ts";
import {
  type FaultEvent,
  type FaultScheduleOptions,
  faultKinds,
  generateFaultSchedule,
  parseFaults,
} from "./faults.ts";
import { Rng } from "./rng.ts";

const base: FaultScheduleOptions = {
  kinds: new Set(faultKinds),
  nodes: [1, 2, 3, 4, 5],
  clients: [100, 101],
  start: 0,
  end: 10_000,
  meanGap: 200,
  maxDown: 2,
  downtime: { min: 50, max: 800 },
};

/** Replays a schedule, checking that every fault is undone and nothing is left at `end`. */
const replay = (
  events: FaultEvent[],
  end: number,
): { maxDown: number; counts: Map<string, number> } => {
  const down = new Set<number>();
  let cut = false;
  let burst = false;
  let maxDown = 0;
  const counts = new Map<string, number>();
  let prev = Number.NEGATIVE_INFINITY;
  for (const ev of events) {
    expect(ev.at).toBeGreaterThanOrEqual(prev);
    expect(ev.at).toBeLessThanOrEqual(end);
    prev = ev.at;
    counts.set(ev.type, (counts.get(ev.type) ?? 0) + 1);
    switch (ev.type) {
      case "crash":
        expect(down.has(ev.node)).toBe(false);
        down.add(ev.node);
        maxDown = Math.max(maxDown, down.size);
        break;
      case "restart":
        expect(down.has(ev.node)).toBe(true);
        down.delete(ev.node);
        break;
      case "partition":
      case "cut":
        cut = true;
        break;
      case "heal":
        cut = false;
        break;
      case "rates":
        burst = ev.dropRate > 0 || ev.duplicateRate > 0;
        break;
    }
  }
  expect(down.size).toBe(0);
  expect(cut).toBe(false);
  expect(burst).toBe(false);
  return { maxDown, counts };
};

describe("parseFaults", () => {
  it("accepts presets", () => {
    expect([...parseFaults("none")]).toEqual([]);
    expect([...parseFaults("crash")]).toEqual(["crash"]);
    expect([...parseFaults("partition")]).toEqual(["partition", "oneway"]);
    expect([...parseFaults("all")]).toEqual([...faultKinds]);
    expect([...parseFaults(" ALL ")]).toEqual([...faultKinds]);
  });

  it("accepts comma-separated kinds", () => {
    expect([...parseFaults("crash, drop,duplicate")]).toEqual(["crash", "drop", "duplicate"]);
    expect([...parseFaults("partition,oneway")]).toEqual(["partition", "oneway"]);
    expect([...parseFaults("partition,drop")]).toEqual(["partition", "drop"]);
  });

  it("rejects unknown or empty names with InputError", () => {
    expect(() => parseFaults("crash,flood")).toThrow(InputError);
    expect(() => parseFaults("crash,flood")).toThrow(/unknown fault kind "flood"/);
    expect(() => parseFaults("")).toThrow(/empty fault name/);
    expect(() => parseFaults("crash,,drop")).toThrow(InputError);
    expect(() => parseFaults("crash,all")).toThrow(InputError);
  });
});

describe("generateFaultSchedule", () => {
  it("is deterministic from the seed", () => {
    const a = generateFaultSchedule(new Rng(1), base);
    expect(generateFaultSchedule(new Rng(1), base)).toEqual(a);
    expect(generateFaultSchedule(new Rng(2), base)).not.toEqual(a);
  });

  it("undoes every fault, heals at the end, and respects maxDown, for many seeds", () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 100; seed++) {
      const events = generateFaultSchedule(new Rng(seed), base);
      const { maxDown, counts } = replay(events, base.end);
      expect(maxDown).toBeLessThanOrEqual(base.maxDown);
      expect(counts.get("crash") ?? 0).toBe(counts.get("restart") ?? 0);
      for (const k of counts.keys()) seen.add(k);
      const last = events.at(-1);
      expect(last?.at).toBe(base.end);
      expect(events.filter((e) => e.at === base.end).map((e) => e.type)).toContain("heal");
    }
    expect([...seen].sort()).toEqual(["crash", "cut", "heal", "partition", "rates", "restart"]);
  });

  it("puts every crash before a later restart of the same node", () => {
    const events = generateFaultSchedule(new Rng(3), { ...base, kinds: new Set(["crash"]) });
    events.forEach((ev, i) => {
      if (ev.type !== "crash") return;
      const restart = events.slice(i + 1).find((x) => x.type === "restart" && x.node === ev.node);
      expect(restart).toBeDefined();
      expect(restart?.at).toBeGreaterThanOrEqual(ev.at + base.downtime.min);
    });
    expect(events.every((e) => e.type === "crash" || e.type === "restart")).toBe(true);
  });

  it("builds partitions whose sides hold distinct replicas, clients optional", () => {
    const events = generateFaultSchedule(new Rng(4), { ...base, kinds: new Set(["partition"]) });
    const partitions = events.filter((e) => e.type === "partition");
    expect(partitions.length).toBeGreaterThan(0);
    for (const p of partitions) {
      const members = p.sides.flat();
      expect(new Set(members).size).toBe(members.length);
      for (const n of base.nodes) expect(members).toContain(n);
      for (const side of p.sides) expect(side.some((n) => base.nodes.includes(n))).toBe(true);
    }
  });

  it("applies maxDown per group when groups are given", () => {
    const groups = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    for (let seed = 0; seed < 30; seed++) {
      const events = generateFaultSchedule(new Rng(seed), {
        ...base,
        kinds: new Set(["crash"]),
        nodes: groups.flat(),
        groups,
        maxDown: 1,
        meanGap: 50,
      });
      const down = new Set<number>();
      let bothGroups = false;
      for (const ev of events) {
        if (ev.type === "crash") down.add(ev.node);
        if (ev.type === "restart") down.delete(ev.node);
        for (const g of groups) expect(g.filter((n) => down.has(n)).length).toBeLessThanOrEqual(1);
        if (down.size === 2) bothGroups = true;
      }
      if (seed === 0) expect(bothGroups).toBe(true);
    }
  });

  it("exceeds maxDown only when majority loss is allowed", () => {
    const opts = { ...base, kinds: new Set(["crash"] as const), maxDown: 1, meanGap: 20 };
    const most = (allow: boolean): number => {
      let m = 0;
      for (let seed = 0; seed < 20; seed++) {
        const events = generateFaultSchedule(new Rng(seed), { ...opts, allowMajorityLoss: allow });
        m = Math.max(m, replay(events, opts.end).maxDown);
      }
      return m;
    };
    expect(most(false)).toBe(1);
    expect(most(true)).toBeGreaterThanOrEqual(3);
  });

  it("bursts drop and duplicate rates within bounds and returns to the base rates", () => {
    const baseRates = { dropRate: 0.01, duplicateRate: 0 };
    const events = generateFaultSchedule(new Rng(5), {
      ...base,
      kinds: new Set(["drop", "duplicate"]),
      baseRates,
      maxDropRate: 0.5,
    });
    const rates = events.filter((e) => e.type === "rates");
    expect(rates.length).toBeGreaterThan(2);
    for (const r of rates) {
      expect(r.dropRate).toBeLessThanOrEqual(0.5);
      expect(r.duplicateRate).toBeLessThanOrEqual(0.2);
    }
    expect(rates.at(-1)).toEqual({ at: base.end, type: "rates", ...baseRates });
  });

  it("is empty for no kinds, and validates options", () => {
    expect(generateFaultSchedule(new Rng(1), { ...base, kinds: new Set() })).toEqual([]);
    expect(() => generateFaultSchedule(new Rng(1), { ...base, end: -1 })).toThrow(ConfigError);
    expect(() => generateFaultSchedule(new Rng(1), { ...base, meanGap: 0 })).toThrow(/meanGap/);
    expect(() =>
      generateFaultSchedule(new Rng(1), { ...base, downtime: { min: 5, max: 1 } }),
    ).toThrow(/downtime.max/);
    expect(() => generateFaultSchedule(new Rng(1), { ...base, maxDown: -1 })).toThrow(/maxDown/);
  });
});

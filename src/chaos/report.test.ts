// Availability from a history: throughput per second, the longest gap, recovery after each heal.
import { describe, expect, it } from "vitest";
import type { KvOperation } from "./history.ts";
import { availability } from "./report.ts";

const done = (id: number, client: number, ret: number): KvOperation => ({
  id,
  client,
  input: { type: "get", key: "k" },
  output: { type: "get", value: null },
  call: ret - 1,
  ret,
});

describe("availability", () => {
  it("measures the gap, each second's throughput and the time until every client is served", () => {
    const ops = [
      done(0, 1, 100),
      done(1, 2, 200),
      done(2, 1, 1_500),
      done(3, 2, 2_600),
      done(4, 1, 2_700),
    ];
    const faults = [
      { cycle: 0, kind: "kill" as const, replicas: [101], injectedAt: 300, healedAt: 1_000 },
    ];
    const a = availability(ops, [1, 2], faults, 0, 3_000);
    expect(a.throughput).toEqual([2, 1, 2]);
    expect(a.longestGapMs).toBe(1_300);
    expect(a.longestClientStallMs).toBe(2_400);
    // Client 2 completes nothing from the injection (300) to 2600.
    expect(a.outageMs.kill).toMatchObject({ count: 1, max: 2_300 });
    // Client 1 is served at 1500, client 2 only at 2600: 1600 ms after the heal.
    expect(a.recoveryMs.kill).toEqual({
      count: 1,
      unrecovered: 0,
      p50: 1_600,
      p99: 1_600,
      max: 1_600,
    });
  });

  it("counts a fault after which some client never completed again", () => {
    const faults = [
      { cycle: 0, kind: "pause" as const, replicas: [1], injectedAt: 0, healedAt: 50 },
    ];
    const a = availability([done(0, 1, 100)], [1, 2], faults, 0, 200);
    expect(a.recoveryMs.pause).toMatchObject({ count: 1, unrecovered: 1, p50: null });
  });
});

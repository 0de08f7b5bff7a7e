// Unit tests of the client session table.
import { describe, expect, it } from "vitest";
import { InvariantError } from "../errors.ts";
import { clientId } from "../ids.ts";
import { SessionTable } from "./sessions.ts";

const c1 = clientId(1);
const c2 = clientId(2);
const c3 = clientId(3);

describe("SessionTable", () => {
  it("classifies new, duplicate and stale commands", () => {
    const t = new SessionTable<string>(10);
    expect(t.check(c1, 1)).toEqual({ kind: "new" });
    t.record(c1, 1, "a");
    expect(t.check(c1, 1)).toEqual({ kind: "duplicate", result: "a" });
    t.record(c1, 2, "b");
    expect(t.check(c1, 1)).toEqual({ kind: "stale" });
    expect(t.check(c1, 2)).toEqual({ kind: "duplicate", result: "b" });
    expect(t.check(c1, 3)).toEqual({ kind: "new" });
  });

  it("refuses to record a sequence number twice", () => {
    const t = new SessionTable<string>(10);
    t.record(c1, 5, "x");
    expect(() => t.record(c1, 5, "y")).toThrow(InvariantError);
  });

  it("keeps an answer recorded after a later one, in seq order, and drops the lowest seq", () => {
    // DS-SMR groups may complete a client's commands out of seq order (conflict-aware execution):
    // the older answer must still be there when the client retransmits.
    const t = new SessionTable<string>(10, 3);
    t.record(c1, 9, "nine");
    t.record(c1, 8, "eight");
    expect(t.check(c1, 8)).toEqual({ kind: "duplicate", result: "eight" });
    expect(t.check(c1, 9)).toEqual({ kind: "duplicate", result: "nine" });
    t.record(c1, 10, "ten");
    t.record(c1, 7, "seven"); // below all three kept: recorded, then dropped as the lowest
    expect(t.check(c1, 7)).toEqual({ kind: "stale" });
    t.record(c1, 11, "eleven");
    expect(t.check(c1, 8)).toEqual({ kind: "stale" });
    expect(t.check(c1, 9)).toEqual({ kind: "duplicate", result: "nine" });
    expect(t.check(c1, 12)).toEqual({ kind: "new" });
  });

  it("evicts the least recently active client when full", () => {
    const t = new SessionTable<string>(2);
    t.record(c1, 1, "a");
    t.record(c2, 1, "b");
    t.record(c1, 2, "c"); // c1 is now the most recent
    t.record(c3, 1, "d"); // evicts c2
    expect(t.size).toBe(2);
    expect(t.check(c2, 1)).toEqual({ kind: "new" });
    expect(t.check(c1, 2)).toEqual({ kind: "duplicate", result: "c" });
  });

  it("remembers the last answers of a client with several commands in flight", () => {
    const t = new SessionTable<string>(10, 3);
    for (let seq = 1; seq <= 4; seq++) t.record(c1, seq, `r${seq}`);
    expect(t.check(c1, 1)).toEqual({ kind: "stale" });
    expect(t.check(c1, 2)).toEqual({ kind: "duplicate", result: "r2" });
    expect(t.check(c1, 4)).toEqual({ kind: "duplicate", result: "r4" });
    expect(t.check(c1, 5)).toEqual({ kind: "new" });
    const u = new SessionTable<string>(10, 3);
    u.restore(t.snapshot());
    expect(u.check(c1, 3)).toEqual({ kind: "duplicate", result: "r3" });
  });

  it("round-trips through a snapshot, eviction order included", () => {
    const t = new SessionTable<string>(2);
    t.record(c1, 1, "a");
    t.record(c2, 1, "b");
    const u = new SessionTable<string>(2);
    u.restore(t.snapshot());
    u.record(c3, 1, "c"); // must evict c1, as t would
    expect(u.check(c1, 1)).toEqual({ kind: "new" });
    expect(u.check(c2, 1)).toEqual({ kind: "duplicate", result: "b" });
  });
});

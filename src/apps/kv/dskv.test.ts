// Tests of the partitioned KV store: every command, unknown keys, create/delete, placement, validation.
import { describe, expect, it } from "vitest";
import { groupId } from "../../core/ids.ts";
import { MapView } from "../map-view.ts";
import { runSequential } from "../sequential.ts";
import { dsKv } from "./dskv.ts";
import type { DsKvCmd, DsKvResult } from "./types.ts";

const state = (entries: Record<string, string>) => new Map(Object.entries(entries));
const run = (s: Map<string, string>, cmd: DsKvCmd): DsKvResult => runSequential(dsKv, s, cmd);

describe("partitioned kv commands", () => {
  it("runs get, put, cas, mget and transfer as the single-group store does", () => {
    const s = state({ a: "1", b: "10", c: "x" });
    expect(run(s, { type: "get", key: "a" })).toEqual({ type: "get", value: "1" });
    expect(run(s, { type: "put", key: "a", value: "5" })).toEqual({ type: "put" });
    expect(run(s, { type: "cas", key: "a", expected: "4", value: "6" })).toEqual({
      type: "cas",
      ok: false,
      current: "5",
    });
    expect(run(s, { type: "cas", key: "a", expected: "5", value: "6" })).toEqual({
      type: "cas",
      ok: true,
      current: "5",
    });
    expect(run(s, { type: "mget", keys: ["b", "a", "b"] })).toEqual({
      type: "mget",
      values: ["10", "6", "10"],
    });
    expect(run(s, { type: "transfer", from: "b", to: "a", amount: 4 })).toEqual({
      type: "transfer",
      ok: true,
    });
    expect([...s]).toEqual([
      ["a", "10"],
      ["b", "6"],
      ["c", "x"],
    ]);
    expect(run(s, { type: "transfer", from: "b", to: "c", amount: 1 })).toEqual({
      type: "transfer",
      ok: false,
    });
    expect(run(s, { type: "transfer", from: "b", to: "a", amount: 7 })).toEqual({
      type: "transfer",
      ok: false,
    });
  });

  it("writes only the keys whose value changed", () => {
    const s = state({ a: "1", b: "2" });
    const v = new MapView(s);
    dsKv.execute({ type: "mget", keys: ["a", "b"] }, v, { time: 0 });
    expect(v.writes.size).toBe(0);
    const w = new MapView(s);
    dsKv.execute({ type: "transfer", from: "a", to: "b", amount: 1 }, w, { time: 0 });
    expect([...w.writes]).toEqual([
      ["a", "0"],
      ["b", "3"],
    ]);
  });

  it("rejects access to a missing key, naming the first in command order, and changes nothing", () => {
    const s = state({ a: "5" });
    const cases: [DsKvCmd, string][] = [
      [{ type: "get", key: "x" }, "x"],
      [{ type: "put", key: "x", value: "1" }, "x"],
      [{ type: "cas", key: "x", expected: null, value: "1" }, "x"],
      [{ type: "mget", keys: ["a", "y", "x"] }, "y"],
      [{ type: "transfer", from: "a", to: "x", amount: 1 }, "x"],
    ];
    for (const [cmd, key] of cases) {
      const expected = { type: "error", error: "unknown-key", key };
      expect(run(s, cmd)).toEqual(expected);
      const v = new MapView(s);
      expect(dsKv.execute(cmd, v, { time: 0 })).toEqual(expected);
      expect(dsKv.rejected(cmd, "unknown", key)).toEqual(expected);
      expect(v.writes.size).toBe(0);
    }
    expect([...s]).toEqual([["a", "5"]]);
  });

  it("creates keys once and deletes them, a delete of a missing key succeeding", () => {
    const s = state({});
    expect(dsKv.classify({ type: "create", key: "k", value: "v" })).toEqual({
      kind: "create",
      variable: "k",
    });
    expect(dsKv.classify({ type: "delete", key: "k" })).toEqual({ kind: "delete", variable: "k" });
    expect(dsKv.classify({ type: "get", key: "k" })).toEqual({ kind: "access" });
    expect(run(s, { type: "create", key: "k", value: "v" })).toEqual({ type: "create" });
    expect(run(s, { type: "create", key: "k", value: "w" })).toEqual({
      type: "error",
      error: "key-exists",
      key: "k",
    });
    expect(run(s, { type: "get", key: "k" })).toEqual({ type: "get", value: "v" });
    expect(run(s, { type: "delete", key: "k" })).toEqual({ type: "delete" });
    expect(run(s, { type: "delete", key: "k" })).toEqual({ type: "delete" });
    expect(run(s, { type: "get", key: "k" })).toEqual({
      type: "error",
      error: "unknown-key",
      key: "k",
    });
  });

  it("gives create the same meaning through execute", () => {
    const v = new MapView(state({ k: "1" }));
    expect(dsKv.execute({ type: "create", key: "k", value: "2" }, v, { time: 0 })).toEqual(
      dsKv.rejected({ type: "create", key: "k", value: "2" }, "exists", "k"),
    );
    const w = new MapView(state({}));
    expect(dsKv.execute({ type: "create", key: "k", value: "2" }, w, { time: 0 })).toEqual({
      type: "create",
    });
    expect(w.writes.get("k")).toBe("2");
  });

  it("declares each key once, in command order", () => {
    expect(dsKv.variables({ type: "mget", keys: ["b", "a", "b"] })).toEqual(["b", "a"]);
    expect(dsKv.variables({ type: "transfer", from: "x", to: "y", amount: 1 })).toEqual(["x", "y"]);
    expect(dsKv.variables({ type: "delete", key: "d" })).toEqual(["d"]);
  });

  it("places keys by a stable hash over every partition", () => {
    const parts = [1, 2, 3].map(groupId);
    const p = dsKv.place("key-1", parts);
    expect(dsKv.place("key-1", parts)).toBe(p);
    const seen = new Set(Array.from({ length: 100 }, (_, i) => dsKv.place(`key-${i}`, parts)));
    expect(seen.size).toBe(3);
  });
});

describe("partitioned kv validate", () => {
  it("accepts well-formed commands", () => {
    for (const cmd of [
      { type: "create", key: "k", value: "" },
      { type: "delete", key: "k" },
      { type: "get", key: "k" },
      { type: "put", key: "k", value: "v" },
      { type: "cas", key: "k", expected: null, value: "v" },
      { type: "cas", key: "k", expected: "u", value: "v" },
      { type: "mget", keys: ["a", "b"] },
      { type: "transfer", from: "a", to: "b", amount: 3 },
    ]) {
      expect(dsKv.validate(cmd)).toBeNull();
    }
  });

  it("explains what is wrong with malformed commands", () => {
    const cases: [unknown, RegExp][] = [
      [undefined, /object/],
      [{ type: "incr", key: "k" }, /unknown command type "incr"/],
      [{ type: "get" }, /missing key/],
      [{ type: "get", key: "" }, /key must not be empty/],
      [{ type: "get", key: 3 }, /key must be a string/],
      [{ type: "get", key: "k".repeat(257) }, /longer than 256/],
      [{ type: "put", key: "k" }, /value must be a string/],
      [{ type: "create", key: "k", value: 1 }, /value must be a string/],
      [{ type: "cas", key: "k", value: "v" }, /expected must be a string or null/],
      [{ type: "mget", keys: "a" }, /array of keys/],
      [{ type: "mget", keys: [] }, /at least one key/],
      [{ type: "mget", keys: ["a", ""] }, /keys\[1\] must not be empty/],
      [{ type: "mget", keys: Array.from({ length: 101 }, (_, i) => `k${i}`) }, /at most 100/],
      [{ type: "transfer", from: "a", amount: 1 }, /missing to/],
      [{ type: "transfer", from: "a", to: "b", amount: 0 }, /positive integer/],
      [{ type: "transfer", from: "a", to: "b", amount: 1.5 }, /positive integer/],
      [{ type: "transfer", from: "a", to: "b", amount: "1" }, /positive integer/],
    ];
    for (const [cmd, msg] of cases) expect(dsKv.validate(cmd)).toMatch(msg);
  });
});

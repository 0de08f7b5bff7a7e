// Tests of the KV transaction command: Redis meanings of each op, types, int64, atomic runs, validation.
import { describe, expect, it } from "vitest";
import { runSequential } from "../sequential.ts";
import { dsKv } from "./dskv.ts";
import { HASH_PREFIX, parseInt64, runTx, TOMBSTONE, type TxOp, WRONGTYPE } from "./tx.ts";
import type { DsKvResult } from "./types.ts";
import { validateDsKv } from "./validate.ts";

const state = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe("tx ops", () => {
  it("runs strings and counters as Redis does", () => {
    const s = state({ a: "1", b: TOMBSTONE, c: "x" });
    const r = runTx(s, [
      { op: "get", key: "a" },
      { op: "get", key: "b" },
      { op: "set", key: "b", value: "v", cond: "nx" },
      { op: "set", key: "b", value: "w", cond: "nx" },
      { op: "set", key: "a", value: "2", get: true },
      { op: "incrby", key: "a", by: "10" },
      { op: "incrby", key: "c", by: "1" },
      { op: "append", key: "c", value: "yz" },
      { op: "strlen", key: "c" },
      { op: "exists", key: "b" },
      { op: "del", key: "b" },
      { op: "del", key: "b" },
      { op: "getdel", key: "c" },
      { op: "type", key: "a" },
    ]);
    expect(r).toEqual([
      { s: "1" },
      null,
      { st: "OK" },
      null,
      { s: "1" },
      { i: "12" },
      { e: "ERR value is not an integer or out of range" },
      { i: "3" },
      { i: "3" },
      { i: "1" },
      { i: "1" },
      { i: "0" },
      { s: "xyz" },
      { st: "string" },
    ]);
    expect([...s]).toEqual([
      ["a", "12"],
      ["b", TOMBSTONE],
      ["c", TOMBSTONE],
    ]);
  });

  it("keeps int64 exact and refuses overflow", () => {
    const s = state({ n: "9223372036854775806" });
    expect(runTx(s, [{ op: "incrby", key: "n", by: "1" }])).toEqual([{ i: "9223372036854775807" }]);
    expect(runTx(s, [{ op: "incrby", key: "n", by: "1" }])).toEqual([
      { e: "ERR increment or decrement would overflow" },
    ]);
    expect(parseInt64("01")).toBeNull();
    expect(parseInt64("-0")).toBeNull();
    expect(parseInt64("9223372036854775808")).toBeNull();
    expect(parseInt64("-9223372036854775808")).toBe(-(2n ** 63n));
  });

  it("runs hashes, with WRONGTYPE across types", () => {
    const s = state({ h: TOMBSTONE, str: "x" });
    expect(
      runTx(s, [
        {
          op: "hset",
          key: "h",
          fields: [
            ["f", "1"],
            ["g", "2"],
            ["f", "3"],
          ],
        },
        { op: "hget", key: "h", field: "f" },
        { op: "hmget", key: "h", fields: ["g", "nope"] },
        { op: "hincrby", key: "h", field: "g", by: "-5" },
        { op: "hgetall", key: "h" },
        { op: "hlen", key: "h" },
        { op: "hexists", key: "h", field: "g" },
        { op: "get", key: "h" },
        { op: "hget", key: "str", field: "f" },
        { op: "type", key: "h" },
      ]),
    ).toEqual([
      { i: "2" },
      { s: "3" },
      { a: [{ s: "2" }, null] },
      { i: "-3" },
      { m: [{ s: "f" }, { s: "3" }, { s: "g" }, { s: "-3" }] },
      { i: "2" },
      { i: "1" },
      { e: WRONGTYPE },
      { e: WRONGTYPE },
      { st: "hash" },
    ]);
    expect(s.get("h")!.startsWith(HASH_PREFIX)).toBe(true);
    // Removing the last field removes the key.
    expect(runTx(s, [{ op: "hdel", key: "h", fields: ["f", "g", "z"] }])).toEqual([{ i: "2" }]);
    expect(s.get("h")).toBe(TOMBSTONE);
  });

  it("renames, copies and msetnx-es all or nothing", () => {
    const s = state({ a: "1", b: TOMBSTONE, c: "3" });
    expect(runTx(s, [{ op: "rename", key: "b", to: "a" }])).toEqual([{ e: "ERR no such key" }]);
    expect(runTx(s, [{ op: "rename", key: "a", to: "c", nx: true }])).toEqual([{ i: "0" }]);
    expect(runTx(s, [{ op: "rename", key: "a", to: "b" }])).toEqual([{ st: "OK" }]);
    expect(runTx(s, [{ op: "copy", key: "b", to: "c" }])).toEqual([{ i: "0" }]);
    expect(runTx(s, [{ op: "copy", key: "b", to: "c", replace: true }])).toEqual([{ i: "1" }]);
    expect([...s]).toEqual([
      ["a", TOMBSTONE],
      ["b", "1"],
      ["c", "1"],
    ]);
    const pairs = [
      ["a", "x"],
      ["b", "y"],
    ] as const;
    expect(runTx(s, [{ op: "msetnx", pairs }])).toEqual([{ i: "0" }]);
    expect(s.get("a")).toBe(TOMBSTONE);
    runTx(s, [{ op: "del", key: "b" }]);
    expect(runTx(s, [{ op: "msetnx", pairs }])).toEqual([{ i: "1" }]);
    expect(s.get("a")).toBe("x");
  });
});

describe("WATCH's ops", () => {
  it("reads raw values and runs nothing when a precondition fails", () => {
    const s = state({ a: "1", b: TOMBSTONE });
    expect(
      runTx(s, [
        { op: "raw", key: "a" },
        { op: "raw", key: "b" },
      ]),
    ).toEqual([{ s: "1" }, null]);
    const ok = runTx(s, [
      { op: "ifeq", key: "a", value: "1" },
      { op: "ifeq", key: "b", value: null },
      { op: "set", key: "b", value: "2" },
    ]);
    expect(ok).toEqual([{ i: "1" }, { i: "1" }, { st: "OK" }]);
    const failed = runTx(s, [
      { op: "ifeq", key: "a", value: "1" },
      { op: "ifeq", key: "b", value: null },
      { op: "set", key: "a", value: "9" },
    ]);
    expect(failed).toEqual([{ i: "1" }, { i: "0" }, null]);
    expect(s.get("a")).toBe("1");
    expect(validateDsKv({ type: "tx", ops: [{ op: "ifeq", key: "a", value: 3 }] })).toMatch(
      /value/,
    );
  });
});

describe("the tx command", () => {
  it("runs through the app atomically over existing keys and rejects unknown ones", () => {
    const s = state({ a: "1", b: TOMBSTONE });
    const ops: TxOp[] = [
      { op: "set", key: "b", value: "2" },
      { op: "incrby", key: "a", by: "1" },
    ];
    expect(runSequential(dsKv, s, { type: "tx", ops })).toEqual({
      type: "tx",
      replies: [{ st: "OK" }, { i: "2" }],
    } satisfies DsKvResult);
    expect(runSequential(dsKv, s, { type: "tx", ops: [...ops, { op: "get", key: "zz" }] })).toEqual(
      { type: "error", error: "unknown-key", key: "zz" },
    );
    expect(
      dsKv.variables({ type: "tx", ops: [...ops, { op: "rename", key: "a", to: "c" }] }),
    ).toEqual(["b", "a", "c"]);
  });

  it("validates every op", () => {
    const tx = (ops: unknown) => validateDsKv({ type: "tx", ops });
    expect(tx([{ op: "get", key: "a" }])).toBeNull();
    expect(tx([])).toMatch(/non-empty/);
    expect(tx([{ op: "flushall", key: "a" }])).toMatch(/unknown op/);
    expect(tx([{ op: "incrby", key: "a", by: "1.5" }])).toMatch(/int64/);
    expect(tx([{ op: "set", key: "", value: "v" }])).toMatch(/empty/);
    expect(tx([{ op: "set", key: "a", value: "v", cond: "yy" }])).toMatch(/cond/);
    expect(tx([{ op: "msetnx", pairs: [["a"]] }])).toMatch(/pairs/);
    expect(tx([{ op: "hmget", key: "a", fields: [] }])).toMatch(/fields/);
    expect(tx(Array.from({ length: 1025 }, () => ({ op: "get", key: "a" })))).toMatch(/at most/);
  });
});

// Tests of the partitioned KV model: valid histories pass, stale reads and lost creates fail.

import { describe, expect, it } from "vitest";
import type { DsKvCmd, DsKvResult } from "../apps/kv/types.ts";
import {
  createDsKvModel,
  type DsKvOperation,
  describeDsKv,
  dsKvModel,
  dsKvPartition,
} from "./dskv-model.ts";
import { checkLinearizable } from "./linearizability.ts";

let nextId = 0;
const op = (
  client: number,
  call: number,
  ret: number,
  input: DsKvCmd,
  output: DsKvResult,
): DsKvOperation => ({ id: nextId++, client, input, output, call, ret });
const lost = (client: number, call: number, input: DsKvCmd): DsKvOperation => ({
  id: nextId++,
  client,
  input,
  output: undefined,
  call,
  ret: Number.POSITIVE_INFINITY,
});
const create = (c: number, call: number, ret: number, key: string, value: string, ok = true) =>
  op(
    c,
    call,
    ret,
    { type: "create", key, value },
    ok ? { type: "create" } : { type: "error", error: "key-exists", key },
  );
const del = (c: number, call: number, ret: number, key: string) =>
  op(c, call, ret, { type: "delete", key }, { type: "delete" });
const put = (c: number, call: number, ret: number, key: string, value: string) =>
  op(c, call, ret, { type: "put", key, value }, { type: "put" });
const get = (c: number, call: number, ret: number, key: string, value: string | null) =>
  op(
    c,
    call,
    ret,
    { type: "get", key },
    value === null ? { type: "error", error: "unknown-key", key } : { type: "get", value },
  );

describe("dskv model", () => {
  it("accepts a valid concurrent history with creates, deletes and rejections", () => {
    const h = [
      create(1, 0, 10, "x", "1"),
      create(2, 2, 12, "x", "9", false), // concurrent with the first create, which won
      get(3, 1, 3, "x", null), // ran before the create took effect
      put(1, 11, 20, "x", "2"),
      get(2, 15, 25, "x", "2"),
      op(
        3,
        21,
        30,
        { type: "transfer", from: "x", to: "y", amount: 1 },
        { type: "error", error: "unknown-key", key: "y" },
      ),
      create(3, 31, 40, "y", "0"),
      op(
        1,
        41,
        50,
        { type: "transfer", from: "x", to: "y", amount: 2 },
        { type: "transfer", ok: true },
      ),
      op(2, 51, 60, { type: "mget", keys: ["x", "y"] }, { type: "mget", values: ["0", "2"] }),
      del(1, 61, 70, "x"),
      del(2, 62, 71, "x"), // a delete of a missing key succeeds too
      get(3, 72, 80, "x", null),
      create(3, 81, 90, "x", "new"),
      get(1, 91, 95, "x", "new"),
    ];
    expect(checkLinearizable(dsKvModel, h)).toEqual({ ok: true });
  });

  it("rejects a stale read", () => {
    const h = [create(1, 0, 10, "x", "1"), put(1, 11, 20, "x", "2"), get(2, 21, 30, "x", "1")];
    const r = checkLinearizable(dsKvModel, h);
    expect(r.ok).toBe(false);
    if (r.ok === false) expect(r.explanation).toContain('get(x) -> "1"');
  });

  it("rejects a lost create", () => {
    const h = [create(1, 0, 10, "x", "1"), get(2, 11, 20, "x", null)];
    expect(checkLinearizable(dsKvModel, h).ok).toBe(false);
    // A second successful create of the same key without a delete is as wrong.
    const h2 = [create(1, 0, 10, "k", "1"), create(2, 11, 20, "k", "2")];
    expect(checkLinearizable(dsKvModel, h2).ok).toBe(false);
  });

  it("rejects a write to a deleted key that claims to have worked", () => {
    const h = [create(1, 0, 10, "x", "1"), del(1, 11, 20, "x"), put(2, 21, 30, "x", "3")];
    expect(checkLinearizable(dsKvModel, h).ok).toBe(false);
  });

  it("lets an incomplete create take effect or not", () => {
    const took = [lost(1, 0, { type: "create", key: "x", value: "1" }), get(2, 5, 9, "x", "1")];
    const never = [lost(1, 0, { type: "create", key: "x", value: "1" }), get(2, 5, 9, "x", null)];
    expect(checkLinearizable(dsKvModel, took)).toEqual({ ok: true });
    expect(checkLinearizable(dsKvModel, never)).toEqual({ ok: true });
  });

  it("starts from the given keys", () => {
    const model = createDsKvModel([["a", "7"]]);
    expect(checkLinearizable(model, [get(1, 0, 1, "a", "7")])).toEqual({ ok: true });
    expect(checkLinearizable(dsKvModel, [get(1, 0, 1, "a", "7")]).ok).toBe(false);
  });

  it("partitions by connected keys and drops incomplete reads", () => {
    const a = create(1, 0, 1, "a", "1");
    const b = create(1, 2, 3, "b", "1");
    const c = create(1, 4, 5, "c", "1");
    const t = op(
      2,
      6,
      7,
      { type: "transfer", from: "a", to: "b", amount: 1 },
      { type: "transfer", ok: true },
    );
    const r = lost(3, 8, { type: "get", key: "c" });
    expect(dsKvPartition([a, b, c, t, r])).toEqual([[a, b, t], [c]]);
  });

  it("checks tx commands across keys: a torn transaction is caught", () => {
    const a = create(1, 0, 1, "a", "1");
    const b = create(1, 0, 1, "b", "1");
    const tx = op(
      2,
      2,
      5,
      {
        type: "tx",
        ops: [
          { op: "incrby", key: "a", by: "1" },
          { op: "incrby", key: "b", by: "1" },
        ],
      },
      { type: "tx", replies: [{ i: "2" }, { i: "2" }] },
    );
    const read = (a1: string, b1: string) =>
      op(
        3,
        3,
        4,
        {
          type: "tx",
          ops: [
            { op: "get", key: "a" },
            { op: "get", key: "b" },
          ],
        },
        { type: "tx", replies: [{ s: a1 }, { s: b1 }] },
      );
    expect(checkLinearizable(dsKvModel, [a, b, tx, read("2", "2")])).toEqual({ ok: true });
    expect(checkLinearizable(dsKvModel, [a, b, tx, read("1", "1")])).toEqual({ ok: true });
    expect(checkLinearizable(dsKvModel, [a, b, tx, read("2", "1")]).ok).toBe(false);
    expect(dsKvPartition([a, b, tx])).toEqual([[a, b, tx]]);
    expect(describeDsKv(tx.input, tx.output)).toMatch(/^tx\(.*incrby.*\) -> \[\{"i":"2"\}/);
  });

  it("describes operations", () => {
    expect(describeDsKv({ type: "create", key: "x", value: "1" }, { type: "create" })).toBe(
      'create(x, "1") -> ok',
    );
    expect(
      describeDsKv({ type: "get", key: "x" }, { type: "error", error: "unknown-key", key: "x" }),
    ).toBe("get(x) -> unknown-key x");
    expect(describeDsKv({ type: "delete", key: "x" }, undefined)).toBe(
      "delete(x) -> ? (incomplete)",
    );
  });

  it("checks a long single-key history quickly", () => {
    const h: DsKvOperation[] = [create(0, 0, 1, "k", "0")];
    for (let i = 1; i <= 2000; i++) {
      // Pairs of overlapping writes and a read that sees the later one.
      const t = i * 10;
      h.push(put(1, t, t + 5, "k", `a${i}`));
      h.push(put(2, t + 1, t + 6, "k", `b${i}`));
      h.push(get(3, t + 7, t + 8, "k", `b${i}`));
    }
    expect(checkLinearizable(dsKvModel, h)).toEqual({ ok: true });
  });
});

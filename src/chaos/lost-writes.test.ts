// The lost-write check flags an acknowledged write the final state lost, and nothing a legal order explains.
import { describe, expect, it } from "vitest";
import type { DsKvCmd, DsKvResult } from "../apps/kv/types.ts";
import type { KvOperation } from "./history.ts";
import { findLostWrites } from "./lost-writes.ts";

const op = (
  id: number,
  input: DsKvCmd,
  output: DsKvResult | undefined,
  call: number,
  ret = Number.POSITIVE_INFINITY,
): KvOperation => ({ id, client: id, input, output, call, ret });

const history: KvOperation[] = [
  op(0, { type: "create", key: "k", value: "v0" }, { type: "create" }, 0, 1),
  op(1, { type: "put", key: "k", value: "v1" }, { type: "put" }, 2, 3),
  op(2, { type: "put", key: "k", value: "v2" }, { type: "put" }, 4, 5),
];

describe("findLostWrites", () => {
  it("passes when the last acknowledged write reads back", () => {
    expect(findLostWrites(history, new Map([["k", "v2"]]))).toEqual([]);
  });

  it("flags an acknowledged put whose key reads back an earlier write's value", () => {
    const lost = findLostWrites(history, new Map([["k", "v1"]]));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ key: "k", op: 2, value: "v2", found: "v1" });
  });

  it("flags every acknowledged write when the key is gone or holds a value nobody wrote", () => {
    expect(findLostWrites(history, new Map([["k", null]])).map((w) => w.op)).toEqual([0, 1, 2]);
    expect(findLostWrites(history, new Map([["k", "zzz"]])).map((w) => w.op)).toEqual([0, 1, 2]);
  });

  it("accepts a final value from a write concurrent with the last acknowledged one", () => {
    // Op 3 overlaps op 2 and never returned: it may have taken effect after op 2.
    const h = [...history, op(3, { type: "put", key: "k", value: "v3" }, undefined, 4.5)];
    expect(findLostWrites(h, new Map([["k", "v3"]]))).toEqual([]);
    // A concurrent acknowledged put may also have been ordered last.
    const h2 = [...history, op(3, { type: "put", key: "k", value: "v3" }, { type: "put" }, 4.5, 6)];
    expect(findLostWrites(h2, new Map([["k", "v2"]]))).toEqual([]);
  });

  it("counts a successful cas as a write and a failed one as none", () => {
    const h = [
      ...history,
      op(
        3,
        { type: "cas", key: "k", expected: "v2", value: "c" },
        { type: "cas", ok: true, current: "v2" },
        6,
        7,
      ),
      op(
        4,
        { type: "cas", key: "k", expected: "no", value: "d" },
        { type: "cas", ok: false, current: "c" },
        8,
        9,
      ),
    ];
    expect(findLostWrites(h, new Map([["k", "c"]]))).toEqual([]);
    expect(findLostWrites(h, new Map([["k", "v2"]])).map((w) => w.op)).toEqual([3]);
  });

  it("skips keys transfers change and keys whose final read failed", () => {
    const h = [
      op(0, { type: "create", key: "n", value: "100" }, { type: "create" }, 0, 1),
      op(
        1,
        { type: "transfer", from: "n", to: "m", amount: 1 },
        { type: "transfer", ok: true },
        2,
        3,
      ),
    ];
    expect(findLostWrites(h, new Map([["n", "99"]]))).toEqual([]);
    expect(findLostWrites(history, new Map())).toEqual([]);
  });
});

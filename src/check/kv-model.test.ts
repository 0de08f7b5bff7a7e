// Tests of the key-value model: known good and known bad histories, partitioning, and speed.

import { describe, expect, it } from "vitest";
import { type KvOp, type KvResult, type KvState, kvApply } from "../core/kv/kv.ts";
import { describeKv, type KvOperation, kvModel, kvPartition, sameResult } from "./kv-model.ts";
import { checkLinearizable } from "./linearizability.ts";
import type { Model } from "./model.ts";

let nextId = 0;
/** A complete operation. */
const op = (
  client: number,
  call: number,
  ret: number,
  input: KvOp,
  output: KvResult,
): KvOperation => ({
  id: nextId++,
  client,
  input,
  output,
  call,
  ret,
});
/** An operation whose client never heard back. */
const lost = (client: number, call: number, input: KvOp): KvOperation => ({
  id: nextId++,
  client,
  input,
  output: undefined,
  call,
  ret: Number.POSITIVE_INFINITY,
});
const put = (c: number, call: number, ret: number, key: string, value: string) =>
  op(c, call, ret, { type: "put", key, value }, { type: "put" });
const get = (c: number, call: number, ret: number, key: string, value: string | null) =>
  op(c, call, ret, { type: "get", key }, { type: "get", value });
const cas = (
  c: number,
  call: number,
  ret: number,
  key: string,
  expected: string | null,
  value: string,
  ok: boolean,
  current: string | null,
) => op(c, call, ret, { type: "cas", key, expected, value }, { type: "cas", ok, current });
const mget = (c: number, call: number, ret: number, keys: string[], values: (string | null)[]) =>
  op(c, call, ret, { type: "mget", keys }, { type: "mget", values });
const transfer = (
  c: number,
  call: number,
  ret: number,
  from: string,
  to: string,
  amount: number,
  ok: boolean,
) => op(c, call, ret, { type: "transfer", from, to, amount }, { type: "transfer", ok });

/** The same model without partitioning, to compare verdicts. */
const flat: Model<KvState, KvOp, KvResult> = {
  init: kvModel.init,
  step: kvModel.step,
  key: kvModel.key,
};

/** Checks with and without partitioning and insists on the same verdict. */
function verdict(ops: KvOperation[]): boolean | "unknown" {
  const a = checkLinearizable(kvModel, ops).ok;
  expect(checkLinearizable(flat, ops).ok).toBe(a);
  return a;
}

describe("sameResult", () => {
  it("compares results deeply", () => {
    expect(sameResult({ type: "get", value: "1" }, { type: "get", value: "1" })).toBe(true);
    expect(sameResult({ type: "get", value: "1" }, { type: "get", value: null })).toBe(false);
    expect(sameResult({ type: "put" }, { type: "get", value: null })).toBe(false);
    expect(
      sameResult(
        { type: "cas", ok: false, current: "a" },
        { type: "cas", ok: false, current: "b" },
      ),
    ).toBe(false);
    expect(
      sameResult({ type: "mget", values: ["1", null] }, { type: "mget", values: ["1", null] }),
    ).toBe(true);
    expect(sameResult({ type: "mget", values: ["1"] }, { type: "mget", values: ["1", null] })).toBe(
      false,
    );
    expect(sameResult({ type: "transfer", ok: true }, { type: "transfer", ok: false })).toBe(false);
  });
});

describe("kvModel", () => {
  it("does not mutate the state it steps from", () => {
    const s: KvState = new Map([["x", "1"]]);
    const after = kvModel.step(s, { type: "put", key: "x", value: "2" }, { type: "put" });
    expect(after?.get("x")).toBe("2");
    expect(s.get("x")).toBe("1");
    expect(
      kvModel.key(
        new Map([
          ["b", "1"],
          ["a", "2"],
        ]),
      ),
    ).toBe(
      kvModel.key(
        new Map([
          ["a", "2"],
          ["b", "1"],
        ]),
      ),
    );
  });

  it("describes operations readably", () => {
    expect(
      describeKv(
        { type: "cas", key: "x", expected: null, value: "1" },
        { type: "cas", ok: false, current: "3" },
      ),
    ).toBe('cas(x, null -> "1") -> failed, was "3"');
    expect(describeKv({ type: "get", key: "x" }, undefined)).toBe("get(x) -> ? (incomplete)");
  });
});

describe("linearizable key-value histories", () => {
  it("accepts a sequential history", () => {
    const h = [
      put(0, 0, 1, "x", "1"),
      get(0, 2, 3, "x", "1"),
      cas(0, 4, 5, "x", "1", "2", true, "1"),
      get(0, 6, 7, "x", "2"),
      get(0, 8, 9, "y", null),
    ];
    expect(verdict(h)).toBe(true);
  });

  it("accepts concurrent histories with several valid orders", () => {
    for (const seen of ["1", "2"]) {
      const h = [put(0, 0, 10, "x", "1"), put(1, 1, 9, "x", "2"), get(2, 11, 12, "x", seen)];
      expect(verdict(h)).toBe(true);
    }
    for (const seen of [null, "1"]) {
      expect(verdict([put(0, 0, 10, "x", "1"), get(1, 2, 3, "x", seen)])).toBe(true);
    }
  });

  it("accepts an incomplete write that took effect", () => {
    expect(
      verdict([lost(0, 0, { type: "put", key: "x", value: "1" }), get(1, 5, 6, "x", "1")]),
    ).toBe(true);
  });

  it("accepts an incomplete write that did not take effect", () => {
    const h = [
      lost(0, 0, { type: "put", key: "x", value: "1" }),
      get(1, 5, 6, "x", null),
      put(1, 7, 8, "x", "2"),
      get(1, 9, 10, "x", "2"),
    ];
    expect(verdict(h)).toBe(true);
  });

  it("accepts cas chains, including a race that one side loses", () => {
    const h = [
      cas(0, 0, 1, "x", null, "a", true, null),
      cas(0, 2, 3, "x", "a", "b", true, "a"),
      cas(0, 4, 9, "x", "b", "c", true, "b"),
      cas(1, 5, 8, "x", "b", "d", false, "c"),
      get(1, 10, 11, "x", "c"),
    ];
    expect(verdict(h)).toBe(true);
  });

  it("accepts an atomic transfer seen through mget before or after", () => {
    for (const values of [
      ["10", "0"],
      ["7", "3"],
    ]) {
      const h = [
        put(0, 0, 1, "a", "10"),
        put(0, 2, 3, "b", "0"),
        transfer(0, 4, 10, "a", "b", 3, true),
        mget(1, 5, 6, ["a", "b"], values),
      ];
      expect(verdict(h)).toBe(true);
    }
  });

  it("drops incomplete reads but keeps every operation that matters", () => {
    const h = [
      put(0, 0, 1, "x", "1"),
      lost(1, 0, { type: "get", key: "x" }),
      lost(1, 2, { type: "mget", keys: ["x", "y"] }),
      transfer(2, 0, 1, "y", "z", 1, false),
      get(2, 2, 3, "w", null),
      mget(3, 4, 5, ["v", "w"], [null, null]),
      mget(3, 6, 7, [], []),
    ];
    const parts = kvPartition(h);
    expect(parts.map((p) => p.map((o) => o.id))).toEqual([
      [h[0]!.id],
      [h[3]!.id],
      [h[4]!.id, h[5]!.id],
      [h[6]!.id],
    ]);
    expect(verdict(h)).toBe(true);
  });
});

describe("non-linearizable key-value histories", () => {
  it("rejects a stale read after a completed write", () => {
    expect(verdict([put(0, 0, 1, "x", "1"), put(0, 2, 3, "x", "2"), get(1, 4, 5, "x", "1")])).toBe(
      false,
    );
    expect(verdict([put(0, 0, 1, "x", "1"), get(1, 2, 3, "x", null)])).toBe(false);
  });

  it("rejects a read of a value never written", () => {
    expect(verdict([put(0, 0, 10, "x", "1"), get(1, 2, 3, "x", "zz")])).toBe(false);
  });

  it("rejects two sequential reads going back in time", () => {
    const h = [
      put(0, 0, 1, "x", "1"),
      put(0, 2, 10, "x", "2"),
      get(1, 3, 4, "x", "2"),
      get(1, 5, 6, "x", "1"),
    ];
    expect(verdict(h)).toBe(false);
  });

  it("rejects a lost write observed by a later read", () => {
    // Both writes completed, in order, on different clients; the read must see the second one.
    const h = [
      put(0, 0, 1, "x", "1"),
      put(1, 2, 3, "x", "2"),
      get(2, 4, 5, "x", "1"),
      get(2, 6, 7, "x", "1"),
    ];
    expect(verdict(h)).toBe(false);
  });

  it("rejects a non-atomic transfer observed through mget", () => {
    const h = [
      put(0, 0, 1, "a", "10"),
      put(0, 2, 3, "b", "0"),
      transfer(0, 4, 10, "a", "b", 3, true),
      // Money left a but has not reached b: the sum is 7, not 10.
      mget(1, 5, 6, ["a", "b"], ["7", "0"]),
    ];
    expect(verdict(h)).toBe(false);
    const res = checkLinearizable(kvModel, h);
    expect(res.ok).toBe(false);
    if (res.ok === false) {
      // One partition holds both keys, since transfer and mget tie them together.
      expect(res.ops).toHaveLength(4);
      expect(res.explanation).toContain('mget(a, b) -> ["7","0"]');
    }
  });

  it("rejects a cas that succeeds twice from the same expected value", () => {
    const h = [
      put(0, 0, 1, "x", "a"),
      cas(1, 2, 5, "x", "a", "b", true, "a"),
      cas(2, 2, 5, "x", "a", "c", true, "a"),
    ];
    expect(verdict(h)).toBe(false);
  });

  it("rejects a history whose broken part is one key among several", () => {
    const h = [
      put(0, 0, 1, "x", "1"),
      put(1, 0, 1, "y", "1"),
      get(0, 2, 3, "x", "1"),
      get(1, 2, 3, "y", null),
    ];
    const res = checkLinearizable(kvModel, h);
    expect(res.ok).toBe(false);
    if (res.ok === false) {
      expect(res.partition).toBe(1);
      expect(res.ops.map((o) => o.input)).toEqual([h[1]!.input, h[3]!.input]);
    }
  });
});

/** A small deterministic PRNG (mulberry32), so generated histories are the same on every run. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

/**
 * A linearizable history by construction: each client runs its operations one after another,
 * each takes effect at a random point inside its interval, and outputs come from kvApply in the
 * order of those points. A few operations are abandoned (incomplete), half of them never applied.
 */
function generate(opts: {
  ops: number;
  clients: number;
  keys: number;
  multiKey: boolean;
  seed: number;
  abandonPercent: number;
}): KvOperation[] {
  const rand = rng(opts.seed);
  const keys = Array.from({ length: opts.keys }, (_, i) => `k${i}`);
  const pick = () => keys[rand(keys.length)]!;
  const clock = new Array<number>(opts.clients).fill(0);
  const planned: {
    id: number;
    client: number;
    input: KvOp;
    call: number;
    ret: number;
    point: number;
    abandoned: boolean;
    applied: boolean;
  }[] = [];
  for (let id = 0; id < opts.ops; id++) {
    const client = id % opts.clients;
    const call = clock[client]! + rand(3);
    const ret = call + 1 + rand(20);
    clock[client] = ret + 1;
    const kind = rand(opts.multiKey ? 10 : 7);
    let input: KvOp;
    if (kind < 3) input = { type: "get", key: pick() };
    else if (kind < 5) input = { type: "put", key: pick(), value: String(rand(50)) };
    else if (kind < 7)
      input = {
        type: "cas",
        key: pick(),
        expected: rand(5) === 0 ? null : String(rand(50)),
        value: String(rand(50)),
      };
    else if (kind < 8) input = { type: "mget", keys: [pick(), pick()] };
    else input = { type: "transfer", from: pick(), to: pick(), amount: 1 + rand(10) };
    const abandoned = rand(100) < opts.abandonPercent;
    planned.push({
      id,
      client,
      input,
      call,
      ret,
      point: call + rand(ret - call + 1),
      abandoned,
      applied: !abandoned || rand(2) === 0,
    });
  }
  const state: KvState = new Map();
  const outputs = new Map<number, KvResult>();
  for (const p of [...planned].sort((a, b) => a.point - b.point || a.id - b.id)) {
    if (p.applied) outputs.set(p.id, kvApply(state, p.input));
  }
  return planned.map((p) => ({
    id: p.id,
    client: p.client,
    input: p.input,
    output: p.abandoned ? undefined : outputs.get(p.id),
    call: p.call,
    ret: p.abandoned ? Number.POSITIVE_INFINITY : p.ret,
  }));
}

describe("speed", () => {
  it("checks 2000 operations by 5 clients over 5 keys", () => {
    const h = generate({
      ops: 2000,
      clients: 5,
      keys: 5,
      multiKey: false,
      seed: 1,
      abandonPercent: 1,
    });
    expect(kvPartition(h)).toHaveLength(5);
    expect(checkLinearizable(kvModel, h)).toEqual({ ok: true });
    expect(checkLinearizable(flat, h)).toEqual({ ok: true });
  });

  it("checks 2000 operations with mget and transfer tying all keys into one partition", () => {
    const h = generate({
      ops: 2000,
      clients: 5,
      keys: 5,
      multiKey: true,
      seed: 2,
      abandonPercent: 1,
    });
    expect(kvPartition(h)).toHaveLength(1);
    expect(checkLinearizable(kvModel, h)).toEqual({ ok: true });
  });

  it("rejects a long per-key history with timeouts and one read corrupted", () => {
    const h = generate({
      ops: 2000,
      clients: 5,
      keys: 5,
      multiKey: false,
      seed: 4,
      abandonPercent: 2,
    });
    const i = h.findIndex((o, k) => k > 1000 && o.output?.type === "get");
    h[i] = { ...h[i]!, output: { type: "get", value: "never written" } };
    expect(checkLinearizable(kvModel, h).ok).toBe(false);
  });

  it("rejects the same long history with one read corrupted", () => {
    const h = generate({
      ops: 2000,
      clients: 5,
      keys: 5,
      multiKey: true,
      seed: 3,
      abandonPercent: 0,
    });
    const i = h.findIndex((o, k) => k > 1500 && o.output?.type === "get");
    const o = h[i]!;
    h[i] = { ...o, output: { type: "get", value: "never written" } };
    const res = checkLinearizable(kvModel, h);
    expect(res.ok).toBe(false);
    if (res.ok === false) expect(res.explanation).toContain('-> "never written"');
  });
});

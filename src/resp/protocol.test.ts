// Tests of the RESP parser and serializer: framing, inline, limits, byte-at-a-time feeding, fuzzing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeReply, R, RespParser, RespProtocolError, splitInline } from "./protocol.ts";

const frame = (...args: string[]): Buffer =>
  Buffer.from(
    `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`,
  );
const strs = (reqs: Buffer[][]): string[][] => reqs.map((r) => r.map((b) => b.toString()));
const enc = (v: Parameters<typeof encodeReply>[0], proto: 2 | 3) =>
  Buffer.concat(encodeReply(v, proto)).toString();

describe("RespParser", () => {
  it("parses pipelined multibulk requests, whole or a byte at a time", () => {
    const bytes = Buffer.concat([frame("SET", "k", "v"), frame("GET", "k"), frame("PING")]);
    expect(strs(new RespParser().feed(bytes))).toEqual([["SET", "k", "v"], ["GET", "k"], ["PING"]]);
    const p = new RespParser();
    const got: Buffer[][] = [];
    for (const b of bytes) got.push(...p.feed(Buffer.from([b])));
    expect(strs(got)).toEqual([["SET", "k", "v"], ["GET", "k"], ["PING"]]);
    expect(p.buffered).toBe(0);
  });

  it("keeps binary bulk strings exact, and gathers large ones in chunks", () => {
    const value = Buffer.alloc(300_000, 0xfe);
    value[0] = 13;
    value[1] = 10;
    const bytes = Buffer.concat([
      Buffer.from(`*2\r\n$3\r\nSET\r\n$${value.length}\r\n`),
      value,
      Buffer.from("\r\n"),
    ]);
    const p = new RespParser();
    const got: Buffer[][] = [];
    for (let i = 0; i < bytes.length; i += 7000) got.push(...p.feed(bytes.subarray(i, i + 7000)));
    expect(got).toHaveLength(1);
    expect(got[0]![1]!.equals(value)).toBe(true);
  });

  it("parses inline commands with quotes", () => {
    expect(strs(new RespParser().feed(Buffer.from("set a 1\r\nPING\n\r\nget  'x y'\r\n")))).toEqual(
      [["set", "a", "1"], ["PING"], ["get", "x y"]],
    );
    expect(splitInline(Buffer.from('set k "a\\x41\\n"')).map(String)).toEqual(["set", "k", "aA\n"]);
    expect(() => splitInline(Buffer.from('set "k'))).toThrow(RespProtocolError);
  });

  it("refuses malformed frames and oversized bulk strings before buffering them", () => {
    const bad = ["*1\r\n+PING\r\n", "*x\r\n", "*1\r\n$-5\r\n", "*1\r\n$3\r\nabcd\r\n", "*1\n"];
    for (const b of bad) {
      expect(() => new RespParser().feed(Buffer.from(b)), b).toThrow(RespProtocolError);
    }
    const p = new RespParser({ maxBulkBytes: 1024 });
    expect(() => p.feed(Buffer.from("*1\r\n$1025\r\n"))).toThrow(/invalid bulk length/);
    expect(() => p.feed(Buffer.from("x"))).toThrow(RespProtocolError);
    expect(() => new RespParser().feed(Buffer.from("*1\r\n$536870912\r\n"))).toThrow(
      /invalid bulk length/,
    );
    expect(() => new RespParser().feed(Buffer.alloc(70_000, 0x61))).toThrow(/too big inline/);
  });

  it("never throws anything but a protocol error on random or mutated input", () => {
    const valid = Buffer.concat([
      frame("SET", "key", "value"),
      frame("MGET", "a", "b"),
      frame("PING"),
    ]);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc
            .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
              maxLength: 6,
            })
            .map((muts) => {
              const b = Buffer.from(valid);
              for (const [i, v] of muts) b[i] = v;
              return new Uint8Array(b);
            }),
        ),
        fc.integer({ min: 1, max: 64 }),
        (bytes, step) => {
          const p = new RespParser({ maxBulkBytes: 4096 });
          try {
            for (let i = 0; i < bytes.length; i += step) {
              for (const req of p.feed(Buffer.from(bytes.subarray(i, i + step)))) {
                expect(req.length).toBeGreaterThan(0);
              }
            }
          } catch (err) {
            expect(err).toBeInstanceOf(RespProtocolError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("encodeReply", () => {
  it("writes RESP2 and RESP3 types", () => {
    expect(enc(R.ok, 2)).toBe("+OK\r\n");
    expect(enc(R.error("ERR x\r\ny"), 2)).toBe("-ERR x y\r\n");
    expect(enc(R.int(42n), 2)).toBe(":42\r\n");
    expect(enc(null, 2)).toBe("$-1\r\n");
    expect(enc(null, 3)).toBe("_\r\n");
    expect(enc(R.bulk("h\u00e9"), 2)).toBe("$2\r\nh\u00e9\r\n".replace("\u00e9", "\ufffd"));
    expect(
      Buffer.concat(encodeReply(R.bulk("\u00ff"), 2)).equals(
        Buffer.from("$1\r\n\xff\r\n", "latin1"),
      ),
    ).toBe(true);
    expect(Buffer.concat(encodeReply(R.bulk("\u20ac"), 2)).toString()).toBe("$3\r\n\u20ac\r\n");
    const m = R.map([[R.bulk("a"), R.int(1)]]);
    expect(enc(m, 2)).toBe("*2\r\n$1\r\na\r\n:1\r\n");
    expect(enc(m, 3)).toBe("%1\r\n$1\r\na\r\n:1\r\n");
    expect(enc(R.bool(true), 2)).toBe(":1\r\n");
    expect(enc(R.bool(true), 3)).toBe("#t\r\n");
    expect(enc(R.set([R.bulk("x")]), 3)).toBe("~1\r\n$1\r\nx\r\n");
  });
});

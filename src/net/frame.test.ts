// Tests of the frame codec: round trips, random chunking, corrupted and oversize input.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeValue } from "./codec.ts";
import { FrameError } from "./errors.ts";
import { encodeFrame, FRAME_HEADER_BYTES, FrameDecoder, frameBytes } from "./frame.ts";

/**
 * Plain JSON-like values: what our messages are made of. A `__proto__` key is the exception:
 * msgpackr decodes it as `__proto_` (no prototype pollution); our messages never use one.
 */
const plain = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"__proto__"'));

/** Splits `buf` at the given (sorted, deduplicated) cut points. */
const cut = (buf: Buffer, cuts: number[]): Buffer[] => {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
};

describe("frame codec", () => {
  it("round-trips a raft-like message", () => {
    const msg = {
      type: "append",
      from: 101,
      to: 102,
      term: 3,
      prevIndex: 9,
      prevTerm: 2,
      commit: 8,
      entries: [{ term: 3, index: 10, cmds: [{ kind: "start", msg: { client: 7, seq: 1 } }] }],
      hintTerm: null,
      ok: true,
      no: false,
      big: 2 ** 40,
      neg: -12.5,
    };
    const d = new FrameDecoder();
    expect(d.push(encodeFrame(msg))).toEqual([msg]);
    expect(d.buffered).toBe(0);
  });

  it("decodes any plain values under any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(plain, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (values, cuts) => {
          const bytes = Buffer.concat(values.map((v) => encodeFrame(v)));
          const d = new FrameDecoder();
          const got: unknown[] = [];
          for (const chunk of cut(bytes, cuts)) got.push(...d.push(chunk));
          // JSON values round-trip exactly, except -0 which MessagePack writes as 0.
          expect(got).toEqual(JSON.parse(JSON.stringify(values)));
          expect(d.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects a flipped byte, whatever it hits, and stays failed", () => {
    fc.assert(
      fc.property(plain, fc.nat(), fc.integer({ min: 1, max: 255 }), (value, at, mask) => {
        const bytes = Buffer.from(encodeFrame(value));
        const i = FRAME_HEADER_BYTES + (at % (bytes.length - FRAME_HEADER_BYTES));
        bytes[i] = bytes[i]! ^ mask;
        const d = new FrameDecoder();
        expect(() => d.push(bytes)).toThrow(FrameError);
        expect(() => d.push(encodeFrame(1))).toThrow(FrameError);
      }),
      { numRuns: 200 },
    );
  });

  it("rejects an oversize length before buffering the frame", () => {
    const d = new FrameDecoder(1024);
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(4096, 0);
    expect(() => d.push(header)).toThrow(/exceeds the limit/);
  });

  it("rejects a payload that is not MessagePack even with a right checksum", () => {
    const d = new FrameDecoder();
    // An array header announcing two elements, followed by one.
    const err = (() => {
      try {
        d.push(frameBytes(Buffer.from([0x92, 0x01])));
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(FrameError);
    expect((err as FrameError).code).toBe("E_FRAME");
  });

  it("holds partial frames and completes them later", () => {
    const a = encodeFrame({ a: 1 });
    const b = encodeFrame({ b: [2, "x"] });
    const d = new FrameDecoder();
    expect(d.push(Buffer.concat([a, b.subarray(0, 3)]))).toEqual([{ a: 1 }]);
    expect(d.buffered).toBe(3);
    expect(d.push(b.subarray(3, 10))).toEqual([]);
    expect(d.push(b.subarray(10))).toEqual([{ b: [2, "x"] }]);
  });

  it("renames a __proto__ key instead of polluting prototypes", () => {
    const [v] = new FrameDecoder().push(encodeFrame(JSON.parse('{"__proto__":{"bad":1}}')));
    expect(({} as Record<string, unknown>).bad).toBeUndefined();
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });

  it("encodes undefined fields as present-but-undefined", () => {
    expect(new FrameDecoder().push(encodeFrame({ x: undefined, y: 1 }))).toEqual([{ y: 1 }]);
    expect(encodeValue(null).length).toBe(1);
  });
});

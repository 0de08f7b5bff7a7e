// Security: fuzzing the frame decoder and the payload decoder with hostile bytes (fast-check).
import { crc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeValue, encodeValue } from "../../src/net/codec.ts";
import { FrameError } from "../../src/net/errors.ts";
import {
  decodePayload,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  frameBytes,
} from "../../src/net/frame.ts";
import { isPlain } from "./plain.ts";

/** Splits `buf` at the given cut points. */
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

/**
 * Feeds `chunks` to a decoder. Returns the values and the error, which must be a FrameError
 * (anything else escaping is a bug); once failed, the decoder keeps failing.
 */
const feed = (d: FrameDecoder, chunks: Buffer[]): { values: unknown[]; error: unknown } => {
  const values: unknown[] = [];
  for (const c of chunks) {
    try {
      values.push(...d.push(c));
    } catch (err) {
      expect(err).toBeInstanceOf(FrameError);
      expect(() => d.push(encodeFrame(1))).toThrow(FrameError);
      return { values, error: err };
    }
  }
  return { values, error: null };
};

/** Whatever a decoder hands out must be plain data that can be encoded again (e.g. persisted). */
const expectSafe = (v: unknown): void => {
  expect(isPlain(v)).toBe(true);
  expect(() => encodeValue(v)).not.toThrow();
};

/** MessagePack-ish bytes: random, or starting with an extension / container / int64 header. */
const msgpackish = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc
    .tuple(
      fc.constantFrom(0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xc7, 0xc8, 0xc9),
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ maxLength: 40 }),
    )
    .map(([h, t, rest]) =>
      h >= 0xc7 && h <= 0xc9
        ? Uint8Array.from([h, rest.length, t, ...rest]).subarray(0, h === 0xc7 ? undefined : 3)
        : Uint8Array.from([h, t, ...rest]),
    ),
  fc
    .tuple(
      fc.constantFrom(0x90, 0x91, 0x81, 0xdc, 0xdd, 0xde, 0xdf, 0xcf, 0xd3, 0xc4, 0xda),
      fc.uint8Array({ maxLength: 40 }),
    )
    .map(([h, rest]) => Uint8Array.from([h, ...rest])),
  // A well-formed message with some bytes replaced.
  fc
    .tuple(
      fc.jsonValue({ maxDepth: 3 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    )
    .map(([v, edits]) => {
      const b = Uint8Array.from(encodeValue(v));
      for (const [at, byte] of edits) if (b.length > 0) b[at % b.length] = byte;
      return b;
    }),
);

describe("frame decoder under hostile input", () => {
  it("random bytes in random chunks: values or a FrameError, never anything else", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (bytes, cuts) => {
          const d = new FrameDecoder(1024);
          const { values } = feed(d, cut(Buffer.from(bytes), cuts));
          for (const v of values) expectSafe(v);
          expect(d.buffered).toBeLessThanOrEqual(FRAME_HEADER_BYTES + 1024);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("frames with a right checksum and a garbage payload: plain values or a FrameError", () => {
    fc.assert(
      fc.property(fc.array(msgpackish, { minLength: 1, maxLength: 4 }), (payloads) => {
        const bytes = Buffer.concat(payloads.map((p) => frameBytes(p)));
        const { values } = feed(new FrameDecoder(), [bytes]);
        for (const v of values) expectSafe(v);
      }),
      { numRuns: 5_000 },
    );
  });

  it("decodePayload alone: plain values or a FrameError", () => {
    fc.assert(
      fc.property(msgpackish, (p) => {
        let v: unknown;
        try {
          v = decodePayload(Buffer.from(p));
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError);
          return;
        }
        expectSafe(v);
      }),
      { numRuns: 5_000 },
    );
  });

  it("truncated streams yield the complete frames and hold the rest, without error", () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        (values, at) => {
          const frames = values.map((v) => encodeFrame(v));
          const all = Buffer.concat(frames);
          const end = at % all.length;
          const d = new FrameDecoder();
          const got = d.push(all.subarray(0, end));
          let complete = 0;
          let size = 0;
          for (const f of frames) {
            if (size + f.length > end) break;
            size += f.length;
            complete++;
          }
          expect(got).toHaveLength(complete);
          expect(d.buffered).toBe(end - size);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("oversized lengths fail at the header, before anything is buffered", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4096 }),
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.nat({ max: FRAME_HEADER_BYTES - 1 }),
        (limit, excess, split) => {
          const header = Buffer.alloc(FRAME_HEADER_BYTES);
          header.writeUInt32BE(Math.min(0xffffffff, limit + excess), 0);
          const d = new FrameDecoder(limit);
          expect(d.push(header.subarray(0, split))).toEqual([]);
          expect(() => d.push(header.subarray(split))).toThrow(/exceeds the limit/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a limit lowered for the handshake applies to the very next frame", () => {
    const d = new FrameDecoder(64);
    const small = encodeFrame({ type: "hello", v: 1, id: 1 });
    const big = encodeFrame({ pad: "x".repeat(200) });
    const seen: unknown[] = [];
    d.feed(Buffer.concat([small, big]), (v) => {
      seen.push(v);
      d.setLimit(1024);
      return true;
    });
    expect(seen).toHaveLength(2);
    expect(() => new FrameDecoder(64).push(Buffer.concat([small, big]))).toThrow(FrameError);
  });

  it("refuses the inputs that once produced values unsafe to keep (regressions)", () => {
    const refused = (payload: number[]) =>
      expect(() => decodePayload(Buffer.from(payload))).toThrow(FrameError);
    // A structured-clone cycle: an array that contains itself (re-encoding overflowed the stack).
    refused([0xd6, 0x69, 0, 0, 0, 1, 0x91, 0xd6, 0x70, 0, 0, 0, 1]);
    // A 72-bit BigInt (re-encoding threw: it does not fit MessagePack's 64-bit integers).
    refused([0xc7, 9, 0x42, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    // Set, RegExp, Error, typed array, Date.
    refused([0xd4, 0x73, 0x90]);
    refused([0xd4, 0x78, 0x92]);
    refused([0xd4, 0x65, 0x92]);
    refused([0xd5, 0x74, 0x01, 0x00]);
    refused([0xd6, 0xff, 0, 0, 0, 0]);
    // int64 decodes as a number, never a BigInt.
    expect(decodeValue(Buffer.from([0xd3, 0, 0, 0, 0, 0, 0, 0, 10]))).toBe(10);
    // undefined (extension 0) is still ours.
    expect(decodeValue(encodeValue({ a: undefined }))).toEqual({ a: undefined });
  });

  it("a checksum over the payload is what makes a frame, not its content", () => {
    const payload = Buffer.from([0x92, 0x01]); // an array of two with one element
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(payload.length, 0);
    header.writeUInt32BE(crc32(payload), 4);
    expect(() => new FrameDecoder().push(Buffer.concat([header, payload]))).toThrow(FrameError);
  });
});

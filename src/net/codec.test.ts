// The codec's encode-once helpers: spliced encodings decode exactly as ordinary ones.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeValue, encodeOnce, encodeValue, encodeWithItems } from "./codec.ts";

const entry = fc.record({
  term: fc.nat(),
  index: fc.nat(),
  cmds: fc.array(fc.oneof(fc.string(), fc.integer(), fc.record({ k: fc.string(), v: fc.nat() }))),
});

describe("encodeWithItems", () => {
  it("decodes to the head plus the items, for any head of up to 14 fields and any number of items", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((k) => k !== "entries" && k !== "__proto__"),
          fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
          { maxKeys: 14 },
        ),
        fc.array(entry, { maxLength: 40 }),
        (head, items) => {
          const bytes = encodeWithItems(head, "entries", items);
          expect(decodeValue(bytes)).toEqual({ ...head, entries: items });
        },
      ),
    );
  });

  it("covers the 16-bit array header and falls back to plain encoding for a head of 15 fields", () => {
    const many = Array.from({ length: 70_000 }, (_, i) => ({ term: 1, index: i, cmds: [] }));
    expect(
      (decodeValue(encodeWithItems({ type: "x" }, "entries", many)) as { entries: unknown[] })
        .entries,
    ).toHaveLength(70_000);
    const some = many.slice(0, 300);
    expect(decodeValue(encodeWithItems({ type: "x" }, "entries", some))).toEqual({
      type: "x",
      entries: some,
    });
    const wide = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`f${i}`, i]));
    expect(decodeValue(encodeWithItems(wide, "entries", some))).toEqual({ ...wide, entries: some });
  });
});

describe("encodeOnce", () => {
  it("returns the same bytes for the same object, equal to the ordinary encoding", () => {
    const e = { term: 3, index: 9, cmds: ["a", { b: 1 }] };
    const first = encodeOnce(e);
    expect(encodeOnce(e)).toBe(first);
    expect(Buffer.compare(first, encodeValue(e))).toBe(0);
    // Another object with equal contents is encoded on its own.
    expect(encodeOnce({ ...e })).not.toBe(first);
  });
});

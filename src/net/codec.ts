// MessagePack encoding of plain messages (objects, arrays, numbers, strings, booleans, null).
import { addExtension, C1, Packr } from "msgpackr";
import { FrameError } from "./errors.ts";

/**
 * One shared packer. `useRecords: false` keeps the encoding self-describing (no structure ids
 * shared between encoder and decoder), which anything persisted or sent to another process needs.
 * Note: Maps decode as plain objects and `undefined` fields survive as `undefined`; our messages
 * are plain objects and arrays, so both are moot. A `__proto__` key decodes as `__proto_`
 * (msgpackr's guard against prototype pollution by hostile input).
 *
 * Hostile input is decoded to plain data only: `structuredClone: false` refuses the reference
 * extensions (which build cyclic values that later overflow the stack when re-encoded, e.g. when
 * a leader persists a client's command), `int64AsType: "number"` never yields a BigInt, and the
 * extensions msgpackr decodes by default (arbitrary-size BigInt, Error, Set, typed arrays,
 * RegExp, Date, string bundles) are refused below. Our encoder never writes any of them. The
 * one non-plain value left is the byte 0xC1 ("never used"), which msgpackr decodes as a shared
 * sentinel object ({@link NEVER_USED}); it is frozen so that no message can alter it, and it is
 * inert elsewhere (no data fields; it re-encodes as itself). Checking every decoded value instead would
 * cost a walk over every message on the receive path.
 */
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  int64AsType: "number",
});

/** Extension types refused on decode: values we never send, so only a hostile peer would. */
const REFUSED_EXTENSIONS = [0x42, 0x62, 0x65, 0x69, 0x70, 0x73, 0x74, 0x78, 0xff] as const;
for (const type of REFUSED_EXTENSIONS) {
  addExtension({
    type,
    unpack: () => {
      throw new FrameError(`MessagePack extension 0x${type.toString(16)} is not accepted`);
    },
  });
}

/** What the never-used byte 0xC1 decodes to: one frozen, shared object. */
export const NEVER_USED: object = Object.freeze(C1);

/** Encodes a plain value. */
export function encodeValue(value: unknown): Buffer {
  return packr.pack(value);
}

/** Decodes a value written by {@link encodeValue}; throws on bytes that are not MessagePack. */
export function decodeValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** Encodings of values that never change again, by identity (see {@link encodeOnce}). */
const onceCache = new WeakMap<object, Buffer>();

/**
 * Encodes `value` the first time and returns the same bytes afterwards. Only for values that are
 * never modified once created, such as consensus log entries: a leader writes each entry to its
 * log and sends it to every follower, and this encodes it once for all of them.
 */
export function encodeOnce(value: object): Buffer {
  let bytes = onceCache.get(value);
  if (bytes === undefined) {
    // A copy of exactly its size: the packer's result is a view of a larger shared chunk.
    bytes = Buffer.from(packr.pack(value));
    onceCache.set(value, bytes);
  }
  return bytes;
}

/** The MessagePack header of an array of `n` elements. */
function arrayHeader(n: number): Buffer {
  if (n < 16) return Buffer.from([0x90 | n]);
  if (n < 0x10000) {
    const b = Buffer.allocUnsafe(3);
    b[0] = 0xdc;
    b.writeUInt16BE(n, 1);
    return b;
  }
  const b = Buffer.allocUnsafe(5);
  b[0] = 0xdd;
  b.writeUInt32BE(n, 1);
  return b;
}

/**
 * Encodes the plain object `head` with one more field, `key`, holding `items`, each encoded with
 * {@link encodeOnce}: the bytes equal those of `encodeValue({ ...head, [key]: items })` up to
 * the order of the fields, and decode the same. Splicing works on MessagePack's one-byte map
 * header, so a `head` of 15 fields or more (never ours) is encoded the ordinary way.
 */
export function encodeWithItems(
  head: Record<string, unknown>,
  key: string,
  items: readonly object[],
): Buffer {
  const h = packr.pack(head);
  const first = h[0]!;
  if (first < 0x80 || first >= 0x8f) return packr.pack({ ...head, [key]: items });
  const parts: Buffer[] = [Buffer.from([first + 1]), h.subarray(1), packr.pack(key)];
  parts.push(arrayHeader(items.length));
  for (const item of items) parts.push(encodeOnce(item));
  return Buffer.concat(parts);
}

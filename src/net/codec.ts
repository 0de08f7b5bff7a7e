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

// MessagePack encoding of plain messages (objects, arrays, numbers, strings, booleans, null).
import { Packr } from "msgpackr";

/**
 * One shared packer. `useRecords: false` keeps the encoding self-describing (no structure ids
 * shared between encoder and decoder), which anything persisted or sent to another process needs.
 * Note: Maps decode as plain objects and `undefined` fields survive as `undefined`; our messages
 * are plain objects and arrays, so both are moot. A `__proto__` key decodes as `__proto_`
 * (msgpackr's guard against prototype pollution by hostile input).
 */
const packr = new Packr({ useRecords: false, moreTypes: false });

/** Encodes a plain value. */
export function encodeValue(value: unknown): Buffer {
  return packr.pack(value);
}

/** Decodes a value written by {@link encodeValue}; throws on bytes that are not MessagePack. */
export function decodeValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

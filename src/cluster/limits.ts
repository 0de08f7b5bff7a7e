// Size limits of commands and values, measured with the wire codec the same way on clients and replicas.
import { encodeValue } from "../net/codec.ts";

/**
 * Default largest command, in encoded bytes: etcd's request limit (1.5 MiB). A command rides
 * in one log entry, is copied to every replica of every group it visits and sits in memory
 * until a snapshot; far below the transport's 64 MiB frame limit, so that a batch of such
 * entries still travels and a follower receives a large entry well within an election timeout.
 */
export const DEFAULT_MAX_COMMAND_BYTES = 1536 * 1024;
/** Default largest single value (string) in a command, in UTF-8 bytes: 1 MiB. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
/**
 * Largest `maxCommandBytes` a config may set: half the transport's frame limit, which leaves
 * room for the envelope (variables, chain) of a multicast request and for raft's batching.
 */
export const MAX_COMMAND_BYTES_LIMIT = 32 * 1024 * 1024;

/** The two bounds a command must keep. */
export interface SizeLimits {
  /** Largest command, encoded with the wire codec (MessagePack). */
  readonly maxCommandBytes: number;
  /** Largest string anywhere in a command, in UTF-8 bytes. */
  readonly maxValueBytes: number;
}

/** Which bound a command broke, by how much. */
export interface Oversize {
  readonly what: "command" | "value";
  readonly bytes: number;
  readonly limit: number;
}

/** What one walk over a value finds: its largest string and a bound on its encoded size. */
interface Measure {
  /** UTF-8 size of the largest string (object keys included). */
  readonly largest: number;
  /** At least the value's MessagePack size (headers at their widest, 3 bytes per UTF-16 unit). */
  readonly bound: number;
}

/**
 * Walks `value` once. Iterative, so a deeply nested value from a hostile peer cannot overflow
 * the stack. The bound lets the common small command skip encoding altogether.
 */
function measure(value: unknown): Measure {
  let largest = 0;
  let bound = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      bound += 5 + 3 * v.length;
      // At most 3 UTF-8 bytes per UTF-16 unit: count only when it could be the largest.
      if (v.length * 3 > largest) largest = Math.max(largest, Buffer.byteLength(v, "utf8"));
    } else if (Array.isArray(v)) {
      bound += 5;
      for (const x of v) stack.push(x);
    } else if (typeof v === "object" && v !== null) {
      bound += 16; // a map header, or an extension (a Date: 15 bytes) should one slip in
      for (const [k, x] of Object.entries(v)) {
        stack.push(k);
        stack.push(x);
      }
    } else {
      bound += 9; // a number (float64 or int64), a boolean, null
    }
  }
  return { largest, bound };
}

/** The UTF-8 size of the largest string in `value` (keys of objects included). */
export function largestStringBytes(value: unknown): number {
  return measure(value).largest;
}

/** The encoded size of `cmd` with the wire codec. */
export function commandBytes(cmd: unknown): number {
  return encodeValue(cmd).length;
}

/**
 * Which bound `cmd` breaks, or null. The value bound is checked first: it is cheap and names
 * what the caller most likely has to shrink. A command whose size bound is within the limit
 * is not encoded (clients check every command they send).
 */
export function oversize(cmd: unknown, limits: SizeLimits): Oversize | null {
  const m = measure(cmd);
  if (m.largest > limits.maxValueBytes) {
    return { what: "value", bytes: m.largest, limit: limits.maxValueBytes };
  }
  if (m.bound <= limits.maxCommandBytes) return null;
  const bytes = commandBytes(cmd);
  if (bytes > limits.maxCommandBytes) {
    return { what: "command", bytes, limit: limits.maxCommandBytes };
  }
  return null;
}

const FIELD = { command: "maxCommandBytes", value: "maxValueBytes" } as const;

/**
 * The reason a replica sends (in an `invalid` reply) for an oversized command; the client
 * reads it back with {@link parseOversizeReason}, so the wording is part of the protocol.
 */
export function oversizeReason(o: Oversize): string {
  return `too large: ${o.what} of ${o.bytes} bytes exceeds ${FIELD[o.what]} (${o.limit} bytes)`;
}

const REASON =
  /^too large: (command|value) of (\d+) bytes exceeds max(?:Command|Value)Bytes \((\d+) bytes\)$/;

/** The oversize a reason from {@link oversizeReason} describes, or null for any other reason. */
export function parseOversizeReason(reason: string): Oversize | null {
  const m = REASON.exec(reason);
  if (m === null) return null;
  return { what: m[1] as Oversize["what"], bytes: Number(m[2]), limit: Number(m[3]) };
}

/**
 * Largest multicast request a replica admits, in encoded bytes. A request carries its command,
 * its variables (the command's own keys and those learned with it) and a small envelope; the
 * bound is loose (4 commands and 1 MiB: 7 MiB by default) so that no honest one meets it, and
 * bounds what a client that skips its own check can have logged with a request that carries
 * no command (a move) or a huge variable list.
 */
export function maxRequestBytes(limits: SizeLimits): number {
  return 4 * limits.maxCommandBytes + 1024 * 1024;
}

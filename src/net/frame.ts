// Length-prefixed, checksummed frames of MessagePack values, and a streaming decoder.
import { crc32 } from "node:zlib";
import { decodeValue, encodeValue } from "./codec.ts";
import { FrameError } from "./errors.ts";

/** Bytes before the payload: u32 payload length, u32 CRC32 of the payload (big-endian). */
export const FRAME_HEADER_BYTES = 8;

/** Default largest payload accepted: a bound on what one peer can make us buffer. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Encodes a raw payload as one frame. */
export function frameBytes(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Encodes a plain value as one frame. */
export function encodeFrame(value: unknown): Buffer {
  return frameBytes(encodeValue(value));
}

/**
 * Checks the frame that starts at `offset` of `buf`. Returns its payload and end offset, null if
 * the buffer ends before the frame does (a partial frame), or throws FrameError when the header
 * or checksum is bad.
 */
export function readFrame(
  buf: Buffer,
  offset: number,
  maxFrameBytes: number,
): { readonly payload: Buffer; readonly end: number } | null {
  if (buf.length - offset < FRAME_HEADER_BYTES) return null;
  const length = buf.readUInt32BE(offset);
  if (length > maxFrameBytes) {
    throw new FrameError(`frame of ${length} bytes exceeds the limit of ${maxFrameBytes}`);
  }
  const end = offset + FRAME_HEADER_BYTES + length;
  if (buf.length < end) return null;
  const payload = buf.subarray(offset + FRAME_HEADER_BYTES, end);
  const expected = buf.readUInt32BE(offset + 4);
  if (crc32(payload) !== expected) throw new FrameError("frame checksum mismatch");
  return { payload, end };
}

/** Decodes a frame's payload, turning a MessagePack failure into a FrameError. */
export function decodePayload(payload: Buffer): unknown {
  try {
    return decodeValue(payload);
  } catch (err) {
    throw new FrameError(`undecodable frame payload: ${(err as Error).message}`);
  }
}

/**
 * Turns a byte stream into values. Chunks may split frames anywhere or hold several. After a
 * FrameError the decoder is poisoned (the stream has lost its framing) and keeps throwing.
 * The frame limit can be changed between frames (a connection raises it after its handshake).
 */
export class FrameDecoder {
  private maxFrameBytes: number;
  /** Unparsed bytes, kept as chunks until the next frame is complete (no quadratic copying). */
  private chunks: Buffer[] = [];
  private total = 0;
  /** Bytes needed before the next frame can be parsed. */
  private need = FRAME_HEADER_BYTES;
  private failed: FrameError | null = null;

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.total;
  }

  /** The largest frame accepted now. */
  get limit(): number {
    return this.maxFrameBytes;
  }

  /** Changes the largest frame accepted, from the next frame on. */
  setLimit(maxFrameBytes: number): void {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Adds a chunk; returns the values of every frame it completed, in order. */
  push(chunk: Buffer): unknown[] {
    const out: unknown[] = [];
    this.feed(chunk, (v) => {
      out.push(v);
      return true;
    });
    return out;
  }

  /**
   * Adds a chunk and hands each completed frame's value (and its payload's size in bytes) to
   * `each` as soon as it is parsed, so that `each` may change the limit for the frames after it. When `each` returns false or
   * throws, the rest of the chunk is discarded and the decoder is closed for good (its stream
   * is being abandoned); an exception from `each` propagates unchanged. Throws FrameError on a
   * malformed frame.
   */
  feed(chunk: Buffer, each: (value: unknown, bytes: number) => boolean): void {
    if (this.failed !== null) throw this.failed;
    this.chunks.push(chunk);
    this.total += chunk.length;
    if (this.total < this.need) return;
    const buf = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.total);
    let offset = 0;
    for (;;) {
      let value: unknown;
      let bytes: number;
      try {
        const frame = readFrame(buf, offset, this.maxFrameBytes);
        if (frame === null) break;
        bytes = frame.payload.length;
        value = decodePayload(frame.payload);
        offset = frame.end;
      } catch (err) {
        throw this.fail(err instanceof FrameError ? err : new FrameError(String(err)));
      }
      let goOn: boolean;
      try {
        goOn = each(value, bytes);
      } catch (err) {
        this.fail(new FrameError("the stream was abandoned"));
        throw err;
      }
      if (goOn === false) {
        this.fail(new FrameError("the stream was abandoned"));
        return;
      }
    }
    // Copy the remainder so that a small partial frame does not pin a large chunk.
    const rest = buf.length - offset;
    this.chunks = rest === 0 ? [] : [Buffer.from(buf.subarray(offset))];
    this.total = rest;
    this.need =
      rest < FRAME_HEADER_BYTES
        ? FRAME_HEADER_BYTES
        : FRAME_HEADER_BYTES + buf.readUInt32BE(offset);
  }

  private fail(err: FrameError): FrameError {
    this.failed = err;
    this.chunks = [];
    this.total = 0;
    return err;
  }
}

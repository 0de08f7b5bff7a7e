// Records of the write-ahead log: what one save writes, framed with a length and a CRC32.
import type { Entry, HardState, SnapshotMeta } from "../core/raft/types.ts";
import { encodeValue } from "../net/codec.ts";
import { decodePayload, FRAME_HEADER_BYTES, frameBytes, readFrame } from "../net/frame.ts";

/**
 * One record. A save writes, in order, a hard-state record, a snapshot record (the data lives
 * in its own file, named by index and term) and one record with all its entries.
 */
export type WalRecord<C> =
  | { readonly k: "h"; readonly term: number; readonly vote: number | null }
  | { readonly k: "s"; readonly index: number; readonly term: number }
  | { readonly k: "e"; readonly entries: readonly Entry<C>[] };

/** A hard-state record. */
export const hardRecord = <C>(hs: HardState): WalRecord<C> => ({
  k: "h",
  term: hs.term,
  vote: hs.vote,
});

/** A snapshot record. */
export const snapRecord = <C>(meta: SnapshotMeta): WalRecord<C> => ({
  k: "s",
  index: meta.index,
  term: meta.term,
});

/** Encodes a record as bytes: u32 length, u32 CRC32 of the payload, MessagePack payload. */
export function encodeRecord<C>(record: WalRecord<C>): Buffer {
  return frameBytes(encodeValue(record));
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

function isEntry(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return false;
  const e = v as { term?: unknown; index?: unknown; cmds?: unknown };
  return isInt(e.term) && isInt(e.index) && Array.isArray(e.cmds);
}

/** The record a decoded payload holds, or null when it is not a well-formed record. */
function asRecord<C>(v: unknown): WalRecord<C> | null {
  if (typeof v !== "object" || v === null) return null;
  const r = v as {
    k?: unknown;
    term?: unknown;
    vote?: unknown;
    index?: unknown;
    entries?: unknown;
  };
  if (r.k === "h" && isInt(r.term) && (r.vote === null || isInt(r.vote))) return v as WalRecord<C>;
  if (r.k === "s" && isInt(r.index) && isInt(r.term)) return v as WalRecord<C>;
  if (r.k === "e" && Array.isArray(r.entries) && r.entries.every(isEntry)) {
    return v as WalRecord<C>;
  }
  return null;
}

/** What a scan of one segment found. */
export interface ScanResult<C> {
  readonly records: WalRecord<C>[];
  /** Bytes of well-formed records from the start; a torn or bad tail begins here. */
  readonly validBytes: number;
  /**
   * Why the scan stopped before the end, or null when every byte was a good record or the
   * records were followed by zeros only (space the log preallocated and has not used yet).
   */
  readonly stop: string | null;
  /**
   * Where the next well-formed record after the bad one starts, or null when none does. A good
   * record after a bad one means the bad one is not the last write (a torn tail) but damage to
   * records that were already durable.
   */
  readonly resumesAt: number | null;
}

/** True when every byte of `buf` from `from` on is zero. */
function zeroFrom(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

type Read<C> = { readonly record: WalRecord<C>; readonly end: number } | { readonly bad: string };

/** The record that starts at `offset`, or why there is none. */
function readRecord<C>(buf: Buffer, offset: number, maxRecordBytes: number): Read<C> {
  try {
    const frame = readFrame(buf, offset, maxRecordBytes);
    if (frame === null) return { bad: "torn record" };
    const record = asRecord<C>(decodePayload(frame.payload));
    if (record === null) return { bad: "malformed record" };
    return { record, end: frame.end };
  } catch (err) {
    return { bad: (err as Error).message };
  }
}

/**
 * The first offset after `from` where a well-formed record starts, or null. Tried at every
 * byte, since the bad record's length cannot be trusted; a false find needs a CRC32 match and
 * a well-formed payload by chance, and would only make recovery refuse, never drop data.
 */
function nextRecord(buf: Buffer, from: number, maxRecordBytes: number): number | null {
  // Every record holds a non-zero byte (its checksum or payload), so none starts in the zeros
  // at the end: those are skipped, which keeps a torn write in preallocated space cheap.
  let nonZeroEnd = buf.length;
  while (nonZeroEnd > from && buf[nonZeroEnd - 1] === 0) nonZeroEnd--;
  for (let at = from + 1; at < nonZeroEnd && buf.length - at >= FRAME_HEADER_BYTES; at++) {
    const length = buf.readUInt32BE(at);
    if (length === 0 || length > maxRecordBytes || at + FRAME_HEADER_BYTES + length > buf.length) {
      continue;
    }
    if ("record" in readRecord(buf, at, maxRecordBytes)) return at;
  }
  return null;
}

/**
 * Reads records from the start of `buf` up to the first one that is cut short (a torn write),
 * has a bad length or checksum, or does not decode, and looks past it for a good record (which
 * tells damage to durable records from a torn tail).
 */
export function scanRecords<C>(buf: Buffer, maxRecordBytes: number): ScanResult<C> {
  const records: WalRecord<C>[] = [];
  let offset = 0;
  while (offset < buf.length) {
    // No record has length 0: a zero header starts the preallocated, unused end of the file,
    // provided nothing but zeros follows (a torn write would have left other bytes).
    if (buf.length - offset >= 4 && buf.readUInt32BE(offset) === 0 && zeroFrom(buf, offset)) {
      return { records, validBytes: offset, stop: null, resumesAt: null };
    }
    const read = readRecord<C>(buf, offset, maxRecordBytes);
    if ("bad" in read) {
      const resumesAt = nextRecord(buf, offset, maxRecordBytes);
      return { records, validBytes: offset, stop: read.bad, resumesAt };
    }
    records.push(read.record);
    offset = read.end;
  }
  return { records, validBytes: offset, stop: null, resumesAt: null };
}

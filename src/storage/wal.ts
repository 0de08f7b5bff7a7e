// Durable write-ahead log of one replica: segment files, group commit, atomic snapshots, recovery.
import { constants } from "node:fs";
import { type FileHandle, mkdir, open, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { InvariantError } from "../core/errors.ts";
import type {
  Entry,
  HardState,
  RaftStorageState,
  Snapshot,
  SnapshotMeta,
} from "../core/raft/types.ts";
import { encodeValue } from "../net/codec.ts";
import { decodePayload, frameBytes, readFrame } from "../net/frame.ts";
import { CorruptStorageError, StorageError } from "./errors.ts";
import { fsyncDir, removeFile, writeFileAtomic } from "./fs-util.ts";
import { LogImage } from "./log-image.ts";
import type { RaftStore, StoreStats } from "./raft-store.ts";
import { encodeRecord, hardRecord, scanRecords, snapRecord, type WalRecord } from "./records.ts";

/** Tunables of the log. */
export interface WalOptions {
  /** Start a new segment once the current one reaches this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Largest record (or snapshot file) accepted on recovery. Default 1 GiB. */
  readonly maxRecordBytes?: number;
  /** False skips every fsync: fast, and a machine crash may lose acknowledged writes. */
  readonly durable?: boolean;
  /**
   * Zeros are written ahead of the write position this many bytes at a time (0: never). An
   * fdatasync after a write into blocks that already hold data need not commit the file
   * system's journal (no new blocks, no new size), which made it about 30% faster here
   * (0.59 ms to 0.43 ms mean, three logs syncing at once; see docs/performance.md).
   * Default 2 MiB.
   */
  readonly preallocateBytes?: number;
}

/** Counters of the log. */
export interface WalStats extends StoreStats {
  /** `sync()` calls; with group commit, more than `fsyncs`. */
  syncCalls: number;
  bytesWritten: number;
  /** Zero bytes written ahead of the records (see `preallocateBytes`). */
  bytesPreallocated: number;
  segmentsCreated: number;
  segmentsDeleted: number;
  snapshotsWritten: number;
  /** Bytes of torn or corrupt tail cut off during recovery. */
  bytesTruncatedOnRecovery: number;
  /** Total and worst time of the durable write of a round (O_DSYNC: write and sync), ms. */
  fsyncMsTotal: number;
  fsyncMsMax: number;
}

interface Segment {
  readonly seq: number;
  /** Highest entry index written in it (0 if none): deletable once a snapshot covers it. */
  maxIndex: number;
}

interface PendingSnapshot<S> {
  readonly meta: SnapshotMeta;
  readonly snapshot: Snapshot<S>;
  readonly bytes: Buffer;
}

const SEGMENT = /^wal-(\d{16})\.log$/;
const SNAPSHOT = /^snap-(\d{16})-(\d{16})\.snap$/;
const segmentName = (seq: number): string => `wal-${String(seq).padStart(16, "0")}.log`;
const snapshotName = (m: SnapshotMeta): string =>
  `snap-${String(m.index).padStart(16, "0")}-${String(m.term).padStart(16, "0")}.snap`;

/**
 * A write-ahead log in a directory:
 *
 * - `wal-<seq>.log` segments of records (u32 length, u32 CRC32, MessagePack payload): hard
 *   states, snapshot positions and entry batches, in save order. Truncating a conflicting suffix
 *   is not a separate record: an entry batch whose first index is not past the end overwrites
 *   the log from there on replay, exactly as `save` defines it.
 * - `snap-<index>-<term>.snap`: each snapshot's data, written atomically (temp file, fsync,
 *   rename, directory fsync) before the segment record that refers to it is written, so a
 *   durable record always finds its file.
 * - A new segment starts once the current one reaches `segmentBytes`; it opens with the current
 *   hard state and snapshot position, so older segments are never needed for those. A segment
 *   whose entries a durable snapshot covers is deleted (oldest first), with older snapshot files.
 *
 * Group commit: `save` only encodes into a buffer; `sync` writes the buffer with one durable
 * write (the segment is opened O_DSYNC, so the write is its own fdatasync). Segments are
 * zero-filled ahead of the records (`preallocateBytes`), so that most syncs write data blocks
 * only; recovery takes a zero tail for unused space. While a sync runs, new saves accumulate
 * and every `sync` called meanwhile shares the next round. Recovery (`open`) replays the
 * segments up to the first record that is torn, fails its checksum or does not decode. When
 * that is the torn tail of the last segment (no good record after it), the file is truncated
 * there (`bytesTruncatedOnRecovery`). When good records follow it, or later segments do, it
 * damaged records that were durable: `open` throws CorruptStorageError naming the file and
 * offset and changes nothing. A write or fsync error makes the store refuse all further work:
 * the caller should stop, and restarting recovers.
 */
export class WalStorage<C, S> implements RaftStore<C, S> {
  readonly stats: WalStats = {
    saves: 0,
    fsyncs: 0,
    entriesWritten: 0,
    syncCalls: 0,
    bytesWritten: 0,
    bytesPreallocated: 0,
    segmentsCreated: 0,
    segmentsDeleted: 0,
    snapshotsWritten: 0,
    bytesTruncatedOnRecovery: 0,
    fsyncMsTotal: 0,
    fsyncMsMax: 0,
  };
  private readonly dir: string;
  private readonly segmentBytes: number;
  private readonly durable: boolean;
  /** What is durable (for `load`), and what the replica believes it wrote (for checks). */
  private readonly durableImage: LogImage<C>;
  private readonly view: LogImage<C>;
  private snapshot: Snapshot<S> | null;
  private readonly segments: Segment[];
  private readonly preallocateBytes: number;
  private fh: FileHandle;
  /** Write position in the current segment: the end of its last record. */
  private size: number;
  /** Length of the current segment's file: records, then preallocated zeros. */
  private allocated: number;
  private pendingBufs: Buffer[] = [];
  private pendingBytes = 0;
  private pendingRecords: WalRecord<C>[] = [];
  private pendingSnaps: PendingSnapshot<S>[] = [];
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private failed: StorageError | null = null;
  private closed = false;

  private constructor(
    dir: string,
    options: WalOptions,
    image: LogImage<C>,
    view: LogImage<C>,
    snapshot: Snapshot<S> | null,
    segments: Segment[],
    fh: FileHandle,
    size: number,
    allocated: number,
  ) {
    this.dir = dir;
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.durable = options.durable ?? true;
    this.preallocateBytes = options.preallocateBytes ?? 2 * 1024 * 1024;
    this.durableImage = image;
    this.view = view;
    this.snapshot = snapshot;
    this.segments = segments;
    this.fh = fh;
    this.size = size;
    this.allocated = allocated;
  }

  /** Opens (creating if needed) the log in `dir` and recovers what it holds. */
  static async open<C, S>(dir: string, options: WalOptions = {}): Promise<WalStorage<C, S>> {
    const maxRecordBytes = options.maxRecordBytes ?? 1024 * 1024 * 1024;
    const durable = options.durable ?? true;
    await mkdir(dir, { recursive: true });
    const names = (await readdir(dir)).sort();
    const segNames = names.filter((n) => SEGMENT.test(n));
    const build = (): LogImage<C> => new LogImage<C>();
    const image = build();
    const view = build();
    const segments: Segment[] = [];
    let truncated = 0;
    let lastSize = 0;
    let lastLength = 0;
    for (let i = 0; i < segNames.length; i++) {
      const name = segNames[i]!;
      const path = join(dir, name);
      const buf = await readFile(path);
      const scan = scanRecords<C>(buf, maxRecordBytes);
      const seg: Segment = { seq: Number(SEGMENT.exec(name)![1]), maxIndex: 0 };
      for (const r of scan.records) {
        for (const img of [image, view]) applyRecord(img, r);
        if (r.k === "e") seg.maxIndex = Math.max(seg.maxIndex, r.entries.at(-1)?.index ?? 0);
      }
      segments.push(seg);
      lastSize = scan.validBytes;
      lastLength = buf.length;
      if (scan.stop === null) continue;
      const isLast = i === segNames.length - 1;
      if (!isLast || scan.resumesAt !== null) {
        // Not the last write: a later segment exists only once this one was durable, and a good
        // record after the bad one was written (and synced) after it. Truncating would drop
        // acknowledged entries, so refuse, and leave the files as they are for repair.
        const where = isLast
          ? `good records follow at byte ${scan.resumesAt}`
          : `in a segment that later ones (${segNames.slice(i + 1).join(", ")}) follow`;
        throw new CorruptStorageError(
          `${path}: record at byte ${scan.validBytes} is damaged (${scan.stop}), ${where}: ` +
            "records there were durable, so recovery refuses rather than drop acknowledged " +
            "entries. Nothing was changed on disk. Keep the file; if the rest of the group is " +
            "healthy, move this replica's data directory aside and restart it empty to catch " +
            "up from the leader (README.md, Storage faults)",
          { file: path, offset: scan.validBytes },
        );
      }
      // A torn last write (or garbage after it): never acknowledged, so cut it off.
      lastLength = scan.validBytes;
      truncated += buf.length - scan.validBytes;
      const fh = await open(path, "r+");
      try {
        await fh.truncate(scan.validBytes);
        if (durable) await fh.sync();
      } finally {
        await fh.close();
      }
    }
    // Snapshot files not yet renamed into place: written by a round that never finished. Removed
    // only now, so that a refused recovery leaves the directory exactly as it found it.
    for (const n of names) if (n.endsWith(".tmp")) await removeFile(join(dir, n));
    if (!image.consistent()) {
      throw new CorruptStorageError(
        `${dir}: entries start at ${image.firstIndex} after a snapshot at ${image.snapshotIndex}`,
      );
    }
    const snapshot =
      image.snapshot === null ? null : await readSnapshot<S>(dir, image.snapshot, maxRecordBytes);
    for (const n of names) {
      if (SNAPSHOT.test(n) && (image.snapshot === null || n !== snapshotName(image.snapshot))) {
        await removeFile(join(dir, n));
      }
    }
    let fh: FileHandle;
    const last = segments.at(-1);
    let created = 0;
    if (last === undefined) {
      segments.push({ seq: 1, maxIndex: 0 });
      fh = await open(join(dir, segmentName(1)), segmentFlags(durable, true));
      if (durable) await fsyncDir(dir);
      created = 1;
      lastSize = 0;
      lastLength = 0;
    } else {
      fh = await open(join(dir, segmentName(last.seq)), segmentFlags(durable, false));
    }
    const wal = new WalStorage<C, S>(
      dir,
      options,
      image,
      view,
      snapshot,
      segments,
      fh,
      lastSize,
      lastLength,
    );
    wal.stats.bytesTruncatedOnRecovery = truncated;
    wal.stats.segmentsCreated = created;
    return wal;
  }

  save(
    hardState: HardState | null,
    snapshot: Snapshot<S> | null,
    entries: readonly Entry<C>[],
  ): void {
    if (this.failed !== null) throw this.failed;
    if (this.closed) throw new StorageError("save on a closed log");
    this.check(snapshot, entries);
    const records: WalRecord<C>[] = [];
    if (hardState !== null) records.push(hardRecord(hardState));
    if (snapshot !== null) {
      const meta = { index: snapshot.meta.index, term: snapshot.meta.term };
      records.push(snapRecord(meta));
      const bytes = frameBytes(encodeValue({ meta, data: snapshot.data }));
      this.pendingSnaps.push({ meta, snapshot: { meta, data: snapshot.data }, bytes });
    }
    if (entries.length > 0) {
      records.push({
        k: "e",
        entries: entries.map((e) => ({ term: e.term, index: e.index, cmds: e.cmds })),
      });
    }
    if (records.length === 0) return;
    for (const r of records) {
      applyRecord(this.view, r);
      const buf = encodeRecord(r);
      this.pendingBufs.push(buf);
      this.pendingBytes += buf.length;
      this.pendingRecords.push(r);
    }
    this.stats.saves++;
    this.stats.entriesWritten += entries.length;
  }

  sync(): Promise<void> {
    this.stats.syncCalls++;
    if (this.failed !== null) return Promise.reject(this.failed);
    if (this.queued !== null) return this.queued;
    if (this.pendingRecords.length === 0) return this.inFlight ?? Promise.resolve();
    const start = (): Promise<void> => {
      this.queued = null;
      const round = this.round();
      this.inFlight = round;
      const clear = (): void => {
        if (this.inFlight === round) this.inFlight = null;
      };
      round.then(clear, clear);
      return round;
    };
    if (this.inFlight === null) return start();
    this.queued = this.inFlight.then(start, start);
    return this.queued;
  }

  load(): RaftStorageState<C, S> {
    return {
      hardState: this.durableImage.hardState,
      snapshot: this.snapshot,
      entries: this.durableImage.entries(),
    };
  }

  /** Waits for syncs in progress, then closes the files; unsynced saves are discarded. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (;;) {
      const wait = this.queued ?? this.inFlight;
      if (wait === null) break;
      await wait.catch(() => {});
    }
    await this.fh.close();
  }

  /** Index of the last entry saved (synced or not). */
  get lastIndex(): number {
    return this.view.lastIndex;
  }

  /** Throws InvariantError (writing nothing) when the save would break the log. */
  private check(snapshot: Snapshot<S> | null, entries: readonly Entry<C>[]): void {
    let snapIndex = this.view.snapshotIndex;
    let last = this.view.lastIndex;
    if (snapshot !== null) {
      const { index, term } = snapshot.meta;
      if (index < snapIndex) {
        throw new InvariantError(
          `storage: snapshot at ${index} is older than the stored one at ${snapIndex}`,
        );
      }
      const at = this.view.entryAt(index);
      if (index > last || (at !== undefined && at.term !== term)) last = index;
      snapIndex = index;
    }
    let prev: number | undefined;
    for (const e of entries) {
      if (prev !== undefined && e.index !== prev + 1) {
        throw new InvariantError(`storage: entries not contiguous, ${e.index} after ${prev}`);
      }
      prev = e.index;
    }
    const first = entries[0];
    if (first === undefined) return;
    if (first.index <= snapIndex) {
      throw new InvariantError(
        `storage: entry ${first.index} rewrites the log at or before the snapshot at ${snapIndex}`,
      );
    }
    if (first.index > last + 1) {
      throw new InvariantError(`storage: gap in the log, entry ${first.index} after ${last}`);
    }
  }

  /** One group-commit round: snapshot files, one durable write, then housekeeping. */
  private async round(): Promise<void> {
    if (this.failed !== null) throw this.failed;
    const bufs = this.pendingBufs;
    const bytes = this.pendingBytes;
    const records = this.pendingRecords;
    const snaps = this.pendingSnaps;
    this.pendingBufs = [];
    this.pendingBytes = 0;
    this.pendingRecords = [];
    this.pendingSnaps = [];
    try {
      for (const s of snaps) {
        await writeFileAtomic(this.dir, snapshotName(s.meta), s.bytes, this.durable);
        this.stats.snapshotsWritten++;
      }
      const buf = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs, bytes);
      if (this.preallocateBytes > 0 && this.size + buf.length > this.allocated) {
        // Zeros first, so that the records land on written blocks (this write is the slow,
        // journal-committing kind, once per preallocation step).
        const upTo = Math.max(this.size + buf.length, this.allocated + this.preallocateBytes);
        await this.writeAll(Buffer.alloc(upTo - this.allocated), this.allocated);
        this.stats.bytesPreallocated += upTo - this.allocated;
        this.allocated = upTo;
      }
      // Durable logs are opened O_DSYNC: the write returns once the data is on disk, one call
      // to the thread pool instead of a write and then an fdatasync.
      const t0 = performance.now();
      await this.writeAll(buf, this.size);
      if (this.durable) {
        const ms = performance.now() - t0;
        this.stats.fsyncMsTotal += ms;
        if (ms > this.stats.fsyncMsMax) this.stats.fsyncMsMax = ms;
      }
      this.stats.fsyncs++;
      this.size += buf.length;
      if (this.size > this.allocated) this.allocated = this.size;
      this.stats.bytesWritten += buf.length;
      const active = this.segments.at(-1)!;
      const snapBefore = this.durableImage.snapshotIndex;
      for (const r of records) {
        applyRecord(this.durableImage, r);
        if (r.k === "e") active.maxIndex = Math.max(active.maxIndex, r.entries.at(-1)?.index ?? 0);
      }
      const last = snaps.at(-1);
      if (last !== undefined) this.snapshot = last.snapshot;
      if (this.size >= this.segmentBytes) await this.rotate();
      if (this.durableImage.snapshotIndex > snapBefore) await this.dropCovered();
    } catch (err) {
      this.failed ??=
        err instanceof StorageError
          ? err
          : new StorageError(`${this.dir}: ${(err as Error).message}`);
      throw this.failed;
    }
  }

  /** Writes all of `buf` at `position` of the current segment. */
  private async writeAll(buf: Buffer, position: number): Promise<void> {
    let written = 0;
    while (written < buf.length) {
      const { bytesWritten } = await this.fh.write(
        buf,
        written,
        buf.length - written,
        position + written,
      );
      written += bytesWritten;
    }
  }

  /** Starts a new segment that opens with the current hard state and snapshot position. */
  private async rotate(): Promise<void> {
    const seq = this.segments.at(-1)!.seq + 1;
    const fh = await open(join(this.dir, segmentName(seq)), segmentFlags(this.durable, true));
    const header: Buffer[] = [encodeRecord(hardRecord(this.durableImage.hardState))];
    const snap = this.durableImage.snapshot;
    if (snap !== null) header.push(encodeRecord(snapRecord(snap)));
    const buf = Buffer.concat(header);
    await fh.write(buf, 0, buf.length, 0);
    if (this.durable) {
      await fh.datasync();
      await fsyncDir(this.dir);
    }
    await this.fh.close();
    this.fh = fh;
    this.size = buf.length;
    this.allocated = buf.length;
    this.segments.push({ seq, maxIndex: 0 });
    this.stats.segmentsCreated++;
    this.stats.bytesWritten += buf.length;
  }

  /** Deletes the oldest segments a durable snapshot covers, and snapshot files before it. */
  private async dropCovered(): Promise<void> {
    const covered = this.durableImage.snapshotIndex;
    while (this.segments.length > 1 && this.segments[0]!.maxIndex <= covered) {
      const seg = this.segments.shift()!;
      await removeFile(join(this.dir, segmentName(seg.seq)));
      this.stats.segmentsDeleted++;
    }
    for (const n of await readdir(this.dir)) {
      if (SNAPSHOT.test(n) && this.snapshot !== null && n !== snapshotName(this.snapshot.meta)) {
        await removeFile(join(this.dir, n));
      }
    }
  }
}

/**
 * Open flags of a segment: read-write, created empty when asked, and O_DSYNC when durable. With
 * O_DSYNC every write is an fdatasync of its own data: in a round's single write that saves one
 * hand-off to the thread pool, which measured about 10% more commands/s (4 of 4 alternating
 * runs, 13.8k vs 12.6k median; docs/performance.md).
 */
function segmentFlags(durable: boolean, create: boolean): number {
  const c = constants;
  return c.O_RDWR | (create ? c.O_CREAT | c.O_TRUNC : 0) | (durable ? c.O_DSYNC : 0);
}

/** Applies one record to an image. */
function applyRecord<C>(image: LogImage<C>, r: WalRecord<C>): void {
  if (r.k === "h") image.hardState = { term: r.term, vote: r.vote as HardState["vote"] };
  else if (r.k === "s") image.applySnapshot({ index: r.index, term: r.term });
  else image.applyEntries(r.entries);
}

/** Reads and checks a snapshot file. */
async function readSnapshot<S>(
  dir: string,
  meta: SnapshotMeta,
  maxBytes: number,
): Promise<Snapshot<S>> {
  const name = snapshotName(meta);
  let buf: Buffer;
  try {
    buf = await readFile(join(dir, name));
  } catch (err) {
    // The file is written before the record that names it, and older ones are deleted only
    // once a newer record is durable: missing, it was removed or damaged outside this log.
    throw new CorruptStorageError(
      `${dir}: snapshot file ${name}, named by the log's last snapshot record, cannot be read: ${(err as Error).message}`,
      { file: join(dir, name), offset: 0 },
    );
  }
  try {
    const frame = readFrame(buf, 0, maxBytes);
    if (frame === null || frame.end !== buf.length) throw new Error("truncated");
    const value = decodePayload(frame.payload) as { meta?: SnapshotMeta; data?: S };
    if (value.meta?.index !== meta.index || value.meta.term !== meta.term) {
      throw new Error("names another position");
    }
    return { meta, data: value.data as S };
  } catch (err) {
    throw new CorruptStorageError(`${dir}: snapshot file ${name}: ${(err as Error).message}`, {
      file: join(dir, name),
      offset: 0,
    });
  }
}

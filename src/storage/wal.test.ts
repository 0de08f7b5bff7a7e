// Disk-only tests of the write-ahead log: torn tails, corruption, group commit, rotation, deletion.
import {
  appendFile,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Entry } from "../core/raft/types.ts";
import { CorruptStorageError } from "./errors.ts";
import { WalStorage } from "./wal.ts";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
const tempDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), "dssmr-wal-"));
  dirs.push(d);
  return d;
};
const range = (lo: number, hi: number, term = 1): Entry<string>[] =>
  Array.from({ length: hi - lo + 1 }, (_, i) => ({ term, index: lo + i, cmds: [`x${lo + i}`] }));
const segments = async (dir: string): Promise<string[]> =>
  (await readdir(dir)).filter((n) => n.startsWith("wal-") && n.endsWith(".log")).sort();

/** Offsets where the records of a segment without preallocated space start. */
const recordStarts = (bytes: Buffer): number[] => {
  const starts: number[] = [];
  for (let off = 0; off < bytes.length; off += 8 + bytes.readUInt32BE(off)) starts.push(off);
  return starts;
};

/** Every file of `dir` with its bytes, to show that a refused recovery changed nothing. */
const contents = async (dir: string): Promise<Map<string, Buffer>> => {
  const out = new Map<string, Buffer>();
  for (const n of (await readdir(dir)).sort()) out.set(n, await readFile(join(dir, n)));
  return out;
};

/** Opening `dir` throws CorruptStorageError naming `file` and `offset`, and changes no file. */
const expectRefused = async (dir: string, file: string, offset: number): Promise<void> => {
  const before = await contents(dir);
  const err = await WalStorage.open<string, string>(dir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorruptStorageError);
  expect(err).toMatchObject({ code: "E_STORAGE_CORRUPT", at: { file, offset } });
  expect((err as Error).message).toContain(`${file}: record at byte ${offset} is damaged`);
  expect(await contents(dir)).toEqual(before);
};

/**
 * Writes three synced batches (1-2, 3-4, 5-6) into one segment and closes the log. Without
 * preallocation unless asked, so that the file ends with the last record.
 */
const threeBatches = async (dir: string, preallocateBytes = 0): Promise<string> => {
  const wal = await WalStorage.open<string, string>(dir, { preallocateBytes });
  for (const [lo, hi] of [
    [1, 2],
    [3, 4],
    [5, 6],
  ] as const) {
    wal.save({ term: 1, vote: null }, null, range(lo, hi));
    await wal.sync();
  }
  await wal.close();
  const segs = await segments(dir);
  expect(segs).toHaveLength(1);
  return join(dir, segs[0]!);
};

describe("WalStorage recovery", () => {
  it("cuts a torn last record and keeps appending after it", async () => {
    const dir = await tempDir();
    const seg = await threeBatches(dir);
    const size = (await stat(seg)).size;
    await truncate(seg, size - 3);
    let wal = await WalStorage.open<string, string>(dir, { preallocateBytes: 0 });
    expect(wal.load().entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(wal.stats.bytesTruncatedOnRecovery).toBeGreaterThan(0);
    wal.save(null, null, range(5, 5, 2));
    await wal.sync();
    await wal.close();
    wal = await WalStorage.open<string, string>(dir);
    expect(wal.load().entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 2],
    ]);
    expect(wal.stats.bytesTruncatedOnRecovery).toBe(0);
    await wal.close();
  });

  it("cuts garbage after the last record, and keeps zeros there as unused space", async () => {
    for (const junk of [Buffer.from("garbage!garbage!"), Buffer.alloc(4096)]) {
      const dir = await tempDir();
      const seg = await threeBatches(dir);
      const size = (await stat(seg)).size;
      await appendFile(seg, junk);
      const wal = await WalStorage.open<string, string>(dir, { preallocateBytes: 0 });
      expect(wal.load().entries).toHaveLength(6);
      const zeros = junk[0] === 0;
      expect(wal.stats.bytesTruncatedOnRecovery).toBe(zeros ? 0 : junk.length);
      await wal.close();
      expect((await stat(seg)).size).toBe(zeros ? size + junk.length : size);
    }
  });

  it("preallocates zeros ahead of the records and appends into them after recovery", async () => {
    const dir = await tempDir();
    const seg = await threeBatches(dir, 4096);
    // The zeros were written once, ahead of the first records; the records went into them.
    expect((await stat(seg)).size).toBe(4096);
    let wal = await WalStorage.open<string, string>(dir, { preallocateBytes: 4096 });
    expect(wal.load().entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(wal.stats.bytesTruncatedOnRecovery).toBe(0);
    wal.save(null, null, range(7, 8, 2));
    await wal.sync();
    expect(wal.stats.bytesPreallocated).toBe(0); // it fit in the zeros left
    await wal.close();
    expect((await stat(seg)).size).toBe(4096);
    wal = await WalStorage.open<string, string>(dir, { preallocateBytes: 4096 });
    expect(wal.load().entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 1],
      [6, 1],
      [7, 2],
      [8, 2],
    ]);
    // A batch larger than what is left grows the file by at least one more step.
    const big = Array.from({ length: 200 }, (_, i) => ({
      term: 2,
      index: 9 + i,
      cmds: ["y".repeat(40)],
    }));
    wal.save(null, null, big);
    await wal.sync();
    expect(wal.stats.bytesPreallocated).toBeGreaterThanOrEqual(4096);
    await wal.close();
    wal = await WalStorage.open<string, string>(dir, { preallocateBytes: 4096 });
    expect(wal.load().entries.at(-1)!.index).toBe(208);
    await wal.close();
  });

  it("cuts a torn record inside preallocated space, and appends after the last good one", async () => {
    const dir = await tempDir();
    const seg = await threeBatches(dir, 4096);
    const bytes = await readFile(seg);
    // Find the end of the records, then write a torn record there: a header, half a payload.
    let end = 0;
    while (bytes.readUInt32BE(end) !== 0) end += 8 + bytes.readUInt32BE(end);
    bytes.writeUInt32BE(100, end);
    bytes.writeUInt32BE(0x12345678, end + 4);
    bytes.fill(7, end + 8, end + 58);
    await writeFile(seg, bytes);
    let wal = await WalStorage.open<string, string>(dir, { preallocateBytes: 4096 });
    expect(wal.load().entries).toHaveLength(6);
    expect(wal.stats.bytesTruncatedOnRecovery).toBe(4096 - end);
    wal.save(null, null, range(7, 7, 3));
    await wal.sync();
    await wal.close();
    wal = await WalStorage.open<string, string>(dir, { preallocateBytes: 4096 });
    expect(wal.load().entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await wal.close();
  });

  it("cuts a last record with a flipped byte (a torn write looks the same) and recovers", async () => {
    const dir = await tempDir();
    const seg = await threeBatches(dir);
    const bytes = await readFile(seg);
    const starts = recordStarts(bytes);
    const at = bytes.length - 1;
    bytes[at] = bytes[at]! ^ 0x55;
    await writeFile(seg, bytes);
    let wal = await WalStorage.open<string, string>(dir, { preallocateBytes: 0 });
    expect(wal.load().entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(wal.stats.bytesTruncatedOnRecovery).toBe(bytes.length - starts[5]!);
    wal.save(null, null, range(5, 6));
    await wal.sync();
    await wal.close();
    expect((await stat(seg)).size).toBe(bytes.length); // the same record, rewritten
    wal = await WalStorage.open<string, string>(dir);
    expect(wal.load().entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
    await wal.close();
  });

  it("refuses a flipped byte in the middle, naming file and offset, and changes nothing", async () => {
    for (const where of ["header", "payload"] as const) {
      const dir = await tempDir();
      const seg = await threeBatches(dir);
      const bytes = await readFile(seg);
      // The records are [h][e 1-2][h][e 3-4][h][e 5-6]: damage e 3-4, which two records follow.
      const bad = recordStarts(bytes)[3]!;
      const at = where === "header" ? bad + 5 : bad + 8 + 3;
      bytes[at] = bytes[at]! ^ 0x55;
      await writeFile(seg, bytes);
      await expectRefused(dir, seg, bad);
    }
  });

  it("refuses a bogus length in the middle, naming file and offset, and changes nothing", async () => {
    // Too long by one (checksum over the wrong bytes), past the end of the file (reads as cut
    // short, like a torn write), and past the record size limit.
    for (const bogus of [(len: number) => len + 1, () => 1_000_000, () => 0xffffffff]) {
      const dir = await tempDir();
      const seg = await threeBatches(dir);
      const bytes = await readFile(seg);
      const bad = recordStarts(bytes)[3]!;
      bytes.writeUInt32BE(bogus(bytes.readUInt32BE(bad)), bad);
      await writeFile(seg, bytes);
      await expectRefused(dir, seg, bad);
    }
  });

  it("refuses damage at the end of a segment that later segments follow", async () => {
    const dir = await tempDir();
    const wal = await WalStorage.open<string, string>(dir, {
      segmentBytes: 300,
      preallocateBytes: 0,
    });
    for (let i = 1; i <= 40; i += 5) {
      wal.save({ term: 1, vote: null }, null, range(i, i + 4));
      await wal.sync();
    }
    await wal.close();
    const segs = await segments(dir);
    expect(segs.length).toBeGreaterThan(2);
    // The last byte of the first segment: nothing valid follows in that file, yet it was
    // durable before the second segment was created.
    const seg = join(dir, segs[0]!);
    const bytes = await readFile(seg);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x55;
    await writeFile(seg, bytes);
    await expectRefused(dir, seg, recordStarts(bytes).at(-1)!);
  });

  it("refuses damage before a later snapshot record, not with a missing snapshot file", async () => {
    // The damage sits between two snapshot records; the older snapshot's file is gone (the
    // newer one replaced it). Truncating at the damage used to end in "snapshot file … ENOENT".
    const dir = await tempDir();
    const wal = await WalStorage.open<string, string>(dir, { preallocateBytes: 0 });
    wal.save({ term: 1, vote: null }, null, range(1, 4));
    await wal.sync();
    wal.save(null, { meta: { index: 2, term: 1 }, data: "upTo2" }, []);
    await wal.sync();
    wal.save(null, null, range(5, 6));
    await wal.sync();
    wal.save(null, { meta: { index: 5, term: 1 }, data: "upTo5" }, []);
    await wal.sync();
    await wal.close();
    const seg = join(dir, (await segments(dir))[0]!);
    const bytes = await readFile(seg);
    // Records: [h][e 1-4][s 2][e 5-6][s 5]: damage e 5-6.
    const bad = recordStarts(bytes)[3]!;
    bytes[bad + 10] = bytes[bad + 10]! ^ 0x55;
    await writeFile(seg, bytes);
    await expectRefused(dir, seg, bad);
  });

  it("shares one fdatasync among syncs called while one runs (group commit)", async () => {
    const dir = await tempDir();
    const wal = await WalStorage.open<string, string>(dir);
    const waits: Promise<void>[] = [];
    for (let i = 1; i <= 50; i++) {
      wal.save(null, null, range(i, i));
      waits.push(wal.sync());
    }
    await Promise.all(waits);
    // The first sync starts a round with entry 1; the other 49 share the next round.
    expect(wal.stats.fsyncs).toBe(2);
    expect(wal.stats.syncCalls).toBe(50);
    expect(wal.load().entries).toHaveLength(50);
    await wal.sync(); // nothing pending: no fsync
    expect(wal.stats.fsyncs).toBe(2);
    await wal.close();
  });

  it("rotates segments, deletes those a snapshot covers, and recovers from the rest", async () => {
    const dir = await tempDir();
    let wal = await WalStorage.open<string, { upTo: number }>(dir, {
      segmentBytes: 300,
      preallocateBytes: 256,
    });
    wal.save({ term: 4, vote: null }, null, []);
    for (let i = 1; i <= 100; i += 5) {
      wal.save(null, null, range(i, i + 4, 4));
      await wal.sync();
    }
    expect((await segments(dir)).length).toBeGreaterThan(5);
    wal.save(null, { meta: { index: 50, term: 4 }, data: { upTo: 50 } }, []);
    await wal.sync();
    wal.save(null, { meta: { index: 80, term: 4 }, data: { upTo: 80 } }, range(101, 103, 4));
    await wal.sync();
    expect(wal.stats.segmentsDeleted).toBeGreaterThan(0);
    const snaps = (await readdir(dir)).filter((n) => n.endsWith(".snap"));
    expect(snaps).toHaveLength(1);
    const before = wal.load();
    expect(before.entries[0]!.index).toBe(81);
    await wal.close();
    wal = await WalStorage.open<string, { upTo: number }>(dir, { segmentBytes: 300 });
    expect(wal.load()).toEqual(before);
    expect(wal.load().hardState).toEqual({ term: 4, vote: null });
    expect(wal.load().snapshot).toEqual({ meta: { index: 80, term: 4 }, data: { upTo: 80 } });
    await wal.close();
  });

  it("discards unsynced saves on close, as a crash would", async () => {
    const dir = await tempDir();
    let wal = await WalStorage.open<string, string>(dir);
    wal.save(null, null, range(1, 2));
    await wal.sync();
    wal.save(null, null, range(3, 4));
    await wal.close();
    wal = await WalStorage.open<string, string>(dir);
    expect(wal.load().entries).toHaveLength(2);
    await wal.close();
  });
});

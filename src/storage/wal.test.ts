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

/** Writes three synced batches (1-2, 3-4, 5-6) into one segment and closes the log. */
const threeBatches = async (dir: string): Promise<string> => {
  const wal = await WalStorage.open<string, string>(dir);
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
    let wal = await WalStorage.open<string, string>(dir);
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

  it("ignores garbage and zeros after the last record", async () => {
    for (const junk of [Buffer.from("garbage!garbage!"), Buffer.alloc(4096)]) {
      const dir = await tempDir();
      const seg = await threeBatches(dir);
      const size = (await stat(seg)).size;
      await appendFile(seg, junk);
      const wal = await WalStorage.open<string, string>(dir);
      expect(wal.load().entries).toHaveLength(6);
      await wal.close();
      expect((await stat(seg)).size).toBe(size);
    }
  });

  it("stops at a bad checksum in the middle and truncates there", async () => {
    const dir = await tempDir();
    const seg = await threeBatches(dir);
    const bytes = await readFile(seg);
    // Flip the last byte of the second record's payload: the records are [h][e 1-2][h][e 3-4]...
    const ends: number[] = [];
    for (let off = 0; off < bytes.length; off += 8 + bytes.readUInt32BE(off)) {
      ends.push(off + 8 + bytes.readUInt32BE(off));
    }
    const at = ends[3]! - 1;
    bytes[at] = bytes[at]! ^ 0x55;
    await writeFile(seg, bytes);
    const wal = await WalStorage.open<string, string>(dir);
    expect(wal.load().entries.map((e) => e.index)).toEqual([1, 2]);
    await wal.close();
    expect((await stat(seg)).size).toBe(ends[2]);
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
    let wal = await WalStorage.open<string, { upTo: number }>(dir, { segmentBytes: 300 });
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

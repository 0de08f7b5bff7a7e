// Measures the write-ahead log on this machine: fdatasync latency and entries per second.
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Entry } from "../core/raft/types.ts";
import { WalStorage } from "./wal.ts";

/** One measured configuration. */
export interface WalBenchResult {
  readonly label: string;
  readonly entriesPerSync: number;
  readonly syncs: number;
  readonly entriesPerSecond: number;
  readonly syncMsP50: number;
  readonly syncMsP99: number;
  readonly fsyncMsMean: number;
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
};

/**
 * Appends `syncs` batches of `entriesPerSync` entries (each with `cmdsPerEntry` 100-byte
 * commands), awaiting a sync after each, and reports latency and throughput.
 */
export async function benchWal(
  parent: string,
  label: string,
  syncs: number,
  entriesPerSync: number,
  cmdsPerEntry: number,
): Promise<WalBenchResult> {
  const dir = await mkdtemp(join(parent, "dssmr-walbench-"));
  try {
    const wal = await WalStorage.open<string, null>(dir);
    const cmd = "x".repeat(100);
    const lat: number[] = [];
    let index = 0;
    const t0 = performance.now();
    for (let s = 0; s < syncs; s++) {
      const entries: Entry<string>[] = [];
      for (let i = 0; i < entriesPerSync; i++) {
        entries.push({
          term: 1,
          index: ++index,
          cmds: Array.from({ length: cmdsPerEntry }, () => cmd),
        });
      }
      const a = performance.now();
      wal.save(s === 0 ? { term: 1, vote: null } : null, null, entries);
      await wal.sync();
      lat.push(performance.now() - a);
    }
    const secs = (performance.now() - t0) / 1000;
    await wal.close();
    return {
      label,
      entriesPerSync,
      syncs,
      entriesPerSecond: Math.round(index / secs),
      syncMsP50: percentile(lat, 0.5),
      syncMsP99: percentile(lat, 0.99),
      fsyncMsMean: wal.stats.fsyncMsTotal / Math.max(1, wal.stats.fsyncs),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Run directly: `node --import tsx src/storage/wal-bench.ts [directory]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const parent = process.argv[2] ?? process.cwd();
  const runs: [string, number, number, number][] = [
    ["1 entry x 1 cmd per sync", 2000, 1, 1],
    ["1 entry x 64 cmds per sync", 1000, 1, 64],
    ["64 entries x 16 cmds per sync", 300, 64, 16],
  ];
  for (const [label, syncs, per, cmds] of runs) {
    const r = await benchWal(parent, label, syncs, per, cmds);
    console.log(
      `${r.label.padEnd(32)} entries/s ${String(r.entriesPerSecond).padStart(8)}  cmds/s ${String(r.entriesPerSecond * cmds).padStart(9)}  sync p50 ${r.syncMsP50.toFixed(3)} ms  p99 ${r.syncMsP99.toFixed(3)} ms  fdatasync mean ${r.fsyncMsMean.toFixed(3)} ms`,
    );
  }
}

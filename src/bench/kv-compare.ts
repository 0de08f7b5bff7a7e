// REAL side-by-side of DS-SMR and S-SMR mode on a local KV cluster: bulk creates, then random puts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DsClient } from "../client/ds-client.ts";
import { appSetup } from "../cluster/app-setup.ts";
import { loadClusterConfig } from "../cluster/config.ts";
import { LocalCluster } from "../cluster/launcher.ts";
import {
  buildLocalConfig,
  defaultLocalClusterOptions,
  writeClusterConfig,
} from "../cluster/local-config.ts";

/** One measured round of one mode. */
export interface KvCompareRound {
  readonly mode: "dssmr" | "ssmr";
  readonly round: number;
  /** Wall seconds to create every key. */
  readonly loadSeconds: number;
  /** Random puts over the loaded keys: commands per second, closed loop. */
  readonly putsPerSecond: number;
  readonly putP50Ms: number;
  readonly putP99Ms: number;
  /** The client's counters over the round (oracle queries, guesses, retries…). */
  readonly proxy: Readonly<Record<string, number>>;
}

/** What to measure. */
export interface KvCompareOptions {
  readonly partitions: number;
  readonly keys: number;
  /** Commands outstanding at once, from one client process. */
  readonly inFlight: number;
  readonly putSeconds: number;
  /** Client sessions sharing the in-flight commands (see DsClientOptions.lanes). */
  readonly lanes: number;
  /** Rounds per mode; the modes alternate (dssmr, ssmr, dssmr, ...). */
  readonly rounds: number;
  /** In-memory logs (no fsync). Default false: fsync on. */
  readonly memory: boolean;
  readonly log?: (line: string) => void;
}

/** Runs `rounds` alternating rounds of both modes; each on a fresh cluster. */
export async function kvCompare(o: KvCompareOptions): Promise<KvCompareRound[]> {
  const out: KvCompareRound[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    for (const mode of ["dssmr", "ssmr"] as const) {
      const r = await oneRound(o, mode, round);
      o.log?.(JSON.stringify(r));
      out.push(r);
    }
  }
  return out;
}

async function oneRound(
  o: KvCompareOptions,
  mode: "dssmr" | "ssmr",
  round: number,
): Promise<KvCompareRound> {
  const dir = mkdtempSync(join(tmpdir(), "dssmr-kvcmp-"));
  const file = join(dir, "cluster.json");
  const config = await buildLocalConfig({
    ...defaultLocalClusterOptions,
    app: "kv",
    mode,
    partitions: o.partitions,
    memory: o.memory,
    httpPort: null,
    metrics: false,
    demoUsers: 0,
  });
  writeClusterConfig(file, config);
  const loaded = loadClusterConfig(file);
  const cluster = await LocalCluster.start(loaded, { startTimeoutMs: 60_000 });
  const setup = appSetup(loaded.config);
  if (setup.kind !== "kv") throw new Error("expected the kv app");
  // Groups remember 16 answers per client session: more in flight takes more lanes (sessions).
  const client = await DsClient.connect(loaded, setup.app, {
    timeoutMs: 60_000,
    maxInFlight: 16,
    lanes: Math.max(o.lanes, Math.ceil(o.inFlight / 16)),
  });
  try {
    await cluster.waitReady(60_000);
    const t0 = performance.now();
    await pool(o.keys, o.inFlight, (i) =>
      client.execute({ type: "create", key: `key${i}`, value: "0" }),
    );
    const loadSeconds = (performance.now() - t0) / 1000;
    const latencies: number[] = [];
    const end = performance.now() + o.putSeconds * 1000;
    const tPut = performance.now();
    let n = 0;
    await Promise.all(
      Array.from({ length: o.inFlight }, async () => {
        while (performance.now() < end) {
          // A fixed stride over the keys: a different key each time, the same order every run.
          n++;
          const key = `key${(n * 7919) % o.keys}`;
          const t = performance.now();
          await client.execute({ type: "put", key, value: String(n) });
          latencies.push(performance.now() - t);
        }
      }),
    );
    const putS = (performance.now() - tPut) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.floor(latencies.length * q)] ?? 0;
    return {
      mode,
      round,
      loadSeconds: Number(loadSeconds.toFixed(2)),
      putsPerSecond: Math.round(latencies.length / putS),
      putP50Ms: Number(at(0.5).toFixed(2)),
      putP99Ms: Number(at(0.99).toFixed(2)),
      proxy: { ...client.stats() },
    };
  } finally {
    await client.close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs task(0..n-1) with at most `width` in flight. */
async function pool(n: number, width: number, task: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/**
 * `npx tsx src/bench/kv-compare.ts [--partitions N] [--keys N] [--in-flight N] [--lanes N]
 * [--put-seconds S] [--rounds R] [--memory]`: prints one JSON line per round, then `{ "rounds": [...] }`.
 */
async function main(argv: readonly string[]): Promise<void> {
  const flag = (name: string, def: number): number => {
    const i = argv.indexOf(name);
    if (i < 0) return def;
    const v = Number(argv[i + 1]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: expected a positive integer`);
    return v;
  };
  const rounds = await kvCompare({
    partitions: flag("--partitions", 2),
    keys: flag("--keys", 100_000),
    inFlight: flag("--in-flight", 256),
    putSeconds: flag("--put-seconds", 10),
    rounds: flag("--rounds", 1),
    lanes: flag("--lanes", 16),
    memory: argv.includes("--memory"),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify({ rounds })}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));

// The paper benchmark harness: figures from windows and timings, tiny simulated sweeps, CLI shape.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type BenchBackend,
  convergence,
  type PaperRunSpec,
  percentile,
  type RunObservation,
  summarise,
  sweepSpecs,
  validateSpec,
  type WindowCounters,
} from "../../src/bench/paper-bench.ts";
import { formatTableI } from "../../src/bench/paper-report.ts";
import { runPaperSweep } from "../../src/bench/paper-run.ts";
import { simBackend } from "../../src/bench/sim-backend.ts";
import { main } from "../../src/cli/main.ts";

const spec: PaperRunSpec = {
  mode: "dssmr",
  workload: "mix",
  partitions: 2,
  locality: "strong",
  crossFraction: 0,
  users: 200,
  clientsPerPartition: 2,
  durationMs: 400,
  windowMs: 100,
  warmupFraction: 0.5,
  policy: "random",
  retryThreshold: 3,
  seed: 1,
  graphSeed: 1,
};

const win = (t: number, completed: number, moves = 0): WindowCounters => ({
  t,
  completed,
  moves,
  retries: 0,
  fallbacks: 0,
  consults: 0,
  cacheHits: 1,
  cacheMisses: 1,
  multiPartition: 0,
  submitted: completed,
});

const fake = (obs: RunObservation): BenchBackend => ({
  name: "sim",
  simulated: true,
  run: () => Promise.resolve(obs),
});

describe("paper benchmark figures", () => {
  it("excludes warm-up windows and latencies of commands completing during warm-up", () => {
    const obs: RunObservation = {
      windows: [win(100, 50, 40), win(200, 50, 10), win(300, 10), win(400, 30)],
      timings: [
        { call: 0, ret: 150 }, // warm-up
        { call: 200, ret: 210 },
        { call: 250, ret: 290 },
        { call: 300, ret: 330 },
        { call: 390, ret: Number.POSITIVE_INFINITY }, // never completed
      ],
      extra: {},
    };
    const r = summarise(spec, obs, fake(obs), 5);
    expect(r.warmupMs).toBe(200);
    expect(r.completed).toBe(40);
    expect(r.throughput).toBeCloseTo(200);
    expect(r.moves).toBe(0);
    expect(r.p50Ms).toBe(30);
    expect(r.p99Ms).toBe(40);
    expect(r.cacheHitRate).toBe(0.5);
    expect(r.series).toHaveLength(4);
    expect(r.series[0]!.movesPerS).toBe(400);
    expect(r.simulated).toBe(true);
  });

  it("finds when moves fall under 1% of throughput for good", () => {
    const ws = [
      win(100, 10, 50),
      win(200, 100, 5),
      win(300, 100, 0),
      win(400, 100, 0),
      win(500, 100, 0),
    ];
    const c = convergence(ws, 500);
    expect(c.convergedAtMs).toBe(400);
    expect(c.withinFirstFifth).toBe(false);
    expect(convergence([win(100, 10), win(200, 10)], 200).convergedAtMs).toBe(100);
    // Converged from the first window: within the first fifth, however wide the windows.
    expect(convergence([win(100, 10), win(200, 10)], 200).withinFirstFifth).toBe(true);
    expect(convergence([win(100, 10, 5), win(200, 10, 5)], 200).convergedAtMs).toBeNull();
    // Stalled at the end: no moves, but nothing completes either.
    expect(convergence([win(100, 10, 5), win(200, 0), win(300, 0)], 300).convergedAtMs).toBeNull();
    // No new moves, but commands keep retrying: not converged.
    const stuck = [
      win(100, 10, 5),
      { ...win(200, 10), retries: 20 },
      { ...win(300, 10), retries: 20 },
    ];
    expect(convergence(stuck, 300).convergedAtMs).toBeNull();
  });

  it("computes nearest-rank percentiles", () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.99)).toBe(4);
  });

  it("validates specs and expands sweeps", () => {
    expect(() => validateSpec({ ...spec, crossFraction: 0.2 })).toThrow(/strong locality/);
    expect(() => validateSpec({ ...spec, warmupFraction: 1 })).toThrow(/warmupFraction/);
    const { mode: _m, workload: _w, partitions: _p, ...base } = spec;
    const specs = sweepSpecs({
      base,
      modes: ["dssmr", "ssmr"],
      workloads: ["post"],
      partitions: [1, 2],
    });
    expect(specs.map((s) => `${s.mode}${s.partitions}`)).toEqual([
      "dssmr1",
      "dssmr2",
      "ssmr1",
      "ssmr2",
    ]);
  });
});

describe("simulated sweep (smoke: shape only, no timing assertions)", () => {
  it("runs a tiny sweep and writes JSON and SVG", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dssmr-paper-"));
    const out: string[] = [];
    const { mode: _m, workload: _w, partitions: _p, ...base } = spec;
    const { results, files } = await runPaperSweep(
      { base, modes: ["dssmr", "ssmr"], workloads: ["mix"], partitions: [1, 2] },
      simBackend(),
      {
        out: (l) => out.push(l),
        progress: () => {},
        series: true,
        dir,
        tag: "t",
        charts: true,
        command: "test",
      },
    );
    expect(results).toHaveLength(4);
    for (const r of results) {
      expect(r.simulated).toBe(true);
      expect(r.series).toHaveLength(4);
      expect(r.completed).toBeGreaterThan(0);
      expect(r.p50Ms).not.toBeNull();
    }
    expect(out.join("\n")).toMatch(/Table I/);
    expect(out.join("\n")).toMatch(/SIMULATED/);
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
      "t-convergence.png",
      "t-convergence.svg",
      "t-series.csv",
      "t-throughput.png",
      "t-throughput.svg",
      "t.csv",
      "t.json",
      "t.md",
    ]);
    expect(readFileSync(join(dir, "t-throughput.svg"), "utf8")).toMatch(/^<svg/);
    // PNG signature.
    expect([...readFileSync(join(dir, "t-throughput.png")).subarray(0, 4)]).toEqual([
      0x89, 0x50, 0x4e, 0x47,
    ]);
    const csv = readFileSync(join(dir, "t.csv"), "utf8").trim().split("\n");
    expect(csv).toHaveLength(5);
    expect(csv[0]).toMatch(/^backend,mode,workload,locality,partitions,throughput,p50Ms,p99Ms,/);
    expect(csv[1]).toMatch(/^sim,dssmr,mix,strong,1,/);
    expect(readFileSync(join(dir, "t-series.csv"), "utf8").trim().split("\n")).toHaveLength(17);
    expect(readFileSync(join(dir, "t.md"), "utf8")).toMatch(/\| Mix \| DS-SMR \| \*\*/);
    const json = JSON.parse(readFileSync(join(dir, "t.json"), "utf8"));
    expect(json.results).toHaveLength(4);
    expect(formatTableI(results).join("\n")).toMatch(/32151/);
  });
});

describe("dssmr bench --paper", () => {
  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const status = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { status, out, err };
  }

  it("prints the results as the last line of stdout with --json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dssmr-paper-"));
    const r = await cli(
      "bench",
      "--paper",
      "--workload",
      "post",
      "--partitions",
      "1,2",
      "--users",
      "100",
      "--duration",
      "300",
      "--clients-per-partition",
      "2",
      "--json",
      "--out",
      dir,
      "--no-charts",
    );
    expect(r.status).toBe(0);
    const { results } = JSON.parse(r.out.at(-1)!);
    expect(results).toHaveLength(4);
    for (const x of results) {
      for (const k of [
        "backend",
        "mode",
        "workload",
        "locality",
        "partitions",
        "throughput",
        "p50Ms",
        "p99Ms",
        "moves",
        "retries",
        "fallbacks",
        "cacheHitRate",
        "multiPartitionShare",
      ]) {
        expect(x).toHaveProperty(k);
      }
      expect(x.backend).toBe("sim");
    }
    expect(readdirSync(dir).sort()).toEqual([
      "paper-series.csv",
      "paper.csv",
      "paper.json",
      "paper.md",
    ]);
  });

  it("runs the issue's contract: --backend, --mode, --clients, CSV and JSON files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dssmr-bench-"));
    const r = await cli(
      "bench",
      "--backend",
      "sim",
      "--workload",
      "mix,post",
      "--mode",
      "dssmr,ssmr",
      "--partitions",
      "1,2",
      "--users",
      "100",
      "--duration",
      "300",
      "--clients",
      "2",
      "--json",
      "--out",
      dir,
    );
    expect(r.status).toBe(0);
    const { results } = JSON.parse(r.out.at(-1)!);
    expect(results).toHaveLength(8);
    expect(results[0]).toMatchObject({
      backend: "sim",
      mode: "dssmr",
      workload: "mix",
      locality: "strong",
      partitions: 1,
      clientsPerPartition: 2,
      policy: "most",
      windowMs: 15,
    });
    // No terminal: one plain progress line per finished run on stderr.
    expect(r.err.filter((l) => /^\[\d+\/8\]/.test(l))).toHaveLength(8);
    expect(readdirSync(dir).sort()).toEqual([
      "bench-sim-convergence.png",
      "bench-sim-convergence.svg",
      "bench-sim-series.csv",
      "bench-sim-throughput.png",
      "bench-sim-throughput.svg",
      "bench-sim.csv",
      "bench-sim.json",
      "bench-sim.md",
    ]);
    expect(readFileSync(join(dir, "bench-sim.csv"), "utf8").trim().split("\n")).toHaveLength(9);
  });

  it("parses defaults per back end, and the aliases", async () => {
    const { parsePaperBenchOptions } = await import("../../src/cli/bench-command.ts");
    const sim = parsePaperBenchOptions({ backend: "sim" });
    expect(sim).toMatchObject({ users: 2000, durationMs: 6000, windowMs: 300, policy: "most" });
    expect(sim.tag).toBe("bench-sim");
    const real = parsePaperBenchOptions({ backend: "real", memory: true });
    expect(real).toMatchObject({ users: 10000, durationMs: 11000, windowMs: 1000, memory: true });
    expect(real.tag).toBe("bench-real-memory");
    expect(parsePaperBenchOptions({ paper: true }).tag).toBe("paper");
    expect(parsePaperBenchOptions({ systems: "ssmr" }).modes).toEqual(["ssmr"]);
    expect(parsePaperBenchOptions({ clients: "3" }).clientsPerPartition).toBe(3);
    expect(() => parsePaperBenchOptions({ mode: "ssmr", systems: "dssmr" })).toThrow(/aliases/);
  });

  it("rejects bad flags as usage errors", async () => {
    expect((await cli("bench", "--paper", "--workload", "tweet")).status).toBe(2);
    expect((await cli("bench", "--paper", "--cross", "0.3")).status).toBe(2);
    expect((await cli("bench", "--paper", "--locality", "weak", "--cross", "2")).status).toBe(2);
    expect((await cli("bench", "--backend", "gpu")).status).toBe(2);
    expect((await cli("bench", "--backend", "sim", "--mode", "smr")).status).toBe(2);
    expect((await cli("bench", "--backend", "sim", "--memory")).status).toBe(2);
    expect((await cli("bench", "--backend", "sim", "--policy", "least")).status).toBe(2);
    expect((await cli("bench", "--backend", "sim", "--partitions", "0")).status).toBe(2);
    expect((await cli("bench", "--backend", "real", "--locality", "weak")).status).toBe(2);
    expect((await cli("bench", "--backend", "sim", "--layer", "consensus")).status).toBe(2);
    const bad = await cli("bench", "--mode", "dssmr,paxos");
    expect(bad.err.join("\n")).toMatch(/--mode: unknown mode "paxos"/);
  });

  it("keeps the --layer benchmarks working", async () => {
    const r = await cli("bench", "--layer", "multicast", "--quick", "--json");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.out.at(-1)!)).toHaveProperty("multicast");
  });
});

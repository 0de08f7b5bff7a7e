// Tests of the Prometheus text format, the histogram, the collectors and the /metrics server.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { GroupId, ReplicaId } from "../../src/core/ids.ts";
import {
  collectDsSamples,
  collectProxySamples,
  collectRuntimeSamples,
  formatPrometheus,
  Histogram,
  type MetricSample,
} from "../../src/http/metrics.ts";
import { startMetricsServer } from "../../src/http/metrics-server.ts";
import { emptyTransportStats } from "../../src/net/stats.ts";
import type { RuntimeMetrics } from "../../src/runtime/metrics.ts";
import { emptyDriverCounters } from "../../src/runtime/metrics.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** One line of a text exposition: a comment, or `name{labels} value`. */
const SAMPLE_LINE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*")*\})? (NaN|[+-]Inf|-?[0-9.e+-]+)$/;
const COMMENT_LINE =
  /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram))$/;

/** Checks every line of an exposition and that HELP/TYPE appear once per family. */
const checkExposition = (text: string): void => {
  expect(text.endsWith("\n") || text === "").toBe(true);
  const seen = new Set<string>();
  for (const line of text.split("\n").slice(0, -1)) {
    if (line.startsWith("#")) {
      expect(line).toMatch(COMMENT_LINE);
      const key = line.split(" ").slice(1, 3).join(" ");
      expect(seen.has(key), `duplicate ${key}`).toBe(false);
      seen.add(key);
    } else {
      expect(line).toMatch(SAMPLE_LINE);
    }
  }
};

const runtimeMetrics = (): RuntimeMetrics => ({
  ...emptyDriverCounters(),
  commandsCommitted: 300,
  entriesCommitted: 30,
  entriesSaved: 40,
  persistCycles: 20,
  group: 1 as GroupId,
  replica: 101 as ReplicaId,
  role: "leader",
  term: 3,
  leader: 101 as ReplicaId,
  commitIndex: 30,
  appliedIndex: 30,
  lastIndex: 31,
  snapshotIndex: 0,
  storage: { saves: 20, fsyncs: 20, entriesWritten: 40, bytesTruncatedOnRecovery: 37 },
  transport: { ...emptyTransportStats(), framesIn: 5, frameErrors: 2 },
});

describe("formatPrometheus", () => {
  it("renders counters, gauges and histograms (golden)", () => {
    const h = new Histogram([0.01, 0.1, 1]);
    for (const v of [0.005, 0.01, 0.05, 0.5, 3]) h.observe(v);
    const samples: MetricSample[] = [
      { name: "req_total", help: "Requests.", type: "counter", value: 7, labels: { code: "200" } },
      { name: "req_total", help: "ignored", type: "counter", value: 2, labels: { code: "404" } },
      { name: "up", help: "Up.", type: "gauge", value: 1 },
      h.toSample("lat_seconds", "Latency.", { op: "post" }),
    ];
    expect(formatPrometheus(samples)).toBe(
      [
        "# HELP req_total Requests.",
        "# TYPE req_total counter",
        'req_total{code="200"} 7',
        'req_total{code="404"} 2',
        "# HELP up Up.",
        "# TYPE up gauge",
        "up 1",
        "# HELP lat_seconds Latency.",
        "# TYPE lat_seconds histogram",
        'lat_seconds_bucket{op="post",le="0.01"} 2',
        'lat_seconds_bucket{op="post",le="0.1"} 3',
        'lat_seconds_bucket{op="post",le="1"} 4',
        'lat_seconds_bucket{op="post",le="+Inf"} 5',
        'lat_seconds_sum{op="post"} 3.565',
        'lat_seconds_count{op="post"} 5',
        "",
      ].join("\n"),
    );
  });

  it("escapes label values and help, sanitises names, spells special values", () => {
    const text = formatPrometheus([
      {
        name: "weird-name.x",
        help: "line one\nback\\slash",
        type: "gauge",
        value: Number.NaN,
        labels: { "bad label": 'a"b\\c\nd' },
      },
      { name: "weird-name.x", help: "", type: "gauge", value: Number.POSITIVE_INFINITY },
      { name: "9lives", help: "h", type: "gauge", value: Number.NEGATIVE_INFINITY },
    ]);
    expect(text).toBe(
      [
        "# HELP weird_name_x line one\\nback\\\\slash",
        "# TYPE weird_name_x gauge",
        'weird_name_x{bad_label="a\\"b\\\\c\\nd"} NaN',
        "weird_name_x +Inf",
        "# HELP _9lives h",
        "# TYPE _9lives gauge",
        "_9lives -Inf",
        "",
      ].join("\n"),
    );
    checkExposition(text);
  });

  it("adds a +Inf bucket when a histogram sample lacks one", () => {
    const text = formatPrometheus([
      { name: "h", help: "h", type: "histogram", buckets: [{ le: 1, count: 1 }], sum: 4, count: 2 },
    ]);
    expect(text).toContain('h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 4\nh_count 2\n');
  });

  it("produces well-formed lines for any names, labels and values", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.string({ minLength: 1, maxLength: 12 }),
            help: fc.string(),
            type: fc.constantFrom("counter" as const, "gauge" as const),
            value: fc.double(),
            labels: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.string()),
          }),
          { maxLength: 10 },
        ),
        (samples) => {
          // Distinct label names after sanitising: duplicates would be the caller's bug.
          const ok = samples.filter((s) => {
            const names = Object.keys(s.labels).map((k) => k.replace(/[^a-zA-Z0-9_]/g, "_"));
            return new Set(names).size === names.length;
          });
          checkExposition(formatPrometheus(ok));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("Histogram", () => {
  it("counts into inclusive upper bounds, cumulatively, with sum and count", () => {
    const h = new Histogram([1, 2, 4]);
    for (const v of [0, 1, 1.5, 2, 3, 4, 5, 100, Number.NaN]) h.observe(v);
    const s = h.toSample("x", "x");
    expect(s.buckets).toEqual([
      { le: 1, count: 2 },
      { le: 2, count: 4 },
      { le: 4, count: 6 },
      { le: Number.POSITIVE_INFINITY, count: 8 },
    ]);
    expect(s.count).toBe(8);
    expect(s.sum).toBe(116.5);
    h.reset();
    expect(h.toSample("x", "x").count).toBe(0);
  });

  it("rejects bounds that are not ascending and finite", () => {
    expect(() => new Histogram([2, 1])).toThrow(RangeError);
    expect(() => new Histogram([1, Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });
});

describe("collectors", () => {
  it("map runtime, oracle, partition and proxy counters to valid samples", () => {
    const runtime = collectRuntimeSamples(runtimeMetrics(), { node: "a" });
    const text = formatPrometheus([
      ...runtime,
      ...collectDsSamples(
        {
          consults: 4,
          queries: 0,
          moves: 3,
          staleMoves: 1,
          creates: 2,
          deletes: 0,
          invalid: 0,
          mapped: 9,
          queued: 0,
        },
        { group: "0" },
      ),
      ...collectDsSamples(
        {
          accesses: 10,
          retries: 2,
          globals: 1,
          movesIn: 3,
          movesOut: 1,
          creates: 2,
          deletes: 0,
          invalid: 0,
          queued: 0,
          variables: 12,
        },
        { group: "1" },
      ),
      ...collectProxySamples({
        submitted: 5,
        completed: 5,
        consults: 2,
        queries: 1,
        cacheHits: 3,
        cacheMisses: 2,
        placementGuesses: 0,
        hints: 0,
        wrongGuesses: 0,
        discoveries: 0,
        moves: 1,
        retries: 1,
        fallbacks: 0,
        multiPartition: 1,
        messages: 9,
        retransmissions: 0,
      }),
    ]);
    checkExposition(text);
    expect(text).toContain('dssmr_commands_committed_total{group="1",replica="101",node="a"} 300');
    expect(text).toContain('dssmr_batch_commands_per_entry{group="1",replica="101",node="a"} 10');
    expect(text).toContain('dssmr_storage_fsyncs_total{group="1",replica="101",node="a"} 20');
    expect(text).toContain(
      'dssmr_storage_recovery_truncated_bytes{group="1",replica="101",node="a"} 37',
    );
    expect(text).toContain('dssmr_raft_role{group="1",replica="101",node="a",role="leader"} 1');
    expect(text).toContain('dssmr_oracle_stale_moves_total{group="0"} 1');
    expect(text).toContain('dssmr_partition_variables{group="1"} 12');
    expect(text).toContain("dssmr_proxy_cache_hits_total 3");
    expect(text).toContain("dssmr_proxy_fallbacks_total 0");
  });
});

describe("startMetricsServer", () => {
  it("serves /metrics as text 0.0.4 and 404 elsewhere, on 127.0.0.1 by default", async () => {
    let scrapes = 0;
    const server = await startMetricsServer({
      port: 0,
      collect: () => {
        scrapes++;
        return [{ name: "scrapes_total", help: "Scrapes.", type: "counter", value: scrapes }];
      },
    });
    closers.push(() => server.close());
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await res.text()).toBe(
      "# HELP scrapes_total Scrapes.\n# TYPE scrapes_total counter\nscrapes_total 1\n",
    );
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(404);
  });
});

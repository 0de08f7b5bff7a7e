// The fake backend: deterministic, counters advance, failover, convergence, and its in-memory Chirper.
import { describe, expect, it } from "vitest";
import type { ClusterSnapshot } from "./backend.ts";
import { FakeBackend } from "./fake-backend.ts";

function clocked(opts: ConstructorParameters<typeof FakeBackend>[0] = {}) {
  let now = 5_000;
  const backend = new FakeBackend({ ...opts, now: () => now });
  return { backend, tick: (ms: number) => (now += ms) };
}

/** Share of users in their community's main partition. */
function diagonal(s: ClusterSnapshot): number {
  const m = s.placement!.matrix;
  const total = m.flat().reduce((a, b) => a + b, 0);
  return m.reduce((a, row) => a + Math.max(...row), 0) / total;
}

const leaderOf = (s: ClusterSnapshot, g: number) =>
  s.groups[g]!.replicas.find((r) => r.role === "leader");

describe("FakeBackend", () => {
  it("gives the same snapshots for the same clock readings", async () => {
    const run = async () => {
      const { backend, tick } = clocked({ seed: 7 });
      await backend.startWorkload({ workload: "post", clients: 8, durationMs: 60_000 });
      const out: ClusterSnapshot[] = [];
      for (let i = 0; i < 5; i++) {
        tick(1000);
        out.push(await backend.snapshot());
      }
      return out;
    };
    expect(await run()).toEqual(await run());
  });

  it("advances counters while a workload runs and stops at its end", async () => {
    const { backend, tick } = clocked();
    await backend.startWorkload({ workload: "mix", clients: 4, durationMs: 3000 });
    tick(1000);
    const a = (await backend.snapshot()).workload;
    tick(1000);
    const b = (await backend.snapshot()).workload;
    expect(b.completed).toBeGreaterThan(a.completed);
    expect(b.cacheHits + b.cacheMisses).toBeGreaterThan(0);
    expect(b.latencyMs?.p99).toBeGreaterThan(b.latencyMs!.p50);
    tick(5000);
    const c = (await backend.snapshot()).workload;
    expect(c.running).toBe(false);
    expect(c.name).toBe("mix");
  });

  it("converges to a diagonal placement in dssmr mode but not in ssmr mode", async () => {
    for (const mode of ["dssmr", "ssmr"] as const) {
      const { backend, tick } = clocked({ mode });
      const before = diagonal(await backend.snapshot());
      await backend.startWorkload({ workload: "post", clients: 16, durationMs: 600_000 });
      tick(120_000);
      const snap = await backend.snapshot();
      if (mode === "dssmr") {
        expect(diagonal(snap)).toBeGreaterThan(0.95);
        expect(snap.workload.moves).toBeGreaterThan(0);
      } else {
        expect(diagonal(snap)).toBe(before);
        expect(snap.workload.moves).toBe(0);
      }
      expect(before).toBeLessThan(0.6);
    }
  });

  it("elects a new leader with a higher term when the leader is killed", async () => {
    const { backend, tick } = clocked();
    const old = leaderOf(await backend.snapshot(), 1)!;
    await backend.kill(old.id);
    tick(100);
    const snap = await backend.snapshot();
    const now = leaderOf(snap, 1)!;
    expect(now.id).not.toBe(old.id);
    expect(now.term).toBe(old.term! + 1);
    expect(snap.groups[1]!.replicas.find((r) => r.id === old.id)).toMatchObject({
      up: false,
      role: null,
    });
    await backend.restart(old.id);
    const back = (await backend.snapshot()).groups[1]!.replicas.find((r) => r.id === old.id)!;
    expect(back).toMatchObject({ up: true, role: "follower", term: now.term });
  });

  it("stops serving a partition that lost its majority", async () => {
    const { backend, tick } = clocked();
    await backend.startWorkload({ workload: "timeline", clients: 8, durationMs: 600_000 });
    await backend.kill(101);
    await backend.kill(102);
    tick(1000);
    const a = await backend.snapshot();
    tick(1000);
    const b = await backend.snapshot();
    const r103 = (s: ClusterSnapshot) => s.groups[1]!.replicas.find((r) => r.id === 103)!;
    expect(r103(b).delivered).toBe(r103(a).delivered);
    expect(b.groups[2]!.replicas[0]!.delivered).toBeGreaterThan(
      a.groups[2]!.replicas[0]!.delivered!,
    );
    await expect(backend.kill(42)).rejects.toThrow("no replica 42");
  });

  it("runs Chirper commands on the demo graph", async () => {
    const { backend } = clocked();
    const [a, b] = [backend.graph.users[0]!, backend.graph.users[1]!];
    expect(await backend.execute({ type: "adduser", user: "alice" })).toMatchObject({ ok: true });
    expect(await backend.execute({ type: "adduser", user: "alice" })).toMatchObject({
      ok: false,
      error: "user-exists",
    });
    await backend.execute({ type: "follow", user: b, other: a });
    await backend.execute({ type: "post", user: a, text: "hello" });
    const t = await backend.execute({ type: "timeline", user: b });
    expect(t.ok && t.type === "timeline" && t.posts.map((p) => p.text)).toContain("hello");
  });
});

// Dashboard routes over the fake backend: pages, assets, the event stream and input validation.
import { describe, expect, it } from "vitest";
import type { ClusterSnapshot } from "./backend.ts";
import { FakeBackend } from "./fake-backend.ts";
import { createDashboardRoutes } from "./routes.ts";

function setup() {
  let now = 1_000_000;
  const backend = new FakeBackend({ now: () => now });
  const app = createDashboardRoutes(backend, { intervalMs: 50 });
  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: "POST",
      headers: { host: "localhost", "content-type": "application/json", ...headers },
      ...(body === undefined
        ? {}
        : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  return { app, backend, post, tick: (ms: number) => (now += ms) };
}

const workload = { workload: "mix", clients: 4, durationMs: 10_000 };

describe("dashboard routes", () => {
  it("serves both pages and their assets, and nothing else", async () => {
    const { app } = setup();
    const page = await app.request("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain('src="static/dashboard.js"');
    expect(await (await app.request("/chirper")).text()).toContain('src="static/chirper.js"');
    for (const asset of ["dashboard.js", "charts.js", "chirper.js", "style.css"]) {
      const res = await app.request(`/static/${asset}`);
      expect(res.status, asset).toBe(200);
    }
    expect((await app.request("/static/nope.js")).status).toBe(404);
    expect((await app.request("/static/..%2Froutes.ts")).status).toBe(404);
  });

  it("streams snapshots as server-sent events", async () => {
    const { app } = setup();
    const controller = new AbortController();
    const res = await app.request("/events", { signal: controller.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("\n\n")) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    await reader.cancel();
    expect(text).toMatch(/^event: snapshot\n/);
    const data = text.split("\n").find((l) => l.startsWith("data: "))!;
    const snap = JSON.parse(data.slice(6)) as ClusterSnapshot;
    expect(snap.groups.map((g) => g.kind)).toEqual([
      "oracle",
      "partition",
      "partition",
      "partition",
    ]);
    expect(snap.placement?.matrix).toHaveLength(3);
  });

  it("starts and stops a workload, refusing a second one", async () => {
    const { post, backend, tick } = setup();
    expect((await post("/control/workload", workload)).status).toBe(200);
    const again = await post("/control/workload", workload);
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: "a workload is already running" });
    tick(2000);
    const snap = await backend.snapshot();
    expect(snap.workload.running).toBe(true);
    expect(snap.workload.completed).toBeGreaterThan(0);
    expect((await post("/control/workload/stop")).status).toBe(200);
    expect((await backend.snapshot()).workload.running).toBe(false);
  });

  it("answers 400 to malformed workload requests", async () => {
    const { post } = setup();
    const bad: unknown[] = [
      "not json",
      "[]",
      { ...workload, workload: "everything" },
      { ...workload, clients: 0 },
      { ...workload, clients: 1.5 },
      { ...workload, clients: "4" },
      { ...workload, durationMs: 10 },
      { ...workload, extra: true },
      { workload: "mix" },
    ];
    for (const body of bad) {
      const res = await post("/control/workload", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBeTruthy();
    }
  });

  it("kills and restarts replicas, with 400 for bad ids and 404 for unknown ones", async () => {
    const { post, backend } = setup();
    expect((await post("/control/replicas/102/kill")).status).toBe(200);
    const down = (await backend.snapshot()).groups[1]!.replicas.find((r) => r.id === 102)!;
    expect(down.up).toBe(false);
    expect((await post("/control/replicas/102/restart")).status).toBe(200);
    const up = (await backend.snapshot()).groups[1]!.replicas.find((r) => r.id === 102)!;
    expect(up.up).toBe(true);
    expect((await post("/control/replicas/abc/kill")).status).toBe(400);
    expect((await post("/control/replicas/-1/kill")).status).toBe(400);
    expect((await post("/control/replicas/1e3/kill")).status).toBe(400);
    expect((await post("/control/replicas/999/kill")).status).toBe(404);
    expect((await post("/control/replicas/102/explode")).status).toBe(404);
  });

  it("refuses controls sent from another origin", async () => {
    const { post } = setup();
    const res = await post("/control/replicas/102/kill", undefined, {
      origin: "http://evil.example",
    });
    expect(res.status).toBe(403);
    const same = await post("/control/replicas/102/kill", undefined, {
      origin: "http://localhost",
    });
    expect(same.status).toBe(200);
  });
});

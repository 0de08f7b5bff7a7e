// The cluster's HTTP port bounds every request body: 413 with a JSON error, declared or streamed, on every route.
import { describe, expect, it } from "vitest";
import type { ChirperCmd, ChirperResult } from "../../src/apps/chirper/types.ts";
import { parseClusterConfig } from "../../src/cluster/config.ts";
import { createClusterApp } from "../../src/dashboard/cluster-app.ts";
import { CONTROL_BODY_LIMIT } from "../../src/dashboard/routes.ts";
import { DEFAULT_BODY_LIMIT } from "../../src/http/body.ts";

const loaded = {
  config: parseClusterConfig({
    app: "chirper",
    groups: [
      { id: 0, replicas: [{ id: 1, host: "127.0.0.1", port: 1, dataDir: "r1" }] },
      { id: 1, replicas: [{ id: 101, host: "127.0.0.1", port: 2, dataDir: "r101" }] },
    ],
  }),
  file: null,
  dir: ".",
};

/** An executor that must never be reached by a refused request. */
const executor = {
  calls: 0,
  execute(_cmd: ChirperCmd): Promise<ChirperResult> {
    this.calls++;
    return Promise.resolve({ type: "ok" } as unknown as ChirperResult);
  },
};

const post = (
  path: string,
  body: string | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
) =>
  createClusterApp(loaded, { client: executor }).app.request(path, {
    method: "POST",
    headers: { host: "localhost", "content-type": "application/json", ...headers },
    body,
    // A stream body needs it (Node's fetch Request).
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);

/** A body of `bytes` bytes sent as a stream, without a Content-Length. */
const streamOf = (bytes: number): ReadableStream<Uint8Array> => {
  let left = bytes;
  return new ReadableStream({
    pull(ctl) {
      if (left <= 0) return ctl.close();
      const n = Math.min(left, 64 * 1024);
      left -= n;
      ctl.enqueue(new Uint8Array(n).fill(0x20));
    },
  });
};

describe("HTTP request bodies", () => {
  const limit = Math.max(CONTROL_BODY_LIMIT, DEFAULT_BODY_LIMIT);

  it("answers 413 with a JSON error to a declared body over the limit, on every route", async () => {
    const big = `{"workload":"mix","pad":"${"x".repeat(limit)}"}`;
    for (const path of [
      "/control/workload",
      "/api/users",
      "/api/users/a/posts",
      "/no/such/route",
    ]) {
      const r = await post(path, big);
      expect(r.status, path).toBe(413);
      expect(await r.json(), path).toEqual({
        error: expect.stringContaining("larger than"),
        code: "too-large",
      });
    }
    expect(executor.calls).toBe(0);
  });

  it("stops reading a streamed body once it passes the limit (a 100 MiB body is not buffered)", async () => {
    const before = process.memoryUsage().rss;
    const r = await post("/control/workload", streamOf(100 * 1024 * 1024));
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ code: "too-large" });
    // Far less than the body: reading stopped at the limit.
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
  });

  it("still serves bodies within the limit", async () => {
    const r = await post("/control/workload", JSON.stringify({ workload: "nope" }));
    expect(r.status).toBe(400); // read and judged, not refused for its size
  });
});

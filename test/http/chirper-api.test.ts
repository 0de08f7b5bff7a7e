// Tests of the Chirper HTTP API over an in-memory executor: routes, errors, limits, aborts, garbage.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { chirper } from "../../src/apps/chirper/chirper.ts";
import type { ChirperCmd, ChirperResult, ChirperUser } from "../../src/apps/chirper/types.ts";
import { runSequential } from "../../src/apps/sequential.ts";
import { CommandTooLargeError } from "../../src/client/errors.ts";
import {
  type ChirperExecutor,
  createChirperApi,
  startChirperApi,
} from "../../src/http/chirper-api.ts";

/** A one-copy Chirper: what the cluster computes, without the cluster. */
class MemoryChirper implements ChirperExecutor {
  readonly state = new Map<string, ChirperUser>();
  readonly seen: ChirperCmd[] = [];
  private time = 0;
  async execute(cmd: ChirperCmd): Promise<ChirperResult> {
    this.seen.push(cmd);
    return runSequential(chirper, this.state, cmd, ++this.time);
  }
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

describe("Chirper API", () => {
  it("adds users, posts, follows, reads timelines and unfollows", async () => {
    const exec = new MemoryChirper();
    const app = createChirperApi(exec);
    const r1 = await app.request("/api/users", json({ user: "alice" }));
    expect(r1.status).toBe(201);
    expect(await r1.json()).toEqual({ user: "alice" });
    expect((await app.request("/api/users", json({ user: "bob" }))).status).toBe(201);
    const f = await app.request("/api/users/bob/follow", json({ other: "alice" }));
    expect(f.status).toBe(200);
    expect(await f.json()).toEqual({ user: "bob", other: "alice" });
    const p = await app.request("/api/users/alice/posts", json({ text: "hello, world" }));
    expect(p.status).toBe(201);
    const posted = (await p.json()) as { time: number };
    expect(posted).toEqual({ user: "alice", time: expect.any(Number) });
    const t = await app.request("/api/users/bob/timeline");
    expect(t.status).toBe(200);
    expect(await t.json()).toEqual({
      user: "bob",
      posts: [{ author: "alice", text: "hello, world", time: posted.time }],
    });
    expect((await app.request("/api/users/bob/unfollow", json({ other: "alice" }))).status).toBe(
      200,
    );
    expect(await (await app.request("/api/users/bob/timeline")).json()).toEqual({
      user: "bob",
      posts: [],
    });
  });

  it("decodes user names from the path", async () => {
    const exec = new MemoryChirper();
    const app = createChirperApi(exec);
    await app.request("/api/users", json({ user: "ada lovelace/é" }));
    const r = await app.request(`/api/users/${encodeURIComponent("ada lovelace/é")}/timeline`);
    expect(r.status).toBe(200);
    expect(exec.seen.at(-1)).toEqual({ type: "timeline", user: "ada lovelace/é" });
  });

  it("answers 404 for unknown users, 409 for taken names, with clear errors", async () => {
    const app = createChirperApi(new MemoryChirper());
    const r = await app.request("/api/users/nobody/timeline");
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({
      error: 'unknown user "nobody"',
      code: "unknown-user",
      user: "nobody",
    });
    await app.request("/api/users", json({ user: "a" }));
    const dup = await app.request("/api/users", json({ user: "a" }));
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as { code: string }).code).toBe("user-exists");
    const f = await app.request("/api/users/a/follow", json({ other: "ghost" }));
    expect(f.status).toBe(404);
    expect(((await f.json()) as { user: string }).user).toBe("ghost");
    const nr = await app.request("/nowhere");
    expect(nr.status).toBe(404);
    expect(await nr.json()).toEqual({ error: "no route GET /nowhere", code: "not-found" });
  });

  it("answers 400 for malformed or invalid bodies and never runs them", async () => {
    const exec = new MemoryChirper();
    const app = createChirperApi(exec);
    const cases: [string, RequestInit][] = [
      ["/api/users", json("{not json")],
      ["/api/users", json("")],
      ["/api/users", json("[1,2]")],
      ["/api/users", json("null")],
      ["/api/users", json({})],
      ["/api/users", json({ user: 42 })],
      ["/api/users", json({ user: "" })],
      ["/api/users", json({ user: "x".repeat(65) })],
      ["/api/users/a/posts", json({ text: 7 })],
      ["/api/users/a/posts", json({ text: "x".repeat(281) })],
      ["/api/users/a/follow", json({ other: "a" })],
      ["/api/users/a/follow", json({ other: ["b"] })],
      ["/api/users/a/unfollow", json({})],
      ["/api/users", { method: "POST", body: new Uint8Array([0xff, 0xfe, 0x00]) }],
      ["/api/users", json('{"__proto__": {"user": "x"}}')],
    ];
    for (const [path, init] of cases) {
      const r = await app.request(path, init);
      expect(r.status, `${path} ${String(init.body)}`).toBe(400);
      const body = (await r.json()) as { error: string; code: string };
      expect(body.code).toBe("bad-request");
      expect(body.error.length).toBeGreaterThan(0);
    }
    expect(exec.seen).toEqual([]);
  });

  it("refuses bodies over the limit with 413, declared or streamed", async () => {
    const app = createChirperApi(new MemoryChirper(), { bodyLimit: 1024 });
    const big = JSON.stringify({ user: "a", pad: "x".repeat(2000) });
    const r = await app.request("/api/users", json(big));
    expect(r.status).toBe(413);
    expect(((await r.json()) as { code: string }).code).toBe("too-large");
    // No Content-Length: a stream that keeps going.
    const stream = new ReadableStream<Uint8Array>({
      pull(ctl) {
        ctl.enqueue(new Uint8Array(512).fill(0x20));
      },
    });
    const s = await app.request("/api/users", {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(s.status).toBe(413);
  });

  it("answers 413 when the cluster refuses the command as too large", async () => {
    const tooLarge: ChirperExecutor = {
      execute: () => Promise.reject(new CommandTooLargeError("command", 2_000_000, 1_572_864)),
    };
    const r = await createChirperApi(tooLarge).request("/api/users", json({ user: "a" }));
    expect(r.status).toBe(413);
    expect(await r.json()).toEqual({
      error: expect.stringContaining("2000000 bytes"),
      code: "too-large",
    });
  });

  it("answers 504 when the executor does not answer in time, and aborts it", async () => {
    let aborted: unknown = null;
    const hang: ChirperExecutor = {
      execute: (_cmd, opts) =>
        new Promise<ChirperResult>(() => {
          opts?.signal?.addEventListener("abort", () => {
            aborted = opts.signal?.reason;
          });
        }),
    };
    const app = createChirperApi(hang, { timeoutMs: 30 });
    const r = await app.request("/api/users/a/timeline");
    expect(r.status).toBe(504);
    expect(await r.json()).toEqual({
      error: "the cluster did not answer within 30 ms",
      code: "timeout",
    });
    expect(aborted).not.toBeNull();
  });

  it("maps executor timeouts to 504 and other executor failures to 503", async () => {
    const timeout = Object.assign(new Error("no leader in time"), { name: "TimeoutError" });
    const failing = (err: unknown): ChirperExecutor => ({ execute: () => Promise.reject(err) });
    expect((await createChirperApi(failing(timeout)).request("/api/users/a/timeline")).status).toBe(
      504,
    );
    const down = await createChirperApi(failing(new Error("ECONNREFUSED"))).request(
      "/api/users/a/timeline",
    );
    expect(down.status).toBe(503);
    expect(((await down.json()) as { code: string }).code).toBe("unavailable");
    const sync: ChirperExecutor = {
      execute: () => {
        throw new Error("thrown synchronously");
      },
    };
    expect((await createChirperApi(sync).request("/api/users/a/timeline")).status).toBe(503);
  });

  it("aborts the executor when the HTTP client goes away", async () => {
    let started!: () => void;
    const began = new Promise<void>((r) => {
      started = r;
    });
    let abortedWith: unknown = null;
    const hang: ChirperExecutor = {
      execute: (_cmd, opts) =>
        new Promise<ChirperResult>((_, reject) => {
          started();
          opts?.signal?.addEventListener("abort", () => {
            abortedWith = opts.signal?.reason;
            reject(opts.signal?.reason);
          });
        }),
    };
    // In process: the request's own signal.
    const ctl = new AbortController();
    const app = createChirperApi(hang, { timeoutMs: 10_000 });
    const pending = app.request("/api/users/a/timeline", { signal: ctl.signal });
    await began;
    ctl.abort();
    expect((await pending).status).toBe(503);
    expect(abortedWith).not.toBeNull();

    // Over a real socket: the client disconnects.
    abortedWith = null;
    const again = new Promise<void>((r) => {
      started = r;
    });
    const server = await startChirperApi(hang, { port: 0, timeoutMs: 10_000 });
    closers.push(() => server.close());
    const http = new AbortController();
    const req = fetch(`${server.url}/api/users/a/timeline`, { signal: http.signal }).catch(
      () => null,
    );
    await again;
    http.abort();
    await req;
    const end = Date.now() + 2_000;
    while (abortedWith === null && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(abortedWith).not.toBeNull();
  });

  it("serves over HTTP on 127.0.0.1 by default", async () => {
    const server = await startChirperApi(new MemoryChirper(), { port: 0 });
    closers.push(() => server.close());
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${server.url}/api/users`, json({ user: "zoe" }));
    expect(r.status).toBe(201);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    const big = await fetch(`${server.url}/api/users`, json({ user: "x".repeat(20_000) }));
    expect(big.status).toBe(413);
  });

  it("never answers 5xx to garbage: random paths, methods and bodies", async () => {
    const exec = new MemoryChirper();
    const app = createChirperApi(exec);
    await app.request("/api/users", json({ user: "u" }));
    const segment = fc.oneof(
      fc.constantFrom("api", "users", "u", "posts", "timeline", "follow", "unfollow", "%", "%zz"),
      fc.string({ maxLength: 8 }).map(encodeURIComponent),
      fc.string({ maxLength: 8 }).map((s) => s.replace(/[/?#]/g, "")),
    );
    const path = fc.oneof(
      fc.array(segment, { maxLength: 5 }).map((s) => `/${s.join("/")}`),
      fc
        .tuple(segment, fc.constantFrom("posts", "timeline", "follow", "unfollow"))
        .map(([u, r]) => `/api/users/${u}/${r}`),
      fc.constant("/api/users"),
    );
    const body = fc.oneof(
      fc.string({ maxLength: 64 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc
        .record(
          { user: fc.anything(), text: fc.anything(), other: fc.anything() },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v) ?? "null"),
      fc.uint8Array({ maxLength: 64 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
        path,
        body,
        async (method, p, b) => {
          const init: RequestInit =
            method === "GET" ? { method } : { method, body: b as string | Uint8Array<ArrayBuffer> };
          const r = await app.request(p, init);
          expect(r.status, `${method} ${p}`).toBeLessThan(500);
          const parsed = (await r.json()) as Record<string, unknown>;
          if (r.status >= 400) expect(typeof parsed.error).toBe("string");
        },
      ),
      { numRuns: 500 },
    );
  });
});

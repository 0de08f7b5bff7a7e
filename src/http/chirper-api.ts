// Chirper's HTTP JSON API (hono): users, posts, timelines and follows, over any command executor.
import { type Context, Hono } from "hono";
import type { ChirperCmd, ChirperErrorCode, ChirperResult } from "../apps/chirper/types.ts";
import { validateChirper } from "../apps/chirper/validate.ts";
import { DEFAULT_BODY_LIMIT, readJsonObject } from "./body.ts";
import { BadRequestError, GatewayTimeoutError, HttpError, UnavailableError } from "./errors.ts";
import { type RunningServer, serveApp } from "./serve.ts";

/** Runs one Chirper command on the cluster (the client library implements this). */
export interface ChirperExecutor {
  execute(
    cmd: ChirperCmd,
    opts?: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<ChirperResult>;
}

/** Options of {@link createChirperApi}. */
export interface ChirperApiOptions {
  /** Longest wait for the cluster per request, ms; then 504. Default 5000. */
  readonly timeoutMs?: number;
  /** Largest request body, bytes; larger is 413. Default 16 KiB. */
  readonly bodyLimit?: number;
}

/** Options of {@link startChirperApi}. */
export interface ChirperApiServerOptions extends ChirperApiOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 lets the OS choose; the URL tells which. */
  readonly port: number;
}

const FAILURE_STATUS: Record<ChirperErrorCode, 404 | 409> = {
  "unknown-user": 404,
  "user-exists": 409,
  "follow-limit": 409,
};

const failureMessage = (code: ChirperErrorCode, user: string): string => {
  switch (code) {
    case "unknown-user":
      return `unknown user ${JSON.stringify(user)}`;
    case "user-exists":
      return `user ${JSON.stringify(user)} already exists`;
    case "follow-limit":
      return `user ${JSON.stringify(user)} has reached the follow limit`;
  }
};

/** A property of a parsed body, for building a command (validation happens afterwards). */
const field = (body: Record<string, unknown>, name: string): unknown =>
  Object.hasOwn(body, name) ? body[name] : undefined;

/** True when the executor reports that it gave up waiting. */
const isTimeout = (err: unknown): boolean => {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { name?: unknown; code?: unknown };
  return e.name === "TimeoutError" || e.code === "E_TIMEOUT" || e.code === "ETIMEDOUT";
};

/**
 * Runs `cmd` with a deadline. The executor gets an AbortSignal that fires when the HTTP client
 * goes away or the deadline passes; the deadline also applies when the executor ignores it.
 */
async function runBounded(
  client: ChirperExecutor,
  cmd: ChirperCmd,
  requestSignal: AbortSignal,
  timeoutMs: number,
): Promise<ChirperResult> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onRequestAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new GatewayTimeoutError(timeoutMs);
      abort.abort(err);
      reject(err);
    }, timeoutMs);
    onRequestAbort = () => {
      const err = new UnavailableError("the request was abandoned by the client");
      abort.abort(err);
      reject(err);
    };
    if (requestSignal.aborted) onRequestAbort();
    else requestSignal.addEventListener("abort", onRequestAbort, { once: true });
  });
  stop.catch(() => {});
  try {
    const running = Promise.resolve().then(() =>
      client.execute(cmd, { signal: abort.signal, timeoutMs }),
    );
    running.catch(() => {}); // it may settle after the race is lost
    return await Promise.race([running, stop]);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (abort.signal.aborted && abort.signal.reason instanceof HttpError) {
      throw abort.signal.reason;
    }
    if (isTimeout(err)) throw new GatewayTimeoutError(timeoutMs);
    const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : null;
    if (code === "E_INPUT") throw new BadRequestError((err as Error).message);
    // Over the cluster's maxCommandBytes or maxValueBytes: nothing was done.
    if (code === "E_TOO_LARGE") throw new HttpError(413, "too-large", (err as Error).message);
    throw new UnavailableError(`the cluster could not run the command: ${String(err)}`);
  } finally {
    clearTimeout(timer);
    if (onRequestAbort !== undefined) requestSignal.removeEventListener("abort", onRequestAbort);
  }
}

/**
 * The API, as a hono app (JSON in and out; every error is `{error, code}`):
 *
 * | route | body | success |
 * |---|---|---|
 * | `POST /api/users` | `{user}` | 201 `{user}` |
 * | `POST /api/users/:user/posts` | `{text}` | 201 `{user, time}` |
 * | `GET /api/users/:user/timeline` | — | 200 `{user, posts: [{author, text, time}]}` |
 * | `POST /api/users/:user/follow` | `{other}` | 200 `{user, other}` |
 * | `POST /api/users/:user/unfollow` | `{other}` | 200 `{user, other}` |
 *
 * Errors: 400 malformed body or invalid command (`bad-request`), 404 unknown user
 * (`unknown-user`) or route (`not-found`), 409 `user-exists` / `follow-limit`, 413 body over
 * the limit (`too-large`), 503 the cluster failed or the client went away (`unavailable`), 504
 * no answer in time (`timeout`). Bad input never yields a 5xx. A client that disconnects, and
 * the deadline, abort the executor's call through its AbortSignal.
 */
export function createChirperApi(client: ChirperExecutor, opts: ChirperApiOptions = {}): Hono {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = new Hono();

  const run = async (c: Context, cmd: Record<string, unknown>, status: 200 | 201) => {
    const bad = validateChirper(cmd);
    if (bad !== null) throw new BadRequestError(bad);
    const result = await runBounded(client, cmd as ChirperCmd, c.req.raw.signal, timeoutMs);
    if (!result.ok) {
      return c.json(
        { error: failureMessage(result.error, result.user), code: result.error, user: result.user },
        FAILURE_STATUS[result.error],
      );
    }
    switch (result.type) {
      case "adduser":
        return c.json({ user: result.user }, status);
      case "post":
        return c.json({ user: cmd.user, time: result.time }, status);
      case "timeline":
        return c.json({ user: cmd.user, posts: result.posts }, status);
      case "follow":
      case "unfollow":
        return c.json({ user: cmd.user, other: cmd.other }, status);
    }
  };
  const body = (c: Context) => readJsonObject(c.req.raw, bodyLimit);

  app.post("/api/users", async (c) =>
    run(c, { type: "adduser", user: field(await body(c), "user") }, 201),
  );
  app.post("/api/users/:user/posts", async (c) =>
    run(c, { type: "post", user: c.req.param("user"), text: field(await body(c), "text") }, 201),
  );
  app.get("/api/users/:user/timeline", (c) =>
    run(c, { type: "timeline", user: c.req.param("user") }, 200),
  );
  for (const type of ["follow", "unfollow"] as const) {
    app.post(`/api/users/:user/${type}`, async (c) =>
      run(c, { type, user: c.req.param("user"), other: field(await body(c), "other") }, 200),
    );
  }
  app.notFound((c) =>
    c.json(
      { error: `no route ${c.req.method} ${new URL(c.req.url).pathname}`, code: "not-found" },
      404,
    ),
  );
  app.onError((err, c) => {
    if (err instanceof HttpError)
      return c.json({ error: err.message, code: err.reason }, err.status);
    return c.json({ error: "internal error", code: "internal" }, 500);
  });
  return app;
}

/** Serves {@link createChirperApi} over HTTP; resolves once listening. */
export function startChirperApi(
  client: ChirperExecutor,
  { host = "127.0.0.1", port, ...opts }: ChirperApiServerOptions,
): Promise<RunningServer> {
  return serveApp(createChirperApi(client, opts), { host, port });
}

// A minimal Chirper HTTP API over any executor, for the dashboard's dev server and tests until src/http has its own.
import { Hono } from "hono";
import type { ChirperCmd, ChirperResult } from "../apps/chirper/types.ts";
import { validateChirper } from "../apps/chirper/validate.ts";

/** Runs one Chirper command somewhere (a cluster client or an in-memory copy). */
export type ChirperExecutor = (cmd: ChirperCmd) => Promise<ChirperResult>;

const STATUS = { "unknown-user": 404, "user-exists": 409, "follow-limit": 409 } as const;

/**
 * The routes the Chirper page calls: `POST /users {user}`, `POST /users/:user/posts {text}`,
 * `GET /users/:user/timeline`, `POST /users/:user/follow {other}` and
 * `POST /users/:user/unfollow {other}`, mounted under `/api`. A success answers 200 with the
 * ChirperResult; a failure answers 404 or 409 with it (`error` is the code, `user` names whom
 * it is about); malformed input answers 400 `{ error }`.
 */
export function createStandInChirperApi(execute: ChirperExecutor): Hono {
  const app = new Hono();
  const run = async (cmd: Record<string, unknown>): Promise<Response> => {
    const bad = validateChirper(cmd);
    if (bad !== null) return Response.json({ error: bad }, { status: 400 });
    const result = await execute(cmd as unknown as ChirperCmd);
    return Response.json(result, { status: result.ok ? 200 : STATUS[result.error] });
  };
  const body = async (req: Request): Promise<Record<string, unknown>> => {
    try {
      const json: unknown = await req.json();
      return typeof json === "object" && json !== null ? (json as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  app.post("/api/users", async (c) => run({ type: "adduser", user: (await body(c.req.raw)).user }));
  app.get("/api/users/:user/timeline", (c) => run({ type: "timeline", user: c.req.param("user") }));
  app.post("/api/users/:user/posts", async (c) =>
    run({ type: "post", user: c.req.param("user"), text: (await body(c.req.raw)).text }),
  );
  app.post("/api/users/:user/:kind{follow|unfollow}", async (c) =>
    run({
      type: c.req.param("kind"),
      user: c.req.param("user"),
      other: (await body(c.req.raw)).other,
    }),
  );
  return app;
}

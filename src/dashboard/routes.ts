// The dashboard's HTTP routes: pages, static assets, a server-sent event stream of snapshots and controls.
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context } from "hono";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { InputError } from "../core/errors.ts";
import { limitBodies } from "../http/body.ts";
import {
  type DashboardBackend,
  DashboardError,
  parseReplicaId,
  parseWorkloadRequest,
} from "./backend.ts";

/** Options of {@link createDashboardRoutes}. */
export interface DashboardRouteOptions {
  /** Milliseconds between two snapshots on /events (default 1000, at least 50). */
  intervalMs?: number;
}

/** Largest body a `/control/*` request may carry, bytes (larger is 413). */
export const CONTROL_BODY_LIMIT = 16 * 1024;

/** The folder of the pages, scripts and styles. */
export const STATIC_DIR = fileURLToPath(new URL("./static/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

interface Asset {
  readonly body: string;
  readonly type: string;
}

/** Reads every asset once, so a request can only ever name a file that is in the folder. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type !== undefined) {
      assets.set(name, { body: readFileSync(join(dir, name), "utf8"), type });
    }
  }
  return assets;
}

/**
 * Refuses a state-changing request sent by a page of another origin (a browser always sends
 * Origin on a cross-origin POST): the controls kill processes, so a foreign page must not reach
 * them through the viewer's browser.
 */
function foreignOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  if (origin === undefined || origin === "null") return origin === "null";
  try {
    return new URL(origin).host !== c.req.header("host");
  } catch {
    return true;
  }
}

function errorResponse(c: Context, e: unknown): Response {
  if (e instanceof InputError) return c.json({ error: e.message }, 400);
  if (e instanceof DashboardError) return c.json({ error: e.message }, e.status);
  const message = e instanceof Error ? e.message : String(e);
  return c.json({ error: message }, 500);
}

/**
 * The dashboard as a Hono app, to mount at the root of the HTTP port next to the Chirper API:
 * - `GET /` the dashboard page, `GET /chirper` the Chirper page, `GET /static/:file` their assets;
 * - `GET /events` server-sent events: a `snapshot` event (a ClusterSnapshot as JSON) at once and
 *   then every `intervalMs`; a `problem` event `{ error }` when the backend fails to answer;
 * - `POST /control/workload` `{ workload, clients, durationMs }`, `POST /control/workload/stop`,
 *   `POST /control/replicas/:id/kill`, `POST /control/replicas/:id/restart`: 200 `{ ok: true }`,
 *   400 on malformed input, 403 from a foreign origin, 404 for an unknown replica, 409 on a
 *   conflict (a workload already runs), 500 when the backend fails.
 * Pages use relative URLs, so the app also works mounted under a prefix with the API beside it.
 */
export function createDashboardRoutes(
  backend: DashboardBackend,
  opts: DashboardRouteOptions = {},
): Hono {
  const intervalMs = Math.max(50, opts.intervalMs ?? 1000);
  const assets = loadAssets(STATIC_DIR);
  const app = new Hono();

  const page = (name: string) => (c: Context) => {
    const asset = assets.get(name);
    if (asset === undefined) return c.notFound();
    c.header("cache-control", "no-cache");
    return c.body(asset.body, 200, { "content-type": asset.type });
  };
  app.get("/", page("dashboard.html"));
  app.get("/chirper", page("chirper.html"));
  app.get("/static/:file", (c) => page(c.req.param("file"))(c));

  app.get("/events", (c) =>
    streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      let id = 0;
      while (open) {
        try {
          const snap = await backend.snapshot();
          if (!open) break;
          await stream.writeSSE({
            event: "snapshot",
            data: JSON.stringify(snap),
            id: String(id++),
          });
        } catch (e) {
          if (!open) break;
          const error = e instanceof Error ? e.message : String(e);
          await stream.writeSSE({ event: "problem", data: JSON.stringify({ error }) });
        }
        await stream.sleep(intervalMs);
      }
    }),
  );

  // Control bodies are a few fields: anything larger is refused before it is buffered.
  app.use("/control/*", limitBodies(CONTROL_BODY_LIMIT));
  app.use("/control/*", async (c, next) => {
    if (foreignOrigin(c)) return c.json({ error: "cross-origin control request refused" }, 403);
    await next();
    return undefined;
  });
  app.post("/control/workload", async (c) => {
    try {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new InputError("body must be JSON");
      }
      await backend.startWorkload(parseWorkloadRequest(body));
      return c.json({ ok: true });
    } catch (e) {
      return errorResponse(c, e);
    }
  });
  app.post("/control/workload/stop", async (c) => {
    try {
      await backend.stopWorkload();
      return c.json({ ok: true });
    } catch (e) {
      return errorResponse(c, e);
    }
  });
  app.post("/control/replicas/:id/:action", async (c) => {
    try {
      const action = c.req.param("action");
      if (action !== "kill" && action !== "restart") return c.notFound();
      const id = parseReplicaId(c.req.param("id"));
      await (action === "kill" ? backend.kill(id) : backend.restart(id));
      return c.json({ ok: true });
    } catch (e) {
      return errorResponse(c, e);
    }
  });
  return app;
}

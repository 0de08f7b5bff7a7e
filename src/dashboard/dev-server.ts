// Serves the dashboard and Chirper page over the fake backend, for developing the pages: `npx tsx src/dashboard/dev-server.ts [port]`.
import { Hono } from "hono";
import { createChirperApi } from "../http/chirper-api.ts";
import { serveApp } from "../http/serve.ts";
import { FakeBackend, type FakeBackendOptions } from "./fake-backend.ts";
import { createDashboardRoutes } from "./routes.ts";

/** A running dev server and the fake behind it. */
export interface DevServer {
  readonly url: string;
  readonly backend: FakeBackend;
  close(): Promise<void>;
}

/** Starts the fake backend's dashboard, Chirper page and Chirper API on one port (0: any free port). */
export async function startDevServer(
  port = 0,
  opts: FakeBackendOptions & { intervalMs?: number } = {},
): Promise<DevServer> {
  const backend = new FakeBackend(opts);
  const app = new Hono();
  app.route("/", createChirperApi(backend));
  app.route("/", createDashboardRoutes(backend, { intervalMs: opts.intervalMs ?? 1000 }));
  const server = await serveApp(app, { port });
  return { url: server.url, backend, close: () => server.close() };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.argv[2] ?? 8080);
  const server = await startDevServer(port);
  process.stdout.write(
    `dashboard (fake cluster): ${server.url}/  chirper: ${server.url}/chirper\n`,
  );
}

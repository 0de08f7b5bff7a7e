// One HTTP app for a running cluster: the Chirper API, the dashboard and the Chirper page on the same port.
import { Hono } from "hono";
import type { LoadedConfig } from "../cluster/config.ts";
import type { ChirperApiOptions, ChirperExecutor } from "../http/chirper-api.ts";
import { createChirperApi } from "../http/chirper-api.ts";
import { ClusterBackend, type ClusterBackendOptions } from "./cluster-backend.ts";
import { createDashboardRoutes, type DashboardRouteOptions } from "./routes.ts";

/** The app and the backend to close when the server stops. */
export interface ClusterApp {
  readonly app: Hono;
  readonly backend: ClusterBackend;
}

/**
 * `/api/...` (the Chirper API over `client`, when given), `/` (dashboard), `/chirper`,
 * `/static/*`, `/events` and `/control/*`: what `dssmr up` serves on its HTTP port, e.g.
 * `serveApp(createClusterApp(loaded, { client, cluster }).app, config.http)` in place of
 * `startChirperApi`. Close `backend` on shutdown (it stops a running dashboard workload).
 */
export function createClusterApp(
  loaded: LoadedConfig,
  opts: ClusterBackendOptions & {
    client?: ChirperExecutor;
    api?: ChirperApiOptions;
    dashboard?: DashboardRouteOptions;
  } = {},
): ClusterApp {
  const { client, api, dashboard, ...backendOpts } = opts;
  const backend = new ClusterBackend(loaded, backendOpts);
  const app = new Hono();
  if (client !== undefined) app.route("/", createChirperApi(client, api ?? {}));
  app.route("/", createDashboardRoutes(backend, dashboard ?? {}));
  return { app, backend };
}

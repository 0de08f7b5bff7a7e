// One HTTP app for a running cluster: the Chirper API, the dashboard and the Chirper page on the same port.
import { Hono } from "hono";
import type { ChirperCmd, ChirperResult } from "../apps/chirper/types.ts";
import { DsClient } from "../client/ds-client.ts";
import { appSetup } from "../cluster/app-setup.ts";
import type { LoadedConfig } from "../cluster/config.ts";
import type { LocalCluster } from "../cluster/launcher.ts";
import { DEFAULT_BODY_LIMIT, limitBodies } from "../http/body.ts";
import type { ChirperApiOptions, ChirperExecutor } from "../http/chirper-api.ts";
import { createChirperApi } from "../http/chirper-api.ts";
import { type ListenOptions, serveApp } from "../http/serve.ts";
import { ClusterBackend, type ClusterBackendOptions } from "./cluster-backend.ts";
import { CONTROL_BODY_LIMIT, createDashboardRoutes, type DashboardRouteOptions } from "./routes.ts";

/** The app and the backend to close when the server stops. */
export interface ClusterApp {
  readonly app: Hono;
  readonly backend: ClusterBackend;
}

/**
 * `/api/...` (the Chirper API over `client`, when given), `/` (dashboard), `/chirper`,
 * `/static/*`, `/events` and `/control/*`, every request body bounded (413 beyond): what `dssmr up` and `dssmr dashboard` serve on their
 * HTTP port (through {@link startClusterHttp}). Close `backend` on shutdown (it stops a running
 * dashboard workload).
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
  // One bound in front of every route, so that no route (today's or a later one) can be made to
  // buffer a huge body: a 100 MiB JSON body once grew the launcher, and every replica's parent, by GiBs.
  app.use("*", limitBodies(Math.max(CONTROL_BODY_LIMIT, api?.bodyLimit ?? DEFAULT_BODY_LIMIT)));
  if (client !== undefined) app.route("/", createChirperApi(client, api ?? {}));
  app.route("/", createDashboardRoutes(backend, dashboard ?? {}));
  return { app, backend };
}

/** Options of {@link startClusterHttp}. */
export interface ClusterHttpOptions {
  /** Where to listen. */
  readonly listen: ListenOptions;
  /** The launcher's handle on the replicas (`dssmr up`); without it kill and restart answer 409. */
  readonly cluster?: LocalCluster;
  /** Options of the dashboard routes (e.g. the snapshot interval). */
  readonly dashboard?: DashboardRouteOptions;
}

/** The cluster's HTTP server: dashboard at `url/`, Chirper page at `url/chirper`, API at `url/api`. */
export interface ClusterHttp {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** True when the Chirper API and page are served (a Chirper cluster). */
  readonly chirper: boolean;
  /** Closes the server, stops a dashboard workload, and closes the API's client. */
  close(): Promise<void>;
}

/**
 * Serves the dashboard of the cluster `loaded` describes (and, for Chirper, the Chirper API and
 * page, over a DsClient of its own) on one port: the code behind `dssmr up` and `dssmr
 * dashboard`. Rejects, having closed what it opened, when the port cannot be bound.
 */
export async function startClusterHttp(
  loaded: LoadedConfig,
  opts: ClusterHttpOptions,
): Promise<ClusterHttp> {
  // Only Chirper has an API and page here; the dashboard itself serves any application.
  const setup = loaded.config.app === "chirper" ? appSetup(loaded.config) : null;
  let client: DsClient<ChirperCmd, ChirperResult> | null = null;
  if (setup?.kind === "chirper") client = await DsClient.connect(loaded, setup.app);
  const { app, backend } = createClusterApp(loaded, {
    ...(client === null ? {} : { client }),
    ...(opts.cluster === undefined ? {} : { cluster: opts.cluster }),
    ...(opts.dashboard === undefined ? {} : { dashboard: opts.dashboard }),
  });
  const closeRest = async (): Promise<void> => {
    await backend.close();
    await client?.close();
  };
  try {
    const server = await serveApp(app, opts.listen);
    return {
      url: server.url,
      chirper: client !== null,
      close: async () => {
        await server.close();
        await closeRest();
      },
    };
  } catch (err) {
    await closeRest();
    throw err;
  }
}

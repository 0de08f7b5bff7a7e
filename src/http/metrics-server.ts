// Serves GET /metrics in the Prometheus text format from a collect callback.
import { Hono } from "hono";
import { formatPrometheus, type MetricSample, PROMETHEUS_CONTENT_TYPE } from "./prometheus.ts";
import { type RunningServer, serveApp } from "./serve.ts";

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 lets the OS choose; the URL tells which. */
  readonly port: number;
  /** Called on every scrape; must be cheap and must not throw. */
  readonly collect: () => readonly MetricSample[];
}

/** The app behind {@link startMetricsServer}: `GET /metrics`, 404 elsewhere. */
export function createMetricsApp(collect: () => readonly MetricSample[]): Hono {
  const app = new Hono();
  app.get("/metrics", (c) =>
    c.body(formatPrometheus(collect()), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE }),
  );
  app.notFound((c) => c.text("not found: metrics are at /metrics\n", 404));
  app.onError((_err, c) => c.text("metrics collection failed\n", 500));
  return app;
}

/** Starts an HTTP server exposing `collect()` at `/metrics`. */
export function startMetricsServer({
  host = "127.0.0.1",
  port,
  collect,
}: MetricsServerOptions): Promise<RunningServer> {
  return serveApp(createMetricsApp(collect), { host, port });
}

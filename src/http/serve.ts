// Starts a hono app on a Node HTTP server and hands back its URL and a closer.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";

/** A running HTTP server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080` (the bound port when 0 was asked). */
  readonly url: string;
  /** Stops accepting, drops open connections, and resolves once the server is closed. */
  close(): Promise<void>;
}

/** Where to listen. `host` defaults to 127.0.0.1: nothing is exposed unless asked. */
export interface ListenOptions {
  readonly host?: string;
  readonly port: number;
}

const urlHost = (host: string): string => (host.includes(":") ? `[${host}]` : host);

/** Serves `app` at `host:port`; resolves once listening, rejects if the port cannot be bound. */
export function serveApp(
  app: Pick<Hono, "fetch">,
  { host = "127.0.0.1", port }: ListenOptions,
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, (info: AddressInfo) => {
      server.off("error", reject);
      resolve({
        url: `http://${urlHost(host)}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ("closeAllConnections" in server) server.closeAllConnections();
          }),
      });
    });
    server.once("error", reject);
  });
}

// A replica as a whole process: config, logs, leader-change reports, metrics server, graceful stop on signals.

import { collectDsSamples, collectRuntimeSamples } from "../http/collect.ts";
import { startMetricsServer } from "../http/metrics-server.ts";
import type { RunningServer } from "../http/serve.ts";
import { type LoadedConfig, loadClusterConfig } from "./config.ts";
import { errorMessage } from "./errors.ts";
import { createLogger } from "./logger.ts";
import { startClusterNode } from "./node.ts";
import { findReplica } from "./topology.ts";

/** How a node process was started. */
export interface NodeProcessOptions {
  /** The cluster.json file (or an already loaded config). */
  readonly config: string | LoadedConfig;
  /** The replica this process runs. */
  readonly id: number;
  /** Stop when standard input closes: the launching parent died (used by `dssmr up`). */
  readonly exitWithParent?: boolean;
  /** pino level. Default "info". */
  readonly logLevel?: string;
  /** Poll period for leader-change logs, ms. Default 100. */
  readonly watchMs?: number;
}

/**
 * Runs one replica until SIGTERM or SIGINT (or, with `exitWithParent`, until stdin closes),
 * then stops it gracefully; resolves with the exit status. Writes `ready HOST:PORT` on stdout
 * once listening, and JSON logs on stderr: start, leader changes, stop, failures. A replica
 * that fails (storage error, broken invariant) logs it and exits the process with status 1.
 * Throws (before starting anything) on a bad config or an unknown id.
 */
export async function runNodeProcess(opts: NodeProcessOptions): Promise<number> {
  const loaded = typeof opts.config === "string" ? loadClusterConfig(opts.config) : opts.config;
  const { group, replica } = findReplica(loaded.config, opts.id);
  const log = createLogger({ replica: replica.id, group: group.id }, opts.logLevel ?? "info");
  let node: Awaited<ReturnType<typeof startClusterNode>>;
  try {
    node = await startClusterNode(loaded, opts.id, {
      onFatal: (err) => {
        log.fatal({ err: errorMessage(err) }, "replica failed; exiting");
        process.exit(1);
      },
    });
  } catch (err) {
    log.fatal({ err: errorMessage(err), host: replica.host, port: replica.port }, "start failed");
    return 1;
  }
  const { config } = loaded;
  log.info(
    {
      app: node.app,
      mode: config.mode,
      address: `${node.address.host}:${node.address.port}`,
      dataDir: node.dataDir ?? "(memory)",
      config: loaded.file,
    },
    "replica started",
  );
  const truncated = node.metrics().storage.bytesTruncatedOnRecovery ?? 0;
  if (truncated > 0) {
    // A crash during a write leaves a torn tail; it was never acknowledged, so cutting it off
    // loses nothing, but an operator should see it happened.
    log.warn({ bytes: truncated }, "write-ahead log: cut off a torn tail on recovery");
  }
  let metrics: RunningServer | null = null;
  if (replica.metricsPort !== undefined) {
    const labels = { group: String(group.id), replica: String(replica.id) };
    try {
      metrics = await startMetricsServer({
        host: replica.host,
        port: replica.metricsPort,
        collect: () => {
          const ds = node.dsStats();
          return [
            ...collectRuntimeSamples(node.metrics()),
            ...(ds === null ? [] : collectDsSamples(ds, labels)),
          ];
        },
      });
      log.info({ url: `${metrics.url}/metrics` }, "metrics server started");
    } catch (err) {
      // The replica is more important than its metrics: keep running without them.
      log.error({ err: errorMessage(err), port: replica.metricsPort }, "metrics server failed");
    }
  }
  process.stdout.write(`ready ${node.address.host}:${node.address.port}\n`);

  let last = { role: "", term: -1, leader: null as number | null };
  const watch = setInterval(() => {
    const m = node.metrics();
    if (m.role === last.role && m.term === last.term && m.leader === last.leader) return;
    if (m.leader !== last.leader || m.role === "leader" || last.role === "leader") {
      log.info({ role: m.role, term: m.term, leader: m.leader }, "leadership changed");
    }
    last = { role: m.role, term: m.term, leader: m.leader };
  }, opts.watchMs ?? 100);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(watch);
      log.info({ why }, "stopping");
      Promise.all([node.stop(), metrics?.close()]).then(
        () => {
          log.info("stopped");
          resolve(0);
        },
        (err: unknown) => {
          log.error({ err: errorMessage(err) }, "stop failed");
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    if (opts.exitWithParent === true) {
      process.stdin.on("end", () => stop("parent gone"));
      process.stdin.on("error", () => stop("parent gone"));
      process.stdin.resume();
    }
  });
}

// `dssmr up`: a whole local cluster as child processes, its dashboard and Chirper API, a banner, and a clean stop.
import { rmSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ClusterHttp, startClusterHttp } from "../dashboard/cluster-app.ts";
import { type RespFrontEnd, startRespFrontEnd } from "../resp/server.ts";
import { isBuiltinApp } from "./app-module.ts";
import { loadAppSetup } from "./app-setup.ts";
import type { LoadedConfig } from "./config.ts";
import { errorMessage } from "./errors.ts";
import { LaunchError, LocalCluster, readPids } from "./launcher.ts";
import {
  CONFIG_FILE,
  type ExplicitOptions,
  type LocalClusterOptions,
  prepareLocalConfig,
} from "./local-config.ts";
import { partitionsOf } from "./topology.ts";

const BIN = fileURLToPath(new URL("../../bin/dssmr.js", import.meta.url));

/** What `dssmr up` was asked for. */
export interface UpOptions extends LocalClusterOptions {
  /** The data folder (config, logs, replica data). */
  readonly dataDir: string;
  /** Options given on the command line (they must match an existing config). */
  readonly explicit: ExplicitOptions;
  /** How long to wait for every group to elect a leader. Default 30 s. */
  readonly readyTimeoutMs?: number;
  /** Serve the kv cluster over RESP (Redis protocol) on this port (0: any free one). */
  readonly respPort?: number | null;
}

/** Where `up` prints. */
export interface UpIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The cluster is already running from this folder. */
export class AlreadyRunningError extends LaunchError {}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Starts the local cluster in `opts.dataDir` (reusing its cluster.json, and so its data, when
 * there is one), waits until every group has a leader, serves the dashboard (and, for Chirper,
 * the Chirper page and HTTP API) on the configured HTTP port, prints where to look, then runs
 * until `stop` fires; stops everything and resolves with the exit status (0 after a clean stop).
 */
export async function runUp(opts: UpOptions, io: UpIo, stop: AbortSignal): Promise<number> {
  const dir = resolve(opts.dataDir);
  const pids = readPids(dir);
  if (
    pids !== null &&
    pids.launcher !== process.pid &&
    Object.keys(pids.replicas).length > 0 &&
    alive(pids.launcher)
  ) {
    throw new AlreadyRunningError(
      `a cluster already runs from ${dir} (launcher pid ${pids.launcher}): stop it first (Ctrl-C there, or kill ${pids.launcher})`,
    );
  }
  const { loaded, created } = await prepareLocalConfig(dir, opts, opts.explicit);
  const { config } = loaded;
  // Load the app here first: a module that does not load is reported once, before any replica
  // starts (each would fail the same way), and its identity goes in the banner.
  const setup = await loadAppSetup(loaded);
  const replicas = config.groups.reduce((n, g) => n + g.replicas.length, 0);
  io.out(
    `${created ? "creating" : "restarting"} a local cluster: ${replicas} replica processes (${describeShape(loaded)})…`,
  );
  const cluster = await LocalCluster.start(loaded, {
    onExit: (id, code, signal) =>
      io.err(
        `replica ${id} exited unexpectedly (${code ?? signal}); its log: ${join(dir, "logs", `r${id}.log`)}`,
      ),
  });
  let http: ClusterHttp | null = null;
  let resp: RespFrontEnd | null = null;
  try {
    if (!stop.aborted) await cluster.waitReady(opts.readyTimeoutMs ?? 30_000);
    let httpNote: string | null = null;
    if (config.http !== undefined && !stop.aborted) {
      try {
        http = await startClusterHttp(loaded, { listen: config.http, cluster });
      } catch (err) {
        httpNote = `could not listen on ${config.http.host}:${config.http.port} (${errorMessage(err)}); pick another with --http-port`;
      }
    }
    if (opts.respPort !== undefined && opts.respPort !== null && !stop.aborted) {
      // A port taken is fatal here, unlike HTTP's: whoever asked for it means to connect there.
      resp = await startRespFrontEnd(loaded, { port: opts.respPort });
    }
    if (!stop.aborted) {
      for (const line of banner(loaded, created, http, httpNote, setup.identity)) io.out(line);
    }
    if (resp !== null) {
      io.out(
        `RESP (Redis protocol) on redis://${resp.host}:${resp.server.port} — try: redis-cli -p ${resp.server.port} set a 1`,
      );
    }
    await new Promise<void>((r) => {
      if (stop.aborted) r();
      else stop.addEventListener("abort", () => r(), { once: true });
    });
    io.out("stopping the cluster…");
  } finally {
    await resp?.close();
    await http?.close();
    await cluster.stop();
    rmSync(join(dir, "pids.json"), { force: true });
  }
  io.out(`stopped; the data stays in ${dir} (run \`dssmr up\` again to restart it)`);
  return 0;
}

function describeShape(loaded: LoadedConfig): string {
  const c = loaded.config;
  const parts = partitionsOf(c).length;
  const perGroup = c.groups[0]?.replicas.length ?? 0;
  const groups = c.mode === "dssmr" ? `oracle + ${parts} partitions` : `${parts} partitions`;
  return `${c.app}, ${c.mode} mode, ${groups} × ${perGroup} replicas, ${c.tunables.memory ? "in-memory logs" : "logs on disk"}`;
}

function banner(
  loaded: LoadedConfig,
  created: boolean,
  http: ClusterHttp | null,
  httpNote: string | null,
  identity: string,
): string[] {
  const c = loaded.config;
  const file = loaded.file ?? join(loaded.dir, CONFIG_FILE);
  const rel = relative(process.cwd(), BIN);
  const cli = `node ${rel.startsWith("..") || isAbsolute(rel) ? BIN : rel}`;
  const defaultConfig = resolve("dssmr-data", CONFIG_FILE);
  const relFile = relative(process.cwd(), file);
  const shownFile = relFile.startsWith("..") || isAbsolute(relFile) ? file : relFile;
  const cfg = file === defaultConfig ? "" : ` --config ${shownFile}`;
  const lines = [
    `cluster up (${describeShape(loaded)})${created ? "" : ", recovered from its data"}`,
    `  config   ${file}`,
    `  logs     ${join(loaded.dir, "logs")}/r<ID>.log (JSON, one file per replica)`,
  ];
  if (!isBuiltinApp(c.app)) lines.push(`  app      ${identity} from ${c.app}`);
  if (http !== null) {
    lines.push(`  dashboard ${http.url}/`);
    if (http.chirper)
      lines.push(`  chirper  ${http.url}/chirper (and the HTTP API at ${http.url}/api)`);
  } else {
    lines.push(`  http     ${httpNote ?? "off (--no-http)"}`);
  }
  const metrics = c.groups.flatMap((g) =>
    g.replicas.flatMap((r) => (r.metricsPort === undefined ? [] : [`${r.host}:${r.metricsPort}`])),
  );
  if (metrics.length > 0)
    lines.push(
      `  metrics  http://${metrics[0]}/metrics (and ${metrics.length - 1} more, see the config)`,
    );
  if (c.demo !== undefined) {
    const start =
      c.demo.placement === "random"
        ? "scattered at random: start a workload on the dashboard and watch DS-SMR gather each community"
        : "placed by community";
    lines.push(
      `  demo     ${c.demo.users} users (u00000, u00001, …) with a follower graph, ${start}`,
    );
  }
  lines.push("", "try, in another terminal:");
  if (c.app === "chirper") {
    const other = c.demo === undefined ? "bob" : "u00001";
    lines.push(`  ${cli} chirper adduser alice${cfg}`);
    if (c.demo === undefined) lines.push(`  ${cli} chirper adduser bob${cfg}`);
    lines.push(
      `  ${cli} chirper follow alice ${other}${cfg}`,
      `  ${cli} chirper post ${other} "hello from the demo"${cfg}`,
      `  ${cli} chirper timeline alice${cfg}`,
    );
    if (http?.chirper) lines.push(`  curl ${http.url}/api/users/alice/timeline`);
  } else if (c.app === "kv") {
    lines.push(`  ${cli} kv put greeting hello${cfg}`, `  ${cli} kv get greeting${cfg}`);
  } else {
    lines.push(`  ${cli} call '<a command of the app, as JSON>'${cfg}`);
  }
  lines.push(`  ${cli} status${cfg}`, "", "Ctrl-C stops the cluster (the data stays).");
  return lines;
}

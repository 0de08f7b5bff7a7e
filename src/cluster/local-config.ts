// The cluster.json of a local cluster: built from `dssmr up`'s options, or reused from the data folder.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "../core/errors.ts";
import { freePorts } from "../net/free-port.ts";
import {
  type ClusterConfig,
  type ClusterConfigInput,
  type LoadedConfig,
  loadClusterConfig,
  parseClusterConfig,
} from "./config.ts";
import { partitionsOf } from "./topology.ts";

/** The shape of a local cluster (what `dssmr up` takes). */
export interface LocalClusterOptions {
  /** "chirper", "kv", or an app module as cluster.json names it (see app-module.ts). */
  readonly app: string;
  readonly mode: "dssmr" | "ssmr";
  readonly partitions: number;
  readonly replicas: number;
  /** In-memory logs: fast, nothing survives a restart. */
  readonly memory: boolean;
  /** Where the Chirper HTTP API listens (null: none). */
  readonly httpPort: number | null;
  /** Give every replica a /metrics port. */
  readonly metrics: boolean;
  /** Generate a shared cluster secret: connections without it are refused. */
  readonly secret: boolean;
  /** Users of the Chirper demo graph (0: none). */
  readonly demoUsers: number;
  /**
   * Where the demo graph's users start: "random" (scattered; DS-SMR gathers the communities as
   * the workload runs) or "community" (each community in one partition from the start).
   */
  readonly demoPlacement: "community" | "random";
  readonly host: string;
  /** First replica port; ports follow one by one. Null: ports the OS says are free. */
  readonly basePort: number | null;
  readonly tickMs?: number;
  readonly snapshotEvery?: number;
}

/** Defaults of `dssmr up`. */
export const defaultLocalClusterOptions: LocalClusterOptions = {
  app: "chirper",
  mode: "dssmr",
  partitions: 2,
  replicas: 3,
  memory: false,
  httpPort: 8080,
  metrics: true,
  secret: true,
  demoUsers: 100,
  demoPlacement: "random",
  host: "127.0.0.1",
  basePort: null,
};

/** The config file's name inside a data folder. */
export const CONFIG_FILE = "cluster.json";

/** Replica ids of a local cluster: group g's i-th replica (i from 1) is g*100 + i. */
export const localReplicaId = (group: number, i: number): number => group * 100 + i;

/** Builds a local cluster's configuration: replicas on `host`, data in `g<G>/r<ID>` folders. */
export async function buildLocalConfig(opts: LocalClusterOptions): Promise<ClusterConfig> {
  const groupIds = Array.from(
    { length: opts.partitions + (opts.mode === "dssmr" ? 1 : 0) },
    (_, i) => (opts.mode === "dssmr" ? i : i + 1),
  );
  const n = groupIds.length * opts.replicas;
  const ports =
    opts.basePort === null
      ? await freePorts(n * (opts.metrics ? 2 : 1), opts.host)
      : Array.from({ length: n * (opts.metrics ? 2 : 1) }, (_, i) => opts.basePort! + i);
  let next = 0;
  const input: ClusterConfigInput = {
    version: 1,
    app: opts.app,
    mode: opts.mode,
    groups: groupIds.map((g) => ({
      id: g,
      replicas: Array.from({ length: opts.replicas }, (_, i) => {
        const id = localReplicaId(g, i + 1);
        const k = next++;
        return {
          id,
          host: opts.host,
          port: ports[k]!,
          dataDir: `g${g}/r${id}`,
          ...(opts.metrics ? { metricsPort: ports[n + k]! } : {}),
        };
      }),
    })),
    tunables: {
      memory: opts.memory,
      ...(opts.tickMs === undefined ? {} : { tickMs: opts.tickMs }),
      ...(opts.snapshotEvery === undefined ? {} : { snapshotEvery: opts.snapshotEvery }),
    },
    ...(opts.httpPort === null ? {} : { http: { host: opts.host, port: opts.httpPort } }),
    ...(opts.secret ? { secret: randomBytes(24).toString("base64url") } : {}),
    ...(opts.app === "chirper" && opts.demoUsers > 0
      ? { demo: { users: opts.demoUsers, placement: opts.demoPlacement } }
      : {}),
  };
  return parseClusterConfig(input);
}

/** Writes a config as pretty JSON (creating the folder). */
export function writeClusterConfig(file: string, config: ClusterConfig): void {
  mkdirSync(resolve(file, ".."), { recursive: true });
  // Owner-only: the file holds the cluster secret.
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

/** The options that were given explicitly and must match an existing config. */
export type ExplicitOptions = ReadonlySet<keyof LocalClusterOptions>;

/**
 * The config of the local cluster in `dir`: the existing `dir/cluster.json` when there is one
 * (so a restarted `up` recovers the data), else a new one written there. Options given
 * explicitly must agree with an existing config's shape (app, mode, partitions, replicas, and
 * the demo graph's initial placement, which decides its boot state); `memory` and `httpPort`
 * given explicitly update it. Throws ConfigError on a mismatch.
 */
export async function prepareLocalConfig(
  dir: string,
  opts: LocalClusterOptions,
  explicit: ExplicitOptions = new Set(),
): Promise<{ loaded: LoadedConfig; created: boolean }> {
  const file = join(resolve(dir), CONFIG_FILE);
  if (!existsSync(file)) {
    writeClusterConfig(file, await buildLocalConfig(opts));
    return { loaded: loadClusterConfig(file), created: true };
  }
  const loaded = loadClusterConfig(file);
  const c = loaded.config;
  const have = {
    app: c.app,
    mode: c.mode,
    partitions: partitionsOf(c).length,
    replicas: c.groups[0]?.replicas.length ?? 0,
  };
  const mismatches: string[] = [];
  for (const key of ["app", "mode", "partitions", "replicas"] as const) {
    if (explicit.has(key) && opts[key] !== have[key]) {
      mismatches.push(`--${key} ${opts[key]} (the existing cluster has ${have[key]})`);
    }
  }
  if (
    explicit.has("demoPlacement") &&
    c.demo !== undefined &&
    opts.demoPlacement !== c.demo.placement
  ) {
    mismatches.push(
      `--demo-placement ${opts.demoPlacement} (the existing cluster has ${c.demo.placement})`,
    );
  }
  if (mismatches.length > 0) {
    throw new ConfigError(
      `${file} describes another cluster: ${mismatches.join(", ")}; use another --data folder or remove it`,
    );
  }
  let updated: ClusterConfig = c;
  if (explicit.has("memory") && opts.memory !== c.tunables.memory) {
    updated = { ...updated, tunables: { ...updated.tunables, memory: opts.memory } };
  }
  if (explicit.has("httpPort") && opts.httpPort !== (c.http?.port ?? null)) {
    const { http: _drop, ...rest } = updated;
    updated =
      opts.httpPort === null ? rest : { ...rest, http: { host: opts.host, port: opts.httpPort } };
  }
  if (updated === c) return { loaded, created: false };
  writeClusterConfig(file, parseClusterConfig(updated, file));
  return { loaded: loadClusterConfig(file), created: false };
}

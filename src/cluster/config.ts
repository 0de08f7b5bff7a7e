// The cluster configuration file (cluster.json): its schema, validation with field-named errors, and loading.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "../core/errors.ts";
import {
  DEFAULT_MAX_COMMAND_BYTES,
  DEFAULT_MAX_VALUE_BYTES,
  MAX_COMMAND_BYTES_LIMIT,
} from "./limits.ts";

/** Replica ids live below this bound; client ids are drawn at or above it (one id space). */
export const CLIENT_ID_BASE = 1_000_000;
/** Largest replica id a configuration may use. */
export const MAX_REPLICA_ID = CLIENT_ID_BASE - 1;

const intIn = (min: number, max: number) => {
  const error = `expected integer ${min}..${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const port = intIn(1, 65_535);
const host = z.string({ error: "expected a host name or IP address" }).min(1, {
  error: "expected a host name or IP address",
});

const replicaSchema = z
  .object({
    /** Unique over the whole cluster, 1..MAX_REPLICA_ID. */
    id: intIn(1, MAX_REPLICA_ID),
    host,
    port,
    /** The replica's data directory; relative paths are relative to the config file. */
    dataDir: z.string({ error: "expected a directory path" }).min(1, {
      error: "expected a directory path",
    }),
    /** Serve Prometheus metrics on this port (same host). */
    metricsPort: port.optional(),
  })
  .strict();

const groupSchema = z
  .object({
    /** 0 is the oracle (dssmr mode); partitions are 1..k. */
    id: intIn(0, 1024),
    replicas: z
      .array(replicaSchema, { error: "expected an array of replicas" })
      .min(1, { error: "a group needs at least one replica" })
      .max(15, { error: "at most 15 replicas per group" }),
  })
  .strict();

/**
 * Client retransmission periods a group waits before it abandons a chain: a lost message is
 * resent to another replica after one, may be redirected to the leader, and a leader change
 * costs another; the default (300 ticks against 300 ms) allows ten.
 */
export const ABANDON_RETRANSMITS = 3;

const tunablesSchema = z
  .object({
    /** Real milliseconds per consensus tick (and per client proxy tick). */
    tickMs: intIn(1, 1_000).default(10),
    /** Compact a group's log after this many applied entries. */
    snapshotEvery: intIn(1, 10_000_000).default(256),
    /** DS-SMR retries before a command falls back to S-SMR execution. */
    retryThreshold: intIn(0, 1_000).default(3),
    /** Where DS-SMR gathers the variables of a multi-partition command (the engine's default, most). */
    policy: z.enum(["random", "most"], { error: 'expected "random" or "most"' }).default("most"),
    /** Keep logs in memory (no fsync, nothing survives a restart). */
    memory: z.boolean({ error: "expected true or false" }).default(false),
    /** A client resends an unanswered message (to another replica) after this long. */
    clientRetransmitMs: intIn(10, 60_000).default(300),
    /**
     * Largest command, in encoded bytes (default 1.5 MiB, etcd's request limit). Clients refuse
     * a larger one before sending (E_TOO_LARGE) and replicas refuse it before logging it.
     */
    maxCommandBytes: intIn(1024, MAX_COMMAND_BYTES_LIMIT).default(DEFAULT_MAX_COMMAND_BYTES),
    /** Largest single value (string) in a command, in UTF-8 bytes (default 1 MiB); checked likewise. */
    maxValueBytes: intIn(1, MAX_COMMAND_BYTES_LIMIT).default(DEFAULT_MAX_VALUE_BYTES),
    /**
     * Ticks a group's leader lets a message wait for its client's missing predecessor, while
     * another group waits on it, before it abandons that chain (default 300: 3 s at 10 ms). It
     * bounds how long a client whose chain broke stalls a group; at least
     * ABANDON_RETRANSMITS client retransmission periods, or a correct client's chain could be
     * abandoned while its lost message is being resent.
     */
    abandonTicks: intIn(1, 1_000_000).default(300),
  })
  .strict()
  .superRefine((t, ctx) => {
    const minTicks = Math.ceil((ABANDON_RETRANSMITS * t.clientRetransmitMs) / t.tickMs);
    if (t.abandonTicks < minTicks) {
      ctx.addIssue({
        code: "custom",
        path: ["abandonTicks"],
        message: `expected at least ${minTicks} (${ABANDON_RETRANSMITS} × clientRetransmitMs ${t.clientRetransmitMs} ms at tickMs ${t.tickMs}): a correct client's lost message must be resent before its group abandons the chain`,
      });
    }
    if (t.maxValueBytes > t.maxCommandBytes) {
      ctx.addIssue({
        code: "custom",
        path: ["maxValueBytes"],
        message: `expected at most maxCommandBytes (${t.maxCommandBytes})`,
      });
    }
  });

const demoSchema = z
  .object({
    /** Users of the demo social graph every node preloads. */
    users: intIn(1, 100_000),
    /** Communities of the graph (default: one per partition). */
    communities: intIn(1, 100_000).optional(),
    /** Mean follows per user (default 5). */
    avgFollowing: intIn(0, 100).optional(),
    /** Graph seed: the same seed gives the same graph on every node. */
    seed: intIn(0, 2 ** 32 - 1).default(1),
    /**
     * Where the graph's users start: "community" (each community in one partition: strong
     * locality from the start) or "random" (scattered by a hash of name and seed, so DS-SMR has
     * to gather the communities). Default "community".
     */
    placement: z
      .enum(["community", "random"], { error: 'expected "community" or "random"' })
      .default("community"),
  })
  .strict();

const respSchema = z
  .object({
    /** Where `dssmr up --resp-port` and `dssmr resp` listen unless told otherwise. */
    host: host.optional(),
    port: port.optional(),
    /** Redis clients must AUTH with this password (user "default"); none by default. */
    password: z
      .string({ error: "expected a string" })
      .min(1, { error: "expected a password" })
      .optional(),
    /** Largest bulk string a request may carry (default 16 MiB). */
    maxBulkBytes: intIn(1, 512 * 1024 * 1024).optional(),
  })
  .strict();

const clusterSchema = z
  .object({
    version: z.literal(1, { error: "expected 1" }).default(1),
    /**
     * "chirper", "kv", or an application module: a path (relative to this file's folder, or
     * absolute) or a package name, whose default export (or export `app`) is a PartitionedApp or
     * a factory of one (app-module.ts).
     */
    app: z
      .string({ error: 'expected "chirper", "kv" or an app module (a path or package name)' })
      .min(1, { error: 'expected "chirper", "kv" or an app module (a path or package name)' })
      .max(1000, { error: "expected at most 1000 characters" }),
    mode: z.enum(["dssmr", "ssmr"], { error: 'expected "dssmr" or "ssmr"' }).default("dssmr"),
    groups: z
      .array(groupSchema, { error: "expected an array of groups" })
      .min(1, { error: "at least one group is needed" }),
    tunables: tunablesSchema.prefault({}),
    /** Where `up` serves the Chirper HTTP API. */
    http: z.object({ host, port }).strict().optional(),
    /** Shared cluster secret for authenticated connections (when the transport supports it). */
    secret: z
      .string({ error: "expected a string" })
      .min(16, { error: "expected at least 16 characters" })
      .optional(),
    /** A demo social graph every node preloads (chirper only). */
    demo: demoSchema.optional(),
    /** The RESP (Redis protocol) front end of a kv cluster. */
    resp: respSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const partitionsFrom = c.mode === "dssmr" ? 0 : 1;
    c.groups.forEach((g, i) => {
      if (g.id !== partitionsFrom + i) {
        ctx.addIssue({
          code: "custom",
          path: ["groups", i, "id"],
          message:
            c.mode === "dssmr"
              ? `expected ${i}: in dssmr mode groups are the oracle 0 then partitions 1..k, in order`
              : `expected ${i + 1}: in ssmr mode groups are partitions 1..k, in order`,
        });
      }
    });
    if (c.mode === "dssmr" && c.groups.length < 2) {
      ctx.addIssue({
        code: "custom",
        path: ["groups"],
        message: "dssmr mode needs the oracle (group 0) and at least one partition",
      });
    }
    const ids = new Map<number, string>();
    const endpoints = new Map<string, string>();
    const claim = (key: string, where: string, path: (string | number)[], what: string) => {
      const prior = endpoints.get(key);
      if (prior !== undefined) {
        ctx.addIssue({ code: "custom", path, message: `${what} ${key} is also used by ${prior}` });
      } else endpoints.set(key, where);
    };
    c.groups.forEach((g, i) => {
      g.replicas.forEach((r, j) => {
        const where = `groups[${i}].replicas[${j}]`;
        const prior = ids.get(r.id);
        if (prior !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["groups", i, "replicas", j, "id"],
            message: `duplicate replica id ${r.id} (also ${prior})`,
          });
        } else ids.set(r.id, where);
        claim(`${r.host}:${r.port}`, where, ["groups", i, "replicas", j, "port"], "address");
        if (r.metricsPort !== undefined) {
          claim(
            `${r.host}:${r.metricsPort}`,
            `${where}.metricsPort`,
            ["groups", i, "replicas", j, "metricsPort"],
            "address",
          );
        }
      });
    });
    if (c.http !== undefined)
      claim(`${c.http.host}:${c.http.port}`, "http", ["http", "port"], "address");
    if (c.resp?.port !== undefined) {
      claim(`${c.resp.host ?? "127.0.0.1"}:${c.resp.port}`, "resp", ["resp", "port"], "address");
    }
    if (c.resp !== undefined && c.app !== "kv") {
      ctx.addIssue({ code: "custom", path: ["resp"], message: "a RESP front end needs app kv" });
    }
    if (c.demo !== undefined) {
      if (c.app !== "chirper") {
        ctx.addIssue({ code: "custom", path: ["demo"], message: "a demo graph needs app chirper" });
      }
      if (c.demo.communities !== undefined && c.demo.communities > c.demo.users) {
        ctx.addIssue({
          code: "custom",
          path: ["demo", "communities"],
          message: `expected at most users (${c.demo.users})`,
        });
      }
    }
  });

/** A validated cluster configuration (defaults filled in). */
export type ClusterConfig = z.output<typeof clusterSchema>;
/** A cluster configuration as written in the file (defaults may be left out). */
export type ClusterConfigInput = z.input<typeof clusterSchema>;
/** One group of the configuration. */
export type GroupConfig = ClusterConfig["groups"][number];
/** One replica of the configuration. */
export type ReplicaConfig = GroupConfig["replicas"][number];
/** The tunables, with defaults. */
export type Tunables = ClusterConfig["tunables"];

/** A configuration and where it came from (relative data directories resolve against `dir`). */
export interface LoadedConfig {
  readonly config: ClusterConfig;
  /** The file it was read from, or null for one built in memory. */
  readonly file: string | null;
  /** Directory that relative paths in the config are relative to. */
  readonly dir: string;
}

/** The configuration is invalid; `issues` name each bad field (`groups[1].replicas[2].port: …`). */
export class ClusterConfigError extends ConfigError {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[]) {
    super(`invalid cluster config ${source}:\n  ${issues.join("\n  ")}`);
    this.issues = issues;
  }
}

/** Renders a zod path as `groups[1].replicas[2].port`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out === "" ? "(root)" : out;
}

/** Validates a parsed JSON value; throws ClusterConfigError naming every bad field. */
export function parseClusterConfig(raw: unknown, source = "(in memory)"): ClusterConfig {
  const r = clusterSchema.safeParse(raw);
  if (r.success) return r.data;
  throw new ClusterConfigError(
    source,
    r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`),
  );
}

/** Reads, parses and validates a cluster.json file. */
export function loadClusterConfig(file: string): LoadedConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === "ENOENT"
        ? `no cluster config at ${path} (start a local cluster with \`dssmr up\`, or pass --config FILE)`
        : `cannot read cluster config ${path}: ${(err as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ClusterConfigError(path, [`(root): not valid JSON: ${(err as Error).message}`]);
  }
  return { config: parseClusterConfig(raw, path), file: path, dir: dirname(path) };
}

/** A replica's data directory as an absolute path. */
export function dataDirOf(loaded: LoadedConfig, replica: ReplicaConfig): string {
  return isAbsolute(replica.dataDir) ? replica.dataDir : resolve(loaded.dir, replica.dataDir);
}

// Test helper: groups of replicas as child processes (test-node-main), with kill -9 and restart.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type GroupId, groupId, type ReplicaId, replicaId } from "../../src/core/ids.ts";
import { freePorts } from "../../src/net/free-port.ts";
import type { PeerAddress } from "../../src/net/transport.ts";
import type { NodeProcessConfig } from "../../src/runtime/node-config.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const SCRIPT = join(ROOT, "src/runtime/test-node-main.ts");

/** Options of a local process cluster. */
export interface ProcessClusterOptions {
  readonly groups: number;
  readonly replicas: number;
  readonly baseDir: string;
  readonly snapshotEvery?: number;
  readonly segmentBytes?: number;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/**
 * Replica `g*100 + i` (i from 1) of group g runs in its own process with a data directory under
 * `baseDir`. Processes exit when this process dies (their stdin closes), so nothing is left.
 */
export class ProcessCluster {
  readonly groups: ReadonlyMap<GroupId, readonly ReplicaId[]>;
  readonly addresses: ReadonlyMap<ReplicaId, PeerAddress>;
  private readonly options: ProcessClusterOptions;
  private readonly running = new Map<ReplicaId, Running>();
  /** Recent stderr of every node, for failure messages. */
  readonly logs = new Map<ReplicaId, string>();

  private constructor(
    options: ProcessClusterOptions,
    groups: Map<GroupId, ReplicaId[]>,
    addresses: Map<ReplicaId, PeerAddress>,
  ) {
    this.options = options;
    this.groups = groups;
    this.addresses = addresses;
  }

  /** Chooses ports and starts every replica; resolves once all listen. */
  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const groups = new Map<GroupId, ReplicaId[]>();
    for (let g = 1; g <= options.groups; g++) {
      groups.set(
        groupId(g),
        Array.from({ length: options.replicas }, (_, i) => replicaId(g * 100 + i + 1)),
      );
    }
    const ids = [...groups.values()].flat();
    const ports = await freePorts(ids.length);
    const addresses = new Map<ReplicaId, PeerAddress>(
      ids.map((id, i) => [id, { host: "127.0.0.1", port: ports[i]! }]),
    );
    const cluster = new ProcessCluster(options, groups, addresses);
    await Promise.all(ids.map((id) => cluster.startNode(id)));
    return cluster;
  }

  /** Every replica id. */
  get ids(): ReplicaId[] {
    return [...this.groups.values()].flat();
  }

  /** The group of a replica. */
  groupOf(id: ReplicaId): GroupId {
    return groupId(Math.floor(id / 100));
  }

  /** The data directory of a replica. */
  dataDir(id: ReplicaId): string {
    return join(this.options.baseDir, `r${id}`);
  }

  /** Starts (or restarts, on the same port and data) one replica; resolves once it listens. */
  async startNode(id: ReplicaId): Promise<void> {
    const config: NodeProcessConfig = {
      group: this.groupOf(id),
      replica: id,
      groups: [...this.groups].map(([g, ids]) => [g, [...ids]] as const),
      addresses: [...this.addresses].map(([r, a]) => [r, a.host, a.port] as const),
      dataDir: this.dataDir(id),
      ...(this.options.snapshotEvery === undefined
        ? {}
        : { snapshotEvery: this.options.snapshotEvery }),
      ...(this.options.segmentBytes === undefined
        ? {}
        : { segmentBytes: this.options.segmentBytes }),
    };
    const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, JSON.stringify(config)], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    this.running.set(id, { child, exited });
    child.stderr!.on("data", (d: Buffer) => {
      this.logs.set(id, ((this.logs.get(id) ?? "") + d.toString()).slice(-4000));
    });
    await new Promise<void>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => reject(new Error(`replica ${id} did not start: ${this.logs.get(id) ?? ""}`)),
        20_000,
      );
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`replica ${id} exited with ${code}: ${this.logs.get(id) ?? ""}`));
      });
    });
  }

  /** kill -9: the process dies at once, with whatever it had not synced. */
  async kill(id: ReplicaId): Promise<void> {
    const r = this.running.get(id);
    if (r === undefined) return;
    r.child.kill("SIGKILL");
    await r.exited;
    this.running.delete(id);
  }

  /** Stops every replica gracefully (SIGTERM), killing any that takes longer than `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    await Promise.all(
      [...this.running.values()].map(async ({ child, exited }) => {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.running.clear();
  }

  /** A replica's recorded deliveries: position → "client.seq" (a restart may repeat lines). */
  deliveries(id: ReplicaId): {
    readonly byPosition: Map<number, string>;
    readonly conflicts: string[];
  } {
    const byPosition = new Map<number, string>();
    const conflicts: string[] = [];
    let text = "";
    try {
      text = readFileSync(join(this.dataDir(id), "deliveries.log"), "utf8");
    } catch {
      return { byPosition, conflicts };
    }
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const [pos, msg] = line.split(" ");
      const p = Number(pos);
      const prior = byPosition.get(p);
      if (prior !== undefined && prior !== msg)
        conflicts.push(`position ${p}: ${prior} then ${msg}`);
      byPosition.set(p, msg!);
    }
    return { byPosition, conflicts };
  }
}

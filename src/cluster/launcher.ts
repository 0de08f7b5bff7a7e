// Runs every replica of a config as a child process on this host: start, kill, restart, wait for leaders, stop.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { type ClusterStatus, clusterStatus } from "../client/status.ts";
import { ConfigError, DssmrError } from "../core/errors.ts";
import { replicaNodeArgs } from "./bundle.ts";
import type { LoadedConfig } from "./config.ts";

/** A replica process did not start, or the cluster did not become ready in time. */
export class LaunchError extends DssmrError {
  constructor(message: string) {
    super("E_LAUNCH", message);
  }
}

/** Options of a local cluster. */
export interface LauncherOptions {
  /** Folder of the replicas' log files (`r<ID>.log`). Default: `logs` beside the config. */
  readonly logDir?: string;
  /** Called when a replica exits without being asked to (a crash). */
  readonly onExit?: (id: number, code: number | null, signal: NodeJS.Signals | null) => void;
  /** How long a replica may take to listen. Default 20 s. */
  readonly startTimeoutMs?: number;
}

interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<void>;
  /** We asked it to stop (or killed it): its exit is no crash. */
  stopping: boolean;
}

/**
 * The replicas of a configuration as child processes of this one (`node BUNDLE --config FILE
 * --id ID --exit-with-parent`, see bundle.ts): each writes JSON logs to its own file
 * and exits when this process dies (its stdin closes), so nothing is left behind. Process ids
 * are recorded in `pids.json` beside the config.
 */
export class LocalCluster {
  readonly loaded: LoadedConfig;
  readonly logDir: string;
  private readonly file: string;
  private readonly options: LauncherOptions;
  private readonly children = new Map<number, Child>();

  private constructor(loaded: LoadedConfig, file: string, options: LauncherOptions) {
    this.loaded = loaded;
    this.file = file;
    this.options = options;
    this.logDir = options.logDir ?? join(loaded.dir, "logs");
  }

  /** Starts every replica of `loaded` (read from a file); resolves once all listen. */
  static async start(loaded: LoadedConfig, options: LauncherOptions = {}): Promise<LocalCluster> {
    if (loaded.file === null) throw new ConfigError("a local cluster needs its config in a file");
    const cluster = new LocalCluster(loaded, loaded.file, options);
    mkdirSync(cluster.logDir, { recursive: true });
    try {
      await Promise.all(cluster.ids.map((id) => cluster.startReplica(id)));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Every replica id of the config, group by group. */
  get ids(): number[] {
    return this.loaded.config.groups.flatMap((g) => g.replicas.map((r) => r.id));
  }

  /** The log file of a replica. */
  logFile(id: number): string {
    return join(this.logDir, `r${id}.log`);
  }

  /** The process id of a running replica, or null. */
  pid(id: number): number | null {
    return this.children.get(id)?.process.pid ?? null;
  }

  /** True while replica `id`'s process runs. */
  running(id: number): boolean {
    return this.children.has(id);
  }

  /** Starts (or restarts, on its port and data) one replica; resolves once it listens. */
  async startReplica(id: number): Promise<void> {
    if (this.children.has(id)) return;
    const nodeArgs = await replicaNodeArgs();
    if (this.children.has(id)) return; // started by a concurrent call meanwhile
    const log = openSync(this.logFile(id), "a");
    const child = spawn(
      process.execPath,
      [...nodeArgs, "--config", this.file, "--id", String(id), "--exit-with-parent"],
      { stdio: ["pipe", "pipe", log] },
    );
    closeSync(log);
    const entry: Child = {
      process: child,
      stopping: false,
      exited: new Promise<void>((r) => child.once("exit", () => r())),
    };
    this.children.set(id, entry);
    this.writePids();
    const timeoutMs = this.options.startTimeoutMs ?? 20_000;
    await new Promise<void>((resolve, reject) => {
      let out = "";
      let ready = false;
      const timer = setTimeout(() => {
        reject(
          new LaunchError(`replica ${id} did not start within ${timeoutMs} ms${this.tail(id)}`),
        );
      }, timeoutMs);
      child.stdout?.on("data", (d: Buffer) => {
        if (ready) return;
        out += d.toString();
        if (out.includes("ready ")) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (this.children.get(id) === entry) this.children.delete(id);
        this.writePids();
        if (!ready) {
          reject(new LaunchError(`replica ${id} exited with ${code ?? signal}${this.tail(id)}`));
        } else if (!entry.stopping) {
          this.options.onExit?.(id, code, signal);
        }
      });
    });
  }

  /** Sends `signal` (default SIGKILL: dies at once, unsynced writes lost) and waits for the exit. */
  async kill(id: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const c = this.children.get(id);
    if (c === undefined) return;
    c.stopping = true;
    c.process.kill(signal);
    await c.exited;
  }

  /** Waits until every group has a leader; resolves with that status. */
  async waitReady(timeoutMs = 30_000): Promise<ClusterStatus> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = await clusterStatus(this.loaded, { timeoutMs: 300 });
      if (s.ready) return s;
      if (Date.now() > end) {
        const missing = s.groups.filter((g) => g.leader === null).map((g) => g.id);
        throw new LaunchError(
          `no leader in group(s) ${missing.join(", ")} after ${timeoutMs} ms (logs in ${this.logDir})`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops every replica with SIGTERM, killing any still running after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    await Promise.all(
      [...this.children.values()].map(async (c) => {
        c.stopping = true;
        c.process.kill("SIGTERM");
        const timer = setTimeout(() => c.process.kill("SIGKILL"), graceMs);
        await c.exited;
        clearTimeout(timer);
      }),
    );
    this.children.clear();
    this.writePids();
  }

  /** The last lines of a replica's log, for error messages. */
  private tail(id: number): string {
    try {
      const text = readFileSync(this.logFile(id), "utf8").trimEnd().split("\n").slice(-5);
      return `; log ${this.logFile(id)}:\n${text.join("\n")}`;
    } catch {
      return "";
    }
  }

  /** Records the running processes in `pids.json` beside the config. */
  private writePids(): void {
    const replicas: Record<string, number> = {};
    for (const [id, c] of this.children)
      if (c.process.pid !== undefined) replicas[id] = c.process.pid;
    try {
      const fd = openSync(join(this.loaded.dir, "pids.json"), "w");
      writeSync(fd, `${JSON.stringify({ launcher: process.pid, replicas }, null, 2)}\n`);
      closeSync(fd);
    } catch {
      // Best effort: the file is a convenience for tools.
    }
  }
}

/** The process ids a launcher recorded in `dir/pids.json`, or null. */
export function readPids(
  dir: string,
): { launcher: number; replicas: Record<string, number> } | null {
  try {
    return JSON.parse(readFileSync(join(dir, "pids.json"), "utf8")) as {
      launcher: number;
      replicas: Record<string, number>;
    };
  } catch {
    return null;
  }
}

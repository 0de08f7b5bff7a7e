// The RESP server: TCP connections, pipelined requests run concurrently with replies in order.
import { createServer, type Server, type Socket } from "node:net";
import type { DsKvCmd, DsKvResult } from "../apps/kv/types.ts";
import { DsClient } from "../client/ds-client.ts";
import { clusterStatus } from "../client/status.ts";
import { appSetup } from "../cluster/app-setup.ts";
import type { LoadedConfig } from "../cluster/config.ts";
import { ConfigError, DssmrError } from "../core/errors.ts";
import { type RespBackend, RespCommands, RespSession } from "./commands.ts";
import {
  DEFAULT_MAX_BULK_BYTES,
  encodeReply,
  R,
  RespParser,
  RespProtocolError,
  type RespValue,
} from "./protocol.ts";

/** The RESP server could not start (the port is taken, the address is not local…). */
export class RespListenError extends DssmrError {
  constructor(message: string) {
    super("E_RESP_LISTEN", message);
  }
}

/** Options of {@link RespServer.start}. */
export interface RespServerOptions {
  /** Address to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Clients must AUTH with this password. Default: none. */
  readonly password?: string;
  /** Largest bulk string a request may carry. Default 16 MiB. */
  readonly maxBulkBytes?: number;
  /** Whether the cluster keeps logs in memory (CONFIG GET appendonly). Default false. */
  readonly memory?: boolean;
}

/**
 * Most requests of one connection in flight; past this the connection stops reading until
 * replies drain, so a client that pipelines without reading cannot grow our memory without end.
 */
const MAX_IN_FLIGHT = 1024;

/** A reply slot: filled when its request completes, written when every earlier slot is. */
interface Slot {
  value: RespValue | undefined;
  readonly proto: 2 | 3;
  readonly close: boolean;
}

/** One client connection: parse, plan in order, run concurrently unless keys overlap, reply in order. */
class Connection {
  private readonly socket: Socket;
  private readonly commands: RespCommands;
  private readonly parser: RespParser;
  private readonly session: RespSession;
  private readonly slots: Slot[] = [];
  /** Per key, the completion of the last request of this connection that touches it. */
  private readonly tails = new Map<string, Promise<unknown>>();
  private ended = false;
  private paused = false;

  constructor(socket: Socket, commands: RespCommands, id: number, maxBulkBytes: number) {
    this.socket = socket;
    this.commands = commands;
    this.parser = new RespParser({ maxBulkBytes });
    this.session = new RespSession(id, !commands.needsAuth);
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.onData(chunk));
    socket.on("drain", () => this.maybeResume());
    // A reset or a half-written reply: this connection is gone; requests in flight still finish.
    socket.on("error", () => this.stop());
    socket.on("close", () => this.stop());
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    let requests: Buffer[][];
    try {
      requests = this.parser.feed(chunk);
    } catch (err) {
      // Answer what came before, then the error, then close: as Redis does.
      const reqs = err instanceof RespProtocolError ? err.complete : [];
      for (const r of reqs) if (!this.session.closing) this.request(r);
      this.ended = true;
      const msg = err instanceof RespProtocolError ? err.message : "Protocol error";
      this.slots.push({ value: R.error(`ERR ${msg}`), proto: this.session.proto, close: true });
      this.flush();
      return;
    }
    for (const r of requests) {
      if (this.session.closing) break;
      this.request(r);
    }
    if (this.slots.length >= MAX_IN_FLIGHT && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private request(args: Buffer[]): void {
    const planned = this.commands.plan(this.session, args);
    const slot: Slot = {
      value: undefined,
      proto: this.session.proto,
      close: this.session.closing,
    };
    this.slots.push(slot);
    const fill = (v: RespValue): void => {
      slot.value = v;
      this.flush();
    };
    const fail = (err: unknown): void =>
      fill(R.error(`ERR dssmr: ${err instanceof Error ? err.message : String(err)}`));
    if (planned.keys.length === 0) {
      // No keys: nothing of this connection can be reordered around it.
      try {
        const v = planned.run();
        if (v instanceof Promise) v.then(fill, fail);
        else fill(v);
      } catch (err) {
        fail(err);
      }
      return;
    }
    const before = planned.keys.flatMap((k) => {
      const t = this.tails.get(k);
      return t === undefined ? [] : [t];
    });
    const start = before.length === 0 ? Promise.resolve() : Promise.all(before);
    const done = start.then(() => planned.run()).then(fill, fail);
    for (const k of planned.keys) this.tails.set(k, done);
    void done.then(() => {
      for (const k of planned.keys) if (this.tails.get(k) === done) this.tails.delete(k);
    });
  }

  /** Writes the completed replies at the head of the queue, in request order. */
  private flush(): void {
    const out: Buffer[] = [];
    let close = false;
    while (this.slots.length > 0 && this.slots[0]!.value !== undefined) {
      const s = this.slots.shift()!;
      encodeReply(s.value as RespValue, s.proto, out);
      if (s.close) {
        close = true;
        this.slots.length = 0;
        break;
      }
    }
    if (out.length > 0 && !this.socket.destroyed) {
      const ok = this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
      if (!ok) {
        this.paused = true;
        this.socket.pause();
      }
    }
    if (close) {
      this.ended = true;
      this.socket.end();
      return;
    }
    this.maybeResume();
  }

  private maybeResume(): void {
    if (!this.paused || this.ended || this.socket.writableNeedDrain) return;
    if (this.slots.length >= MAX_IN_FLIGHT / 2) return;
    this.paused = false;
    this.socket.resume();
  }

  private stop(): void {
    this.ended = true;
    this.slots.length = 0;
  }
}

/**
 * A RESP2/RESP3 front end: Redis clients connect here and their commands run on the KV
 * cluster behind `backend`. Any number may serve one cluster; they share nothing but it.
 */
export class RespServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private nextId = 1;

  private constructor(server: Server) {
    this.server = server;
  }

  /** Starts listening; rejects with RespListenError when the address cannot be bound. */
  static async start(backend: RespBackend, opts: RespServerOptions): Promise<RespServer> {
    const maxBulkBytes = opts.maxBulkBytes ?? DEFAULT_MAX_BULK_BYTES;
    let self: RespServer | null = null;
    const commands = new RespCommands(backend, {
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      maxBulkBytes,
      memory: opts.memory ?? false,
      port: opts.port,
      clients: () => self?.sockets.size ?? 0,
    });
    const server = createServer((socket) => {
      const s = self!;
      s.sockets.add(socket);
      socket.on("close", () => s.sockets.delete(socket));
      new Connection(socket, commands, s.nextId++, maxBulkBytes);
    });
    self = new RespServer(server);
    const host = opts.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) =>
        reject(new RespListenError(`cannot serve RESP on ${host}:${opts.port}: ${err.message}`)),
      );
      server.listen(opts.port, host, () => resolve());
    });
    return self;
  }

  /** The port served (the one picked, for port 0). */
  get port(): number {
    const a = this.server.address();
    return typeof a === "object" && a !== null ? a.port : 0;
  }

  /** Connections open now. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

type KvClient = DsClient<DsKvCmd, DsKvResult>;

/**
 * A RespBackend over DsClients of the KV app, with status from the cluster's replicas. Each
 * command goes to the client with the fewest pending: one client pipelines at most 16 messages
 * (what groups remember per client), so several keep 64 connections busy. Commands of one
 * connection that share a key wait for each other before they start, so spreading them over
 * clients cannot reorder them.
 */
export function clientBackend(
  clients: readonly KvClient[],
  loaded: LoadedConfig,
  timeoutMs = 10_000,
): RespBackend {
  const client = {
    execute: (cmd: DsKvCmd, o: { timeoutMs: number }) =>
      clients.reduce((a, b) => (b.pending < a.pending ? b : a)).execute(cmd, o),
    stats: () => {
      const all = clients.map((c) => c.stats());
      const sum = (f: (s: (typeof all)[number]) => number) => all.reduce((n, s) => n + f(s), 0);
      return {
        completed: sum((s) => s.completed),
        moves: sum((s) => s.moves),
        retries: sum((s) => s.retries),
        fallbacks: sum((s) => s.fallbacks),
        cacheHits: sum((s) => s.cacheHits),
        cacheMisses: sum((s) => s.cacheMisses),
      };
    },
  };
  const partitionsOnly = async () =>
    (await clusterStatus(loaded)).groups.filter((g) => g.kind === "partition");
  return {
    execute: (cmd) => client.execute(cmd, { timeoutMs }),
    dbsize: async () => (await partitionsOnly()).reduce((n, g) => n + (g.variables ?? 0), 0),
    facts: async () => {
      const status = await clusterStatus(loaded);
      const st = client.stats();
      const first = st.cacheHits + st.cacheMisses;
      const fields: [string, string | number][] = [
        ["mode", status.mode],
        ["partitions", status.groups.filter((g) => g.kind === "partition").length],
        ["ready", status.ready ? 1 : 0],
      ];
      for (const g of status.groups) {
        fields.push([
          `${g.kind === "oracle" ? "oracle" : `partition${g.id}`}`,
          `leader=${g.leader ?? "none"},term=${g.term ?? "?"},variables=${g.variables ?? "?"}`,
        ]);
      }
      fields.push(
        ["commands", st.completed],
        ["moves", st.moves],
        ["retries", st.retries],
        ["fallbacks", st.fallbacks],
        ["cache_hit_rate", first === 0 ? "0.0000" : (st.cacheHits / first).toFixed(4)],
      );
      return fields;
    },
  };
}

/** Options of {@link startRespFrontEnd}; unset fields come from the config's `resp` section. */
export interface RespFrontEndOptions {
  readonly host?: string;
  readonly port?: number;
  /** DsClients behind the front end. Default 4. */
  readonly clients?: number;
  /** Time limit of one cluster command, ms. Default 10 s. */
  readonly timeoutMs?: number;
}

/** A running front end: the server and the clients it drives. */
export interface RespFrontEnd {
  readonly server: RespServer;
  readonly host: string;
  close(): Promise<void>;
}

/** Serves the kv cluster `loaded` describes over RESP; rejects with ConfigError for another app. */
export async function startRespFrontEnd(
  loaded: LoadedConfig,
  opts: RespFrontEndOptions = {},
): Promise<RespFrontEnd> {
  const setup = loaded.config.app === "kv" ? appSetup(loaded.config) : null;
  if (setup?.kind !== "kv") {
    throw new ConfigError(`RESP serves the kv app; this cluster runs ${loaded.config.app}`);
  }
  const resp = loaded.config.resp;
  const host = opts.host ?? resp?.host ?? "127.0.0.1";
  const clients = await Promise.all(
    Array.from({ length: opts.clients ?? 4 }, () => DsClient.connect(loaded, setup.app)),
  );
  try {
    const server = await RespServer.start(clientBackend(clients, loaded, opts.timeoutMs), {
      host,
      port: opts.port ?? resp?.port ?? 6379,
      ...(resp?.password !== undefined ? { password: resp.password } : {}),
      ...(resp?.maxBulkBytes !== undefined ? { maxBulkBytes: resp.maxBulkBytes } : {}),
      memory: loaded.config.tunables.memory,
    });
    return {
      server,
      host,
      close: async () => {
        await server.close();
        await Promise.all(clients.map((c) => c.close()));
      },
    };
  } catch (err) {
    await Promise.all(clients.map((c) => c.close()));
    throw err;
  }
}

// DsClient: runs application commands on a real cluster through the simulator's own ClientProxy, over TCP.
import type { ClusterConfig, LoadedConfig } from "../cluster/config.ts";
import { addressesOf, deploymentOf, groupsOf, transportOptionsOf } from "../cluster/topology.ts";
import type { PartitionedApp } from "../core/dssmr/app.ts";
import { LocationCache } from "../core/dssmr/location-cache.ts";
import {
  addProxyStats,
  ClientProxy,
  emptyProxyStats,
  type ProxyResult,
  type ProxyStats,
} from "../core/dssmr/proxy.ts";
import type { DsReply } from "../core/dssmr/types.ts";
import { InputError } from "../core/errors.ts";
import type { McastResponse, QueryResponse } from "../core/group/wire.ts";
import type { ClientId, ReplicaId } from "../core/ids.ts";
import { Transport } from "../net/transport.ts";
import { randomClientId } from "./client-id.ts";
import {
  ClientAbortedError,
  ClientClosedError,
  ClientTimeoutError,
  InvalidCommandError,
} from "./errors.ts";

/** Tunables of a client; every field has a default. */
export interface DsClientOptions {
  /** This client's id (≥ CLIENT_ID_BASE). Default: random. */
  readonly clientId?: ClientId;
  /** Proxy tick period, ms. Default: the config's tickMs. */
  readonly tickMs?: number;
  /** Resend an unanswered message (to another replica) after this long. Default: the config's. */
  readonly retransmitMs?: number;
  /** Default time limit of `execute`, ms (Infinity: none). Default 10 s. */
  readonly timeoutMs?: number;
  /** Messages in flight at once per lane (at most what groups remember per client, 16). Default 16. */
  readonly maxInFlight?: number;
  /**
   * Independent client sessions (each with its own id, connections and FIFO chains) that share
   * one location cache; commands go to the lane with the fewest pending. A group orders one
   * client's multi-group messages one after the other (FIFO per client), so a single session
   * serialises creates, deletes and moves; lanes let them overlap. Default 4.
   */
  readonly lanes?: number;
  /** Randomness for the destination policy and first replica guesses. Default Math.random. */
  readonly random?: () => number;
}

/** Per-call options of `execute`. */
export interface ExecuteOptions {
  /** Aborting rejects the call with ClientAbortedError. */
  readonly signal?: AbortSignal;
  /** Time limit, ms (Infinity: none); rejects with ClientTimeoutError. Default: the client's. */
  readonly timeoutMs?: number;
}

/** One client session of a DsClient: its proxy and its connections. */
interface Lane<Cmd, Res> {
  readonly index: number;
  readonly proxy: ClientProxy<Cmd, Res>;
  readonly transport: Transport;
}

interface Waiter<Res> {
  readonly resolve: (r: Res) => void;
  readonly reject: (e: unknown) => void;
  readonly cleanup: () => void;
}

const isResponse = (v: unknown): v is McastResponse<unknown> | QueryResponse<unknown> => {
  if (typeof v !== "object" || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    Number.isInteger(m.group) &&
    (((m.type === "mcast-reply" || m.type === "mcast-redirect") && Number.isInteger(m.seq)) ||
      (m.type === "query-reply" && Number.isInteger(m.id)))
  );
};

/**
 * A client of a DS-SMR (or S-SMR) cluster. Commands go through the same sans-IO ClientProxy the
 * simulator drives (oracle consults, cache, moves, retries, S-SMR fallback, retransmission to
 * another replica on silence, redirects to the leader); this class only adds the real network
 * (a Transport dialling every replica) and real time (an interval calling `proxy.tick()`).
 *
 * Several `execute` calls may be in flight at once; the proxy pipelines up to `maxInFlight`
 * messages and queues the rest.
 *
 * Timeouts and aborts: the call rejects at once, but the command is NOT withdrawn. Multicast
 * messages carry a per-client FIFO chain, so the proxy must keep retransmitting a message until
 * every destination has it, or every later message of this client would wait behind it. An
 * aborted (or timed-out) command therefore keeps running in the background and may still take
 * effect, once; its result is discarded. Treat it as "outcome unknown", as with any remote call.
 */
export class DsClient<Cmd, Res> {
  /** The session id of this client's first lane. */
  readonly id: ClientId;
  private readonly app: PartitionedApp<Cmd, Res, unknown>;
  private readonly lanes: Lane<Cmd, Res>[] = [];
  private readonly timeoutMs: number;
  /** Waiting calls by lane index and the lane proxy's command id. */
  private readonly waiters = new Map<string, Waiter<Res>>();
  private ticker: NodeJS.Timeout | null;
  private closed = false;

  private constructor(
    config: ClusterConfig,
    app: PartitionedApp<Cmd, Res, unknown>,
    opts: DsClientOptions,
  ) {
    const laneCount = opts.lanes ?? 4;
    if (!Number.isInteger(laneCount) || laneCount < 1 || laneCount > 256) {
      throw new InputError(`lanes must be an integer in [1, 256], got ${laneCount}`);
    }
    this.id = opts.clientId ?? randomClientId();
    this.app = app;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    const tickMs = opts.tickMs ?? config.tunables.tickMs;
    const retransmitMs = opts.retransmitMs ?? config.tunables.clientRetransmitMs;
    const groups = groupsOf(config);
    const cache = new LocationCache();
    for (let i = 0; i < laneCount; i++) {
      const id = i === 0 ? this.id : randomClientId();
      const proxy = new ClientProxy<Cmd, Res>(
        {
          client: id,
          groups,
          deployment: deploymentOf(config),
          retryThreshold: config.tunables.retryThreshold,
          policy: config.tunables.policy,
          timeoutTicks: Math.max(1, Math.ceil(retransmitMs / tickMs)),
          maxInFlight: opts.maxInFlight ?? 16,
          queries: true,
          cache,
        },
        app,
        opts.random ?? Math.random,
      );
      const lane: Lane<Cmd, Res> = {
        index: i,
        proxy,
        transport: new Transport(
          { id, peers: addressesOf(config) },
          (from, msg) => this.onMessage(lane, from, msg),
          transportOptionsOf(config),
        ),
      };
      this.lanes.push(lane);
    }
    this.ticker = setInterval(() => {
      for (const lane of this.lanes) {
        lane.proxy.tick();
        this.pump(lane);
      }
    }, tickMs);
  }

  /**
   * A client of the cluster `config` describes, for application `app` (which must place
   * variables as the cluster does: build it with `appSetup(config)`). Dials every replica;
   * nothing waits for the cluster to be up: `execute` retries until its time limit.
   */
  static async connect<Cmd, Res>(
    config: ClusterConfig | LoadedConfig,
    app: PartitionedApp<Cmd, Res, unknown>,
    opts: DsClientOptions = {},
  ): Promise<DsClient<Cmd, Res>> {
    const c = "config" in config ? config.config : config;
    const client = new DsClient(c, app, opts);
    for (const lane of client.lanes)
      for (const id of addressesOf(c).keys()) lane.transport.connect(id);
    return client;
  }

  /**
   * Runs `cmd` and resolves with its result (application-level failures, e.g. an unknown user,
   * are results). Rejects with InvalidCommandError (malformed; nothing was sent),
   * ClientTimeoutError, ClientAbortedError (both: the command may still take effect), or
   * ClientClosedError.
   */
  execute(cmd: Cmd, opts: ExecuteOptions = {}): Promise<Res> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    const signal = opts.signal;
    if (signal?.aborted) return Promise.reject(new ClientAbortedError(signal.reason));
    const lane = this.lanes.reduce((a, b) => (b.proxy.pending < a.proxy.pending ? b : a));
    let key: string;
    try {
      key = `${lane.index}:${lane.proxy.submit(cmd)}`;
    } catch (err) {
      if (err instanceof InputError) return Promise.reject(new InvalidCommandError(err.message));
      return Promise.reject(err);
    }
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const promise = new Promise<Res>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      const onAbort = (): void => {
        this.forget(key)?.reject(new ClientAbortedError(signal?.reason));
      };
      const cleanup = (): void => {
        if (timer !== null) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      this.waiters.set(key, { resolve, reject, cleanup });
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(
          () => this.forget(key)?.reject(new ClientTimeoutError(timeoutMs)),
          timeoutMs,
        );
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    this.pump(lane);
    return promise;
  }

  /** What the proxy counted: consults, cache hits, moves, retries, fallbacks, messages… */
  stats(): ProxyStats {
    return this.lanes.reduce((a, l) => addProxyStats(a, l.proxy.stats), emptyProxyStats());
  }

  /** Commands submitted and not completed, aborted ones still running included. */
  get pending(): number {
    return this.lanes.reduce((n, l) => n + l.proxy.pending, 0);
  }

  /** Stops the client: pending calls reject with ClientClosedError; connections close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    for (const id of [...this.waiters.keys()]) this.forget(id)?.reject(new ClientClosedError());
    await Promise.all(this.lanes.map((l) => l.transport.close()));
  }

  private forget(id: string): Waiter<Res> | undefined {
    const w = this.waiters.get(id);
    if (w === undefined) return undefined;
    this.waiters.delete(id);
    w.cleanup();
    return w;
  }

  private onMessage(lane: Lane<Cmd, Res>, from: number, msg: unknown): void {
    if (this.closed || !isResponse(msg)) return;
    lane.proxy.receive(
      msg as McastResponse<DsReply<Res>> | QueryResponse<DsReply<Res>>,
      from as ReplicaId,
    );
    this.pump(lane);
  }

  /** Sends what a lane's proxy decided and settles the calls whose commands completed. */
  private pump(lane: Lane<Cmd, Res>): void {
    if (this.closed) return;
    for (const { to, msg } of lane.proxy.takeSends()) lane.transport.send(to, msg);
    for (const r of lane.proxy.takeResults()) this.settle(lane, r);
  }

  private settle(lane: Lane<Cmd, Res>, r: ProxyResult<Res>): void {
    const w = this.forget(`${lane.index}:${r.id}`);
    if (w === undefined) return; // aborted or timed out: the result is discarded
    if (r.ok) w.resolve(r.result);
    else w.reject(new InvalidCommandError(r.error));
  }

  /** The application this client speaks. */
  get application(): PartitionedApp<Cmd, Res, unknown> {
    return this.app;
  }
}

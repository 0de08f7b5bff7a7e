// DsClient: runs application commands on a real cluster through the simulator's own ClientProxy, over TCP.
import { parseReceiptRefusal } from "../cluster/admission.ts";
import { appIdentityOf } from "../cluster/app-module.ts";
import type { ClusterConfig, LoadedConfig } from "../cluster/config.ts";
import { oversize, parseOversizeReason, type SizeLimits } from "../cluster/limits.ts";
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
import { type ConnectionRejected, Transport } from "../net/transport.ts";
import { randomClientId } from "./client-id.ts";
import {
  AppMismatchError,
  ClientAbortedError,
  ClientClosedError,
  ClientTimeoutError,
  CommandTooLargeError,
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
  /**
   * The application's identity, sent in every handshake (replicas running another app refuse
   * the connection, and every call fails with AppMismatchError). Default: the identity the app
   * was loaded with (`loadAppSetup`, `appSetup`); none for an app built otherwise.
   */
  readonly appIdentity?: string;
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
  /** Unique over the client's life (lanes are replaced, never reused). */
  readonly index: number;
  readonly proxy: ClientProxy<Cmd, Res>;
  readonly transport: Transport;
  /** Calls waiting on this lane. */
  calls: number;
}

interface Waiter<Cmd, Res> {
  /** The lane the call runs on. */
  readonly lane: Lane<Cmd, Res>;
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
  private readonly config: ClusterConfig;
  private readonly opts: DsClientOptions;
  /** The lanes new commands go to. */
  private readonly lanes: Lane<Cmd, Res>[] = [];
  /**
   * Lanes taken out of service (a replica refused one of their messages, so their FIFO chain
   * has a hole no group fills): still ticked so that what they can still finish finishes, and
   * closed once no call waits on them.
   */
  private readonly retired = new Set<Lane<Cmd, Res>>();
  private readonly cache = new LocationCache();
  private nextLane = 0;
  /** Counters of the lanes closed so far (stats() stays cumulative). */
  private readonly closedStats = emptyProxyStats();
  private readonly timeoutMs: number;
  /** The cluster's size limits, checked before a command is handed to a lane. */
  private readonly limits: SizeLimits;
  /** Waiting calls by lane index and the lane proxy's command id. */
  private readonly waiters = new Map<string, Waiter<Cmd, Res>>();
  private ticker: NodeJS.Timeout | null;
  private closed = false;
  /** The identity this client's handshakes carry, if any. */
  private readonly identity: string | undefined;
  /** Set once a replica refused us for running another application: every call fails with it. */
  private mismatch: AppMismatchError | null = null;

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
    this.config = config;
    this.opts = opts;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.identity = opts.appIdentity ?? appIdentityOf(app);
    this.limits = {
      maxCommandBytes: config.tunables.maxCommandBytes,
      maxValueBytes: config.tunables.maxValueBytes,
    };
    const tickMs = opts.tickMs ?? config.tunables.tickMs;
    for (let i = 0; i < laneCount; i++)
      this.lanes.push(this.newLane(i === 0 ? this.id : randomClientId()));
    this.ticker = setInterval(() => {
      for (const lanes of [this.lanes, this.retired]) {
        for (const lane of lanes) {
          lane.proxy.tick();
          this.pump(lane);
        }
      }
    }, tickMs);
  }

  /** A lane with session id `id`, sharing the client's location cache (not yet dialling). */
  private newLane(id: ClientId): Lane<Cmd, Res> {
    const { config, opts } = this;
    const tickMs = opts.tickMs ?? config.tunables.tickMs;
    const retransmitMs = opts.retransmitMs ?? config.tunables.clientRetransmitMs;
    const proxy = new ClientProxy<Cmd, Res>(
      {
        client: id,
        groups: groupsOf(config),
        deployment: deploymentOf(config),
        retryThreshold: config.tunables.retryThreshold,
        policy: config.tunables.policy,
        timeoutTicks: Math.max(1, Math.ceil(retransmitMs / tickMs)),
        maxInFlight: opts.maxInFlight ?? 16,
        queries: true,
        cache: this.cache,
      },
      this.app,
      opts.random ?? Math.random,
    );
    const lane: Lane<Cmd, Res> = {
      index: this.nextLane++,
      proxy,
      transport: new Transport(
        { id, peers: addressesOf(config) },
        (from, msg) => this.onMessage(lane, from, msg),
        {
          ...transportOptionsOf(config),
          ...(this.identity === undefined ? {} : { app: this.identity }),
          onReject: (e) => this.onReject(e),
        },
      ),
      calls: 0,
    };
    return lane;
  }

  private dial(lane: Lane<Cmd, Res>): void {
    for (const id of addressesOf(this.config).keys()) lane.transport.connect(id);
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
    for (const lane of client.lanes) client.dial(lane);
    return client;
  }

  /**
   * Runs `cmd` and resolves with its result (application-level failures, e.g. an unknown user,
   * are results). Rejects with InvalidCommandError (malformed; nothing was sent),
   * CommandTooLargeError (over the config's `maxCommandBytes` or `maxValueBytes`: nothing was
   * sent, or a replica refused it before logging it; the command did not take effect),
   * ClientTimeoutError, ClientAbortedError (both: the command may still take effect), or
   * ClientClosedError.
   */
  execute(cmd: Cmd, opts: ExecuteOptions = {}): Promise<Res> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    if (this.mismatch !== null) return Promise.reject(this.mismatch);
    const signal = opts.signal;
    if (signal?.aborted) return Promise.reject(new ClientAbortedError(signal.reason));
    // Sized before any lane sees it: an oversized command must not take a seq, or the lane's
    // FIFO chain would name a message no group ever orders, and its later commands would wait.
    // (Validated first: the size of a malformed command means nothing, and it may not encode.)
    const why = this.app.validate(cmd);
    if (why !== null) return Promise.reject(new InvalidCommandError(why));
    const big = oversize(cmd, this.limits);
    if (big !== null) {
      return Promise.reject(new CommandTooLargeError(big.what, big.bytes, big.limit));
    }
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
      this.waiters.set(key, { lane, resolve, reject, cleanup });
      lane.calls++;
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
    return [...this.lanes, ...this.retired].reduce(
      (a, l) => addProxyStats(a, l.proxy.stats),
      addProxyStats(emptyProxyStats(), this.closedStats),
    );
  }

  /** Commands submitted and not completed, aborted ones still running included. */
  get pending(): number {
    return [...this.lanes, ...this.retired].reduce((n, l) => n + l.proxy.pending, 0);
  }

  /** Stops the client: pending calls reject with ClientClosedError; connections close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    for (const id of [...this.waiters.keys()]) this.forget(id)?.reject(new ClientClosedError());
    await Promise.all([...this.lanes, ...this.retired].map((l) => l.transport.close()));
    this.retired.clear();
  }

  private forget(id: string): Waiter<Cmd, Res> | undefined {
    const w = this.waiters.get(id);
    if (w === undefined) return undefined;
    this.waiters.delete(id);
    w.cleanup();
    // A retired lane nobody waits on any more is closed: what it still retransmits can only be
    // behind the hole.
    if (--w.lane.calls === 0 && this.retired.has(w.lane)) this.closeRetired(w.lane);
    return w;
  }

  private closeRetired(lane: Lane<Cmd, Res>): void {
    this.retired.delete(lane);
    addProxyStats(this.closedStats, lane.proxy.stats);
    void lane.transport.close();
  }

  /**
   * Takes `lane` out of service and puts a fresh session (new id, new chains, same cache) in
   * its place, so that new commands do not queue behind a message no group will order.
   */
  private retire(lane: Lane<Cmd, Res>): void {
    const at = this.lanes.indexOf(lane);
    if (at < 0 || this.closed) return;
    const fresh = this.newLane(randomClientId());
    this.lanes[at] = fresh;
    this.dial(fresh);
    this.retired.add(lane);
    if (lane.calls === 0) this.closeRetired(lane);
  }

  /**
   * A connection was closed for bad input or a failed handshake. Most such failures heal (the
   * transport dials again) and are only logged; an application mismatch does not, so it fails
   * every waiting call at once rather than letting them time out.
   */
  private onReject(e: ConnectionRejected): void {
    if (e.kind !== "app") {
      console.warn(
        `dssmr client ${this.id}: closed connection to ${e.peer === null ? "" : `node ${e.peer} at `}${e.remote}: ${e.reason}`,
      );
      return;
    }
    if (this.mismatch !== null || this.closed) return;
    this.mismatch = new AppMismatchError(
      `replica ${e.peer ?? e.remote} refused this client: ${e.reason}`,
    );
    for (const id of [...this.waiters.keys()]) this.forget(id)?.reject(this.mismatch);
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
    if (r.ok) {
      w.resolve(r.result);
      return;
    }
    const refused = parseReceiptRefusal(r.error);
    if (refused !== null) {
      // A replica refused it before logging it (this client's limits or app differ from the
      // cluster's): nothing took effect, but the message's seq is a hole in this lane's FIFO
      // chains that no group will ever fill, so every later message of the lane to that group
      // would wait for ever. The lane is replaced; calls already on it finish or time out.
      this.retire(lane);
    }
    const reason = refused ?? r.error;
    const big = parseOversizeReason(reason);
    w.reject(
      big === null
        ? new InvalidCommandError(reason)
        : new CommandTooLargeError(big.what, big.bytes, big.limit),
    );
  }

  /** The application this client speaks. */
  get application(): PartitionedApp<Cmd, Res, unknown> {
    return this.app;
  }
}

// TCP transport: framed messages to peers by id, reconnecting links, bounded queues, hello handshake.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { backoffDelay } from "./backoff.ts";
import { FrameError, ProtocolError } from "./errors.ts";
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder } from "./frame.ts";
import { FrameWriter } from "./frame-writer.ts";
import { emptyTransportStats, type TransportStats } from "./stats.ts";

/** Where a node listens. */
export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** Tunables of a transport; every field has a default. */
export interface TransportOptions {
  /** Largest frame accepted from anyone. */
  readonly maxFrameBytes?: number;
  /** Bound of each link's send queue, in frames. */
  readonly maxQueueFrames?: number;
  /** Bound of each link's send queue, in bytes. */
  readonly maxQueueBytes?: number;
  /** First reconnect delay, ms. */
  readonly backoffMinMs?: number;
  /** Largest reconnect delay, ms. */
  readonly backoffMaxMs?: number;
  /** Give up a connection attempt after this long, ms. */
  readonly connectTimeoutMs?: number;
  /** Randomness for backoff jitter. */
  readonly random?: () => number;
}

/** Who this transport is and whom it can reach. */
export interface TransportConfig {
  /** Sent in the hello frame of every outgoing connection. */
  readonly id: number;
  /** Peers reachable by address; other ids are reachable only on connections they opened. */
  readonly peers: ReadonlyMap<number, PeerAddress>;
  /** Where to listen; omitted for a pure client. Port 0 lets the OS choose. */
  readonly listen?: PeerAddress;
}

/** Called for every message received; `from` is the sender's id (its hello, or the peer dialled). */
export type MessageHandler = (from: number, msg: unknown) => void;

/** The first frame on every connection, naming the side that opened it. */
export interface Hello {
  readonly type: "hello";
  readonly id: number;
}

const isHello = (v: unknown): v is Hello =>
  typeof v === "object" &&
  v !== null &&
  (v as { type?: unknown }).type === "hello" &&
  Number.isInteger((v as { id?: unknown }).id);

interface Resolved {
  readonly maxFrameBytes: number;
  readonly maxQueueFrames: number;
  readonly maxQueueBytes: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  readonly connectTimeoutMs: number;
  readonly random: () => number;
}

/** An outgoing link to a peer: reconnects forever (until close) with backoff. */
interface OutLink {
  readonly id: number;
  readonly address: PeerAddress;
  readonly writer: FrameWriter;
  socket: Socket | null;
  timer: NodeJS.Timeout | null;
  attempt: number;
  everConnected: boolean;
}

/** An incoming connection that said hello. */
interface InLink {
  readonly socket: Socket;
  readonly writer: FrameWriter;
}

/**
 * Sends framed messages to peers by id and delivers what arrives to one handler.
 *
 * - `send(to, msg)` is fire-and-forget: it encodes now, queues (bounded; drops when full) and
 *   returns. Consensus and multicast retransmit, so a lost message only costs time.
 * - To a peer in `config.peers` we keep one outgoing connection, opened on first use and
 *   reopened after any failure with exponential, capped, jittered backoff.
 * - Every connection starts with a hello frame naming the side that opened it. A node that is
 *   not a peer (a client) is answered on the connection it opened.
 * - A connection that sends a malformed frame (or no hello) is closed; nothing else changes.
 */
export class Transport {
  /** Counters since construction. */
  readonly stats: TransportStats = emptyTransportStats();
  private readonly config: TransportConfig;
  private readonly opts: Resolved;
  private readonly onMessage: MessageHandler;
  private readonly out = new Map<number, OutLink>();
  private readonly inbound = new Map<number, InLink>();
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private closed = false;
  private readonly hello: Buffer;

  constructor(config: TransportConfig, onMessage: MessageHandler, options: TransportOptions = {}) {
    this.config = config;
    this.onMessage = onMessage;
    this.opts = {
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      maxQueueFrames: options.maxQueueFrames ?? 100_000,
      maxQueueBytes: options.maxQueueBytes ?? 64 * 1024 * 1024,
      backoffMinMs: options.backoffMinMs ?? 20,
      backoffMaxMs: options.backoffMaxMs ?? 1_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 3_000,
      random: options.random ?? Math.random,
    };
    this.hello = encodeFrame({ type: "hello", id: config.id } satisfies Hello);
  }

  /** This node's id. */
  get id(): number {
    return this.config.id;
  }

  /** Starts listening (if configured); resolves with the bound address. */
  async listen(): Promise<PeerAddress | null> {
    const at = this.config.listen;
    if (at === undefined) return null;
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(at.port, at.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const addr = server.address();
    if (addr === null || typeof addr === "string") return null;
    return { host: addr.address, port: addr.port };
  }

  /**
   * Queues `msg` for `to`. Returns false when it was dropped at once (no route, or the queue is
   * full); true does not mean it will arrive.
   */
  send(to: number, msg: unknown): boolean {
    if (this.closed) return false;
    const peer = this.config.peers.get(to);
    if (peer !== undefined) return this.link(to, peer).writer.enqueue(encodeFrame(msg));
    const inbound = this.inbound.get(to);
    if (inbound === undefined) {
      this.stats.dropsNoRoute++;
      return false;
    }
    return inbound.writer.enqueue(encodeFrame(msg));
  }

  /** Opens the outgoing connection to a peer now instead of on first send. */
  connect(to: number): void {
    const peer = this.config.peers.get(to);
    if (peer !== undefined && !this.closed) this.link(to, peer);
  }

  /** True when an outgoing connection to `to` is established. */
  connected(to: number): boolean {
    return this.out.get(to)?.socket?.readyState === "open";
  }

  /**
   * Stops reconnecting and accepting, writes what is queued on open connections, and closes
   * every socket. Resolves once all are closed (sockets that do not close within `graceMs` are
   * destroyed).
   */
  async close(graceMs = 500): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.out.values()) {
      if (link.timer !== null) clearTimeout(link.timer);
      link.timer = null;
      if (link.socket?.readyState === "open") link.writer.flushNow();
    }
    for (const link of this.inbound.values()) link.writer.flushNow();
    const closing = [...this.sockets].map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.destroyed) return resolve();
          s.once("close", () => resolve());
          s.end();
          setTimeout(() => s.destroy(), graceMs).unref();
        }),
    );
    const server = this.server;
    const serverClosed =
      server === null ? Promise.resolve() : new Promise<void>((r) => server.close(() => r()));
    await Promise.all([...closing, serverClosed]);
  }

  private link(id: number, address: PeerAddress): OutLink {
    let link = this.out.get(id);
    if (link === undefined) {
      const writer = new FrameWriter(
        { maxFrames: this.opts.maxQueueFrames, maxBytes: this.opts.maxQueueBytes },
        this.stats,
      );
      link = { id, address, writer, socket: null, timer: null, attempt: 0, everConnected: false };
      this.out.set(id, link);
      this.dial(link);
    }
    return link;
  }

  private dial(link: OutLink): void {
    link.timer = null;
    if (this.closed) return;
    const socket = createConnection({ host: link.address.host, port: link.address.port });
    socket.setNoDelay(true);
    socket.setTimeout(this.opts.connectTimeoutMs, () => socket.destroy());
    link.socket = socket;
    this.track(socket);
    let open = false;
    socket.once("connect", () => {
      open = true;
      socket.setTimeout(0);
      if (link.everConnected) this.stats.reconnects++;
      link.everConnected = true;
      link.attempt = 0;
      link.writer.attach(socket, this.hello);
    });
    this.read(socket, () => link.id);
    socket.on("error", () => {}); // 'close' follows; the cause does not change what we do
    socket.once("close", () => {
      if (link.socket === socket) {
        link.socket = null;
        link.writer.detach();
      }
      if (!open) this.stats.connectFailures++;
      if (this.closed) return;
      const { backoffMinMs: minMs, backoffMaxMs: maxMs, random } = this.opts;
      const delay = backoffDelay(link.attempt++, { minMs, maxMs }, random);
      link.timer = setTimeout(() => this.dial(link), delay);
    });
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.stats.connectionsAccepted++;
    socket.setNoDelay(true);
    this.track(socket);
    let peer: number | null = null;
    this.read(
      socket,
      () => peer,
      (hello) => {
        peer = hello.id;
        const writer = new FrameWriter(
          { maxFrames: this.opts.maxQueueFrames, maxBytes: this.opts.maxQueueBytes },
          this.stats,
        );
        const old = this.inbound.get(peer);
        // A reconnecting node replaces its old connection, which is probably dead already.
        if (old !== undefined && old.socket !== socket) old.socket.destroy();
        this.inbound.set(peer, { socket, writer });
        writer.attach(socket);
      },
    );
    socket.on("error", () => {});
    socket.once("close", () => {
      if (peer !== null && this.inbound.get(peer)?.socket === socket) this.inbound.delete(peer);
    });
  }

  /**
   * Decodes frames from `socket`. `sender()` names the remote side (null until it said hello,
   * for accepted connections, which must start with one: `onHello` handles it).
   */
  private read(socket: Socket, sender: () => number | null, onHello?: (h: Hello) => void): void {
    const decoder = new FrameDecoder(this.opts.maxFrameBytes);
    socket.on("data", (chunk: Buffer) => {
      this.stats.bytesIn += chunk.length;
      let values: unknown[];
      try {
        values = decoder.push(chunk);
        for (const v of values) {
          const from = sender();
          if (from === null) {
            if (onHello === undefined || !isHello(v)) {
              throw new ProtocolError("the first frame of a connection must be a hello");
            }
            onHello(v);
            continue;
          }
          this.stats.framesIn++;
          this.onMessage(from, v);
          if (socket.destroyed) return;
        }
      } catch (err) {
        if (!(err instanceof FrameError || err instanceof ProtocolError)) throw err;
        this.stats.frameErrors++;
        socket.destroy();
      }
    });
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }
}

// TCP transport: framed messages to peers by id, reconnecting links, bounded queues, hello handshake.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { ConfigError } from "../core/errors.ts";
import { backoffDelay } from "./backoff.ts";
import { FrameError, HandshakeError, ProtocolError } from "./errors.ts";
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FRAME_HEADER_BYTES, FrameDecoder } from "./frame.ts";
import { FrameWriter } from "./frame-writer.ts";
import {
  type Challenge,
  checkChallenge,
  checkHello,
  checkWelcome,
  HANDSHAKE_MAX_FRAME_BYTES,
  HANDSHAKE_TYPES,
  type HandshakeFailure,
  type Hello,
  helloMac,
  MAX_APP_IDENTITY_CHARS,
  newNonce,
  PROTOCOL_VERSION,
  type Refused,
  refusalFailure,
  refusedReason,
  type Welcome,
  welcomeMac,
} from "./handshake.ts";
import { emptyTransportStats, type TransportStats } from "./stats.ts";

export type { Hello } from "./handshake.ts";

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
  /**
   * Shared cluster secret. When set, every connection, in both directions, must complete an
   * HMAC-SHA256 challenge-response proving that both sides hold it; others are refused and
   * counted. Unset: connections need only the hello (with the right protocol version).
   */
  readonly secret?: string;
  /** An idle-proof ping goes out on every outgoing connection this often, ms. Default 500. */
  readonly pingIntervalMs?: number;
  /**
   * An outgoing connection whose peer answered nothing (no pong) for this long is closed and
   * dialled again, ms. Default 3000. TCP alone would notice a cut link only when it gives up,
   * after many minutes, and after the cut heals it would wait for its next retransmission,
   * whose delay doubles with every try: the longer the cut, the longer the rejoin.
   */
  readonly deadAfterMs?: number;
  /** Longest time a connection may take to complete its handshake, ms. Default connectTimeoutMs. */
  readonly handshakeTimeoutMs?: number;
  /**
   * The application this node runs (its identity: name and module hash, app-module.ts). Sent in
   * every hello; an accepted connection whose hello names another one is refused (`app`) with
   * both identities in the reason, and the dialler sees the refusal as an `app` rejection. A
   * hello naming none (a status probe) is accepted. Unset: nothing is sent or checked.
   */
  readonly app?: string;
  /**
   * Told about every connection closed for bad input or a failed handshake, with a reason fit
   * for a log. Default: one `console.warn` line.
   */
  readonly onReject?: (event: ConnectionRejected) => void;
}

/** A connection closed for bad input or a failed handshake. */
export interface ConnectionRejected {
  /** `in`: a connection we accepted; `out`: one we dialled. */
  readonly direction: "in" | "out";
  /** The remote node's id when known (the one dialled, or named in its hello). */
  readonly peer: number | null;
  /** The remote address and port. */
  readonly remote: string;
  /** `frame`: malformed bytes; the rest are handshake failures. */
  readonly kind: "frame" | HandshakeFailure;
  readonly reason: string;
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

/**
 * Called for every message received; `from` is the sender's id (its hello, or the peer dialled),
 * `bytes` the size of its encoded payload (what a receiver bounds without encoding it again).
 */
export type MessageHandler = (from: number, msg: unknown, bytes: number) => void;

interface Resolved {
  readonly maxFrameBytes: number;
  readonly maxQueueFrames: number;
  readonly maxQueueBytes: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  readonly connectTimeoutMs: number;
  readonly random: () => number;
  readonly secret: string | undefined;
  readonly handshakeTimeoutMs: number;
  readonly app: string | undefined;
  readonly pingIntervalMs: number;
  readonly deadAfterMs: number;
  readonly onReject: (event: ConnectionRejected) => void;
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
  /** The current socket completed its handshake: messages flow. */
  ready: boolean;
  /** When the peer last answered on the current socket (handshake done, or a pong), ms. */
  lastHeard: number;
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
 * - Every connection starts with a hello frame naming the side that opened it and the protocol
 *   version; another version is refused with a reason. A node that is not a peer (a client) is
 *   answered on the connection it opened.
 * - With `options.secret`, the handshake is a mutual challenge-response (see handshake.ts): the
 *   acceptor sends a nonce; the dialler answers with its hello, its own nonce and an HMAC over
 *   both; the acceptor checks it (constant time) and answers a welcome with an HMAC of its own,
 *   which the dialler checks before sending anything else. A captured hello or welcome is
 *   useless on another connection (fresh nonces), and neither can stand in for the other.
 * - Until its handshake completes a connection may send only small frames
 *   (HANDSHAKE_MAX_FRAME_BYTES) and must finish within `handshakeTimeoutMs`.
 * - A connection that sends a malformed frame, breaks the handshake or sends a handshake frame
 *   afterwards is closed and counted; nothing else changes.
 * - Liveness: messages flow one way on a connection (each side dials its own), so the dialler
 *   pings every `pingIntervalMs` and the acceptor answers each ping with a pong on the same
 *   connection. A dialler that hears nothing for `deadAfterMs` closes the connection and dials
 *   again (the queue keeps what was not written). Ping and pong never reach the handler.
 */
export class Transport {
  /** Counters since construction. */
  readonly stats: TransportStats = emptyTransportStats();
  private readonly config: TransportConfig;
  private readonly opts: Resolved;
  private readonly onMessage: MessageHandler;
  /** Peers already told about (in the log) a frame dropped as too large. */
  private readonly warnedTooLarge = new Set<number>();
  private readonly out = new Map<number, OutLink>();
  private readonly inbound = new Map<number, InLink>();
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private pinger: NodeJS.Timeout | null = null;
  private closed = false;

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
      secret: options.secret,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? options.connectTimeoutMs ?? 3_000,
      app: options.app,
      pingIntervalMs: options.pingIntervalMs ?? 500,
      deadAfterMs: options.deadAfterMs ?? 3_000,
      onReject:
        options.onReject ??
        ((e) =>
          console.warn(
            `dssmr transport ${config.id}: closed ${e.direction === "in" ? "connection from" : "connection to"} ` +
              `${e.peer === null ? "" : `node ${e.peer} at `}${e.remote}: ${e.reason}`,
          )),
    };
    if (options.secret !== undefined && options.secret.length === 0) {
      throw new ConfigError("transport secret must not be empty");
    }
    if (
      options.app !== undefined &&
      (options.app.length === 0 || options.app.length > MAX_APP_IDENTITY_CHARS)
    ) {
      throw new ConfigError(`transport app identity must be 1..${MAX_APP_IDENTITY_CHARS} chars`);
    }
    const { pingIntervalMs, deadAfterMs } = this.opts;
    if (!(Number.isFinite(pingIntervalMs) && pingIntervalMs > 0)) {
      throw new ConfigError(`transport pingIntervalMs must be > 0, got ${pingIntervalMs}`);
    }
    if (!(Number.isFinite(deadAfterMs) && deadAfterMs > pingIntervalMs)) {
      throw new ConfigError(
        `transport deadAfterMs must exceed pingIntervalMs (${pingIntervalMs}), got ${deadAfterMs}`,
      );
    }
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
   * Queues `msg` for `to`. Returns false when it was dropped at once (no route, the queue is
   * full, or it is over the frame limit); true does not mean it will arrive.
   *
   * A frame over `maxFrameBytes` is dropped here, counted and reported once per peer: the peer
   * (with the same limit) would close the connection on its header, losing every frame queued
   * behind it, and the sender's retries would sever the link again and again.
   */
  send(to: number, msg: unknown): boolean {
    if (this.closed) return false;
    const frame = encodeFrame(msg);
    if (frame.length - FRAME_HEADER_BYTES > this.opts.maxFrameBytes) {
      this.stats.dropsTooLarge++;
      if (!this.warnedTooLarge.has(to)) {
        this.warnedTooLarge.add(to);
        console.warn(
          `transport: dropped a ${frame.length}-byte frame to ${to}, over the ${this.opts.maxFrameBytes}-byte frame limit (counted in dropsTooLarge; reported once per peer)`,
        );
      }
      return false;
    }
    const peer = this.config.peers.get(to);
    if (peer !== undefined) return this.link(to, peer).writer.enqueue(frame);
    const inbound = this.inbound.get(to);
    if (inbound === undefined) {
      this.stats.dropsNoRoute++;
      return false;
    }
    return inbound.writer.enqueue(frame);
  }

  /** Opens the outgoing connection to a peer now instead of on first send. */
  connect(to: number): void {
    const peer = this.config.peers.get(to);
    if (peer !== undefined && !this.closed) this.link(to, peer);
  }

  /** True when an outgoing connection to `to` is established and its handshake done. */
  connected(to: number): boolean {
    const link = this.out.get(to);
    return link?.ready === true && link.socket?.readyState === "open";
  }

  /**
   * Stops reconnecting and accepting, writes what is queued on open connections, and closes
   * every socket. Resolves once all are closed (sockets that do not close within `graceMs` are
   * destroyed).
   */
  async close(graceMs = 500): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pinger !== null) clearInterval(this.pinger);
    this.pinger = null;
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
      link = {
        id,
        address,
        writer,
        socket: null,
        timer: null,
        attempt: 0,
        everConnected: false,
        ready: false,
        lastHeard: 0,
      };
      this.out.set(id, link);
      this.dial(link);
      if (this.pinger === null) {
        this.pinger = setInterval(() => this.pingAll(), this.opts.pingIntervalMs);
        this.pinger.unref();
      }
    }
    return link;
  }

  /** Pings every ready outgoing connection; closes those whose peer went quiet. */
  private pingAll(): void {
    const now = performance.now();
    for (const link of this.out.values()) {
      const socket = link.socket;
      if (!link.ready || socket === null) continue;
      if (now - link.lastHeard > this.opts.deadAfterMs) {
        this.stats.deadLinks++;
        socket.destroy(); // 'close' dials again, after the first (short) backoff step
        continue;
      }
      link.writer.enqueue(PING);
    }
  }

  private dial(link: OutLink): void {
    link.timer = null;
    if (this.closed) return;
    const { secret, connectTimeoutMs, handshakeTimeoutMs, app } = this.opts;
    const named = app === undefined ? {} : { app };
    const socket = createConnection({ host: link.address.host, port: link.address.port });
    socket.setNoDelay(true);
    link.socket = socket;
    link.ready = false;
    this.track(socket);
    let open = false;
    let ready = false;
    let nonce: Uint8Array | null = null;
    let challenge: Uint8Array | null = null;
    const decoder = new FrameDecoder(
      secret === undefined ? this.opts.maxFrameBytes : HANDSHAKE_MAX_FRAME_BYTES,
    );
    const up = (first?: Buffer): void => {
      ready = true;
      socket.setTimeout(0);
      decoder.setLimit(this.opts.maxFrameBytes);
      if (link.everConnected) this.stats.reconnects++;
      link.everConnected = true;
      link.attempt = 0;
      link.ready = true;
      link.lastHeard = performance.now();
      link.writer.attach(socket, first);
    };
    socket.setTimeout(connectTimeoutMs, () => {
      if (!open) {
        socket.destroy();
        return;
      }
      const why =
        challenge === null
          ? `no challenge within ${handshakeTimeoutMs} ms (does the peer have the cluster secret?)`
          : `no welcome within ${handshakeTimeoutMs} ms`;
      this.reject(socket, "out", link.id, new HandshakeError("timeout", why));
    });
    socket.once("connect", () => {
      open = true;
      if (secret === undefined) {
        up(
          encodeFrame({
            type: "hello",
            v: PROTOCOL_VERSION,
            id: this.config.id,
            ...named,
          } satisfies Hello),
        );
      } else {
        socket.setTimeout(handshakeTimeoutMs);
      }
    });
    this.read(
      socket,
      decoder,
      "out",
      link.id,
      () => (ready ? link.id : null),
      (control) => {
        if (control !== "pong") throw new ProtocolError("unexpected ping on a dialled connection");
        if (link.socket === socket) link.lastHeard = performance.now();
      },
      (frame) => {
        if (secret === undefined) throw new ProtocolError("unexpected frame before the hello");
        if (challenge === null || nonce === null) {
          const c = checkChallenge(frame);
          if (!c.ok) throw new HandshakeError(c.failure, c.reason);
          challenge = c.value.nonce;
          nonce = newNonce();
          const mac = helloMac(secret, PROTOCOL_VERSION, this.config.id, nonce, challenge);
          const hello: Hello = {
            type: "hello",
            v: PROTOCOL_VERSION,
            id: this.config.id,
            nonce,
            mac,
            ...named,
          };
          socket.write(encodeFrame(hello));
          return;
        }
        const w = checkWelcome(frame, secret, this.config.id, link.id, nonce, challenge);
        if (!w.ok) throw new HandshakeError(w.failure, w.reason);
        up();
      },
    );
    socket.on("error", () => {}); // 'close' follows; the cause does not change what we do
    socket.once("close", () => {
      if (link.socket === socket) {
        link.socket = null;
        link.ready = false;
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
    const { secret, handshakeTimeoutMs } = this.opts;
    const challenge = secret === undefined ? null : newNonce();
    let peer: number | null = null;
    let writer: FrameWriter | null = null;
    const timer = setTimeout(() => {
      const why = `no ${challenge === null ? "hello" : "valid hello"} within ${handshakeTimeoutMs} ms`;
      this.reject(socket, "in", null, new HandshakeError("timeout", why));
    }, handshakeTimeoutMs);
    socket.once("close", () => clearTimeout(timer));
    const decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES);
    if (challenge !== null) {
      socket.write(
        encodeFrame({
          type: "challenge",
          v: PROTOCOL_VERSION,
          nonce: challenge,
        } satisfies Challenge),
      );
    }
    this.read(
      socket,
      decoder,
      "in",
      null,
      () => peer,
      (control) => {
        if (control !== "ping")
          throw new ProtocolError("unexpected pong on an accepted connection");
        writer?.enqueue(PONG);
      },
      (frame) => {
        const check = checkHello(frame, secret, challenge, this.opts.app);
        if (!check.ok) throw new HandshakeError(check.failure, check.reason);
        clearTimeout(timer);
        const hello = check.value;
        const id = hello.id;
        peer = id;
        decoder.setLimit(this.opts.maxFrameBytes);
        writer = new FrameWriter(
          { maxFrames: this.opts.maxQueueFrames, maxBytes: this.opts.maxQueueBytes },
          this.stats,
        );
        const old = this.inbound.get(id);
        // A reconnecting node replaces its old connection, which is probably dead already.
        if (old !== undefined && old.socket !== socket) old.socket.destroy();
        this.inbound.set(id, { socket, writer });
        let welcome: Buffer | undefined;
        if (secret !== undefined && challenge !== null && hello.nonce !== undefined) {
          const mac = welcomeMac(
            secret,
            PROTOCOL_VERSION,
            id,
            this.config.id,
            hello.nonce,
            challenge,
          );
          welcome = encodeFrame({
            type: "welcome",
            v: PROTOCOL_VERSION,
            id: this.config.id,
            mac,
          } satisfies Welcome);
        }
        writer.attach(socket, welcome);
      },
    );
    socket.on("error", () => {});
    socket.once("close", () => {
      if (peer !== null && this.inbound.get(peer)?.socket === socket) this.inbound.delete(peer);
    });
  }

  /**
   * Decodes frames from `socket`. Until `sender()` names the remote side, frames go to
   * `handshake`, which throws to refuse; afterwards, pings and pongs go to `control` and the
   * rest to the message handler. Handshake frames after the handshake are never delivered: a
   * `refused` or `challenge` closes the connection with its reason, anything else of the kind
   * is a protocol error.
   */
  private read(
    socket: Socket,
    decoder: FrameDecoder,
    direction: "in" | "out",
    known: number | null,
    sender: () => number | null,
    control: (kind: "ping" | "pong") => void,
    handshake: (frame: unknown) => void,
  ): void {
    let dead = false;
    socket.on("data", (chunk: Buffer) => {
      if (dead) return;
      this.stats.bytesIn += chunk.length;
      try {
        decoder.feed(chunk, (v, bytes) => {
          const from = sender();
          if (from === null) {
            handshake(v);
          } else if (isHandshakeFrame(v)) {
            throw afterHandshake(v);
          } else if (isControl(v)) {
            control(v.type === "keepalive" ? "ping" : "pong");
          } else {
            this.stats.framesIn++;
            this.onMessage(from, v, bytes);
          }
          return !socket.destroyed;
        });
      } catch (err) {
        if (
          !(
            err instanceof FrameError ||
            err instanceof ProtocolError ||
            err instanceof HandshakeError
          )
        ) {
          throw err;
        }
        dead = true;
        this.reject(socket, direction, sender() ?? known, err);
      }
    });
  }

  /**
   * Closes a connection for `err`, counts it and reports it. A refused handshake first tells the
   * peer why (not which check failed for the secret), so that its log is clear too.
   */
  private reject(
    socket: Socket,
    direction: "in" | "out",
    peer: number | null,
    err: FrameError | ProtocolError | HandshakeError,
  ): void {
    if (socket.destroyed) return;
    let kind: ConnectionRejected["kind"] = "frame";
    if (err instanceof HandshakeError) {
      kind = err.failure;
      if (kind === "auth") this.stats.authFailures++;
      else if (kind === "version") this.stats.versionMismatches++;
      else if (kind === "timeout") this.stats.handshakeTimeouts++;
      else if (kind === "app") this.stats.appMismatches++;
      else this.stats.frameErrors++;
    } else {
      if (err instanceof ProtocolError) kind = "protocol";
      this.stats.frameErrors++;
    }
    this.opts.onReject({
      direction,
      peer,
      remote: `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`,
      kind,
      reason: err.message,
    });
    // An application mismatch is told only to a dialler (the refused side is the one to act);
    // a dialler that was refused just closes.
    const tell = kind === "version" || kind === "auth" || (kind === "app" && direction === "in");
    if (err instanceof HandshakeError && tell) {
      const reason = kind === "auth" ? "authentication failed" : err.message;
      const refused: Refused = {
        type: "refused",
        v: PROTOCOL_VERSION,
        reason,
        ...(kind === "app" ? { failure: "app" } : {}),
      };
      socket.end(encodeFrame(refused));
      setTimeout(() => socket.destroy(), 500).unref();
      return;
    }
    socket.destroy();
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }
}

/** The liveness frames, encoded once. */
const PING = encodeFrame({ type: "keepalive" });
const PONG = encodeFrame({ type: "keepalive-ack" });

/**
 * A ping (`keepalive`) or pong (`keepalive-ack`): exactly `{ type }` and nothing else. Like the
 * handshake's, these type names are the transport's own: no message may use them.
 */
const isControl = (v: unknown): v is { type: "keepalive" | "keepalive-ack" } =>
  typeof v === "object" &&
  v !== null &&
  ((v as { type?: unknown }).type === "keepalive" ||
    (v as { type?: unknown }).type === "keepalive-ack") &&
  Object.keys(v).length === 1;

const isHandshakeFrame = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as { type?: unknown }).type === "string" &&
  HANDSHAKE_TYPES.has((v as { type: string }).type);

/** The error that closes a connection on a handshake frame after its handshake. */
function afterHandshake(frame: Record<string, unknown>): Error {
  if (frame.type === "refused") {
    return new HandshakeError(refusalFailure(frame), refusedReason(frame));
  }
  if (frame.type === "challenge") {
    return new HandshakeError("auth", "the peer requires a cluster secret and this node has none");
  }
  return new ProtocolError(`unexpected ${String(frame.type)} after the handshake`);
}

// Shared helpers of the security tests: transports on 127.0.0.1, raw sockets that speak frames.
import { connect, type Socket } from "node:net";
import { encodeFrame, FrameDecoder } from "../../src/net/frame.ts";
import {
  type ConnectionRejected,
  type PeerAddress,
  Transport,
  type TransportOptions,
} from "../../src/net/transport.ts";

export const HOST = "127.0.0.1";

/** A transport with what it received and what it rejected. */
export interface TestNode {
  readonly t: Transport;
  readonly got: { from: number; msg: unknown }[];
  readonly rejected: ConnectionRejected[];
}

/** Creates a transport (closed by `closeAll`) that records messages and rejections. */
export function testNode(
  open: Transport[],
  id: number,
  peers: Map<number, PeerAddress>,
  listen: boolean,
  options: TransportOptions = {},
): TestNode {
  const got: { from: number; msg: unknown }[] = [];
  const rejected: ConnectionRejected[] = [];
  const t = new Transport(
    { id, peers, ...(listen ? { listen: { host: HOST, port: 0 } } : {}) },
    (from, msg) => got.push({ from, msg }),
    { backoffMinMs: 5, backoffMaxMs: 50, onReject: (e) => rejected.push(e), ...options },
  );
  open.push(t);
  return { t, got, rejected };
}

/** Polls until `cond` holds. */
export async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A raw TCP connection that decodes the frames it receives. */
export interface RawPeer {
  readonly socket: Socket;
  readonly frames: unknown[];
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>;
  send(bytes: Buffer): void;
  sendValue(value: unknown): void;
  /** Waits for the `n`th frame (1-based) and returns it. */
  frame(n: number): Promise<unknown>;
}

/** Opens a raw connection to `addr`; resolves once connected. */
export function rawPeer(addr: PeerAddress): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const frames: unknown[] = [];
    const decoder = new FrameDecoder();
    let markClosed!: () => void;
    const closed = new Promise<void>((r) => {
      markClosed = r;
    });
    const socket = connect(addr.port, addr.host, () =>
      resolve({
        socket,
        frames,
        closed,
        send: (b) => {
          if (!socket.destroyed) socket.write(b);
        },
        sendValue: (v) => {
          if (!socket.destroyed) socket.write(encodeFrame(v));
        },
        frame: async (n) => {
          await until(() => frames.length >= n);
          return frames[n - 1];
        },
      }),
    );
    socket.on("data", (chunk: Buffer) => {
      try {
        frames.push(...decoder.push(chunk));
      } catch {
        socket.destroy();
      }
    });
    socket.on("error", reject);
    socket.on("close", () => markClosed());
  });
}

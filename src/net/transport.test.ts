// Tests of the TCP transport on 127.0.0.1: delivery, client replies, reconnects, drops, bad input.
import { connect, createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame } from "./frame.ts";
import { freePorts } from "./free-port.ts";
import { type PeerAddress, Transport, type TransportOptions } from "./transport.ts";

const HOST = "127.0.0.1";
const open: Transport[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

interface Node {
  readonly t: Transport;
  readonly got: { from: number; msg: unknown }[];
}

const node = (
  id: number,
  peers: Map<number, PeerAddress>,
  listen: boolean,
  options: TransportOptions = {},
  port = 0,
): Node => {
  const got: { from: number; msg: unknown }[] = [];
  const t = new Transport(
    { id, peers, ...(listen ? { listen: { host: HOST, port } } : {}) },
    (from, msg) => got.push({ from, msg }),
    { backoffMinMs: 5, backoffMaxMs: 50, ...options },
  );
  open.push(t);
  return { t, got };
};

const until = async (cond: () => boolean, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("Transport", () => {
  it("delivers messages both ways between listening peers, batching writes", async () => {
    const peers = new Map<number, PeerAddress>();
    const a = node(1, peers, true);
    const b = node(2, peers, true);
    peers.set(1, (await a.t.listen())!);
    peers.set(2, (await b.t.listen())!);
    for (let i = 0; i < 1000; i++) a.t.send(2, { type: "x", i });
    b.t.send(1, { type: "y", nested: [1, { z: null }] });
    await until(() => b.got.length === 1000 && a.got.length === 1);
    expect(b.got.map((g) => (g.msg as { i: number }).i)).toEqual([...Array(1000).keys()]);
    expect(b.got.every((g) => g.from === 1)).toBe(true);
    expect(a.got[0]).toEqual({ from: 2, msg: { type: "y", nested: [1, { z: null }] } });
    // One turn's sends leave in a few writes, not a thousand.
    expect(a.t.stats.writes).toBeLessThan(20);
    expect(a.t.stats.framesOut).toBe(1001); // the hello included
    expect(b.t.stats.framesIn).toBe(1000);
  });

  it("answers a client on the connection it opened", async () => {
    const server = node(1, new Map(), true);
    const addr = (await server.t.listen())!;
    const client = node(500, new Map([[1, addr]]), false);
    client.t.send(1, { type: "ping" });
    await until(() => server.got.length === 1);
    expect(server.got[0]!.from).toBe(500);
    expect(server.t.send(500, { type: "pong" })).toBe(true);
    await until(() => client.got.length === 1);
    expect(client.got[0]).toEqual({ from: 1, msg: { type: "pong" } });
    expect(server.t.send(777, { type: "nobody" })).toBe(false);
    expect(server.t.stats.dropsNoRoute).toBe(1);
  });

  it("drops a frame over the limit at the sender, so the link and what follows survive", async () => {
    const peers = new Map<number, PeerAddress>();
    const opts = { maxFrameBytes: 4096, onReject: () => {} };
    const a = node(1, peers, true, opts);
    const b = node(2, peers, true, opts);
    peers.set(1, (await a.t.listen())!);
    peers.set(2, (await b.t.listen())!);
    const warn = console.warn;
    const warned: unknown[] = [];
    console.warn = (...args: unknown[]) => warned.push(args);
    try {
      a.t.send(2, { type: "x", i: 0 });
      expect(a.t.send(2, { type: "big", pad: "p".repeat(5000) })).toBe(false);
      expect(a.t.send(2, { type: "big", pad: "p".repeat(5000) })).toBe(false);
      a.t.send(2, { type: "x", i: 1 });
    } finally {
      console.warn = warn;
    }
    await until(() => b.got.length === 2);
    expect(b.got.map((g) => (g.msg as { i: number }).i)).toEqual([0, 1]);
    expect(a.t.stats.dropsTooLarge).toBe(2);
    expect(warned).toHaveLength(1); // once per peer
    expect(b.t.stats.frameErrors).toBe(0); // the receiver never saw it: no severed link
    expect(a.t.stats.reconnects).toBe(0);
  });

  it("queues while the peer is down and reconnects after it restarts", async () => {
    const [port] = await freePorts(1);
    const peers = new Map<number, PeerAddress>([[2, { host: HOST, port: port! }]]);
    const a = node(1, peers, false);
    a.t.send(2, { n: 1 });
    await new Promise((r) => setTimeout(r, 60));
    expect(a.t.stats.connectFailures).toBeGreaterThan(0);
    let b = node(2, new Map(), true, {}, port);
    await b.t.listen();
    await until(() => b.got.length === 1);
    await b.t.close();
    b = node(2, new Map(), true, {}, port);
    await b.t.listen();
    await until(() => {
      a.t.send(2, { n: 2 });
      return b.got.length > 0;
    });
    expect(a.t.stats.reconnects).toBeGreaterThanOrEqual(1);
  });

  it("drops new frames when a peer's queue is full, without blocking", async () => {
    const peers = new Map<number, PeerAddress>([[2, { host: HOST, port: 1 }]]);
    const a = node(1, peers, false, { maxQueueFrames: 5, maxQueueBytes: 1 << 20 });
    const sent = Array.from({ length: 10 }, (_, i) => a.t.send(2, { i }));
    expect(sent.filter(Boolean).length).toBe(5);
    expect(a.t.stats.dropsQueueFull).toBe(5);
    const b = node(3, peers, false, { maxQueueFrames: 1000, maxQueueBytes: 100 });
    expect(b.t.send(2, { big: "x".repeat(200) })).toBe(false);
  });

  it("closes a connection that sends garbage or no hello, and only that one", async () => {
    const server = node(1, new Map(), true);
    const addr = (await server.t.listen())!;
    const good = node(9, new Map([[1, addr]]), false);
    good.t.send(1, { ok: 1 });
    await until(() => server.got.length === 1);

    const closedAfter = (bytes: Buffer): Promise<void> =>
      new Promise((resolve) => {
        const s = connect(addr.port, HOST, () => s.write(bytes));
        s.on("error", () => {});
        s.on("close", () => resolve());
      });
    const corrupt = Buffer.from(encodeFrame({ type: "hello", id: 5 }));
    corrupt[corrupt.length - 1]! ^= 0xff;
    await closedAfter(corrupt);
    await closedAfter(encodeFrame({ type: "not-hello" }));
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(0xffffffff, 0);
    await closedAfter(huge);
    expect(server.t.stats.frameErrors).toBe(3);

    good.t.send(1, { ok: 2 });
    await until(() => server.got.length === 2);
    expect(server.got.map((g) => g.msg)).toEqual([{ ok: 1 }, { ok: 2 }]);
  });
  it("pings quietly over a healthy link: no ping or pong reaches the handler, nothing is closed", async () => {
    const peers = new Map<number, PeerAddress>();
    const fast = { pingIntervalMs: 20, deadAfterMs: 100 };
    const a = node(1, peers, true, fast);
    const b = node(2, peers, true, fast);
    peers.set(1, (await a.t.listen())!);
    peers.set(2, (await b.t.listen())!);
    a.t.send(2, { type: "x" });
    await until(() => b.got.length === 1);
    await new Promise((r) => setTimeout(r, 400)); // 20 pings, 4 dead-after periods
    a.t.send(2, { type: "x" });
    await until(() => b.got.length === 2);
    expect(a.t.stats.deadLinks).toBe(0);
    expect(a.t.stats.reconnects).toBe(0);
    expect(b.got.every((g) => (g.msg as { type: string }).type === "x")).toBe(true);
  });

  it("closes and re-dials a link whose peer stops answering pings (a cut that TCP has not noticed)", async () => {
    // A peer that accepts and reads but never writes: to the dialler it looks like a link cut
    // after the handshake, with the socket still open.
    const accepted: Socket[] = [];
    const silent = createServer((s) => {
      accepted.push(s);
      s.on("data", () => {});
      s.on("error", () => {});
    });
    await new Promise<void>((r) => silent.listen(0, HOST, () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const a = node(1, new Map([[2, { host: HOST, port }]]), false, {
        pingIntervalMs: 20,
        deadAfterMs: 100,
      });
      a.t.send(2, { type: "x" });
      await until(() => a.t.stats.deadLinks >= 1 && accepted.length >= 2);
      expect(a.t.stats.reconnects).toBeGreaterThanOrEqual(1);
    } finally {
      for (const s of accepted) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it("refuses a ping interval that is not below the dead-after time", () => {
    expect(() => node(1, new Map(), false, { pingIntervalMs: 100, deadAfterMs: 100 })).toThrow(
      /deadAfterMs must exceed pingIntervalMs/,
    );
  });
});

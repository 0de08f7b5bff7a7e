// Security: the versioned hello and the cluster-secret challenge-response, over real sockets.
import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame } from "../../src/net/frame.ts";
import {
  helloMac,
  NONCE_BYTES,
  newNonce,
  PROTOCOL_VERSION,
  welcomeMac,
} from "../../src/net/handshake.ts";
import type { PeerAddress, Transport } from "../../src/net/transport.ts";
import { HOST, rawPeer, testNode, until } from "./helpers.ts";

const open: Transport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

const SECRET = "correct horse battery staple";

/** A listening node with `options`, and its address. */
const server = async (id: number, options: Parameters<typeof testNode>[4] = {}) => {
  const n = testNode(open, id, new Map(), true, options);
  const addr = (await n.t.listen())!;
  return { ...n, addr };
};

describe("handshake with a cluster secret", () => {
  it("lets nodes with the same secret talk both ways, peers and clients", async () => {
    const peers = new Map<number, PeerAddress>();
    const a = testNode(open, 1, peers, true, { secret: SECRET });
    const b = testNode(open, 2, peers, true, { secret: SECRET });
    peers.set(1, (await a.t.listen())!);
    peers.set(2, (await b.t.listen())!);
    a.t.send(2, { n: 1 });
    b.t.send(1, { n: 2 });
    await until(() => a.got.length === 1 && b.got.length === 1);
    expect(b.got[0]).toEqual({ from: 1, msg: { n: 1 } });
    expect(a.got[0]).toEqual({ from: 2, msg: { n: 2 } });
    expect(a.t.connected(2)).toBe(true);

    const client = testNode(open, 900, new Map([[1, peers.get(1)!]]), false, { secret: SECRET });
    client.t.send(1, { ask: 1 });
    await until(() => a.got.length === 2);
    expect(a.t.send(900, { answer: 1 })).toBe(true);
    await until(() => client.got.length === 1);
    expect(client.got[0]).toEqual({ from: 1, msg: { answer: 1 } });
    expect(a.t.stats.authFailures + b.t.stats.authFailures).toBe(0);
  });

  it("refuses a node without the secret, and that node says why", async () => {
    const s = await server(1, { secret: SECRET });
    const c = testNode(open, 7, new Map([[1, s.addr]]), false);
    c.t.send(1, { sneaky: true });
    await until(() => s.t.stats.authFailures >= 1 && c.rejected.length >= 1);
    expect(s.got).toEqual([]);
    expect(s.rejected[0]).toMatchObject({ direction: "in", peer: null, kind: "auth" });
    expect(s.rejected[0]!.reason).toMatch(/no cluster secret/);
    expect(c.rejected[0]!.reason).toMatch(/requires a cluster secret/);
    // The client keeps re-dialling with backoff; between attempts it is not connected, and the
    // server never took a message from it.
    await until(() => !c.t.connected(1));
    expect(s.got).toEqual([]);
  });

  it("refuses a node with a wrong secret, both ways", async () => {
    const s = await server(1, { secret: SECRET });
    const c = testNode(open, 7, new Map([[1, s.addr]]), false, { secret: "wrong" });
    c.t.send(1, { sneaky: true });
    await until(() => s.t.stats.authFailures >= 1 && c.rejected.length >= 1);
    expect(s.got).toEqual([]);
    expect(s.rejected[0]!.reason).toBe("hello with a wrong cluster secret");
    expect(c.rejected[0]!.reason).toBe("refused by the peer: authentication failed");
  });

  it("refuses a replayed hello: it is bound to another connection's challenge", async () => {
    const s = await server(1, { secret: SECRET });
    // An honest exchange, as a raw peer that knows the secret: accepted.
    const honest = await rawPeer(s.addr);
    const c1 = (await honest.frame(1)) as { type: string; nonce: Uint8Array };
    expect(c1.type).toBe("challenge");
    expect(c1.nonce.byteLength).toBe(NONCE_BYTES);
    const nonce = newNonce();
    const hello = {
      type: "hello",
      v: PROTOCOL_VERSION,
      id: 42,
      nonce,
      mac: helloMac(SECRET, PROTOCOL_VERSION, 42, nonce, c1.nonce),
    };
    honest.sendValue(hello);
    const welcome = (await honest.frame(2)) as { type: string; mac: Uint8Array; id: number };
    expect(welcome.type).toBe("welcome");
    expect(welcome.id).toBe(1);
    expect(Buffer.from(welcome.mac)).toEqual(
      welcomeMac(SECRET, PROTOCOL_VERSION, 42, 1, nonce, c1.nonce),
    );
    honest.sendValue({ hi: 1 });
    await until(() => s.got.length === 1);
    expect(s.got[0]).toEqual({ from: 42, msg: { hi: 1 } });

    // The same hello, captured and replayed on a new connection: refused.
    const replay = await rawPeer(s.addr);
    const c2 = (await replay.frame(1)) as { nonce: Uint8Array };
    expect(Buffer.from(c2.nonce)).not.toEqual(Buffer.from(c1.nonce));
    replay.sendValue(hello);
    replay.sendValue({ injected: 1 });
    await replay.closed;
    expect(replay.frames[1]).toMatchObject({ type: "refused", reason: "authentication failed" });
    expect(s.t.stats.authFailures).toBe(1);
    expect(s.got).toHaveLength(1);
    honest.socket.destroy();
  });

  it("does not talk to an impostor that cannot prove the secret", async () => {
    // A fake server: sends a challenge, then a welcome with a made-up MAC, and records all.
    const received: Buffer[] = [];
    const sockets: Socket[] = [];
    const fake = createServer((sock) => {
      sockets.push(sock);
      sock.on("error", () => {});
      sock.write(encodeFrame({ type: "challenge", v: PROTOCOL_VERSION, nonce: newNonce() }));
      sock.on("data", (d: Buffer) => {
        received.push(d);
        if (received.length === 1) {
          sock.write(encodeFrame({ type: "welcome", v: PROTOCOL_VERSION, id: 1, mac: newNonce() }));
        }
      });
    });
    await new Promise<void>((r) => fake.listen(0, HOST, () => r()));
    const port = (fake.address() as { port: number }).port;
    const c = testNode(open, 7, new Map([[1, { host: HOST, port }]]), false, { secret: SECRET });
    c.t.send(1, { secret: "payload" });
    await until(() => c.rejected.length >= 1);
    expect(c.rejected[0]).toMatchObject({ direction: "out", peer: 1, kind: "auth" });
    expect(c.t.stats.authFailures).toBeGreaterThanOrEqual(1);
    // The impostor saw the hello, never the queued message.
    expect(Buffer.concat(received).includes(Buffer.from("payload"))).toBe(false);
    for (const s of sockets) s.destroy();
    await c.t.close();
    await new Promise<void>((r) => fake.close(() => r()));
  });

  it("times out a silent connection, and a dialler facing a node without the secret", async () => {
    const s = await server(1, { secret: SECRET, handshakeTimeoutMs: 100 });
    const silent = await rawPeer(s.addr);
    await silent.closed;
    expect(s.t.stats.handshakeTimeouts).toBe(1);
    expect(s.rejected[0]).toMatchObject({ kind: "timeout" });

    const plain = await server(2, { handshakeTimeoutMs: 5_000 });
    const c = testNode(open, 7, new Map([[2, plain.addr]]), false, {
      secret: SECRET,
      connectTimeoutMs: 100,
      handshakeTimeoutMs: 100,
    });
    c.t.send(2, { x: 1 });
    await until(() => c.rejected.length >= 1);
    expect(c.rejected[0]!.reason).toMatch(/no challenge within 100 ms/);
    expect(plain.got).toEqual([]);
  });
});

describe("protocol version", () => {
  it("refuses a hello of another version, with a reason both sides can log", async () => {
    const s = await server(1);
    const peer = await rawPeer(s.addr);
    peer.sendValue({ type: "hello", v: PROTOCOL_VERSION + 1, id: 5 });
    peer.sendValue({ type: "x" });
    await peer.closed;
    const reason = `peer speaks protocol version ${PROTOCOL_VERSION + 1}, this node speaks ${PROTOCOL_VERSION}`;
    expect(peer.frames).toEqual([{ type: "refused", v: PROTOCOL_VERSION, reason }]);
    expect(s.rejected).toEqual([
      { direction: "in", peer: null, remote: expect.any(String), kind: "version", reason },
    ]);
    expect(s.t.stats.versionMismatches).toBe(1);
    expect(s.got).toEqual([]);
    // A hello without a version (an older node) is refused the same way.
    const old = await rawPeer(s.addr);
    old.sendValue({ type: "hello", id: 5 });
    await old.closed;
    expect(s.t.stats.versionMismatches).toBe(2);
  });

  it("a dialler refuses a challenge of another version", async () => {
    const fake = createServer((sock) => {
      sock.on("error", () => {});
      sock.write(encodeFrame({ type: "challenge", v: 99, nonce: newNonce() }));
    });
    await new Promise<void>((r) => fake.listen(0, HOST, () => r()));
    const port = (fake.address() as { port: number }).port;
    const c = testNode(open, 7, new Map([[1, { host: HOST, port }]]), false, { secret: SECRET });
    c.t.send(1, { x: 1 });
    await until(() => c.rejected.length >= 1);
    expect(c.rejected[0]).toMatchObject({ kind: "version" });
    expect(c.rejected[0]!.reason).toMatch(/version 99/);
    await c.t.close();
    fake.close();
  });

  it("refuses an empty secret at construction", async () => {
    await expect(async () => testNode(open, 1, new Map(), false, { secret: "" })).rejects.toThrow(
      /secret must not be empty/,
    );
  });
});

describe("handshake with an application identity", () => {
  for (const secret of [undefined, SECRET]) {
    const how = secret === undefined ? "without a secret" : "with a secret";
    it(`refuses a dialler running another app and tells it both identities (${how})`, async () => {
      const opts = secret === undefined ? {} : { secret };
      const s = await server(1, { ...opts, app: "bank@aaaa" });
      const c = testNode(open, 7, new Map([[1, s.addr]]), false, { ...opts, app: "bank@bbbb" });
      c.t.send(1, { transfer: 1 });
      await until(() => s.t.stats.appMismatches >= 1 && c.rejected.length >= 1);
      expect(s.got).toEqual([]);
      expect(s.rejected[0]).toMatchObject({ direction: "in", kind: "app", peer: null });
      // The dialler learns it is an app mismatch (not a generic protocol error), with both names.
      expect(c.rejected[0]).toMatchObject({ direction: "out", kind: "app" });
      expect(c.rejected[0]!.reason).toMatch(/node 7 runs app "bank@bbbb".*runs "bank@aaaa"/);
      expect(c.t.stats.appMismatches).toBeGreaterThanOrEqual(1);
    });
  }

  it("accepts the same app, and a hello that names none (a status probe)", async () => {
    const s = await server(1, { app: "bank@aaaa" });
    const same = testNode(open, 7, new Map([[1, s.addr]]), false, { app: "bank@aaaa" });
    const probe = testNode(open, 8, new Map([[1, s.addr]]), false);
    same.t.send(1, { n: 1 });
    probe.t.send(1, { n: 2 });
    await until(() => s.got.length === 2);
    expect(s.t.stats.appMismatches).toBe(0);
  });

  it("refuses a malformed app identity in a hello", async () => {
    const s = await server(1, { app: "bank@aaaa" });
    const raw = await rawPeer(s.addr);
    raw.sendValue({ type: "hello", v: PROTOCOL_VERSION, id: 5, app: 42 });
    await raw.closed;
    expect(s.rejected[0]).toMatchObject({ kind: "protocol" });
    expect(s.rejected[0]!.reason).toMatch(/malformed app identity/);
  });
});

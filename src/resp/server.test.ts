// Tests of the RESP server over an in-memory backend: pipelining, order, bad frames close one connection, fuzzing.
import { connect, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MemoryBackend, memoryBackend } from "./memory-backend.ts";
import { RespServer } from "./server.ts";

let backend: MemoryBackend;
let server: RespServer;

beforeEach(async () => {
  backend = memoryBackend();
  server = await RespServer.start(backend, { port: 0, maxBulkBytes: 1024 });
});
afterEach(async () => {
  await server.close();
});

/** A raw client: send bytes, read until `until` matches what came back or the socket closes. */
async function raw(
  bytes: Buffer | string,
  until: (got: string) => boolean,
): Promise<{ got: string; closed: boolean }> {
  const sock: Socket = connect(server.port, "127.0.0.1");
  let got = "";
  let closed = false;
  await new Promise<void>((resolve) => {
    sock.on("data", (d) => {
      got += d.toString("latin1");
      if (until(got)) resolve();
    });
    sock.on("close", () => {
      closed = true;
      resolve();
    });
    sock.on("error", () => {});
    sock.write(bytes);
  });
  sock.destroy();
  return { got, closed };
}

const frame = (...args: string[]): string =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;

describe("RespServer", () => {
  it("answers a pipeline in order, concurrently over different keys", async () => {
    const reqs = [frame("SET", "a", "1")];
    for (let i = 0; i < 50; i++) reqs.push(frame("INCR", "a"), frame("SET", `k${i}`, `${i}`));
    reqs.push(frame("GET", "a"), "PING\r\n");
    const want = `+OK\r\n${Array.from({ length: 50 }, (_, i) => `:${i + 2}\r\n+OK\r\n`).join("")}$2\r\n51\r\n+PONG\r\n`;
    const { got } = await raw(reqs.join(""), (g) => g.length >= want.length);
    expect(got).toBe(want);
  });

  it("closes a connection on a malformed frame or an oversized bulk, answering what came first", async () => {
    const bad = await raw(`${frame("SET", "a", "1")}*1\r\n+PING\r\n`, () => false);
    expect(bad.got).toBe("+OK\r\n-ERR Protocol error: expected '$', got '+'\r\n");
    expect(bad.closed).toBe(true);
    const big = await raw("*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1025\r\n", () => false);
    expect(big.got).toBe("-ERR Protocol error: invalid bulk length\r\n");
    expect(big.closed).toBe(true);
    // Other connections, and the data, are untouched.
    const after = await raw(frame("MGET", "a", "b"), (g) => g.endsWith("$-1\r\n"));
    expect(after.got).toBe("*2\r\n$1\r\n1\r\n$-1\r\n");
  });

  it("closes after QUIT and ignores what follows", async () => {
    const q = await raw(`${frame("QUIT")}${frame("SET", "q", "1")}`, () => false);
    expect(q.got).toBe("+OK\r\n");
    expect(q.closed).toBe(true);
    expect(backend.state.has("q")).toBe(false);
  });

  it("survives random and mutated input: only protocol errors, and it still answers", async () => {
    await raw(frame("SET", "keep", "me"), (g) => g === "+OK\r\n");
    const valid = Buffer.from(frame("GET", "keep") + frame("PING") + frame("ECHO", "x"));
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 60; round++) {
      let bytes: Buffer;
      if (round % 2 === 0) {
        bytes = Buffer.from(valid);
        for (let m = 0; m < 1 + rand(4); m++) bytes[rand(bytes.length)] = rand(256);
      } else {
        bytes = Buffer.from(Array.from({ length: 1 + rand(100) }, () => rand(256)));
      }
      // Write it and hang up at once: an abrupt disconnect, sometimes mid-frame.
      const sock = connect(server.port, "127.0.0.1");
      sock.on("error", () => {});
      await new Promise<void>((resolve) => {
        sock.on("connect", () => sock.end(bytes, () => resolve()));
        sock.on("close", () => resolve());
      });
      sock.destroy();
    }
    const { got } = await raw(frame("GET", "keep") + frame("PING"), (g) => g.endsWith("PONG\r\n"));
    expect(got).toBe("$2\r\nme\r\n+PONG\r\n");
    // Nothing but GET/PING/ECHO was sent, mutated or not, and none of them writes.
    expect(backend.state.get("keep")).toBe("me");
  });
});

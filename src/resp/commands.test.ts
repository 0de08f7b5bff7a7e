// Tests of the Redis command table over an in-memory KV app: replies, errors, MULTI/EXEC, AUTH, HELLO.
import { describe, expect, it } from "vitest";
import { TOMBSTONE } from "../apps/kv/tx.ts";
import { RespCommands, RespSession } from "./commands.ts";
import { memoryBackend } from "./memory-backend.ts";
import { encodeReply } from "./protocol.ts";

const setup = (password?: string) => {
  const backend = memoryBackend();
  const commands = new RespCommands(backend, {
    ...(password ? { password } : {}),
    maxBulkBytes: 1024,
    memory: false,
    port: 6379,
    clients: () => 1,
  });
  const session = new RespSession(7, !commands.needsAuth);
  const run = async (...args: string[]): Promise<string> => {
    const p = commands.plan(
      session,
      args.map((a) => Buffer.from(a, "latin1")),
    );
    return Buffer.concat(encodeReply(await p.run(), session.proto)).toString("latin1");
  };
  return { backend, commands, session, run };
};

describe("RespCommands", () => {
  it("answers strings and counters as Redis does", async () => {
    const { run, backend } = setup();
    expect(await run("PING")).toBe("+PONG\r\n");
    expect(await run("echo", "hi")).toBe("$2\r\nhi\r\n");
    expect(await run("GET", "a")).toBe("$-1\r\n");
    // A read of an absent key creates nothing.
    expect(backend.state.size).toBe(0);
    expect(await run("SET", "a", "1")).toBe("+OK\r\n");
    expect(backend.state.get("a")).toBe("1");
    expect(await run("SET", "a", "2", "NX")).toBe("$-1\r\n");
    expect(await run("SET", "a", "2", "XX", "GET")).toBe("$1\r\n1\r\n");
    expect(await run("SET", "b", "2", "XX")).toBe("$-1\r\n");
    expect(await run("SET", "b", "1", "EX", "10")).toMatch(/^-ERR expiry is not supported/);
    expect(await run("SET", "b", "1", "NX", "XX")).toBe("-ERR syntax error\r\n");
    expect(await run("SETNX", "b", "x")).toBe(":1\r\n");
    expect(await run("SETNX", "b", "y")).toBe(":0\r\n");
    expect(await run("GETSET", "b", "z")).toBe("$1\r\nx\r\n");
    expect(await run("INCR", "n")).toBe(":1\r\n");
    expect(await run("INCRBY", "n", "41")).toBe(":42\r\n");
    expect(await run("DECRBY", "n", "2")).toBe(":40\r\n");
    expect(await run("DECR", "n")).toBe(":39\r\n");
    expect(await run("INCRBY", "n", "x")).toBe("-ERR value is not an integer or out of range\r\n");
    expect(await run("INCR", "b")).toBe("-ERR value is not an integer or out of range\r\n");
    expect(await run("APPEND", "b", "zz")).toBe(":3\r\n");
    expect(await run("STRLEN", "b")).toBe(":3\r\n");
    expect(await run("MSET", "x", "1", "y", "2")).toBe("+OK\r\n");
    expect(await run("MGET", "x", "nope", "y")).toBe("*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n");
    expect(await run("MSETNX", "x", "9", "q", "9")).toBe(":0\r\n");
    expect(await run("MSETNX", "q", "9", "r", "9")).toBe(":1\r\n");
    expect(await run("EXISTS", "x", "y", "nope", "x")).toBe(":3\r\n");
    expect(await run("DEL", "x", "y", "nope")).toBe(":2\r\n");
    expect(await run("GETDEL", "q")).toBe("$1\r\n9\r\n");
    expect(await run("EXISTS", "x", "q")).toBe(":0\r\n");
    expect(backend.state.get("x")).toBe(TOMBSTONE);
    expect(await run("RENAME", "nope", "z")).toBe("-ERR no such key\r\n");
    expect(await run("RENAME", "r", "z")).toBe("+OK\r\n");
    expect(await run("RENAMENX", "z", "b")).toBe(":0\r\n");
    expect(await run("COPY", "z", "c")).toBe(":1\r\n");
    expect(await run("MGET", "r", "z", "c")).toBe("*3\r\n$-1\r\n$1\r\n9\r\n$1\r\n9\r\n");
    expect(await run("SELECT", "0")).toBe("+OK\r\n");
    expect(await run("SELECT", "1")).toBe("-ERR DB index is out of range\r\n");
  });

  it("answers hashes, WRONGTYPE and TYPE", async () => {
    const { run } = setup();
    expect(await run("HSET", "h", "f", "1", "g", "2")).toBe(":2\r\n");
    expect(await run("HGET", "h", "f")).toBe("$1\r\n1\r\n");
    expect(await run("HMGET", "h", "g", "x")).toBe("*2\r\n$1\r\n2\r\n$-1\r\n");
    expect(await run("HINCRBY", "h", "g", "5")).toBe(":7\r\n");
    expect(await run("HGETALL", "h")).toBe("*4\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n7\r\n");
    expect(await run("HLEN", "h")).toBe(":2\r\n");
    expect(await run("HEXISTS", "h", "f")).toBe(":1\r\n");
    expect(await run("HDEL", "h", "f", "x")).toBe(":1\r\n");
    expect(await run("GET", "h")).toBe(
      "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    expect(await run("TYPE", "h")).toBe("+hash\r\n");
    expect(await run("TYPE", "none")).toBe("+none\r\n");
    expect(await run("HGETALL", "none")).toBe("*0\r\n");
    expect(await run("HMSET", "h2", "a", "b")).toBe("+OK\r\n");
    expect(await run("HSET", "h", "f")).toBe(
      "-ERR wrong number of arguments for 'hset' command\r\n",
    );
  });

  it("runs MULTI/EXEC as one tx, aborts on queuing errors, and refuses what it lacks", async () => {
    const { run, backend } = setup();
    expect(await run("EXEC")).toBe("-ERR EXEC without MULTI\r\n");
    expect(await run("MULTI")).toBe("+OK\r\n");
    expect(await run("MULTI")).toBe("-ERR MULTI calls can not be nested\r\n");
    expect(await run("SET", "a", "1")).toBe("+QUEUED\r\n");
    expect(await run("INCR", "a")).toBe("+QUEUED\r\n");
    expect(await run("HSET", "a", "f", "v")).toBe("+QUEUED\r\n");
    expect(await run("PING")).toBe("+QUEUED\r\n");
    expect(await run("MGET", "a", "b")).toBe("+QUEUED\r\n");
    const before = backend.commands.filter((c) => c.type === "tx").length;
    expect(await run("EXEC")).toBe(
      "*5\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n+PONG\r\n*2\r\n$1\r\n2\r\n$-1\r\n",
    );
    // One tx that failed on the absent keys, then the same tx once they exist.
    const txs = backend.commands.filter((c) => c.type === "tx");
    expect(txs.length - before).toBe(2);
    expect(await run("MULTI")).toBe("+OK\r\n");
    expect(await run("INCRBY", "a", "x")).toBe("-ERR value is not an integer or out of range\r\n");
    expect(await run("NOPE")).toMatch(/^-ERR unknown command 'NOPE'/);
    expect(await run("EXEC")).toBe(
      "-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    expect(await run("MULTI")).toBe("+OK\r\n");
    expect(await run("EXEC")).toBe("*0\r\n");
    expect(await run("DISCARD")).toBe("-ERR DISCARD without MULTI\r\n");
    expect(await run("EXPIRE", "a", "1")).toMatch(/^-ERR 'expire' is not supported by dssmr/);
    expect(await run("GET")).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(await run("FOO", "bar")).toBe(
      "-ERR unknown command 'FOO', with args beginning with: 'bar'\r\n",
    );
    expect(await run("GET", "")).toMatch(/^-ERR dssmr keys are 1 to 256/);
  });

  it("runs EXEC after WATCH only if the watched keys kept their values", async () => {
    const { run, commands, backend } = setup();
    const other = new RespSession(8, true);
    const run2 = async (...args: string[]) => {
      const p = commands.plan(
        other,
        args.map((x) => Buffer.from(x, "latin1")),
      );
      return Buffer.concat(encodeReply(await p.run(), 2)).toString("latin1");
    };
    await run("SET", "w", "1");
    // Unchanged: the transaction runs.
    expect(await run("WATCH", "w", "absent")).toBe("+OK\r\n");
    expect(await run("MULTI")).toBe("+OK\r\n");
    expect(await run("WATCH", "w")).toBe("-ERR WATCH inside MULTI is not allowed\r\n");
    expect(await run("DISCARD")).toBe("+OK\r\n");
    expect(await run("WATCH", "w", "absent")).toBe("+OK\r\n");
    expect(await run("MULTI")).toBe("+OK\r\n");
    expect(await run("INCR", "w")).toBe("+QUEUED\r\n");
    expect(await run("EXEC")).toBe("*1\r\n:2\r\n");
    // Changed by another connection: nil, and nothing applied.
    expect(await run("WATCH", "w")).toBe("+OK\r\n");
    expect(await run2("SET", "w", "5")).toBe("+OK\r\n");
    expect(await run("MULTI")).toBe("+OK\r\n");
    expect(await run("INCR", "w")).toBe("+QUEUED\r\n");
    expect(await run("EXEC")).toBe("$-1\r\n");
    expect(backend.state.get("w")).toBe("5");
    // An absent key that appears meanwhile aborts too; EXEC forgets the watch.
    expect(await run("WATCH", "fresh")).toBe("+OK\r\n");
    expect(await run2("SET", "fresh", "x")).toBe("+OK\r\n");
    expect(await run("MULTI")).toBe("+OK\r\n");
    expect(await run("SET", "fresh", "mine")).toBe("+QUEUED\r\n");
    expect(await run("EXEC")).toBe("$-1\r\n");
    expect(await run("MULTI")).toBe("+OK\r\n");
    expect(await run("SET", "fresh", "mine")).toBe("+QUEUED\r\n");
    expect(await run("EXEC")).toBe("*1\r\n+OK\r\n");
    // UNWATCH forgets too.
    expect(await run("WATCH", "w")).toBe("+OK\r\n");
    await run2("SET", "w", "6");
    expect(await run("UNWATCH")).toBe("+OK\r\n");
    expect(await run("MULTI")).toBe("+OK\r\n");
    expect(await run("GET", "w")).toBe("+QUEUED\r\n");
    expect(await run("EXEC")).toBe("*1\r\n$1\r\n6\r\n");
  });

  it("requires AUTH when a password is set, and speaks RESP3 after HELLO 3", async () => {
    const { run, session } = setup("sesame");
    expect(await run("GET", "a")).toBe("-NOAUTH Authentication required.\r\n");
    expect(await run("AUTH", "wrong")).toMatch(/^-WRONGPASS/);
    expect(await run("HELLO", "3")).toMatch(/^-NOAUTH HELLO must be called/);
    expect(await run("HELLO", "4")).toBe("-NOPROTO unsupported protocol version\r\n");
    const hello = await run("HELLO", "3", "AUTH", "default", "sesame", "SETNAME", "me");
    expect(hello).toMatch(/^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n/);
    expect(session.proto).toBe(3);
    expect(await run("GET", "a")).toBe("_\r\n");
    expect(await run("CLIENT", "GETNAME")).toBe("$2\r\nme\r\n");
    expect(await run("CLIENT", "ID")).toBe(":7\r\n");
    expect(await run("HSET", "h", "f", "v")).toBe(":1\r\n");
    expect(await run("HGETALL", "h")).toBe("%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
    await expect(setup().run("AUTH", "x")).resolves.toMatch(/^-ERR AUTH <password> called without/);
  });

  it("answers COMMAND, CONFIG GET, INFO and DBSIZE", async () => {
    const { run } = setup();
    expect(await run("COMMAND", "COUNT")).toMatch(/^:\d+\r\n$/);
    expect(await run("COMMAND", "DOCS", "get")).toMatch(
      /^\*2\r\n\$3\r\nget\r\n\*6\r\n\$7\r\nsummary/,
    );
    expect(await run("COMMAND")).toMatch(/^\*\d+\r\n\*10\r\n\$4\r\nping\r\n:-1\r\n/);
    expect(await run("CONFIG", "GET", "save")).toBe("*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
    expect(await run("CONFIG", "GET", "append*")).toMatch(/appendonly\r\n\$3\r\nyes/);
    expect(await run("CONFIG", "SET", "save", "")).toMatch(/^-ERR CONFIG SET is not supported/);
    await run("SET", "k", "v");
    expect(await run("DBSIZE")).toBe(":1\r\n");
    const info = await run("INFO");
    expect(info).toMatch(/redis_version:7\.0\.0/);
    expect(info).toMatch(/db0:keys=1,expires=0/);
    expect(info).toMatch(/# dssmr\r\npartitions:1/);
    expect(await run("INFO", "clients")).toMatch(/^\$\d+\r\n# Clients\r\nconnected_clients:1\r\n/);
  });
});

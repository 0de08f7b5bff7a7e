// The Redis command table: each command's arity and keys, its compilation to KV tx ops, and dispatch.
import {
  parseInt64,
  runTx,
  TOMBSTONE,
  TX_KEYS_MAX,
  TX_OPS_MAX,
  type TxOp,
  type TxReply,
  txIsReadOnly,
  txKeys,
} from "../apps/kv/tx.ts";
import { type DsKvCmd, type DsKvResult, KEY_MAX } from "../apps/kv/types.ts";
import { DssmrError } from "../core/errors.ts";
import { R, type RespError, type RespValue } from "./protocol.ts";

/** What the front end needs from a cluster; DsClient over the KV app provides it. */
export interface RespBackend {
  /** Runs one KV command (the command has been validated). */
  execute(cmd: DsKvCmd): Promise<DsKvResult>;
  /** Variables in the cluster, for DBSIZE (deleted keys' tombstones included). */
  dbsize(): Promise<number>;
  /** Fields of INFO's dssmr section: partitions, leaders, moves, cache hits… */
  facts(): Promise<readonly (readonly [string, string | number])[]>;
}

/** The cluster kept answering that a key does not exist after the front end created it. */
export class RespRetryError extends DssmrError {
  constructor(key: string) {
    super("E_RESP_RETRY", `key ${JSON.stringify(key)} kept disappearing; try again`);
  }
}

/** Redis's version that the front end reports: clients pick features by it. */
export const REDIS_VERSION = "7.0.0";
const CREATE_ATTEMPTS = 8;
const KNOWN_MAX = 100_000;

/**
 * Runs transactions on the cluster. A transaction needs its keys to exist as variables; a key
 * that does not yet exist is created holding TOMBSTONE (absent, for Redis) and the transaction
 * runs again. A transaction on a single absent key needs no tombstone: its replies are what it
 * would do to an absent key, and when it writes, one create stores the result directly (so SET
 * of a new key is a failed access plus a create). Keys seen to exist are remembered so that a
 * transaction over many keys creates only those it has never seen.
 */
export class KvStore {
  private readonly backend: RespBackend;
  private readonly known = new Set<string>();

  constructor(backend: RespBackend) {
    this.backend = backend;
  }

  /** Runs `ops` atomically and returns one reply per op. */
  async tx(ops: readonly TxOp[]): Promise<TxReply[]> {
    const keys = txKeys(ops);
    let missing = "";
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      const r = await this.backend.execute({ type: "tx", ops });
      if (r.type === "tx") {
        this.remember(keys);
        return [...r.replies];
      }
      if (r.type !== "error" || r.error !== "unknown-key") {
        throw new RespRetryError(keys[0] ?? "");
      }
      missing = r.key;
      this.known.delete(missing);
      if (keys.length === 1) {
        // The oracle ordered this access and found no key: that is a linearizable "absent".
        const state = new Map([[missing, TOMBSTONE]]);
        const replies = runTx(state, ops);
        const value = state.get(missing)!;
        if (value === TOMBSTONE || txIsReadOnly(ops)) return replies;
        const created = await this.backend.execute({ type: "create", key: missing, value });
        if (created.type === "create") {
          this.remember(keys);
          return replies;
        }
        continue; // someone created it meanwhile: run on what is there
      }
      const absent = keys.filter((k) => k === missing || !this.known.has(k));
      // "key-exists" is as good as "create": either way the key exists now.
      await Promise.all(
        absent.map((key) => this.backend.execute({ type: "create", key, value: TOMBSTONE })),
      );
      this.remember(absent);
    }
    throw new RespRetryError(missing);
  }

  private remember(keys: readonly string[]): void {
    if (this.known.size + keys.length > KNOWN_MAX) this.known.clear();
    for (const k of keys) this.known.add(k);
  }
}

/** One connection's state. */
export class RespSession {
  readonly id: number;
  proto: 2 | 3 = 2;
  name: string | null = null;
  authed: boolean;
  /** Commands queued since MULTI, or null outside a transaction. */
  multi: Compiled[] | null = null;
  /** A command queued after MULTI was refused: EXEC must abort. */
  multiFailed = false;
  /** Close the connection once this reply is written (QUIT). */
  closing = false;
  /** What WATCH read, per key (null: absent), as it arrives; EXEC checks it is unchanged. */
  watched: Promise<readonly (readonly [string, string | null])[]>[] = [];

  constructor(id: number, authed: boolean) {
    this.id = id;
    this.authed = authed;
  }
}

/** A key command ready to run: its ops and how their replies make the command's reply. */
export interface Compiled {
  readonly ops: readonly TxOp[];
  readonly finish: (replies: readonly TxReply[]) => RespValue;
}

/** A request ready to run: the keys it touches (the connection orders requests sharing one). */
export interface Planned {
  readonly keys: readonly string[];
  readonly run: () => RespValue | Promise<RespValue>;
}

/** Options of {@link RespCommands}. */
export interface RespCommandsOptions {
  /** Clients must AUTH with this password (as user "default"). */
  readonly password?: string;
  /** Largest bulk string a request may carry (CONFIG GET proto-max-bulk-len). */
  readonly maxBulkBytes: number;
  /** Whether the cluster keeps logs in memory (CONFIG GET appendonly says no). */
  readonly memory: boolean;
  /** The port served, for INFO. */
  readonly port: number;
  /** Connections open now, for INFO. */
  readonly clients: () => number;
}

type Group = "connection" | "server" | "string" | "generic" | "hash" | "transactions";

/** A command of the table: Redis's arity (negative: at least), flags, key positions. */
interface Spec {
  readonly arity: number;
  readonly flags: readonly string[];
  /** First key, last key (-1: the last argument), step; 0 0 0 for none. */
  readonly keys: readonly [number, number, number];
  readonly group: Group;
  readonly summary: string;
  /** For key commands: the ops, or an error reply for bad arguments. */
  readonly compile?: (a: readonly string[]) => Compiled | RespValue;
}

const NOT_INT = R.error("ERR value is not an integer or out of range");
const SYNTAX = R.error("ERR syntax error");
const wrongArgs = (name: string) => R.error(`ERR wrong number of arguments for '${name}' command`);

/** A TxReply as a RESP reply. */
export function toResp(r: TxReply): RespValue {
  if (r === null) return null;
  if ("s" in r) return R.bulk(r.s);
  if ("i" in r) return R.int(r.i);
  if ("st" in r) return R.simple(r.st);
  if ("e" in r) return R.error(r.e);
  if ("a" in r) return R.array(r.a.map(toResp));
  const entries: [RespValue, RespValue][] = [];
  for (let i = 0; i + 1 < r.m.length; i += 2) entries.push([toResp(r.m[i]!), toResp(r.m[i + 1]!)]);
  return R.map(entries);
}

const single = (ops: TxOp[], map: (r: TxReply) => RespValue = toResp): Compiled => ({
  ops,
  finish: (rs) => map(rs[0] ?? null),
});
/** Sums the integer replies (DEL, EXISTS over several keys). */
const summed = (ops: TxOp[]): Compiled => ({
  ops,
  finish: (rs) => {
    let n = 0n;
    for (const r of rs) {
      if (r !== null && "e" in r) return R.error(r.e);
      if (r !== null && "i" in r) n += BigInt(r.i);
    }
    return R.int(n);
  },
});
const int64 = (s: string): bigint | null => parseInt64(s);
const pairs = (a: readonly string[], from: number): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = from; i + 1 < a.length; i += 2) out.push([a[i]!, a[i + 1]!]);
  return out;
};
const counter = (key: string, by: bigint): Compiled =>
  single([{ op: "incrby", key, by: String(by) }]);

/** SET key value [NX|XX] [GET] [KEEPTTL]; expiry options are refused. */
function compileSet(a: readonly string[]): Compiled | RespValue {
  let cond: "nx" | "xx" | undefined;
  let get = false;
  for (const opt of a.slice(3)) {
    const o = opt.toLowerCase();
    if ((o === "nx" || o === "xx") && cond === undefined) cond = o;
    else if (o === "get" && !get) get = true;
    else if (o === "keepttl") continue;
    else if (["ex", "px", "exat", "pxat"].includes(o)) {
      return R.error("ERR expiry is not supported by dssmr (keys never expire)");
    } else return SYNTAX;
  }
  const op: TxOp = { op: "set", key: a[1]!, value: a[2]!, ...(cond ? { cond } : {}), get };
  return single([op]);
}

const S = (
  arity: number,
  flags: string[],
  keys: [number, number, number],
  group: Group,
  summary: string,
  compile?: Spec["compile"],
): Spec => ({ arity, flags, keys, group, summary, ...(compile ? { compile } : {}) });
const W = ["write"];
const RO = ["readonly", "fast"];
const NONE: [number, number, number] = [0, 0, 0];
const K1: [number, number, number] = [1, 1, 1];
const KALL: [number, number, number] = [1, -1, 1];

/** Every command the front end knows, by lower-case name. */
export const COMMANDS: ReadonlyMap<string, Spec> = new Map<string, Spec>([
  ["ping", S(-1, ["fast"], NONE, "connection", "Returns the server's liveliness response.")],
  ["echo", S(2, ["fast"], NONE, "connection", "Returns the given string.")],
  ["hello", S(-1, ["noauth", "fast"], NONE, "connection", "Handshakes with the server.")],
  ["auth", S(-2, ["noauth", "fast"], NONE, "connection", "Authenticates the connection.")],
  ["select", S(2, ["fast"], NONE, "connection", "Changes the selected database (only 0).")],
  ["quit", S(-1, ["noauth", "fast"], NONE, "connection", "Closes the connection.")],
  ["reset", S(1, ["noauth", "fast"], NONE, "connection", "Resets the connection.")],
  ["client", S(-2, [], NONE, "connection", "SETNAME, GETNAME, ID, INFO, SETINFO.")],
  ["command", S(-1, [], NONE, "server", "Returns detailed information about all commands.")],
  ["config", S(-2, [], NONE, "server", "CONFIG GET of a few parameters.")],
  ["info", S(-1, [], NONE, "server", "Returns information and statistics about the server.")],
  ["dbsize", S(1, ["readonly"], NONE, "server", "Returns the number of keys (tombstones too).")],
  ["multi", S(1, ["fast"], NONE, "transactions", "Starts a transaction.")],
  ["exec", S(1, [], NONE, "transactions", "Runs the queued commands as one atomic command.")],
  ["discard", S(1, ["fast"], NONE, "transactions", "Discards a transaction.")],
  [
    "watch",
    S(-2, ["fast"], KALL, "transactions", "Makes EXEC run only if the keys kept their values."),
  ],
  ["unwatch", S(1, ["fast"], NONE, "transactions", "Forgets the watched keys.")],
  [
    "get",
    S(2, RO, K1, "string", "Returns the string value of a key.", (a) =>
      single([{ op: "get", key: a[1]! }]),
    ),
  ],
  ["set", S(-3, W, K1, "string", "Sets the string value of a key.", compileSet)],
  [
    "setnx",
    S(3, W, K1, "string", "Sets a key only when it does not exist.", (a) =>
      single([{ op: "set", key: a[1]!, value: a[2]!, cond: "nx" }], (r) =>
        R.int(r === null ? 0 : 1),
      ),
    ),
  ],
  [
    "getset",
    S(3, W, K1, "string", "Sets a key and returns its old value.", (a) =>
      single([{ op: "set", key: a[1]!, value: a[2]!, get: true }]),
    ),
  ],
  [
    "getdel",
    S(2, W, K1, "string", "Returns a key's value and deletes it.", (a) =>
      single([{ op: "getdel", key: a[1]! }]),
    ),
  ],
  [
    "mget",
    S(-2, RO, KALL, "string", "Returns the values of keys, atomically.", (a) => ({
      ops: a.slice(1).map((key) => ({ op: "get", key })),
      // MGET answers nil for a key holding another type.
      finish: (rs) => R.array(rs.map((r) => (r !== null && "e" in r ? null : toResp(r)))),
    })),
  ],
  [
    "mset",
    S(-3, W, [1, -1, 2], "string", "Sets several keys atomically, in any partitions.", (a) =>
      a.length % 2 === 0
        ? wrongArgs("mset")
        : {
            ops: pairs(a, 1).map(([key, value]) => ({ op: "set", key, value })),
            finish: () => R.ok,
          },
    ),
  ],
  [
    "msetnx",
    S(-3, W, [1, -1, 2], "string", "Sets several keys only if none exists.", (a) =>
      a.length % 2 === 0 ? wrongArgs("msetnx") : single([{ op: "msetnx", pairs: pairs(a, 1) }]),
    ),
  ],
  [
    "del",
    S(-2, W, KALL, "generic", "Deletes keys.", (a) =>
      summed(a.slice(1).map((key) => ({ op: "del", key }))),
    ),
  ],
  [
    "unlink",
    S(-2, W, KALL, "generic", "Deletes keys.", (a) =>
      summed(a.slice(1).map((key) => ({ op: "del", key }))),
    ),
  ],
  [
    "exists",
    S(-2, RO, KALL, "generic", "Counts the keys that exist.", (a) =>
      summed(a.slice(1).map((key) => ({ op: "exists", key }))),
    ),
  ],
  [
    "type",
    S(2, RO, K1, "generic", "Returns the type of a key.", (a) =>
      single([{ op: "type", key: a[1]! }]),
    ),
  ],
  ["incr", S(2, W, K1, "string", "Adds 1 to a counter.", (a) => counter(a[1]!, 1n))],
  ["decr", S(2, W, K1, "string", "Subtracts 1 from a counter.", (a) => counter(a[1]!, -1n))],
  [
    "incrby",
    S(3, W, K1, "string", "Adds an integer to a counter.", (a) => {
      const by = int64(a[2]!);
      return by === null ? NOT_INT : counter(a[1]!, by);
    }),
  ],
  [
    "decrby",
    S(3, W, K1, "string", "Subtracts an integer from a counter.", (a) => {
      const by = int64(a[2]!);
      if (by === null) return NOT_INT;
      if (by === -(2n ** 63n)) return R.error("ERR decrement would overflow");
      return counter(a[1]!, -by);
    }),
  ],
  [
    "append",
    S(3, W, K1, "string", "Appends to a key's value.", (a) =>
      single([{ op: "append", key: a[1]!, value: a[2]! }]),
    ),
  ],
  [
    "strlen",
    S(2, RO, K1, "string", "Returns the length of a value.", (a) =>
      single([{ op: "strlen", key: a[1]! }]),
    ),
  ],
  [
    "rename",
    S(3, W, [1, 2, 1], "generic", "Renames a key, across partitions.", (a) =>
      single([{ op: "rename", key: a[1]!, to: a[2]! }]),
    ),
  ],
  [
    "renamenx",
    S(3, W, [1, 2, 1], "generic", "Renames a key if the new name is free.", (a) =>
      single([{ op: "rename", key: a[1]!, to: a[2]!, nx: true }]),
    ),
  ],
  [
    "copy",
    S(-3, W, [1, 2, 1], "generic", "Copies a key.", (a) => {
      let replace = false;
      for (let i = 3; i < a.length; i++) {
        const o = a[i]!.toLowerCase();
        if (o === "replace") replace = true;
        else if (o === "db" && a[i + 1] === "0") i++;
        else if (o === "db") return R.error("ERR DB index is out of range");
        else return SYNTAX;
      }
      return single([{ op: "copy", key: a[1]!, to: a[2]!, replace }]);
    }),
  ],
  [
    "hset",
    S(-4, W, K1, "hash", "Sets fields of a hash.", (a) =>
      a.length % 2 === 1
        ? wrongArgs("hset")
        : single([{ op: "hset", key: a[1]!, fields: pairs(a, 2) }]),
    ),
  ],
  [
    "hmset",
    S(-4, W, K1, "hash", "Sets fields of a hash.", (a) =>
      a.length % 2 === 1
        ? wrongArgs("hmset")
        : single([{ op: "hset", key: a[1]!, fields: pairs(a, 2) }], (r) =>
            r !== null && "e" in r ? R.error(r.e) : R.ok,
          ),
    ),
  ],
  [
    "hget",
    S(3, RO, K1, "hash", "Returns a field of a hash.", (a) =>
      single([{ op: "hget", key: a[1]!, field: a[2]! }]),
    ),
  ],
  [
    "hmget",
    S(-3, RO, K1, "hash", "Returns fields of a hash.", (a) =>
      single([{ op: "hmget", key: a[1]!, fields: a.slice(2) }]),
    ),
  ],
  [
    "hgetall",
    S(2, RO, K1, "hash", "Returns every field of a hash.", (a) =>
      single([{ op: "hgetall", key: a[1]! }]),
    ),
  ],
  [
    "hdel",
    S(-3, W, K1, "hash", "Deletes fields of a hash.", (a) =>
      single([{ op: "hdel", key: a[1]!, fields: a.slice(2) }]),
    ),
  ],
  [
    "hexists",
    S(3, RO, K1, "hash", "Whether a hash has a field.", (a) =>
      single([{ op: "hexists", key: a[1]!, field: a[2]! }]),
    ),
  ],
  [
    "hlen",
    S(2, RO, K1, "hash", "Returns the number of fields of a hash.", (a) =>
      single([{ op: "hlen", key: a[1]! }]),
    ),
  ],
  [
    "hincrby",
    S(4, W, K1, "hash", "Adds an integer to a field of a hash.", (a) => {
      const by = int64(a[3]!);
      return by === null
        ? NOT_INT
        : single([{ op: "hincrby", key: a[1]!, field: a[2]!, by: String(by) }]);
    }),
  ],
]);

/** Commands Redis has and dssmr refuses on purpose, with why. */
const REFUSED: ReadonlyMap<string, string> = new Map([
  ...[
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "ttl",
    "pttl",
    "persist",
    "setex",
    "psetex",
    "getex",
  ].map((c) => [c, "keys never expire"] as const),
  ...["subscribe", "psubscribe", "unsubscribe", "punsubscribe", "publish", "ssubscribe"].map(
    (c) => [c, "there is no pub/sub"] as const,
  ),
  ...["eval", "evalsha", "script", "function", "fcall"].map(
    (c) => [c, "there is no scripting"] as const,
  ),
  ...["keys", "scan", "randomkey"].map((c) => [c, "keys cannot be listed yet"] as const),
  ["cluster", "there is no cluster mode: one endpoint serves every partition, with no CROSSSLOT"],
  ["flushall", "the store cannot be emptied from a client"],
  ["flushdb", "the store cannot be emptied from a client"],
  ["watch", "MULTI/EXEC is atomic across partitions without it"],
] as [string, string][]);

/** Simple glob (* ? and [..]) as CONFIG GET matches parameter names. */
function globMatch(pattern: string, s: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  try {
    return new RegExp(`^${re}$`, "i").test(s);
  } catch {
    return false;
  }
}

const unknownCommand = (a: readonly string[]): RespValue => {
  const rest = a
    .slice(1, 10)
    .map((x) => `'${x.slice(0, 128)}'`)
    .join(" ");
  return R.error(`ERR unknown command '${a[0]!.slice(0, 128)}', with args beginning with: ${rest}`);
};

/**
 * Plans requests for sessions: connection commands run at once against the session, key
 * commands compile to tx ops run through a {@link KvStore}, and MULTI…EXEC sends the queued
 * commands' ops as one tx, so a transaction over keys in any partitions is one atomic command.
 */
export class RespCommands {
  private readonly store: KvStore;
  private readonly backend: RespBackend;
  private readonly opts: RespCommandsOptions;
  private readonly started = Date.now();

  constructor(backend: RespBackend, opts: RespCommandsOptions) {
    this.backend = backend;
    this.store = new KvStore(backend);
    this.opts = opts;
  }

  /** Whether a new connection must authenticate first. */
  get needsAuth(): boolean {
    return this.opts.password !== undefined;
  }

  /**
   * Plans one request. Changes to the session (HELLO, MULTI, SELECT…) happen now, in request
   * order; the returned `run` does the cluster work.
   */
  plan(session: RespSession, raw: readonly Buffer[]): Planned {
    const a = raw.map((b) => b.toString("latin1"));
    const name = a[0]!.toLowerCase();
    const now = (v: RespValue): Planned => ({ keys: [], run: () => v });
    const spec = COMMANDS.get(name);
    if (!session.authed && !spec?.flags.includes("noauth")) {
      return now(R.error("NOAUTH Authentication required."));
    }
    if (spec === undefined) {
      if (session.multi !== null) session.multiFailed = true;
      const why = REFUSED.get(name);
      return now(
        why === undefined
          ? unknownCommand(a)
          : R.error(`ERR '${name}' is not supported by dssmr: ${why}`),
      );
    }
    if ((spec.arity > 0 && a.length !== spec.arity) || a.length < -spec.arity) {
      if (session.multi !== null) session.multiFailed = true;
      return now(wrongArgs(name));
    }
    if (session.multi !== null && name === "watch") {
      session.multiFailed = true;
      return now(R.error("ERR WATCH inside MULTI is not allowed"));
    }
    if (session.multi !== null && !["exec", "discard", "multi", "quit", "reset"].includes(name)) {
      return now(this.queue(session, name, a, spec));
    }
    if (spec.compile !== undefined) {
      const c = this.compile(spec, a);
      if (!("ops" in c)) return now(c);
      return { keys: txKeys(c.ops), run: () => this.runCompiled([c]).then((r) => r[0]!) };
    }
    return this.connection(session, name, a);
  }

  /** Compiles a key command, refusing keys the KV store cannot hold. */
  private compile(spec: Spec, a: readonly string[]): Compiled | RespError {
    const c = spec.compile!(a);
    if (c === null || !("ops" in c)) return c as RespError;
    const keys = txKeys(c.ops);
    for (const k of keys) {
      if (k.length === 0 || k.length > KEY_MAX) {
        return R.error(`ERR dssmr keys are 1 to ${KEY_MAX} bytes long`);
      }
    }
    if (keys.length > TX_KEYS_MAX || c.ops.length > TX_OPS_MAX) {
      return R.error(
        `ERR dssmr runs at most ${TX_KEYS_MAX} keys and ${TX_OPS_MAX} operations in one command`,
      );
    }
    return c;
  }

  /** Inside MULTI: queue a command, or refuse it and doom the transaction. */
  private queue(session: RespSession, name: string, a: readonly string[], spec: Spec): RespValue {
    const constant = (v: RespValue): RespValue => {
      session.multi!.push({ ops: [], finish: () => v });
      return R.simple("QUEUED");
    };
    if (spec.compile !== undefined) {
      const c = this.compile(spec, a);
      if (!("ops" in c)) {
        session.multiFailed = true;
        return c;
      }
      session.multi!.push(c);
      return R.simple("QUEUED");
    }
    if (name === "ping") return constant(a.length > 1 ? R.bulk(a[1]!) : R.simple("PONG"));
    if (name === "echo") return constant(R.bulk(a[1]!));
    session.multiFailed = true;
    return R.error(`ERR '${name}' is not supported inside MULTI by dssmr`);
  }

  /** Runs compiled commands as one tx and gives each its reply. */
  private async runCompiled(cs: readonly Compiled[]): Promise<RespValue[]> {
    const ops = cs.flatMap((c) => c.ops);
    if (ops.length > TX_OPS_MAX || txKeys(ops).length > TX_KEYS_MAX) {
      const e = R.error(
        `ERR dssmr runs at most ${TX_KEYS_MAX} keys and ${TX_OPS_MAX} operations in one command`,
      );
      return cs.map(() => e);
    }
    let replies: TxReply[] = [];
    if (ops.length > 0) {
      try {
        replies = await this.store.tx(ops);
      } catch (err) {
        const e = R.error(`ERR dssmr: ${err instanceof Error ? err.message : String(err)}`);
        return cs.map(() => e);
      }
    }
    let at = 0;
    return cs.map((c) => {
      const mine = replies.slice(at, at + c.ops.length);
      at += c.ops.length;
      return c.finish(mine);
    });
  }

  private connection(session: RespSession, name: string, a: readonly string[]): Planned {
    const now = (v: RespValue): Planned => ({ keys: [], run: () => v });
    switch (name) {
      case "ping":
        return now(
          a.length > 2 ? wrongArgs("ping") : a.length === 2 ? R.bulk(a[1]!) : R.simple("PONG"),
        );
      case "echo":
        return now(R.bulk(a[1]!));
      case "auth": {
        if (a.length > 3) return now(SYNTAX);
        return now(this.auth(session, a.length === 3 ? a[1]! : "default", a[a.length - 1]!));
      }
      case "hello":
        return now(this.hello(session, a));
      case "select": {
        const n = int64(a[1]!);
        if (n === null) return now(NOT_INT);
        return now(n === 0n ? R.ok : R.error("ERR DB index is out of range"));
      }
      case "quit":
        session.closing = true;
        return now(R.ok);
      case "reset":
        session.watched = [];
        session.multi = null;
        session.multiFailed = false;
        session.name = null;
        session.proto = 2;
        session.authed = !this.needsAuth;
        return now(R.simple("RESET"));
      case "client":
        return now(this.client(session, a));
      case "command":
        return now(this.command(a));
      case "config":
        return now(this.config(a));
      case "info":
        return { keys: [], run: () => this.info(a.slice(1)) };
      case "dbsize":
        return { keys: [], run: () => this.dbsize() };
      case "multi":
        if (session.multi !== null) return now(R.error("ERR MULTI calls can not be nested"));
        session.multi = [];
        session.multiFailed = false;
        return now(R.ok);
      case "discard":
        if (session.multi === null) return now(R.error("ERR DISCARD without MULTI"));
        session.multi = null;
        session.watched = [];
        return now(R.ok);
      case "watch": {
        const keys = [...new Set(a.slice(1))];
        if (keys.some((k) => k.length === 0 || k.length > KEY_MAX)) {
          return now(R.error(`ERR dssmr keys are 1 to ${KEY_MAX} bytes long`));
        }
        const read = this.store
          .tx(keys.map((key) => ({ op: "raw", key })))
          .then((rs) =>
            keys.map((k, i) => [k, (rs[i] as { s: string } | null)?.s ?? null] as const),
          );
        session.watched.push(read);
        return {
          keys,
          run: () =>
            read.then(
              () => R.ok,
              (err) => R.error(`ERR dssmr: ${err instanceof Error ? err.message : String(err)}`),
            ),
        };
      }
      case "exec": {
        const queued = session.multi;
        const failed = session.multiFailed;
        const watched = session.watched;
        session.multi = null;
        session.multiFailed = false;
        session.watched = [];
        if (queued === null) return now(R.error("ERR EXEC without MULTI"));
        if (failed) {
          return now(R.error("EXECABORT Transaction discarded because of previous errors."));
        }
        const run = async (): Promise<RespValue> => {
          if (watched.length === 0) return R.array(await this.runCompiled(queued));
          let seen: (readonly [string, string | null])[];
          try {
            seen = (await Promise.all(watched)).flat();
          } catch (err) {
            return R.error(`ERR dssmr: ${err instanceof Error ? err.message : String(err)}`);
          }
          // The preconditions run first in the same tx: all of it happens, or none.
          const guard: Compiled = {
            ops: seen.map(([key, value]) => ({ op: "ifeq", key, value })),
            finish: (rs) => R.bool(rs.every((r) => r !== null && "i" in r && r.i === "1")),
          };
          const [ok = null, ...replies] = await this.runCompiled([guard, ...queued]);
          if (ok?.t === "error") return ok;
          return ok?.t === "bool" && ok.v ? R.array(replies) : null;
        };
        const keys = txKeys(queued.flatMap((c) => c.ops));
        return { keys, run };
      }
      case "unwatch":
        session.watched = [];
        return now(R.ok);
      default:
        return now(unknownCommand(a));
    }
  }

  private auth(session: RespSession, user: string, password: string): RespValue {
    if (this.opts.password === undefined) {
      return R.error(
        "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
      );
    }
    if (user !== "default" || password !== this.opts.password) {
      return R.error("WRONGPASS invalid username-password pair or user is disabled.");
    }
    session.authed = true;
    return R.ok;
  }

  private hello(session: RespSession, a: readonly string[]): RespValue {
    let proto = session.proto;
    if (a.length > 1) {
      const v = int64(a[1]!);
      if (v === null) return R.error("ERR Protocol version is not an integer or out of range");
      if (v !== 2n && v !== 3n) return R.error("NOPROTO unsupported protocol version");
      proto = v === 2n ? 2 : 3;
    }
    let name: string | null | undefined;
    for (let i = 2; i < a.length; i++) {
      const opt = a[i]!.toLowerCase();
      if (opt === "auth" && i + 2 < a.length) {
        const r = this.auth(session, a[i + 1]!, a[i + 2]!);
        if (r !== null && r.t === "error") return r;
        i += 2;
      } else if (opt === "setname" && i + 1 < a.length) {
        name = a[++i]!;
      } else return R.error(`ERR Syntax error in HELLO option '${a[i]}'`);
    }
    if (!session.authed) {
      return R.error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
      );
    }
    if (name !== undefined) session.name = name;
    session.proto = proto;
    return R.map([
      [R.bulk("server"), R.bulk("redis")],
      [R.bulk("version"), R.bulk(REDIS_VERSION)],
      [R.bulk("proto"), R.int(proto)],
      [R.bulk("id"), R.int(session.id)],
      [R.bulk("mode"), R.bulk("standalone")],
      [R.bulk("role"), R.bulk("master")],
      [R.bulk("modules"), R.array([])],
    ]);
  }

  private client(session: RespSession, a: readonly string[]): RespValue {
    const sub = a[1]!.toLowerCase();
    const line = () => `id=${session.id} name=${session.name ?? ""} db=0 resp=${session.proto}`;
    switch (sub) {
      case "setname":
        if (a.length !== 3) return wrongArgs("client|setname");
        if (/[^!-~]/.test(a[2]!)) {
          return R.error("ERR Client names cannot contain spaces, newlines or special characters.");
        }
        session.name = a[2] === "" ? null : a[2]!;
        return R.ok;
      case "getname":
        return session.name === null ? null : R.bulk(session.name);
      case "id":
        return R.int(session.id);
      case "setinfo":
        return R.ok;
      case "info":
        return R.bulk(`${line()}\n`);
      case "list":
        return R.bulk(`${line()}\n`);
      default:
        return R.error(`ERR unknown subcommand '${a[1]}'. Try CLIENT HELP.`);
    }
  }

  private command(a: readonly string[]): RespValue {
    const info = (name: string, s: Spec): RespValue =>
      R.array([
        R.bulk(name),
        R.int(s.arity),
        R.set(s.flags.map(R.simple)),
        R.int(s.keys[0]),
        R.int(s.keys[1]),
        R.int(s.keys[2]),
        R.set([]),
        R.set([]),
        R.array([]),
        R.array([]),
      ]);
    const docs = (s: Spec): RespValue =>
      R.map([
        [R.bulk("summary"), R.bulk(s.summary)],
        [R.bulk("since"), R.bulk("1.0.0")],
        [R.bulk("group"), R.bulk(s.group)],
      ]);
    const named = (names: readonly string[]) =>
      names.length === 0
        ? [...COMMANDS]
        : names.flatMap((n) => {
            const s = COMMANDS.get(n.toLowerCase());
            return s === undefined ? [] : [[n.toLowerCase(), s] as const];
          });
    if (a.length === 1) return R.array([...COMMANDS].map(([n, s]) => info(n, s)));
    switch (a[1]!.toLowerCase()) {
      case "count":
        return R.int(COMMANDS.size);
      case "docs":
        return R.map(named(a.slice(2)).map(([n, s]) => [R.bulk(n), docs(s)]));
      case "info":
        return R.array(named(a.slice(2)).map(([n, s]) => info(n, s)));
      case "list":
        return R.array([...COMMANDS.keys()].map(R.bulk));
      default:
        return R.error(`ERR unknown subcommand '${a[1]}'. Try COMMAND HELP.`);
    }
  }

  private config(a: readonly string[]): RespValue {
    if (a[1]!.toLowerCase() !== "get") {
      return R.error(`ERR CONFIG ${a[1]!.toUpperCase()} is not supported by dssmr`);
    }
    if (a.length < 3) return wrongArgs("config|get");
    const params: [string, string][] = [
      ["save", ""],
      ["appendonly", this.opts.memory ? "no" : "yes"],
      ["appendfsync", this.opts.memory ? "no" : "always"],
      ["databases", "1"],
      ["maxmemory", "0"],
      ["proto-max-bulk-len", String(this.opts.maxBulkBytes)],
      ["port", String(this.opts.port)],
    ];
    const hits = params.filter(([k]) => a.slice(2).some((p) => globMatch(p, k)));
    return R.map(hits.map(([k, v]) => [R.bulk(k), R.bulk(v)]));
  }

  private async info(sections: readonly string[]): Promise<RespValue> {
    const want = sections.map((s) => s.toLowerCase());
    const all =
      want.length === 0 ||
      want.includes("all") ||
      want.includes("everything") ||
      want.includes("default");
    const out: string[] = [];
    const section = (name: string, fields: readonly (readonly [string, string | number])[]) => {
      if (!all && !want.includes(name.toLowerCase())) return;
      out.push(`# ${name}`, ...fields.map(([k, v]) => `${k}:${v}`), "");
    };
    section("Server", [
      ["redis_version", REDIS_VERSION],
      ["redis_mode", "standalone"],
      ["dssmr_frontend", "resp"],
      ["process_id", process.pid],
      ["tcp_port", this.opts.port],
      ["uptime_in_seconds", Math.floor((Date.now() - this.started) / 1000)],
    ]);
    section("Clients", [["connected_clients", this.opts.clients()]]);
    section("Persistence", [
      ["loading", 0],
      ["aof_enabled", this.opts.memory ? 0 : 1],
    ]);
    const needs = (n: string) => all || want.includes(n);
    if (needs("keyspace")) {
      let keys: number | string;
      try {
        keys = await this.backend.dbsize();
      } catch {
        keys = 0;
      }
      section("Keyspace", [["db0", `keys=${keys},expires=0,avg_ttl=0`]]);
    }
    if (needs("dssmr")) {
      try {
        section("dssmr", await this.backend.facts());
      } catch (err) {
        section("dssmr", [["error", err instanceof Error ? err.message : String(err)]]);
      }
    }
    return R.bulk(out.join("\r\n"));
  }

  private async dbsize(): Promise<RespValue> {
    try {
      return R.int(await this.backend.dbsize());
    } catch (err) {
      return R.error(`ERR dssmr: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

// The KV store's transaction command: a list of Redis-like operations run atomically over their keys.

/**
 * A stored value that marks a key as absent for transactions. DS-SMR can only write variables
 * that exist, so a transaction that may create a key needs the key to exist first: the RESP front
 * end creates it holding this marker, and a transaction that deletes a key writes it back.
 * Private-use code points never occur in a value the RESP front end stores (its bytes map to
 * code units 0..255), so the marker cannot be confused with a Redis string.
 */
export const TOMBSTONE = "\uE000";
/** Prefix of a stored hash: the marker then a JSON array of [field, value] pairs in insertion order. */
export const HASH_PREFIX = "\uE001";
/** Most operations one transaction may hold. */
export const TX_OPS_MAX = 1024;
/** Most distinct keys one transaction may touch. */
export const TX_KEYS_MAX = 1024;

/** An operation of a transaction; the names and meanings are Redis's commands of the same name. */
export type TxOp =
  | { readonly op: "get" | "getdel" | "del" | "exists" | "strlen" | "type"; readonly key: string }
  | {
      readonly op: "set";
      readonly key: string;
      readonly value: string;
      /** Set only if the key is absent (nx) or present (xx). */
      readonly cond?: "nx" | "xx";
      /** Reply with the old value instead of OK. */
      readonly get?: boolean;
    }
  | { readonly op: "append"; readonly key: string; readonly value: string }
  /** `by` is a decimal 64-bit integer, kept as a string so every int64 survives plain data. */
  | { readonly op: "incrby"; readonly key: string; readonly by: string }
  | { readonly op: "msetnx"; readonly pairs: readonly (readonly [string, string])[] }
  | { readonly op: "rename"; readonly key: string; readonly to: string; readonly nx?: boolean }
  | { readonly op: "copy"; readonly key: string; readonly to: string; readonly replace?: boolean }
  | {
      readonly op: "hset";
      readonly key: string;
      readonly fields: readonly (readonly [string, string])[];
    }
  | { readonly op: "hget" | "hexists"; readonly key: string; readonly field: string }
  | { readonly op: "hmget" | "hdel"; readonly key: string; readonly fields: readonly string[] }
  | { readonly op: "hgetall" | "hlen"; readonly key: string }
  | { readonly op: "hincrby"; readonly key: string; readonly field: string; readonly by: string }
  /** The stored value as it is (null when absent): what WATCH remembers. */
  | { readonly op: "raw"; readonly key: string }
  /**
   * A precondition (EXEC after WATCH): the stored value is still `value` (null: absent). If any
   * precondition of the transaction fails, nothing runs: every reply is null, its own are 0.
   */
  | { readonly op: "ifeq"; readonly key: string; readonly value: string | null };

/**
 * One operation's reply, as plain data in Redis's reply types: null (nil), a bulk string, an
 * integer (decimal string, for int64), a status, an error, an array, or a map (flat key, value
 * list: an array in RESP2, a map in RESP3).
 */
export type TxReply =
  | null
  | { readonly s: string }
  | { readonly i: string }
  | { readonly st: string }
  | { readonly e: string }
  | { readonly a: readonly TxReply[] }
  | { readonly m: readonly TxReply[] };

/** Redis's error for an operation on a key holding another type. */
export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT = "ERR value is not an integer or out of range";
const HASH_NOT_INT = "ERR hash value is not an integer";
const OVERFLOW = "ERR increment or decrement would overflow";
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A Redis value as a transaction sees it. */
type Value =
  | { readonly t: "none" }
  | { readonly t: "string"; readonly s: string }
  | { readonly t: "hash"; readonly h: Map<string, string> };

const NONE: Value = { t: "none" };

/** Decodes a stored value. A hash that does not parse reads as a string (it was not ours). */
function decode(raw: string): Value {
  if (raw === TOMBSTONE) return NONE;
  if (raw.startsWith(HASH_PREFIX)) {
    try {
      const pairs = JSON.parse(raw.slice(HASH_PREFIX.length)) as [string, string][];
      if (Array.isArray(pairs)) return { t: "hash", h: new Map(pairs) };
    } catch {
      // not a hash this module wrote: fall through
    }
  }
  return { t: "string", s: raw };
}

/** Encodes a value for storage; an empty hash is no key at all, as in Redis. */
function encode(v: Value): string {
  if (v.t === "none" || (v.t === "hash" && v.h.size === 0)) return TOMBSTONE;
  if (v.t === "string") return v.s;
  return HASH_PREFIX + JSON.stringify([...v.h]);
}

/** Parses a string as Redis does for counters: canonical decimal int64, else null. */
export function parseInt64(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? null : n;
}

/** The keys a transaction touches, each once, in the order its operations name them. */
export function txKeys(ops: readonly TxOp[]): string[] {
  const keys = new Set<string>();
  for (const o of ops) {
    if (o.op === "msetnx") for (const [k] of o.pairs) keys.add(k);
    else {
      keys.add(o.key);
      if (o.op === "rename" || o.op === "copy") keys.add(o.to);
    }
  }
  return [...keys];
}

/** True when no operation of the transaction can write. */
export function txIsReadOnly(ops: readonly TxOp[]): boolean {
  const readers = [
    "get",
    "exists",
    "strlen",
    "type",
    "hget",
    "hexists",
    "hmget",
    "hgetall",
    "hlen",
  ];
  return ops.every((o) => readers.includes(o.op));
}

const int = (n: number | bigint): TxReply => ({ i: String(n) });
const bulk = (s: string | undefined): TxReply => (s === undefined ? null : { s });

/**
 * Runs `ops` in order over `state` (key to stored value; every key of the transaction must be
 * present, absent ones as TOMBSTONE) and returns one reply per operation. As in a Redis
 * MULTI/EXEC, an operation that fails (wrong type, not an integer) replies with its error and the
 * others still run; nothing is rolled back. Deterministic; writes only keys whose value changed.
 */
export function runTx(state: Map<string, string>, ops: readonly TxOp[]): TxReply[] {
  const cache = new Map<string, Value>();
  const dirty = new Set<string>();
  const read = (k: string): Value => {
    let v = cache.get(k);
    if (v === undefined) {
      const raw = state.get(k);
      v = raw === undefined ? NONE : decode(raw);
      cache.set(k, v);
    }
    return v;
  };
  const write = (k: string, v: Value): void => {
    cache.set(k, v);
    dirty.add(k);
  };
  const hashOf = (k: string): Map<string, string> | null => {
    const v = read(k);
    return v.t === "hash" ? v.h : v.t === "none" ? new Map() : null;
  };
  const one = (o: Exclude<TxOp, { op: "raw" | "ifeq" }>): TxReply => {
    switch (o.op) {
      case "get": {
        const v = read(o.key);
        return v.t === "hash" ? { e: WRONGTYPE } : bulk(v.t === "string" ? v.s : undefined);
      }
      case "getdel": {
        const v = read(o.key);
        if (v.t === "hash") return { e: WRONGTYPE };
        if (v.t === "none") return null;
        write(o.key, NONE);
        return { s: v.s };
      }
      case "del": {
        if (read(o.key).t === "none") return int(0);
        write(o.key, NONE);
        return int(1);
      }
      case "exists":
        return int(read(o.key).t === "none" ? 0 : 1);
      case "type":
        return { st: read(o.key).t };
      case "strlen": {
        const v = read(o.key);
        return v.t === "hash" ? { e: WRONGTYPE } : int(v.t === "string" ? v.s.length : 0);
      }
      case "set": {
        const v = read(o.key);
        if (o.get === true && v.t === "hash") return { e: WRONGTYPE };
        const old = o.get === true ? bulk(v.t === "string" ? v.s : undefined) : { st: "OK" };
        const skip = (o.cond === "nx" && v.t !== "none") || (o.cond === "xx" && v.t === "none");
        if (skip) return o.get === true ? old : null;
        write(o.key, { t: "string", s: o.value });
        return old;
      }
      case "append": {
        const v = read(o.key);
        if (v.t === "hash") return { e: WRONGTYPE };
        const s = (v.t === "string" ? v.s : "") + o.value;
        write(o.key, { t: "string", s });
        return int(s.length);
      }
      case "incrby": {
        const v = read(o.key);
        if (v.t === "hash") return { e: WRONGTYPE };
        const cur = v.t === "none" ? 0n : parseInt64(v.s);
        const by = parseInt64(o.by);
        if (cur === null || by === null) return { e: NOT_INT };
        const next = cur + by;
        if (next < INT64_MIN || next > INT64_MAX) return { e: OVERFLOW };
        write(o.key, { t: "string", s: String(next) });
        return int(next);
      }
      case "msetnx": {
        if (o.pairs.some(([k]) => read(k).t !== "none")) return int(0);
        for (const [k, s] of o.pairs) write(k, { t: "string", s });
        return int(1);
      }
      case "rename": {
        const v = read(o.key);
        if (v.t === "none") return { e: "ERR no such key" };
        if (o.key === o.to) return o.nx === true ? int(0) : { st: "OK" };
        if (o.nx === true && read(o.to).t !== "none") return int(0);
        write(o.to, v);
        write(o.key, NONE);
        return o.nx === true ? int(1) : { st: "OK" };
      }
      case "copy": {
        if (o.key === o.to) return { e: "ERR source and destination objects are the same" };
        const v = read(o.key);
        if (v.t === "none" || (o.replace !== true && read(o.to).t !== "none")) return int(0);
        write(o.to, v.t === "hash" ? { t: "hash", h: new Map(v.h) } : v);
        return int(1);
      }
      case "hset": {
        const h = hashOf(o.key);
        if (h === null) return { e: WRONGTYPE };
        const next = new Map(h);
        let added = 0;
        for (const [f, s] of o.fields) {
          if (!next.has(f)) added++;
          next.set(f, s);
        }
        write(o.key, { t: "hash", h: next });
        return int(added);
      }
      case "hget": {
        const h = hashOf(o.key);
        return h === null ? { e: WRONGTYPE } : bulk(h.get(o.field));
      }
      case "hexists": {
        const h = hashOf(o.key);
        return h === null ? { e: WRONGTYPE } : int(h.has(o.field) ? 1 : 0);
      }
      case "hmget": {
        const h = hashOf(o.key);
        return h === null ? { e: WRONGTYPE } : { a: o.fields.map((f) => bulk(h.get(f))) };
      }
      case "hgetall": {
        const h = hashOf(o.key);
        return h === null ? { e: WRONGTYPE } : { m: [...h].flatMap(([f, s]) => [{ s: f }, { s }]) };
      }
      case "hlen": {
        const h = hashOf(o.key);
        return h === null ? { e: WRONGTYPE } : int(h.size);
      }
      case "hdel": {
        const h = hashOf(o.key);
        if (h === null) return { e: WRONGTYPE };
        const next = new Map(h);
        let removed = 0;
        for (const f of o.fields) if (next.delete(f)) removed++;
        if (removed > 0) write(o.key, { t: "hash", h: next });
        return int(removed);
      }
      case "hincrby": {
        const h = hashOf(o.key);
        if (h === null) return { e: WRONGTYPE };
        const raw = h.get(o.field);
        const cur = raw === undefined ? 0n : parseInt64(raw);
        const by = parseInt64(o.by);
        if (by === null) return { e: NOT_INT };
        if (cur === null) return { e: HASH_NOT_INT };
        const next = cur + by;
        if (next < INT64_MIN || next > INT64_MAX) return { e: OVERFLOW };
        write(o.key, { t: "hash", h: new Map(h).set(o.field, String(next)) });
        return int(next);
      }
    }
  };
  const stored = (k: string): string | null => {
    const raw = state.get(k);
    return raw === undefined || raw === TOMBSTONE ? null : raw;
  };
  if (ops.some((o) => o.op === "ifeq" && stored(o.key) !== o.value)) {
    return ops.map((o) => (o.op === "ifeq" ? int(stored(o.key) === o.value ? 1 : 0) : null));
  }
  const replies = ops.map((o) =>
    o.op === "ifeq" ? int(1) : o.op === "raw" ? bulk(stored(o.key) ?? undefined) : one(o),
  );
  for (const k of dirty) {
    const raw = encode(cache.get(k)!);
    if (state.get(k) !== raw) state.set(k, raw);
  }
  return replies;
}

const OPS = new Set([
  "get",
  "getdel",
  "del",
  "exists",
  "strlen",
  "type",
  "set",
  "append",
  "incrby",
  "msetnx",
  "rename",
  "copy",
  "hset",
  "hget",
  "hexists",
  "hmget",
  "hdel",
  "hgetall",
  "hlen",
  "hincrby",
  "raw",
  "ifeq",
]);

const isStr = (v: unknown): v is string => typeof v === "string";
const isPairs = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.length > 0 &&
  v.every((p) => Array.isArray(p) && p.length === 2 && isStr(p[0]) && isStr(p[1]));

/**
 * Why `op` is not a well-formed transaction operation, or null. `badKey` checks a key field.
 * Integer arguments must already be canonical int64 decimals: the front end answers Redis's
 * "not an integer" error itself, so a malformed one here is a malformed command.
 */
export function validateTxOp(
  op: unknown,
  badKey: (field: string, value: unknown) => string | null,
): string | null {
  if (op === null || typeof op !== "object" || Array.isArray(op)) return "op must be an object";
  const o = op as Record<string, unknown>;
  if (!isStr(o.op) || !OPS.has(o.op)) return `unknown op ${JSON.stringify(o.op ?? null)}`;
  if (o.op === "msetnx") {
    if (!isPairs(o.pairs)) return "msetnx needs a non-empty array of [key, value] pairs";
    for (const [k] of o.pairs as [string, string][]) {
      const bad = badKey("key", k);
      if (bad !== null) return bad;
    }
    return null;
  }
  const bad = badKey("key", o.key);
  if (bad !== null) return bad;
  switch (o.op) {
    case "set":
      if (!isStr(o.value)) return "value must be a string";
      if (o.cond !== undefined && o.cond !== "nx" && o.cond !== "xx") {
        return 'cond must be "nx" or "xx"';
      }
      return o.get === undefined || typeof o.get === "boolean" ? null : "get must be a boolean";
    case "append":
      return isStr(o.value) ? null : "value must be a string";
    case "incrby":
      return isStr(o.by) && parseInt64(o.by) !== null ? null : "by must be an int64 decimal";
    case "rename":
    case "copy": {
      const flag = o.op === "rename" ? o.nx : o.replace;
      return (
        badKey("to", o.to) ??
        (flag === undefined || typeof flag === "boolean" ? null : "flags must be booleans")
      );
    }
    case "hset":
      return isPairs(o.fields) ? null : "hset needs a non-empty array of [field, value] pairs";
    case "hget":
    case "hexists":
      return isStr(o.field) ? null : "field must be a string";
    case "hmget":
    case "hdel":
      return Array.isArray(o.fields) && o.fields.length > 0 && o.fields.every(isStr)
        ? null
        : "fields must be a non-empty array of strings";
    case "ifeq":
      return o.value === null || isStr(o.value) ? null : "value must be a string or null";
    case "hincrby":
      if (!isStr(o.field)) return "field must be a string";
      return isStr(o.by) && parseInt64(o.by) !== null ? null : "by must be an int64 decimal";
    default:
      return null;
  }
}

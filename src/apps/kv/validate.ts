// Checks a partitioned KV command that arrives from outside.
import { TX_KEYS_MAX, TX_OPS_MAX, type TxOp, txKeys, validateTxOp } from "./tx.ts";
import { KEY_MAX, MGET_MAX } from "./types.ts";

const TYPES = ["create", "delete", "get", "put", "cas", "mget", "transfer", "tx"];

/** Why `value` is not a valid key for field `field`, or null. */
function badKey(field: string, value: unknown): string | null {
  if (value === undefined) return `missing ${field}`;
  if (typeof value !== "string") return `${field} must be a string`;
  if (value === "") return `${field} must not be empty`;
  if (value.length > KEY_MAX) return `${field} is longer than ${KEY_MAX} characters`;
  return null;
}

/** Returns why `cmd` is not a well-formed partitioned KV command, or null if it is. */
export function validateDsKv(cmd: unknown): string | null {
  if (cmd === null || typeof cmd !== "object" || Array.isArray(cmd)) {
    return "command must be an object";
  }
  const c = cmd as Record<string, unknown>;
  if (typeof c.type !== "string" || !TYPES.includes(c.type)) {
    return `unknown command type ${JSON.stringify(c.type ?? null)} (expected one of ${TYPES.join(", ")})`;
  }
  switch (c.type) {
    case "get":
    case "delete":
      return badKey("key", c.key);
    case "create":
    case "put":
      return (
        badKey("key", c.key) ?? (typeof c.value === "string" ? null : "value must be a string")
      );
    case "cas":
      return (
        badKey("key", c.key) ??
        (typeof c.value === "string" ? null : "value must be a string") ??
        (c.expected === null || typeof c.expected === "string"
          ? null
          : "expected must be a string or null")
      );
    case "mget": {
      if (!Array.isArray(c.keys)) return "mget needs an array of keys";
      if (c.keys.length === 0) return "mget needs at least one key";
      if (c.keys.length > MGET_MAX) return `mget reads at most ${MGET_MAX} keys`;
      for (const [i, k] of c.keys.entries()) {
        const bad = badKey(`keys[${i}]`, k);
        if (bad !== null) return bad;
      }
      return null;
    }
    case "tx": {
      if (!Array.isArray(c.ops) || c.ops.length === 0) return "tx needs a non-empty array of ops";
      if (c.ops.length > TX_OPS_MAX) return `tx holds at most ${TX_OPS_MAX} ops`;
      for (const [i, op] of c.ops.entries()) {
        const bad = validateTxOp(op, badKey);
        if (bad !== null) return `ops[${i}]: ${bad}`;
      }
      if (txKeys(c.ops as TxOp[]).length > TX_KEYS_MAX) {
        return `tx touches at most ${TX_KEYS_MAX} keys`;
      }
      return null;
    }
    default: {
      const bad = badKey("from", c.from) ?? badKey("to", c.to);
      if (bad !== null) return bad;
      if (typeof c.amount !== "number" || !Number.isSafeInteger(c.amount) || c.amount <= 0) {
        return "amount must be a positive integer";
      }
      return null;
    }
  }
}

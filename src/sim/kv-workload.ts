// Random key-value commands for simulated clients: small key spaces so that operations conflict.
import type { KvOp } from "../core/kv/kv.ts";
import type { Rng } from "./rng.ts";

/** Draws one command over `keys`: reads, writes, compare-and-set and the two multi-key commands. */
export function randomKvOp(rng: Rng, keys: readonly string[]): KvOp {
  const key = rng.pick(keys);
  const roll = rng.int(100);
  if (roll < 30) return { type: "get", key };
  if (roll < 55) return { type: "put", key, value: String(rng.int(50)) };
  if (roll < 70) {
    const expected = rng.chance(0.2) ? null : String(rng.int(50));
    return { type: "cas", key, expected, value: String(rng.int(50)) };
  }
  if (roll < 85) {
    const other = rng.pick(keys);
    return { type: "mget", keys: other === key ? [key] : [key, other] };
  }
  let to = rng.pick(keys);
  if (to === key) to = keys[(keys.indexOf(key) + 1) % keys.length] ?? key;
  return { type: "transfer", from: key, to, amount: 1 + rng.int(10) };
}

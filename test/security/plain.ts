// The shape of decoded network data the rest of the system may assume: plain, acyclic, re-encodable.
import { NEVER_USED } from "../../src/net/codec.ts";

/**
 * True when `v` is plain data: null, undefined, a boolean, number or string, bytes, or arrays and
 * ordinary objects of plain data, without cycles. No BigInt, Set, Map, Date, RegExp, Error or
 * typed arrays other than bytes. The one exception is the frozen sentinel that the
 * never-used byte 0xC1 decodes to (see codec.ts).
 */
export function isPlain(v: unknown, seen: Set<object> = new Set()): boolean {
  if (v === null || v === undefined) return true;
  const t = typeof v;
  if (t === "boolean" || t === "number" || t === "string") return true;
  if (t !== "object") return false;
  const o = v as object;
  if (o === NEVER_USED) return Object.isFrozen(o);
  if (o instanceof Uint8Array) return Object.getPrototypeOf(o) !== null;
  if (seen.has(o)) return false;
  seen.add(o);
  let ok: boolean;
  if (Array.isArray(o)) ok = o.every((x) => isPlain(x, seen));
  else if (Object.getPrototypeOf(o) === Object.prototype) {
    ok = Object.values(o).every((x) => isPlain(x, seen));
  } else ok = false;
  seen.delete(o);
  return ok;
}

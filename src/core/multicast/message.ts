// Well-formedness of a client's multicast message, checked before it may enter a log.
import type { GroupId } from "../ids.ts";
import type { McastMessage } from "./types.ts";

/**
 * Why `msg` is malformed, or null when it is well formed: seq a positive integer; dests sorted
 * ascending, unique, non-empty integers; prev one entry per dest, each an integer in [0, seq).
 * A leader should check this before appending a start; `apply` ignores malformed starts rather
 * than throw, because a throw on apply would stop every replica of the group on the same entry.
 */
export function validateMessage<P>(msg: McastMessage<P>): string | null {
  if (!Number.isInteger(msg.client)) return `client ${msg.client} is not an integer`;
  if (!Number.isInteger(msg.seq) || msg.seq < 1) return `seq ${msg.seq} is not a positive integer`;
  if (msg.dests.length === 0) return "dests is empty";
  if (msg.prev.length !== msg.dests.length) {
    return `prev has ${msg.prev.length} entries for ${msg.dests.length} dests`;
  }
  for (let i = 0; i < msg.dests.length; i++) {
    const d = msg.dests[i]!;
    if (!Number.isInteger(d) || d < 0) return `dest ${d} is not a group id`;
    if (i > 0 && d <= msg.dests[i - 1]!) return "dests are not sorted ascending and unique";
    const p = msg.prev[i]!;
    if (!Number.isInteger(p) || p < 0 || p >= msg.seq) {
      return `prev ${p} for group ${d} is not in [0, ${msg.seq})`;
    }
  }
  return null;
}

/** Position of group `g` in the sorted `dests`, or -1 (binary search: dests may be long). */
export function destIndex(dests: readonly GroupId[], g: GroupId): number {
  let lo = 0;
  let hi = dests.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const d = dests[mid]!;
    if (d === g) return mid;
    if (d < g) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * True when `a` and `b` are the same version of a message: same id, dests, prev and payload
 * (compared structurally, so a copy that crossed the network equals the original). A faulty
 * client may send different messages under one (client, seq); groups tell them apart with this.
 */
export function sameMessage<P>(a: McastMessage<P>, b: McastMessage<P>): boolean {
  if (a === b) return true;
  return (
    a.client === b.client &&
    a.seq === b.seq &&
    sameValue(a.dests, b.dests) &&
    sameValue(a.prev, b.prev) &&
    sameValue(a.payload, b.payload)
  );
}

/**
 * Structural equality of plain data (what a payload is: primitives, arrays, byte arrays and
 * plain objects, in any key order). Deterministic and total: anything else compares by identity.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (!plain(a) || !plain(b)) return false; // a Map or a class instance: not payload data, identity only
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) {
      return false;
    }
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of ka) {
    if (!Object.hasOwn(rb, k) || !sameValue(ra[k], rb[k])) return false;
  }
  return true;
}

function plain(x: object): boolean {
  const proto: unknown = Object.getPrototypeOf(x);
  return (
    proto === Object.prototype || proto === null || Array.isArray(x) || x instanceof Uint8Array
  );
}

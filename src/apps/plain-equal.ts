// Deep equality of plain data (what commands, results and values are made of).

/**
 * True when `a` and `b` are equal plain data: the same primitives, arrays of equal elements in
 * order, or objects with the same own keys (in any order) holding equal values. Results arrive
 * decoded from the wire, so key order may differ from what the application built.
 */
export function plainEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => plainEqual(x, b[i]));
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra);
  if (ka.length !== Object.keys(rb).length) return false;
  return ka.every((k) => Object.hasOwn(rb, k) && plainEqual(ra[k], rb[k]));
}

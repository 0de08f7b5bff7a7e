// DS-SMR's ownership invariant: every variable lives in exactly one partition, where the oracle says.

/**
 * Compares the oracle's map with what the partitions hold once the system is quiet. Returns
 * violations: a variable held by two partitions, held by a partition the oracle does not name, or
 * mapped by the oracle but held nowhere.
 */
export function checkOwnership(
  oracle: ReadonlyMap<string, number>,
  partitions: ReadonlyMap<number, Iterable<string>>,
): string[] {
  const out: string[] = [];
  const holder = new Map<string, number>();
  for (const [p, vars] of partitions) {
    for (const v of vars) {
      const other = holder.get(v);
      if (other !== undefined) out.push(`ownership: ${v} is held by partitions ${other} and ${p}`);
      else holder.set(v, p);
      const mapped = oracle.get(v);
      if (mapped !== p) {
        out.push(
          `ownership: ${v} is held by partition ${p} but the oracle maps it to ${mapped ?? "nothing"}`,
        );
      }
    }
  }
  for (const [v, p] of oracle) {
    if (!holder.has(v))
      out.push(`ownership: the oracle maps ${v} to partition ${p}, which does not hold it`);
  }
  return out.slice(0, 20);
}

// Error helpers for cluster processes: a readable message from anything thrown.

/** The message of an Error, or the value as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// Strict parsing of command-line values: a bad value is a usage error naming the flag.
import { InputError } from "../core/errors.ts";

/** Parses a non-negative (or, with min, bounded) integer flag value. */
export function parseIntFlag(
  flag: string,
  raw: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new InputError(`${flag}: expected an integer, got "${raw}"`);
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InputError(`${flag}: must be between ${min} and ${max}, got ${raw}`);
  }
  return n;
}

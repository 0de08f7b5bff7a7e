// Checks a Chirper command that arrives from outside, with an error message a client can act on.
import { NAME_MAX, TEXT_MAX } from "./types.ts";

const TYPES = ["adduser", "post", "timeline", "follow", "unfollow"];

/** Why `value` is not a valid user name for field `field`, or null if it is. */
function badName(field: string, value: unknown): string | null {
  if (value === undefined) return `missing ${field}`;
  if (typeof value !== "string") return `${field} must be a string`;
  if (value === "") return `${field} must not be empty`;
  if (value.length > NAME_MAX) return `${field} is longer than ${NAME_MAX} characters`;
  return null;
}

/**
 * Returns why `cmd` is not a well-formed Chirper command, or null if it is. It looks only at the
 * command itself (not at which users exist), so every replica reaches the same verdict.
 */
export function validateChirper(cmd: unknown): string | null {
  if (cmd === null || typeof cmd !== "object" || Array.isArray(cmd)) {
    return "command must be an object";
  }
  const c = cmd as Record<string, unknown>;
  if (typeof c.type !== "string" || !TYPES.includes(c.type)) {
    return `unknown command type ${JSON.stringify(c.type ?? null)} (expected one of ${TYPES.join(", ")})`;
  }
  const user = badName("user", c.user);
  if (user !== null) return user;
  switch (c.type) {
    case "post":
      if (typeof c.text !== "string") return "post needs a string text";
      if (c.text.length > TEXT_MAX) return `post text is longer than ${TEXT_MAX} characters`;
      return null;
    case "follow":
    case "unfollow": {
      const other = badName("other", c.other);
      if (other !== null) return other;
      if (c.other === c.user) return `a user cannot ${c.type} itself`;
      return null;
    }
    default:
      return null;
  }
}

// Reads a request body as a JSON object, bounded in size, turning every failure into a 4xx.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { BadRequestError, BodyTooLargeError } from "./errors.ts";

/** Default largest body accepted, in bytes. */
export const DEFAULT_BODY_LIMIT = 16 * 1024;

/**
 * Middleware refusing a request whose body is over `maxSize` bytes with 413 and the JSON error
 * every route of the port answers (`{ error, code: "too-large" }`): a declared Content-Length is
 * refused before reading, a streamed body as soon as it passes the limit. Mounted in front of a
 * whole app it bounds what one request can make the process buffer, whatever a route then does
 * with the body (`c.req.json()` alone reads all of it).
 */
export function limitBodies(maxSize: number): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: (c) => {
      const err = new BodyTooLargeError(maxSize);
      return c.json({ error: err.message, code: err.reason }, 413);
    },
  });
}

/**
 * Reads `req`'s body (at most `limit` bytes: a declared Content-Length over it is refused before
 * reading, and reading stops as soon as the limit is passed) and parses it as a JSON object.
 * Throws BodyTooLargeError or BadRequestError; never anything else.
 */
export async function readJsonObject(
  req: Request,
  limit = DEFAULT_BODY_LIMIT,
): Promise<Record<string, unknown>> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw new BodyTooLargeError(limit);
  const bytes = await readBytes(req, limit);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new BadRequestError("request body is not UTF-8");
  }
  if (text.trim() === "") throw new BadRequestError("request body must be a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`request body is not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BadRequestError("request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

async function readBytes(req: Request, limit: number): Promise<Uint8Array> {
  const body = req.body;
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw new BodyTooLargeError(limit);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw err;
    throw new BadRequestError(`request body could not be read: ${(err as Error).message}`);
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

// Named errors of the client library, with stable codes.
import { DssmrError } from "../core/errors.ts";

/** No answer within the time allowed; the command may still execute later. */
export class ClientTimeoutError extends DssmrError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(
      "E_TIMEOUT",
      `no answer from the cluster within ${timeoutMs} ms (the command may still take effect)`,
    );
    this.timeoutMs = timeoutMs;
  }
}

/** The caller aborted the command; it may still execute later. */
export class ClientAbortedError extends DssmrError {
  readonly reason: unknown;
  constructor(reason: unknown) {
    super("E_ABORTED", "the command was aborted (it may still take effect)");
    this.reason = reason;
  }
}

/** The client was closed before the command completed. */
export class ClientClosedError extends DssmrError {
  constructor() {
    super("E_CLOSED", "the client is closed");
  }
}

/** The command is malformed (rejected by the application's validation); nothing was sent. */
export class InvalidCommandError extends DssmrError {
  constructor(reason: string) {
    super("E_INVALID_COMMAND", `invalid command: ${reason}`);
  }
}

/**
 * The command, or a value in it, is larger than the cluster accepts (`maxCommandBytes`,
 * `maxValueBytes` in cluster.json). Refused at once by the client (nothing was sent, the client
 * stays usable) or by a replica before anything was logged: the command did not take effect.
 */
export class CommandTooLargeError extends DssmrError {
  /** Which bound was broken. */
  readonly what: "command" | "value";
  /** The command's encoded size, or the largest value's UTF-8 size. */
  readonly bytes: number;
  readonly limit: number;
  constructor(what: "command" | "value", bytes: number, limit: number) {
    const field = what === "command" ? "maxCommandBytes" : "maxValueBytes";
    super(
      "E_TOO_LARGE",
      `${what === "command" ? "command" : "a value in the command"} is ${bytes} bytes, over the cluster's limit of ${limit} bytes (${field}); nothing was done`,
    );
    this.what = what;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/**
 * The cluster runs another application than this client (another module, or another version of
 * it: the identities in the message differ); a replica refused the connection at its handshake.
 * Nothing was sent; every call of this client fails with it.
 */
export class AppMismatchError extends DssmrError {
  constructor(reason: string) {
    super("E_APP_MISMATCH", reason);
  }
}

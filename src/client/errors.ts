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

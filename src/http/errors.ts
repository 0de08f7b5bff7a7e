// Named errors of the HTTP layer: each carries the status it is answered with.
import { DssmrError } from "../core/errors.ts";

/** A request the API answers with `status` and `{error, code}`, never a 500. */
export class HttpError extends DssmrError {
  /** HTTP status of the answer. */
  readonly status: 400 | 404 | 409 | 413 | 415 | 503 | 504;
  /** Short machine-readable reason, also sent to the client. */
  readonly reason: string;

  constructor(status: HttpError["status"], reason: string, message: string) {
    super(`E_HTTP_${status}`, message);
    this.status = status;
    this.reason = reason;
  }
}

/** The body or a parameter is malformed (not JSON, wrong types, invalid command). */
export class BadRequestError extends HttpError {
  constructor(message: string) {
    super(400, "bad-request", message);
  }
}

/** The body is longer than the API accepts. */
export class BodyTooLargeError extends HttpError {
  constructor(limit: number) {
    super(413, "too-large", `request body is larger than ${limit} bytes`);
  }
}

/** The cluster did not answer within the request's time limit. */
export class GatewayTimeoutError extends HttpError {
  constructor(ms: number) {
    super(504, "timeout", `the cluster did not answer within ${ms} ms`);
  }
}

/** The cluster could not be asked (the client failed or the request was abandoned). */
export class UnavailableError extends HttpError {
  constructor(message: string) {
    super(503, "unavailable", message);
  }
}

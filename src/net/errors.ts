// Named errors of the network layer.
import { DssmrError } from "../core/errors.ts";

/** Bytes on a connection are not a well-formed frame; the connection that sent them is closed. */
export class FrameError extends DssmrError {
  constructor(message: string) {
    super("E_FRAME", message);
  }
}

/** A peer broke the connection protocol (e.g. no hello first); its connection is closed. */
export class ProtocolError extends DssmrError {
  constructor(message: string) {
    super("E_PROTOCOL", message);
  }
}

/**
 * A connection's handshake failed (wrong version, wrong or missing secret, another application,
 * silence); it is closed.
 */
export class HandshakeError extends DssmrError {
  /** What failed: `version`, `auth`, `protocol`, `timeout` or `app`. */
  readonly failure: "version" | "auth" | "protocol" | "timeout" | "app";
  constructor(failure: HandshakeError["failure"], message: string) {
    super(`E_HANDSHAKE_${failure.toUpperCase()}`, message);
    this.failure = failure;
  }
}

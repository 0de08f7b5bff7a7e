// Named error classes with stable codes, shared by every layer.

/** Base class: every error the project raises on purpose has a stable `code`. */
export class DssmrError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An assertion about the protocol's own state failed: a bug, never bad input. */
export class InvariantError extends DssmrError {
  constructor(message: string) {
    super("E_INVARIANT", message);
  }
}

/** Configuration or options are invalid; the message names the field. */
export class ConfigError extends DssmrError {
  constructor(message: string) {
    super("E_CONFIG", message);
  }
}

/** Input from outside (a frame, a command, a flag) is malformed; nothing was changed. */
export class InputError extends DssmrError {
  constructor(message: string) {
    super("E_INPUT", message);
  }
}

/** Stored or received state is in a format this build does not read (written by another version). */
export class FormatError extends DssmrError {
  constructor(message: string) {
    super("E_FORMAT", message);
  }
}

/** Throws an InvariantError when `cond` is false. */
export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new InvariantError(message);
}

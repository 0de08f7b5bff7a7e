// Concurrent histories as a client sees them: each operation's input, output and real-time interval.

/** One client operation as observed by the client. */
export interface Operation<I, O> {
  /** Unique within the history. */
  readonly id: number;
  readonly client: number;
  readonly input: I;
  /**
   * What the client received; undefined when the operation never completed (timed out, gave up),
   * in which case it may or may not have taken effect, at any time after its call.
   */
  readonly output: O | undefined;
  /** Invocation time (virtual time, any unit). */
  readonly call: number;
  /** Completion time; Infinity when incomplete. */
  readonly ret: number;
}

/**
 * True when the client saw the operation's result. Completeness is decided by the output alone:
 * an operation without an output constrains nothing after its call, whatever its `ret` says.
 */
export function isComplete<I, O>(op: Operation<I, O>): boolean {
  return op.output !== undefined;
}

/**
 * The time by which the operation must have taken effect: its `ret` if complete, Infinity if not
 * (an abandoned request can still be executed by the system long after the client gave up).
 */
export function deadline<I, O>(op: Operation<I, O>): number {
  return isComplete(op) ? op.ret : Number.POSITIVE_INFINITY;
}

/**
 * Throws a RangeError if the history is malformed (duplicate ids, a call time that is not a
 * finite number, a return before its call). Such a history is a bug in whoever recorded it, and
 * checking it anyway would give a verdict about something other than what happened.
 */
export function validateHistory<I, O>(ops: readonly Operation<I, O>[]): void {
  const seen = new Set<number>();
  for (const op of ops) {
    if (seen.has(op.id)) throw new RangeError(`duplicate operation id ${op.id}`);
    seen.add(op.id);
    if (!Number.isFinite(op.call)) {
      throw new RangeError(`operation ${op.id}: call time ${op.call} is not finite`);
    }
    if (Number.isNaN(op.ret) || op.ret < op.call) {
      throw new RangeError(
        `operation ${op.id}: returns at ${op.ret}, before its call at ${op.call}`,
      );
    }
  }
}

// The application API of DS-SMR: partitioned variables, a command executor, and placement hooks.
import type { PartitionId, VarId } from "./types.ts";

/** How a command relates to the variable map. */
export type CommandKind =
  | { readonly kind: "access" }
  /** Introduces `variable`; fails if it exists. */
  | { readonly kind: "create"; readonly variable: VarId }
  /** Removes `variable`; succeeds if it does not exist. */
  | { readonly kind: "delete"; readonly variable: VarId };

/**
 * The variables a command sees while it executes. Reads of variables that are not here return
 * undefined; the system records every variable asked for:
 * - in single-partition execution (DS-SMR), asking for a variable that is not here aborts the
 *   command: its writes are dropped and the client retries with that variable included;
 * - in S-SMR execution (the fallback, or S-SMR mode) the view holds this partition's variables
 *   plus the values the other partitions sent for the command's declared variables; a variable
 *   missing there does not exist anywhere.
 * Writes are buffered and applied only when the command completes, and only to variables this
 * partition owns.
 */
export interface VarView<Val> {
  get(v: VarId): Val | undefined;
  set(v: VarId, value: Val): void;
}

/** Deterministic facts about the execution, the same at every replica and partition. */
export interface ExecContext {
  /** The command's final multicast timestamp: unique and totally ordered over all groups. */
  readonly time: number;
}

/**
 * A partitioned application. Everything here is deterministic and pure apart from the view's
 * buffered writes. Commands, results and values must be plain data (objects, arrays, strings,
 * numbers, booleans, null): they are multicast, relayed between partitions and snapshotted.
 *
 * Rules an application must follow so that S-SMR execution is consistent across partitions:
 * - which variables a command asks for may depend only on the command and the values of its
 *   declared variables (`variables(cmd)`), never on other variables' values;
 * - a command's result may depend only on its declared variables.
 */
export interface PartitionedApp<Cmd, Res, Val> {
  /** Short name, for logs and status. */
  readonly name: string;
  /** Whether the command accesses, creates or deletes variables. */
  classify(cmd: Cmd): CommandKind;
  /** Variables the command is known to touch before it runs (it may learn more by reading). */
  variables(cmd: Cmd): readonly VarId[];
  /** Runs an access command over the variables in `view`. */
  execute(cmd: Cmd, view: VarView<Val>, ctx: ExecContext): Res;
  /** The value a create command gives its new variable. */
  initial(cmd: Cmd): Val;
  /** The result of a successful create or delete. */
  created(cmd: Cmd): Res;
  deleted(cmd: Cmd): Res;
  /**
   * The result of a command that cannot run: a create of an existing variable (`exists`) or an
   * access to a variable that does not exist (`unknown`).
   */
  rejected(cmd: Cmd, reason: "exists" | "unknown", variable: VarId): Res;
  /** Oracle hook: the partition where a new variable is placed (deterministic). */
  place(variable: VarId, partitions: readonly PartitionId[]): PartitionId;
  /** Checks a command that arrives from outside; returns an error message, or null if valid. */
  validate(cmd: unknown): string | null;
  /**
   * Optional: commands with the same key learn the same variables while they run (Chirper: the
   * posts of one author read the same followers). A client remembers what the last such command
   * needed and declares it up front, saving the retry that would discover it. Null: none.
   */
  learnKey?(cmd: Cmd): string | null;
}

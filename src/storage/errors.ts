// Named errors of durable storage.
import { DssmrError } from "../core/errors.ts";

/** A disk operation failed; the store refuses further writes (fail-stop: restart recovers). */
export class StorageError extends DssmrError {
  constructor(message: string) {
    super("E_STORAGE", message);
  }
}

/** Where on disk a CorruptStorageError was found. */
export interface CorruptAt {
  /** Path of the damaged file. */
  readonly file: string;
  /** Byte offset of the damaged record in it. */
  readonly offset: number;
}

/**
 * What is on disk cannot be a state this store wrote (beyond a torn tail, which is repaired).
 * Recovery throws it rather than drop records that were durable, and so acknowledged.
 */
export class CorruptStorageError extends DssmrError {
  /** The damaged file and offset, when one record is to blame. */
  readonly at: CorruptAt | null;
  constructor(message: string, at: CorruptAt | null = null) {
    super("E_STORAGE_CORRUPT", message);
    this.at = at;
  }
}

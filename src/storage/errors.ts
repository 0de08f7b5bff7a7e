// Named errors of durable storage.
import { DssmrError } from "../core/errors.ts";

/** A disk operation failed; the store refuses further writes (fail-stop: restart recovers). */
export class StorageError extends DssmrError {
  constructor(message: string) {
    super("E_STORAGE", message);
  }
}

/** What is on disk cannot be a state this store wrote (beyond a torn tail, which is repaired). */
export class CorruptStorageError extends DssmrError {
  constructor(message: string) {
    super("E_STORAGE_CORRUPT", message);
  }
}

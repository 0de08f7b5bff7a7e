// In-memory store for demos and tests: the simulator's disk, with sync as an instant flush.
import type { Entry, HardState, RaftStorageState, Snapshot } from "../core/raft/types.ts";
import { SimStorage } from "../sim/storage.ts";
import type { RaftStore, StoreStats } from "./raft-store.ts";

/**
 * A RaftStore that keeps everything in memory (nothing survives the process). It reuses
 * SimStorage, which already implements the contract exactly and checks it; `sync` resolves at
 * once. Pass an existing SimStorage to wrap it (the contract tests crash and reopen it).
 */
export class MemoryStore<C, S> implements RaftStore<C, S> {
  readonly disk: SimStorage<C, S>;

  constructor(disk: SimStorage<C, S> = new SimStorage<C, S>()) {
    this.disk = disk;
  }

  get stats(): StoreStats {
    return this.disk.stats;
  }

  save(
    hardState: HardState | null,
    snapshot: Snapshot<S> | null,
    entries: readonly Entry<C>[],
  ): void {
    this.disk.save(hardState, snapshot, entries);
  }

  sync(): Promise<void> {
    if (this.disk.pendingWrites > 0) this.disk.fsync();
    return Promise.resolve();
  }

  load(): RaftStorageState<C, S> {
    return this.disk.load();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

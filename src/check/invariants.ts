// Consensus invariants checked while a simulation runs: election safety, log matching, commit and apply safety.
import type { Entry, Role } from "../core/raft/types.ts";

/** The part of a replica's consensus state the checker reads. */
export interface LogView {
  readonly commitIndex: number;
  readonly snapshotIndex: number;
  readonly lastIndex: number;
  entry(index: number): Entry<unknown> | undefined;
}

/**
 * Collects violations of Raft's safety properties from observations of every replica:
 * - election safety: at most one leader per term;
 * - log matching: two entries with the same index and term hold the same commands, and two logs
 *   that agree on an entry agree on every earlier one;
 * - commit safety: an index, once committed anywhere, never holds another entry anywhere, and a new
 *   leader holds every committed entry (leader completeness);
 * - apply safety: no two replicas apply different entries at the same index, and each replica
 *   applies indexes in order without gaps (except across a snapshot restore).
 */
export class ConsensusChecker {
  readonly violations: string[] = [];
  private readonly leaders = new Map<number, number>();
  /** The entry first seen committed at each index (compared with {@link same}, not by key). */
  private readonly committed = new Map<number, Entry<unknown>>();
  private maxCommitted = 0;
  private readonly applied = new Map<number, Entry<unknown>>();
  private readonly lastApplied = new Map<number, number>();
  private readonly checkedCommit = new Map<number, number>();
  private readonly keys = new WeakMap<object, string>();

  /** A replica's role and term after it handled some input. */
  observeRole(replica: number, role: Role, term: number, log: LogView): void {
    if (role !== "leader") return;
    const known = this.leaders.get(term);
    if (known === undefined) {
      this.leaders.set(term, replica);
      this.checkLeaderCompleteness(replica, term, log);
    } else if (known !== replica) {
      this.fail(
        `election safety: replicas ${known} and ${replica} are both leader of term ${term}`,
      );
    }
  }

  /** A replica's commit index after it handled some input. */
  observeCommit(replica: number, log: LogView): void {
    const from = Math.max((this.checkedCommit.get(replica) ?? 0) + 1, log.snapshotIndex + 1);
    for (let i = from; i <= log.commitIndex; i++) {
      const entry = log.entry(i);
      if (entry === undefined) continue;
      const known = this.committed.get(i);
      if (known === undefined) this.committed.set(i, entry);
      else if (!this.same(known, entry)) {
        this.fail(
          `commit safety: index ${i} committed as ${this.key(known)} and as ${this.key(entry)} (replica ${replica})`,
        );
      }
    }
    this.checkedCommit.set(
      replica,
      Math.max(this.checkedCommit.get(replica) ?? 0, log.commitIndex),
    );
    this.maxCommitted = Math.max(this.maxCommitted, log.commitIndex);
  }

  /** A replica applied these entries, in this order. */
  observeApply(replica: number, entries: readonly Entry<unknown>[]): void {
    for (const entry of entries) {
      const last = this.lastApplied.get(replica) ?? 0;
      if (entry.index !== last + 1) {
        this.fail(`apply order: replica ${replica} applied index ${entry.index} after ${last}`);
      }
      this.lastApplied.set(replica, entry.index);
      const known = this.applied.get(entry.index);
      if (known === undefined) this.applied.set(entry.index, entry);
      else if (!this.same(known, entry)) {
        this.fail(
          `apply safety: index ${entry.index} applied as ${this.key(known)} and as ${this.key(entry)} (replica ${replica})`,
        );
      }
    }
  }

  /** A replica loaded a snapshot (at start or by install): it continues applying after `index`. */
  observeRestore(replica: number, index: number): void {
    this.lastApplied.set(replica, index);
  }

  /** A replica restarted: its volatile commit index is gone. */
  observeRestart(replica: number): void {
    this.checkedCommit.delete(replica);
    this.lastApplied.delete(replica);
  }

  /** Full log matching check over the logs of several replicas (call periodically and at the end). */
  checkLogs(logs: ReadonlyMap<number, LogView>): void {
    const byPosition = new Map<string, Entry<unknown>>();
    for (const [replica, log] of logs) {
      for (let i = log.snapshotIndex + 1; i <= log.lastIndex; i++) {
        const entry = log.entry(i);
        if (entry === undefined) continue;
        const pos = `${i}:${entry.term}`;
        const known = byPosition.get(pos);
        if (known === undefined) byPosition.set(pos, entry);
        else if (!this.same(known, entry)) {
          this.fail(
            `log matching: two different entries at index ${i} term ${entry.term} (replica ${replica})`,
          );
        }
      }
    }
    const views = [...logs];
    for (let a = 0; a < views.length; a++) {
      for (let b = a + 1; b < views.length; b++) {
        const [ra, la] = views[a]!;
        const [rb, lb] = views[b]!;
        this.checkPair(ra, la, rb, lb);
      }
    }
  }

  private checkPair(ra: number, la: LogView, rb: number, lb: LogView): void {
    const lo = Math.max(la.snapshotIndex, lb.snapshotIndex) + 1;
    const hi = Math.min(la.lastIndex, lb.lastIndex);
    let agreeing = false;
    // Walk down from the top: once the logs agree at some index they must agree below it.
    for (let i = hi; i >= lo; i--) {
      const ea = la.entry(i);
      const eb = lb.entry(i);
      if (ea === undefined || eb === undefined) continue;
      if (ea.term === eb.term) agreeing = true;
      else if (agreeing) {
        this.fail(`log matching: replicas ${ra} and ${rb} agree above index ${i} but differ at it`);
        return;
      }
    }
  }

  private checkLeaderCompleteness(replica: number, term: number, log: LogView): void {
    if (log.lastIndex < this.maxCommitted) {
      this.fail(
        `leader completeness: leader ${replica} of term ${term} ends at ${log.lastIndex} but ${this.maxCommitted} is committed`,
      );
      return;
    }
    for (let i = log.snapshotIndex + 1; i <= this.maxCommitted; i++) {
      const known = this.committed.get(i);
      const entry = log.entry(i);
      if (known !== undefined && entry !== undefined && !this.same(known, entry)) {
        this.fail(
          `leader completeness: leader ${replica} of term ${term} lacks committed index ${i}`,
        );
        return;
      }
    }
  }

  /**
   * True when two entries have equal keys (term and commands). Replicas mostly hold the very
   * objects the leader created (or copies sharing its commands), so references settle almost
   * every comparison; serialising every entry was the checker's main cost.
   */
  private same(a: Entry<unknown>, b: Entry<unknown>): boolean {
    if (a === b) return true;
    if (a.term !== b.term) return false;
    if (a.cmds === b.cmds) return true;
    if (a.cmds.length === b.cmds.length && a.cmds.every((c, i) => c === b.cmds[i])) return true;
    return this.key(a) === this.key(b);
  }

  private key(entry: Entry<unknown>): string {
    let key = this.keys.get(entry);
    if (key === undefined) {
      key = `t${entry.term}:${JSON.stringify(entry.cmds)}`;
      this.keys.set(entry, key);
    }
    return key;
  }

  private fail(message: string): void {
    // Keep the report short: the first violations tell the story.
    if (this.violations.length < 20) this.violations.push(message);
  }
}

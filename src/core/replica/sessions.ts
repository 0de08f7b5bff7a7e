// Client session table: a retransmitted command gets its remembered reply and is not executed twice.
import { InvariantError } from "../errors.ts";
import type { ClientId } from "../ids.ts";

/** One client's most recent answered commands, oldest first. */
export interface SessionEntry<Res> {
  /** Ascending sequence numbers of the remembered answers. */
  readonly seqs: readonly number[];
  readonly results: readonly Res[];
}

/** What the table says about an incoming (client, seq). */
export type SessionVerdict<Res> =
  | { readonly kind: "new" }
  | { readonly kind: "duplicate"; readonly result: Res }
  | { readonly kind: "stale" };

/** Serialisable form of the table, in eviction order (oldest first). */
export type SessionSnapshot<Res> = readonly (readonly [ClientId, SessionEntry<Res>])[];

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new InvariantError(`session ${name} must be a positive integer, got ${v}`);
  }
  return v;
}

/**
 * Invariants:
 * - it changes only when a committed command is applied, so it is identical on every replica
 *   at the same applied index and travels in snapshots;
 * - per client, answers are recorded in increasing `seq` order, and the last `perClient` of them
 *   are kept: a client with at most that many commands in flight always gets its answer back;
 * - it holds at most `capacity` clients; the least recently active is evicted first. An evicted
 *   client whose old command is retransmitted later would see it run again, so `capacity`
 *   must exceed the number of clients active at once by a wide margin.
 */
export class SessionTable<Res> {
  private readonly entries = new Map<ClientId, Slot<Res>>();
  private readonly capacity: number;
  private readonly perClient: number;

  constructor(capacity: number, perClient = 1) {
    this.capacity = positiveInt("capacity", capacity);
    this.perClient = positiveInt("perClient", perClient);
  }

  /** Number of clients remembered. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Classifies a command: new (never answered here), duplicate (answer the remembered result), or
   * stale (older than every remembered answer: the client no longer waits for it).
   */
  check(client: ClientId, seq: number): SessionVerdict<Res> {
    const entry = this.entries.get(client);
    if (entry === undefined) return NEW;
    const last = entry.seqs[entry.seqs.length - 1]!;
    if (seq > last) return NEW;
    const i = entry.seqs.indexOf(seq);
    return i < 0 ? STALE : { kind: "duplicate", result: entry.results[i]! };
  }

  /** Remembers the answer to a command, evicting the least recently active client if full. */
  record(client: ClientId, seq: number, result: Res): void {
    const entry = this.entries.get(client);
    if (entry !== undefined) {
      const last = entry.seqs[entry.seqs.length - 1]!;
      if (seq <= last) {
        throw new InvariantError(`session ${client}: seq ${seq} recorded after ${last}`);
      }
      if (entry.shared !== null) {
        // A snapshot holds these arrays: write to copies (copy on write).
        entry.seqs = entry.seqs.slice();
        entry.results = entry.results.slice();
        entry.shared = null;
      }
      entry.seqs.push(seq);
      entry.results.push(result);
      if (entry.seqs.length > this.perClient) {
        entry.seqs.shift();
        entry.results.shift();
      }
      // Delete and re-insert so the Map's order stays "least recently active first".
      this.entries.delete(client);
      this.entries.set(client, entry);
      return;
    }
    this.entries.set(client, { seqs: [seq], results: [result], shared: null });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /**
   * The table for a snapshot. Replicas snapshot often and most clients' answers do not change
   * between two snapshots, so unchanged clients' entries are shared with the previous snapshot
   * rather than copied; `record` copies an entry's arrays before it changes a shared one.
   */
  snapshot(): SessionSnapshot<Res> {
    const out: (readonly [ClientId, SessionEntry<Res>])[] = [];
    for (const [client, e] of this.entries) {
      if (e.shared === null) e.shared = [client, { seqs: e.seqs, results: e.results }];
      out.push(e.shared);
    }
    return out;
  }

  /** Replaces the table with a snapshot's. */
  restore(snap: SessionSnapshot<Res>): void {
    this.entries.clear();
    for (const [client, e] of snap) {
      this.entries.set(client, { seqs: [...e.seqs], results: [...e.results], shared: null });
    }
  }
}

/** One client's answers, and the snapshot form that shares its arrays (null: none does). */
interface Slot<Res> {
  seqs: number[];
  results: Res[];
  shared: readonly [ClientId, SessionEntry<Res>] | null;
}

const NEW: SessionVerdict<never> = Object.freeze({ kind: "new" });
const STALE: SessionVerdict<never> = Object.freeze({ kind: "stale" });

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
  private readonly entries = new Map<ClientId, { seqs: number[]; results: Res[] }>();
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
    if (entry === undefined) return { kind: "new" };
    const last = entry.seqs[entry.seqs.length - 1]!;
    if (seq > last) return { kind: "new" };
    const i = entry.seqs.indexOf(seq);
    return i < 0 ? { kind: "stale" } : { kind: "duplicate", result: entry.results[i]! };
  }

  /** Remembers the answer to a command, evicting the least recently active client if full. */
  record(client: ClientId, seq: number, result: Res): void {
    const entry = this.entries.get(client);
    if (entry !== undefined) {
      const last = entry.seqs[entry.seqs.length - 1]!;
      if (seq <= last) {
        throw new InvariantError(`session ${client}: seq ${seq} recorded after ${last}`);
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
    this.entries.set(client, { seqs: [seq], results: [result] });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** A copy of the table for a snapshot. */
  snapshot(): SessionSnapshot<Res> {
    return [...this.entries].map(([c, e]) => [c, { seqs: [...e.seqs], results: [...e.results] }]);
  }

  /** Replaces the table with a snapshot's. */
  restore(snap: SessionSnapshot<Res>): void {
    this.entries.clear();
    for (const [client, e] of snap) {
      this.entries.set(client, { seqs: [...e.seqs], results: [...e.results] });
    }
  }
}

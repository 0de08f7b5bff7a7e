// Client session table: a retransmitted command gets its remembered reply and is not executed twice.
import { InvariantError } from "../errors.ts";
import type { ClientId } from "../ids.ts";

/** One client's latest executed command and its result. */
export interface SessionEntry<Res> {
  readonly seq: number;
  readonly result: Res;
}

/** What the table says about an incoming (client, seq). */
export type SessionVerdict<Res> =
  | { readonly kind: "new" }
  | { readonly kind: "duplicate"; readonly result: Res }
  | { readonly kind: "stale" };

/** Serialisable form of the table, in eviction order (oldest first). */
export type SessionSnapshot<Res> = readonly (readonly [ClientId, SessionEntry<Res>])[];

/**
 * Invariants:
 * - it changes only when a committed command is applied, so it is identical on every replica
 *   at the same applied index and travels in snapshots;
 * - per client, `seq` only grows (a client has one command in flight, numbered 1, 2, 3, ...);
 * - it holds at most `capacity` clients; the least recently active is evicted first. An evicted
 *   client whose old command is retransmitted later would see it run again, so `capacity`
 *   must exceed the number of clients active at once by a wide margin.
 */
export class SessionTable<Res> {
  private readonly entries = new Map<ClientId, SessionEntry<Res>>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new InvariantError(`session capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Number of clients remembered. */
  get size(): number {
    return this.entries.size;
  }

  /** Classifies a command: new (execute it), duplicate (answer the remembered result) or stale. */
  check(client: ClientId, seq: number): SessionVerdict<Res> {
    const entry = this.entries.get(client);
    if (entry === undefined || seq > entry.seq) return { kind: "new" };
    if (seq === entry.seq) return { kind: "duplicate", result: entry.result };
    return { kind: "stale" };
  }

  /** Remembers the result of an executed command, evicting the least recently active client if full. */
  record(client: ClientId, seq: number, result: Res): void {
    const previous = this.entries.get(client);
    if (previous !== undefined && seq <= previous.seq) {
      throw new InvariantError(`session ${client}: seq ${seq} recorded after ${previous.seq}`);
    }
    // Delete first so the Map's insertion order stays "least recently active first".
    this.entries.delete(client);
    this.entries.set(client, { seq, result });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** A copy of the table for a snapshot. */
  snapshot(): SessionSnapshot<Res> {
    return [...this.entries];
  }

  /** Replaces the table with a snapshot's. */
  restore(snap: SessionSnapshot<Res>): void {
    this.entries.clear();
    for (const [client, entry] of snap) this.entries.set(client, entry);
  }
}

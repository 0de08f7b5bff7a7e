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
 * - per client, the answers with the `perClient` highest seqs are kept, in seq order (an answer
 *   may be recorded after a later one): a client whose messages in flight span fewer than
 *   `perClient` seqs always gets its answer back;
 * - it holds at most `capacity` clients; the least recently active is evicted first. An evicted
 *   client whose old command is retransmitted later would see it run again, so `capacity`
 *   must exceed the number of clients active at once by a wide margin.
 */
export class SessionTable<Res> {
  /**
   * Each client's entry in its snapshot form, never changed in place: `record` replaces it. A
   * snapshot is then a copy of the values, sharing every entry with the table and with earlier
   * snapshots; replicas snapshot often, and copying every client's answers each time (or even
   * visiting each entry) cost more than a new entry per answer.
   */
  private readonly entries = new Map<ClientId, readonly [ClientId, SessionEntry<Res>]>();
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
    const pair = this.entries.get(client);
    if (pair === undefined) return NEW;
    const { seqs, results } = pair[1];
    const last = seqs[seqs.length - 1]!;
    if (seq > last) return NEW;
    const i = seqs.indexOf(seq);
    return i < 0 ? STALE : { kind: "duplicate", result: results[i]! };
  }

  /** Remembers the answer to a command, evicting the least recently active client if full. */
  record(client: ClientId, seq: number, result: Res): void {
    const pair = this.entries.get(client);
    if (pair !== undefined) {
      const { seqs, results } = pair[1];
      // Usually the newest; a group whose commands complete out of delivery order (DS-SMR's
      // conflict-aware execution) may answer an older one late: it goes in its place by seq.
      let at = seqs.length;
      while (at > 0 && seqs[at - 1]! > seq) at--;
      if (at > 0 && seqs[at - 1] === seq) {
        throw new InvariantError(`session ${client}: seq ${seq} recorded twice`);
      }
      const nextSeqs = [...seqs.slice(0, at), seq, ...seqs.slice(at)];
      const nextResults = [...results.slice(0, at), result, ...results.slice(at)];
      // Keep the `perClient` highest seqs: drop the lowest once full.
      const from = nextSeqs.length > this.perClient ? 1 : 0;
      const entry = { seqs: nextSeqs.slice(from), results: nextResults.slice(from) };
      // Delete and re-insert so the Map's order stays "least recently active first".
      this.entries.delete(client);
      this.entries.set(client, [client, entry]);
      return;
    }
    this.entries.set(client, [client, { seqs: [seq], results: [result] }]);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** The table for a snapshot (entries are immutable and shared, see `entries`). */
  snapshot(): SessionSnapshot<Res> {
    return Array.from(this.entries.values());
  }

  /** Replaces the table with a snapshot's. */
  restore(snap: SessionSnapshot<Res>): void {
    this.entries.clear();
    for (const [client, e] of snap) {
      this.entries.set(client, [client, { seqs: [...e.seqs], results: [...e.results] }]);
    }
  }
}

const NEW: SessionVerdict<never> = Object.freeze({ kind: "new" });
const STALE: SessionVerdict<never> = Object.freeze({ kind: "stale" });

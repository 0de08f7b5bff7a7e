// The execution order of one group: delivered commands run strictly in order, blocking on relays.
import type { GroupId } from "../ids.ts";
import type { McastMessage, Timestamp } from "../multicast/types.ts";
import type { DsPayload, DsRelay } from "./types.ts";

/** A delivered command waiting at or behind the head of the execution order. */
export interface Queued<Cmd> {
  readonly msg: McastMessage<DsPayload<Cmd>>;
  readonly ts: Timestamp;
  /** True once the head has run its start actions (sent its signal or values). */
  started: boolean;
}

/** What the group does with the head command. */
export interface QueueHandler<Cmd, Val> {
  /** The command reached the head: send this group's signal, values or outcome. */
  start(q: Queued<Cmd>): void;
  /** The groups whose relay this group needs before it can complete the command. */
  waitsFor(q: Queued<Cmd>): readonly GroupId[];
  /** Every group it waits for has relayed: complete the command. */
  finish(q: Queued<Cmd>, relays: ReadonlyMap<GroupId, DsRelay<Val>>): void;
}

/** Serialisable form of a queue. */
export interface QueueSnapshot<Cmd, Val> {
  readonly queue: readonly Queued<Cmd>[];
  readonly relays: readonly (readonly [string, readonly (readonly [GroupId, DsRelay<Val>])[]])[];
}

/** Key of a command in the relay store. */
export const commandKey = (client: number, seq: number): string => `${client}.${seq}`;

/**
 * Invariants:
 * - commands complete in delivery order; a command blocks everything behind it until a relay
 *   from every group it waits for is here (`QueueHandler.waitsFor`: for S-SMR commands, every
 *   other destination — execution atomicity, no group completes the command before every other
 *   has started it; for a move, only the destination waits, for the source's value). Acyclic
 *   multicast order makes this deadlock-free: the oldest blocked command is at the head of every
 *   queue that holds it;
 * - a relay may arrive before its command is delivered here; it waits in `relays`;
 * - changes only on deliveries and relays, identically on every replica of the group.
 */
export class ExecQueue<Cmd, Val> {
  private queue: Queued<Cmd>[] = [];
  private relays = new Map<string, Map<GroupId, DsRelay<Val>>>();

  /** Commands delivered and not yet completed. */
  get length(): number {
    return this.queue.length;
  }

  /** Relays waiting for their command. */
  get waitingRelays(): number {
    return this.relays.size;
  }

  /** A command was delivered. */
  push(msg: McastMessage<DsPayload<Cmd>>, ts: Timestamp): void {
    this.queue.push({ msg, ts, started: false });
  }

  /** A relay arrived from group `from`. */
  addRelay(from: GroupId, relay: DsRelay<Val>): void {
    const key = commandKey(relay.ref.client, relay.ref.seq);
    let byGroup = this.relays.get(key);
    if (byGroup === undefined) {
      byGroup = new Map();
      this.relays.set(key, byGroup);
    }
    byGroup.set(from, relay);
  }

  /** Runs commands from the head for as long as none is blocked. */
  drain(self: GroupId, handler: QueueHandler<Cmd, Val>): void {
    let done = 0;
    for (const q of this.queue) {
      if (!q.started) {
        q.started = true;
        handler.start(q);
      }
      const key = commandKey(q.msg.client, q.msg.seq);
      const got = this.relays.get(key) ?? new Map<GroupId, DsRelay<Val>>();
      let ready = true;
      for (const g of handler.waitsFor(q)) if (g !== self && !got.has(g)) ready = false;
      if (!ready) break;
      this.relays.delete(key);
      handler.finish(q, got);
      done++;
    }
    if (done > 0) this.queue = this.queue.slice(done);
  }

  /** A copy for a snapshot (commands and relays are immutable and shared). */
  snapshot(): QueueSnapshot<Cmd, Val> {
    return {
      queue: this.queue.map((q) => ({ ...q })),
      relays: [...this.relays].map(([k, m]) => [k, [...m]]),
    };
  }

  /** Replaces the state with a snapshot's. */
  restore(snap: QueueSnapshot<Cmd, Val>): void {
    this.queue = snap.queue.map((q) => ({ ...q }));
    this.relays = new Map(snap.relays.map(([k, pairs]) => [k, new Map(pairs)]));
  }
}

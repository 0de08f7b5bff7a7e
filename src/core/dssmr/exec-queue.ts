// The execution order of one group: delivered commands run in order unless they share no variable with what blocks.
import { InvariantError } from "../errors.ts";
import type { GroupId } from "../ids.ts";
import type { McastMessage, Timestamp } from "../multicast/types.ts";
import type { DsPayload, DsRelay, VarId } from "./types.ts";

/** A delivered command waiting in the execution order. */
export interface Queued<Cmd> {
  readonly msg: McastMessage<DsPayload<Cmd>>;
  readonly ts: Timestamp;
  /** True once the command has run its start actions (sent its signal or values). */
  started: boolean;
  /**
   * Set while the command waits for an earlier one: the variable that stopped it and every
   * variable it claims meanwhile (for an access, also what it read before it stopped). Only a
   * cache, never snapshotted: it is used while no command of the queue has started or completed
   * since it was computed (`epoch`), when computing it again would give the same answer.
   */
  blocked?:
    | { readonly on: VarId; readonly claims: readonly VarId[]; readonly epoch: number }
    | undefined;
}

/** What a command may touch: its variables, or everything (it runs alone, at the head). */
export type Claim = readonly VarId[] | "all";

/** Where an access stopped: the first variable it read that an earlier unfinished command holds. */
export interface Stopped {
  readonly on: VarId;
  /** Variables it read before that one, and that one. */
  readonly read: readonly VarId[];
}

/** What the group does with a command of its execution order. */
export interface QueueHandler<Cmd, Val> {
  /** The variables the command claims before it runs, or "all". */
  claims(q: Queued<Cmd>): Claim;
  /** The command may run now: send this group's signal, values or outcome. */
  start(q: Queued<Cmd>): void;
  /** The groups whose relay this group needs before it can complete the command. */
  waitsFor(q: Queued<Cmd>): readonly GroupId[];
  /**
   * Every group it waits for has relayed: complete the command, unless it reads a variable in
   * `held` (claimed by an earlier unfinished command): then it must change nothing and answer
   * nothing, and return where it stopped; it runs again once that variable is released.
   */
  finish(
    q: Queued<Cmd>,
    relays: ReadonlyMap<GroupId, DsRelay<Val>>,
    held: ReadonlySet<VarId>,
  ): Stopped | null;
}

/** Serialisable form of a queue. */
export interface QueueSnapshot<Cmd, Val> {
  readonly queue: readonly Queued<Cmd>[];
  readonly relays: readonly (readonly [string, readonly (readonly [GroupId, DsRelay<Val>])[]])[];
}

/** Key of a command in the relay store. */
export const commandKey = (client: number, seq: number): string => `${client}.${seq}`;

/** Deliberate queue bugs, for proving the checkers. */
export interface QueueBugs {
  /** Commands run past earlier unfinished ones even when they share variables. */
  readonly ignoreClaims?: boolean;
}

const NO_RELAYS: ReadonlyMap<GroupId, DsRelay<unknown>> = new Map();

/**
 * Conflict-aware execution order.
 *
 * Invariants:
 * - two commands that share a variable (by their claims, or by what an access read) complete in
 *   delivery order; a command that shares none with every earlier unfinished command runs past
 *   them. A command claiming "all" (S-SMR execution) starts only at the head and nothing passes
 *   it. So the group's execution is equivalent to its delivery order (commands that share no
 *   variable commute), and every replica of the group, applying the same log, runs the same
 *   commands at the same points;
 * - a command completes only once a relay from every group it waits for is here
 *   (`QueueHandler.waitsFor`): execution atomicity for S-SMR commands, the source's value for
 *   a move's destination, the oracle's decision for create and delete;
 * - deadlock-free: the unfinished command with the smallest final timestamp has nothing
 *   unfinished before it in any group that holds it, so it starts everywhere and completes;
 * - a relay may arrive before its command is delivered here; it waits in `relays`;
 * - changes only on deliveries and relays, identically on every replica of the group.
 */
export class ExecQueue<Cmd, Val> {
  private queue: Queued<Cmd>[] = [];
  private relays = new Map<string, Map<GroupId, DsRelay<Val>>>();
  private readonly bugs: QueueBugs;
  /** Bumped whenever a command starts or completes: variables may have changed. */
  private epoch = 0;

  constructor(bugs: QueueBugs = {}) {
    this.bugs = bugs;
  }

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

  /**
   * Runs every command that may run, in delivery order. One pass suffices: a command waits only
   * for earlier ones, and `held` holds exactly the claims of the earlier commands still queued.
   */
  drain(self: GroupId, handler: QueueHandler<Cmd, Val>): void {
    const held = new Set<VarId>();
    const kept: Queued<Cmd>[] = [];
    let i = 0;
    for (; i < this.queue.length; i++) {
      const q = this.queue[i]!;
      const claim = handler.claims(q);
      if (claim === "all") {
        if (kept.length > 0) break; // runs only at the head; nothing passes it
        if (!this.tryRun(self, q, claim, handler, held)) break;
        continue;
      }
      if (q.blocked !== undefined && q.blocked.epoch === this.epoch && held.has(q.blocked.on)) {
        hold(held, q.blocked.claims);
        kept.push(q);
        continue;
      }
      q.blocked = undefined;
      const conflict = this.bugs.ignoreClaims ? undefined : claim.find((v) => held.has(v));
      if (conflict !== undefined) {
        q.blocked = { on: conflict, claims: claim, epoch: this.epoch };
      } else if (this.tryRun(self, q, claim, handler, held)) {
        continue;
      }
      hold(held, q.blocked?.claims ?? claim);
      kept.push(q);
    }
    if (kept.length === i) return; // nothing completed
    this.queue = i < this.queue.length ? kept.concat(this.queue.slice(i)) : kept;
  }

  /** Starts `q` if it has not started, and completes it if it can; true when it completed. */
  private tryRun(
    self: GroupId,
    q: Queued<Cmd>,
    claim: Claim,
    handler: QueueHandler<Cmd, Val>,
    held: ReadonlySet<VarId>,
  ): boolean {
    if (!q.started) {
      q.started = true;
      this.epoch++;
      handler.start(q);
    }
    const key = commandKey(q.msg.client, q.msg.seq);
    const got = this.relays.get(key) ?? (NO_RELAYS as ReadonlyMap<GroupId, DsRelay<Val>>);
    for (const g of handler.waitsFor(q)) if (g !== self && !got.has(g)) return false;
    const stopped = handler.finish(q, got, this.bugs.ignoreClaims ? new Set() : held);
    if (stopped !== null) {
      if (!held.has(stopped.on)) {
        throw new InvariantError(`command ${key} stopped on ${stopped.on}, which nothing holds`);
      }
      // A command claiming everything runs only with nothing held, so it cannot get here.
      const claims = new Set<VarId>(stopped.read);
      if (claim !== "all") for (const v of claim) claims.add(v);
      q.blocked = { on: stopped.on, claims: [...claims], epoch: this.epoch };
      return false;
    }
    this.epoch++;
    this.relays.delete(key);
    return true;
  }

  /** A copy for a snapshot (commands and relays are immutable and shared). */
  snapshot(): QueueSnapshot<Cmd, Val> {
    return {
      queue: this.queue.map((q) => ({ msg: q.msg, ts: q.ts, started: q.started })),
      relays: [...this.relays].map(([k, m]) => [k, [...m]]),
    };
  }

  /** Replaces the state with a snapshot's. */
  restore(snap: QueueSnapshot<Cmd, Val>): void {
    this.queue = snap.queue.map((q) => ({ msg: q.msg, ts: q.ts, started: q.started }));
    this.relays = new Map(snap.relays.map(([k, pairs]) => [k, new Map(pairs)]));
  }
}

function hold(held: Set<VarId>, vars: readonly VarId[]): void {
  for (const v of vars) held.add(v);
}

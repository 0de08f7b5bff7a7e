// A DS-SMR partition: owns variables, runs commands whose variables are local, moves them on request.
import type { GroupApp, GroupContext } from "../group/app.ts";
import type { GroupId } from "../ids.ts";
import type { McastMessage, Timestamp } from "../multicast/types.ts";
import type { PartitionedApp } from "./app.ts";
import {
  type Claim,
  ExecQueue,
  type Queued,
  type QueueSnapshot,
  type Stopped,
} from "./exec-queue.ts";
import {
  type CommandRef,
  type DsPayload,
  type DsRelay,
  type DsReply,
  type Mode,
  ORACLE,
  type PartitionId,
  type VarId,
} from "./types.ts";
import { deepFreeze, ExecView } from "./view.ts";
import { malformed } from "./well-formed.ts";

/** Counters a partition keeps (replicated: identical on every replica). */
export interface PartitionCounters {
  accesses: number;
  retries: number;
  globals: number;
  movesIn: number;
  movesOut: number;
  creates: number;
  deletes: number;
  invalid: number;
}

/** Serialisable state of a partition. */
export interface PartitionSnapshot<Cmd, Val> {
  readonly vars: readonly (readonly [VarId, Val])[];
  /** Forwarding hints: where variables this partition moved out went (absent: none). */
  readonly movedTo?: readonly (readonly [VarId, PartitionId])[];
  readonly queue: QueueSnapshot<Cmd, Val>;
  readonly counters: PartitionCounters;
}

/** Names of the deliberate DS-SMR bugs the simulator must catch. */
export const DS_BUG_NAMES = ["skip-retry", "ignore-claims", "move-no-wait"] as const;
/**
 * - `skip-retry`: a partition runs an access even when a variable it asks for is not local,
 *   treating it as absent, instead of telling the client to retry;
 * - `ignore-claims`: the execution order lets a command run past earlier unfinished ones even
 *   when they share variables (a reservation is ignored);
 * - `move-no-wait`: a move's destination completes the move without waiting for the source's
 *   value, so commands after it run before the moved value arrives.
 */
export type DsBugName = (typeof DS_BUG_NAMES)[number];

/** What every group of a deployment agrees on. */
export interface DsDeployment {
  readonly mode: Mode;
  /** Every partition, ascending. */
  readonly partitions: readonly PartitionId[];
  /** Deliberate bugs, for proving the checkers; absent in any real use. */
  readonly bugs?: ReadonlySet<DsBugName>;
}

type Ctx<Res, Val> = GroupContext<DsRelay<Val>, DsReply<Res>>;

const zeroCounters = (): PartitionCounters => ({
  accesses: 0,
  retries: 0,
  globals: 0,
  movesIn: 0,
  movesOut: 0,
  creates: 0,
  deletes: 0,
  invalid: 0,
});

/**
 * Most forwarding hints a partition keeps (the oldest go first). A hint only saves a client one
 * question to the oracle; a wrong or missing one costs nothing but that question.
 */
export const MAX_MOVED_HINTS = 4096;

/** Time for the application: the final timestamp made unique by its group (t, g). */
export const execTime = (ts: Timestamp): number => ts.t * 1024 + ts.g;

/**
 * A partition's replicated state machine.
 *
 * Invariants:
 * - a variable is owned by at most one partition at any point of the global delivery order: it
 *   leaves its source when a move starts there and arrives at the destination when the move
 *   completes there, and the oracle's map follows the same order;
 * - commands that share a variable complete in delivery order, others may pass a blocked one
 *   (ExecQueue): a move claims its variables at the destination until the value arrives, a
 *   create or delete its variable until the oracle's decision arrives; a multi-group command
 *   completes only after every other destination has started it (signals, values, outcomes);
 * - an access runs only if every variable it asks for is local (DS-SMR); otherwise nothing is
 *   written and the client is told to retry with the variables it needs;
 * - every destination answers every message, so a client knows when to stop retransmitting.
 */
export class PartitionApp<Cmd, Res, Val>
  implements GroupApp<DsPayload<Cmd>, DsRelay<Val>, DsReply<Res>, PartitionSnapshot<Cmd, Val>>
{
  private vars = new Map<VarId, Val>();
  /** Where variables moved out of here went, oldest first (bounded by MAX_MOVED_HINTS). */
  private movedTo = new Map<VarId, PartitionId>();
  private readonly queue: ExecQueue<Cmd, Val>;
  private counters = zeroCounters();
  private readonly app: PartitionedApp<Cmd, Res, Val>;
  private readonly deployment: DsDeployment;
  private readonly self: PartitionId;

  /** `initial`: variables this partition holds at boot (same list on every replica). */
  constructor(
    self: PartitionId,
    app: PartitionedApp<Cmd, Res, Val>,
    deployment: DsDeployment,
    initial: Iterable<readonly [VarId, Val]> = [],
  ) {
    this.self = self;
    this.app = app;
    this.deployment = deployment;
    this.queue = new ExecQueue({ ignoreClaims: deployment.bugs?.has("ignore-claims") ?? false });
    for (const [v, value] of initial) this.vars.set(v, deepFreeze(value));
  }

  /** Number of variables held. */
  get size(): number {
    return this.vars.size;
  }

  /** Counters so far. */
  get stats(): Readonly<PartitionCounters> & { readonly queued: number } {
    return { ...this.counters, queued: this.queue.length };
  }

  /** The variables held (read-only use: status, tests). */
  variables(): ReadonlyMap<VarId, Val> {
    return this.vars;
  }

  deliver(msg: McastMessage<DsPayload<Cmd>>, ts: Timestamp, ctx: Ctx<Res, Val>): void {
    const why = malformed(msg, this.app, this.deployment.partitions);
    if (why !== null) {
      this.counters.invalid++;
      ctx.reply(msg.client, msg.seq, { type: "invalid", reason: why });
      return;
    }
    this.queue.push(msg, ts);
    this.drain(ctx);
  }

  receive(from: GroupId, relay: DsRelay<Val>, ctx: Ctx<Res, Val>): void {
    this.queue.addRelay(from, relay);
    this.drain(ctx);
  }

  snapshot(): PartitionSnapshot<Cmd, Val> {
    return {
      vars: [...this.vars],
      movedTo: [...this.movedTo],
      queue: this.queue.snapshot(),
      counters: { ...this.counters },
    };
  }

  restore(snap: PartitionSnapshot<Cmd, Val>): void {
    this.vars = new Map(snap.vars);
    this.movedTo = new Map(snap.movedTo ?? []);
    this.queue.restore(snap.queue);
    this.counters = { ...snap.counters };
  }

  private drain(ctx: Ctx<Res, Val>): void {
    this.queue.drain(this.self, {
      claims: (q) => claims(q.msg.payload),
      start: (q) => this.start(q, ctx),
      waitsFor: (q) => this.waitsFor(q),
      finish: (q, relays, held) => this.finish(q, relays, held, ctx),
    });
  }

  /**
   * Whom this partition waits for. A move needs no signals: only the destination waits, for the
   * source's value. The value leaves the source when the move reaches the head there, after
   * every earlier command on the variable, and nothing runs on it at the destination before it
   * arrives, so the variable's history stays one sequence consistent with real time; the oracle
   * may remap at once, since a consult answered too early only costs a retry. Create and delete
   * wait for the oracle's decision; S-SMR commands wait for every other destination.
   */
  private waitsFor(q: Queued<Cmd>): readonly GroupId[] {
    const p = q.msg.payload;
    switch (p.type) {
      case "move":
        if (this.deployment.bugs?.has("move-no-wait")) return [];
        return this.self === p.to ? [p.from] : [];
      case "create":
      case "delete":
        return [ORACLE];
      case "global":
        return q.msg.dests;
      case "access":
      case "consult":
        return [];
    }
  }

  /** The command reached the head: tell the other destinations, hand over values. */
  private start(q: Queued<Cmd>, ctx: Ctx<Res, Val>): void {
    const { msg } = q;
    const p = msg.payload;
    const ref: CommandRef = { client: msg.client, seq: msg.seq };
    switch (p.type) {
      case "move":
        if (this.self === p.from) {
          // The value leaves now: later commands here no longer see it.
          const values = p.variables.map((v) => {
            const value = this.vars.get(v) ?? null;
            if (value !== null) this.forward(v, p.to);
            this.vars.delete(v);
            return [v, value] as const;
          });
          ctx.send(p.to, { type: "value", ref, values });
        }
        return;
      case "create":
      case "delete":
        ctx.send(ORACLE, { type: "signal", ref });
        return;
      case "global": {
        const values: [VarId, Val | null][] = [];
        for (const v of p.vars) {
          const value = this.vars.get(v);
          if (value !== undefined) values.push([v, value]);
        }
        for (const g of msg.dests) {
          if (g === this.self) continue;
          // The oracle needs only the signal; partitions need the values (which also signal).
          ctx.send(g, g === ORACLE ? { type: "signal", ref } : { type: "value", ref, values });
        }
        return;
      }
      case "access":
      case "consult":
        return;
    }
  }

  /** Every other destination has started: complete the command and answer. */
  private finish(
    q: Queued<Cmd>,
    relays: ReadonlyMap<GroupId, DsRelay<Val>>,
    held: ReadonlySet<VarId>,
    ctx: Ctx<Res, Val>,
  ): Stopped | null {
    const { msg, ts } = q;
    const p = msg.payload;
    const reply = (r: DsReply<Res>) => ctx.reply(msg.client, msg.seq, r);
    switch (p.type) {
      case "access": {
        const out = this.access(p.cmd, p.vars, ts, held);
        if ("on" in out) return out;
        reply(out);
        return null;
      }
      case "move": {
        if (this.self === p.to) {
          const relay = relays.get(p.from);
          if (relay?.type === "value") {
            for (const [v, value] of relay.values) {
              if (value !== null) {
                this.vars.set(v, value);
                this.movedTo.delete(v);
                this.counters.movesIn++;
              }
            }
          }
        } else {
          this.counters.movesOut++;
        }
        reply({ type: "done" });
        return null;
      }
      case "create":
      case "delete": {
        const outcome = relays.get(ORACLE);
        if (outcome?.type === "outcome" && outcome.ok) {
          if (p.type === "create") this.create(p.variable, p.cmd);
          else this.remove(p.variable);
        }
        reply({ type: "done" });
        return null;
      }
      case "global":
        this.counters.globals++;
        reply(this.global(msg, p.cmd, p.vars, relays, ts));
        return null;
      case "consult":
        reply({ type: "invalid", reason: "consult delivered to a partition" });
        return null;
    }
  }

  /**
   * DS-SMR single-partition execution: every variable asked for must be local. A variable held
   * by an earlier unfinished command (a move still waiting for its value, say) stops it: it
   * changes nothing and runs again once the variable is released.
   */
  private access(
    cmd: Cmd,
    declared: readonly VarId[],
    ts: Timestamp,
    held: ReadonlySet<VarId>,
  ): DsReply<Res> | Stopped {
    const view = new ExecView(this.vars, null, held);
    const result = this.app.execute(cmd, view, { time: execTime(ts) });
    if (view.stopped !== null) return view.stopped;
    let missing = view.missing();
    // In S-SMR mode a variable's home partition is authoritative: absent there means absent.
    if (this.deployment.mode === "ssmr")
      missing = missing.filter((v) => this.home(v) !== this.self);
    if (missing.length > 0 && !this.deployment.bugs?.has("skip-retry")) {
      this.counters.retries++;
      const hints: [VarId, PartitionId][] = [];
      for (const v of missing) {
        const to = this.movedTo.get(v);
        if (to !== undefined) hints.push([v, to]);
      }
      return { type: "retry", needs: union(declared, view.requested), missing, hints };
    }
    view.commit(this.vars);
    this.counters.accesses++;
    return { type: "result", result };
  }

  /** S-SMR execution over local variables plus the values the other partitions sent. */
  private global(
    msg: McastMessage<DsPayload<Cmd>>,
    cmd: Cmd,
    declared: readonly VarId[],
    relays: ReadonlyMap<GroupId, DsRelay<Val>>,
    ts: Timestamp,
  ): DsReply<Res> {
    const kind = this.app.classify(cmd);
    const withOracle = msg.dests.includes(ORACLE);
    if (kind.kind !== "access") {
      if (withOracle) {
        const outcome = relays.get(ORACLE);
        if (outcome?.type === "outcome" && outcome.ok && outcome.partition === this.self) {
          if (kind.kind === "create") this.create(kind.variable, cmd);
          else this.remove(kind.variable);
        }
        return { type: "done" }; // the oracle answers
      }
      // S-SMR mode: the variable's home partition decides alone.
      if (kind.kind === "create") {
        if (this.vars.has(kind.variable)) {
          return { type: "result", result: this.app.rejected(cmd, "exists", kind.variable) };
        }
        this.create(kind.variable, cmd);
        return { type: "result", result: this.app.created(cmd) };
      }
      this.remove(kind.variable);
      return { type: "result", result: this.app.deleted(cmd) };
    }
    const remote = new Map<VarId, Val>();
    for (const [, relay] of relays) {
      if (relay.type !== "value") continue;
      for (const [v, value] of relay.values) if (value !== null) remote.set(v, value);
    }
    const view = new ExecView(this.vars, remote);
    const result = this.app.execute(cmd, view, { time: execTime(ts) });
    if (this.deployment.mode === "ssmr") {
      // A variable asked for whose home is not among the destinations was not sent: run again
      // with it included. Every destination reaches the same verdict from the same values.
      const outside = [...view.requested].filter((v) => !msg.dests.includes(this.home(v)));
      if (outside.length > 0) {
        this.counters.retries++;
        return { type: "retry", needs: union(declared, view.requested) };
      }
    }
    view.commit(this.vars);
    return { type: "result", result };
  }

  /** Remembers that `v` left for `to`, forgetting the oldest hint beyond the bound. */
  private forward(v: VarId, to: PartitionId): void {
    this.movedTo.delete(v);
    this.movedTo.set(v, to);
    if (this.movedTo.size > MAX_MOVED_HINTS) {
      this.movedTo.delete(this.movedTo.keys().next().value as VarId);
    }
  }

  private create(v: VarId, cmd: Cmd): void {
    this.movedTo.delete(v);
    this.vars.set(v, deepFreeze(this.app.initial(cmd)));
    this.counters.creates++;
  }

  private remove(v: VarId): void {
    this.movedTo.delete(v);
    if (this.vars.delete(v)) this.counters.deletes++;
  }

  private home(v: VarId): PartitionId {
    return this.app.place(v, this.deployment.partitions);
  }
}

/** What a command claims in a partition's or the oracle's execution order. */
export function claims<Cmd>(p: DsPayload<Cmd>): Claim {
  switch (p.type) {
    case "access":
    case "consult":
      return p.vars;
    case "move":
      return p.variables;
    case "create":
    case "delete":
      return [p.variable];
    case "global":
      return "all";
  }
}

/** The union of two variable lists, in first-seen order. */
export function union(a: Iterable<VarId>, b: Iterable<VarId>): VarId[] {
  return [...new Set([...a, ...b])];
}

// The DS-SMR oracle: the replicated map from variables to partitions, consulted by clients.
import type { GroupApp, GroupContext } from "../group/app.ts";
import type { GroupId } from "../ids.ts";
import type { McastMessage, Timestamp } from "../multicast/types.ts";
import type { PartitionedApp } from "./app.ts";
import { commandKey, ExecQueue, type Queued, type QueueSnapshot } from "./exec-queue.ts";
import { claims, type DsDeployment } from "./partition.ts";
import type { DsPayload, DsRelay, DsReply, PartitionId, Prophecy, VarId } from "./types.ts";
import { malformed } from "./well-formed.ts";

/** Counters the oracle keeps (replicated). */
export interface OracleCounters {
  consults: number;
  /** Location queries answered outside the log (counted by the replica that answered). */
  queries: number;
  moves: number;
  staleMoves: number;
  creates: number;
  deletes: number;
  invalid: number;
}

/** How a create or delete was decided at its start, kept until it completes. */
type Decision = "created" | "exists" | "deleted" | "elsewhere";

/** Serialisable state of the oracle. */
export interface OracleSnapshot<Cmd, Val> {
  readonly map: readonly (readonly [VarId, PartitionId])[];
  readonly decisions: readonly (readonly [string, Decision])[];
  readonly queue: QueueSnapshot<Cmd, Val>;
  readonly counters: OracleCounters;
}

type Ctx<Res, Val> = GroupContext<DsRelay<Val>, DsReply<Res>>;

/**
 * The oracle's replicated state machine.
 *
 * Invariants:
 * - `map` changes only at moves, creates and deletes, which are multicast to the oracle and the
 *   partitions involved, so the map follows variable ownership in the global delivery order;
 * - a stale move (the variable is no longer where the client thought) changes nothing, here and
 *   at the source (which sends null);
 * - create and delete decide at their start (the decision travels to the partitions as the
 *   oracle's signal) and answer the client once every partition involved has started; until
 *   then they claim their variable, so creates and deletes of different variables (and
 *   consults and moves of other variables) run past them, while those of the same variable wait.
 */
export class OracleApp<Cmd, Res, Val>
  implements GroupApp<DsPayload<Cmd>, DsRelay<Val>, DsReply<Res>, OracleSnapshot<Cmd, Val>>
{
  private map = new Map<VarId, PartitionId>();
  /** Variables mapped to each partition: `map` counted, kept up to date by `place`. */
  private loads = new Map<PartitionId, number>();
  private decisions = new Map<string, Decision>();
  private readonly queue: ExecQueue<Cmd, Val>;
  private counters: OracleCounters = {
    consults: 0,
    queries: 0,
    moves: 0,
    staleMoves: 0,
    creates: 0,
    deletes: 0,
    invalid: 0,
  };
  private readonly app: PartitionedApp<Cmd, Res, Val>;
  private readonly deployment: DsDeployment;
  private readonly self: GroupId;

  /** `initial`: where the variables present at boot live (same list on every replica). */
  constructor(
    self: GroupId,
    app: PartitionedApp<Cmd, Res, Val>,
    deployment: DsDeployment,
    initial: Iterable<readonly [VarId, PartitionId]> = [],
  ) {
    this.self = self;
    this.app = app;
    this.deployment = deployment;
    this.queue = new ExecQueue({ ignoreClaims: deployment.bugs?.has("ignore-claims") ?? false });
    for (const [v, p] of initial) this.place(v, p);
  }

  /** Maps `v` to `p` (null: unmaps it), keeping the per-partition counts. */
  private place(v: VarId, p: PartitionId | null): void {
    const old = this.map.get(v);
    if (old !== undefined) this.loads.set(old, (this.loads.get(old) ?? 0) - 1);
    if (p === null) {
      this.map.delete(v);
      return;
    }
    this.map.set(v, p);
    this.loads.set(p, (this.loads.get(p) ?? 0) + 1);
  }

  /** Variables per partition, for the clients' destination policy. */
  private loadList(): [PartitionId, number][] {
    return this.deployment.partitions.map((p) => [p, this.loads.get(p) ?? 0]);
  }

  /** Counters so far. */
  get stats(): Readonly<OracleCounters> & { readonly mapped: number; readonly queued: number } {
    return { ...this.counters, mapped: this.map.size, queued: this.queue.length };
  }

  /** Where a variable lives (read-only use: status, tests). */
  locate(v: VarId): PartitionId | undefined {
    return this.map.get(v);
  }

  /** The whole map (read-only use: status, checks). */
  mapping(): ReadonlyMap<VarId, PartitionId> {
    return this.map;
  }

  /** Variables per partition. */
  counts(): Map<PartitionId, number> {
    return new Map(this.loadList());
  }

  /**
   * Where an access command's variables live, from the current map, outside the log. A stale
   * answer is harmless: a partition runs an access only if every variable is local, and answers
   * `retry` otherwise. Anything else (a variable unknown here, creates, deletes) is a decision
   * that must be ordered, so the answer is null and the client multicasts its consult.
   */
  query(payload: DsPayload<Cmd>): DsReply<Res> | null {
    if (payload === null || typeof payload !== "object" || payload.type !== "consult") return null;
    if (this.app.validate(payload.cmd) !== null || !Array.isArray(payload.vars)) return null;
    if (this.app.classify(payload.cmd).kind !== "access") return null;
    const locations: [VarId, PartitionId][] = [];
    for (const v of payload.vars) {
      const p = typeof v === "string" ? this.map.get(v) : undefined;
      if (p === undefined) return null;
      locations.push([v, p]);
    }
    this.counters.queries++;
    return {
      type: "prophecy",
      prophecy: { kind: "locations", locations, loads: this.loadList() },
    };
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

  snapshot(): OracleSnapshot<Cmd, Val> {
    return {
      map: [...this.map],
      decisions: [...this.decisions],
      queue: this.queue.snapshot(),
      counters: { ...this.counters },
    };
  }

  restore(snap: OracleSnapshot<Cmd, Val>): void {
    this.map = new Map();
    this.loads = new Map();
    for (const [v, p] of snap.map) this.place(v, p);
    this.decisions = new Map(snap.decisions);
    this.queue.restore(snap.queue);
    this.counters = { ...snap.counters };
  }

  private drain(ctx: Ctx<Res, Val>): void {
    this.queue.drain(this.self, {
      // A consult claims the map entries of its variables (and of what it creates or deletes);
      // a create or delete claims its variable until the partition has started it.
      claims: (q) => {
        const p = q.msg.payload;
        if (p.type !== "consult") return claims(p);
        const kind = this.app.classify(p.cmd);
        return kind.kind === "access" ? p.vars : [...p.vars, kind.variable];
      },
      start: (q) => this.start(q, ctx),
      // Moves need nobody's signal (see PartitionApp.waitsFor); create, delete and their
      // fallbacks answer the client only once the partitions involved have started them, so
      // that no access ordered before a delete can still read the deleted variable afterwards.
      waitsFor: (q) => (q.msg.payload.type === "move" ? [] : q.msg.dests),
      finish: (q) => {
        this.finish(q, ctx);
        return null;
      },
    });
  }

  private start(q: Queued<Cmd>, ctx: Ctx<Res, Val>): void {
    const { msg } = q;
    const p = msg.payload;
    const ref = { client: msg.client, seq: msg.seq };
    const key = commandKey(msg.client, msg.seq);
    switch (p.type) {
      case "create": {
        const ok = !this.map.has(p.variable);
        if (ok) this.place(p.variable, p.partition);
        this.decisions.set(key, ok ? "created" : "exists");
        ctx.send(p.partition, { type: "outcome", ref, ok, partition: p.partition });
        return;
      }
      case "delete": {
        const owner = this.map.get(p.variable);
        const ok = owner === p.partition;
        if (ok) this.place(p.variable, null);
        this.decisions.set(key, owner === undefined || ok ? "deleted" : "elsewhere");
        ctx.send(p.partition, { type: "outcome", ref, ok, partition: p.partition });
        return;
      }
      case "global": {
        // The fallback of a create or delete: decide, and tell every partition.
        const kind = this.app.classify(p.cmd);
        if (kind.kind === "access") return;
        let ok: boolean;
        let partition: PartitionId | null;
        if (kind.kind === "create") {
          ok = !this.map.has(kind.variable);
          partition = this.app.place(kind.variable, this.deployment.partitions);
          if (ok) this.place(kind.variable, partition);
          this.decisions.set(key, ok ? "created" : "exists");
        } else {
          partition = this.map.get(kind.variable) ?? null;
          ok = partition !== null;
          this.place(kind.variable, null);
          this.decisions.set(key, "deleted");
        }
        for (const g of msg.dests) {
          if (g !== this.self) ctx.send(g, { type: "outcome", ref, ok, partition });
        }
        return;
      }
      case "move":
      case "consult":
      case "access":
        return;
    }
  }

  private finish(q: Queued<Cmd>, ctx: Ctx<Res, Val>): void {
    const { msg } = q;
    const p = msg.payload;
    const reply = (r: DsReply<Res>) => ctx.reply(msg.client, msg.seq, r);
    const key = commandKey(msg.client, msg.seq);
    switch (p.type) {
      case "consult":
        this.counters.consults++;
        reply({ type: "prophecy", prophecy: this.prophecy(p.cmd, p.vars) });
        return;
      case "move":
        for (const v of p.variables) {
          if (this.map.get(v) === p.from) {
            this.place(v, p.to);
            this.counters.moves++;
          } else {
            this.counters.staleMoves++;
          }
        }
        reply({ type: "done" });
        return;
      case "create":
      case "delete":
      case "global": {
        if (p.type === "global" && this.app.classify(p.cmd).kind === "access") {
          reply({ type: "invalid", reason: "access delivered to the oracle" });
          return;
        }
        const decision = this.decisions.get(key);
        this.decisions.delete(key);
        const cmd = p.cmd;
        if (decision === "created") {
          this.counters.creates++;
          reply({ type: "result", result: this.app.created(cmd) });
        } else if (decision === "exists") {
          const kind = this.app.classify(cmd);
          const v = kind.kind === "access" ? "" : kind.variable;
          reply({ type: "result", result: this.app.rejected(cmd, "exists", v) });
        } else if (decision === "deleted") {
          this.counters.deletes++;
          reply({ type: "result", result: this.app.deleted(cmd) });
        } else {
          // The variable lives elsewhere now: the client consults again.
          const kind = this.app.classify(cmd);
          reply({ type: "retry", needs: kind.kind === "access" ? [] : [kind.variable] });
        }
        return;
      }
      case "access":
        reply({ type: "invalid", reason: "access delivered to the oracle" });
        return;
    }
  }

  /** Answers a consult: where the variables are, or a decision that ends the command. */
  private prophecy(cmd: Cmd, vars: readonly VarId[]): Prophecy {
    const kind = this.app.classify(cmd);
    if (kind.kind === "create") {
      if (this.map.has(kind.variable)) return { kind: "nok", variable: kind.variable };
      return {
        kind: "place",
        partition: this.app.place(kind.variable, this.deployment.partitions),
      };
    }
    if (kind.kind === "delete") {
      const owner = this.map.get(kind.variable);
      return owner === undefined ? { kind: "ok" } : { kind: "owner", partition: owner };
    }
    const locations: [VarId, PartitionId][] = [];
    for (const v of vars) {
      const p = this.map.get(v);
      if (p === undefined) return { kind: "nok", variable: v };
      locations.push([v, p]);
    }
    return { kind: "locations", locations, loads: this.loadList() };
  }
}

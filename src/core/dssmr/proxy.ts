// The DS-SMR client proxy: cache, consults, moves, retries and the S-SMR fallback, sans-IO.
import { ConfigError, InputError } from "../errors.ts";
import type { McastRequest, McastResponse, QueryRequest, QueryResponse } from "../group/wire.ts";
import type { ClientId, GroupId, ReplicaId } from "../ids.ts";
import type { McastMessage } from "../multicast/types.ts";
import type { CommandKind, PartitionedApp } from "./app.ts";
import { LocationCache } from "./location-cache.ts";
import type { DsDeployment } from "./partition.ts";
import { union } from "./partition.ts";
import { chooseDestination, type DestinationPolicy } from "./policy.ts";
import {
  type DsPayload,
  type DsReply,
  ORACLE,
  type PartitionId,
  type Prophecy,
  type VarId,
} from "./types.ts";

/** Tunables of a client proxy. */
export interface ProxyOptions {
  readonly client: ClientId;
  /** Replicas of every group (the oracle's included in DS-SMR mode). */
  readonly groups: ReadonlyMap<GroupId, readonly ReplicaId[]>;
  readonly deployment: DsDeployment;
  /** Retries before a command falls back to S-SMR execution (DS-SMR mode). */
  readonly retryThreshold: number;
  readonly policy: DestinationPolicy;
  /** Ticks without an answer before a message is sent again (to another replica). */
  readonly timeoutTicks: number;
  /**
   * Most messages in flight, counted as the distance from the oldest unanswered seq; the groups
   * must remember at least this many answers per client (`repliesPerClient`).
   */
  readonly maxInFlight: number;
  /** Ask an oracle replica for locations outside the log before consulting through it. */
  readonly queries: boolean;
  /**
   * Route a variable missing from the cache to where the application's `place()` put it, without
   * asking the oracle: a variable that never moved is exactly there, and a wrong guess costs a
   * retry whose answer says where the variable went. Default true.
   */
  readonly guessPlacement?: boolean;
  /** The location cache to use; proxies of one client process share one. Default: its own. */
  readonly cache?: LocationCache;
}

/**
 * Defaults. The paper never gives its retry threshold; 3 is ours. The paper gathers variables
 * at a random partition among those involved; we default to the one already holding most of
 * them, which moves less and converges far faster (`random` remains available).
 */
export const defaultProxyOptions = {
  retryThreshold: 3,
  policy: "most" as DestinationPolicy,
  timeoutTicks: 20,
  maxInFlight: 16,
  queries: true,
  guessPlacement: true,
};

/** Counters a proxy keeps: what the paper never reported and we do. */
export interface ProxyStats {
  submitted: number;
  completed: number;
  /** Consults multicast to the oracle (ordered). */
  consults: number;
  /** Location queries answered outside the oracle's log. */
  queries: number;
  /** Commands routed at their first attempt without asking the oracle (cache or placement). */
  cacheHits: number;
  /** Commands that asked the oracle at their first attempt. */
  cacheMisses: number;
  /** Variables routed to their placement because the cache did not know them. */
  placementGuesses: number;
  /** Forwarding hints received with retries (they update the cache). */
  hints: number;
  /** Placement guesses that proved wrong (the variable had moved). */
  wrongGuesses: number;
  /** Retries that only discovered variables (they do not count toward the fallback). */
  discoveries: number;
  moves: number;
  retries: number;
  fallbacks: number;
  /** Commands whose variables spanned more than one partition at some attempt. */
  multiPartition: number;
  messages: number;
  retransmissions: number;
}

/** All counters at zero. */
export function emptyProxyStats(): ProxyStats {
  return {
    submitted: 0,
    completed: 0,
    consults: 0,
    queries: 0,
    cacheHits: 0,
    cacheMisses: 0,
    placementGuesses: 0,
    hints: 0,
    wrongGuesses: 0,
    discoveries: 0,
    moves: 0,
    retries: 0,
    fallbacks: 0,
    multiPartition: 0,
    messages: 0,
    retransmissions: 0,
  };
}

/** Adds `b`'s counters into `a`. */
export function addProxyStats(a: ProxyStats, b: Readonly<ProxyStats>): ProxyStats {
  for (const k of Object.keys(a) as (keyof ProxyStats)[]) a[k] += b[k];
  return a;
}

/** The outcome of a command. */
export type ProxyResult<Res> =
  | { readonly id: number; readonly ok: true; readonly result: Res }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** Who may answer a command's current message with its outcome. */
type Answerer = GroupId | "any-partition";

interface CommandState<Cmd> {
  readonly id: number;
  readonly cmd: Cmd;
  vars: VarId[];
  /** Retries so far that count toward the fallback (not those that only discovered variables). */
  attempt: number;
  /** The message whose answer decides the next step, and who gives it. */
  awaiting: { readonly seq: number; readonly from: Answerer } | null;
  /** Counted as multi-partition already (a command counts once, at any attempt). */
  multi: boolean;
  /** Has been answered retry at least once. */
  retried: boolean;
  /** The application's learn key of the command (see PartitionedApp.learnKey), or null. */
  readonly learnKey: string | null;
  /** Its first declared variable (the policy's tie-break), if any. */
  readonly first: VarId | undefined;
  /** Variables of the current attempt routed by a placement guess. */
  guessed: readonly VarId[];
}

interface Outgoing<Cmd> {
  readonly msg: McastMessage<DsPayload<Cmd>>;
  readonly waiting: Set<GroupId>;
  elapsed: number;
}

/**
 * Turns application commands into DS-SMR messages and answers into results. It owns a cache of
 * the oracle's map, the leader guess of every group, and retransmission: every message is resent
 * (to another replica on timeout, to the named leader on a redirect) until every destination has
 * answered it, because a multicast message reaches its destinations only if the client gets it
 * to each of them.
 *
 * Invariants:
 * - sequence numbers grow by one per message; `prev` chains a client's messages per group (FIFO);
 * - a message is sent only when its seq is less than `maxInFlight` past the oldest unanswered
 *   one: the groups remember each client's last `maxInFlight` answers, so a retransmission of
 *   the oldest still finds its answer however many later messages completed meanwhile (a bound
 *   on the count alone would not do: one lost answer, then many fast ones, and it is gone);
 * - a command completes exactly once, with the first decisive answer from its answerer.
 */
export class ClientProxy<Cmd, Res> {
  readonly stats: ProxyStats = emptyProxyStats();
  private readonly options: ProxyOptions;
  private readonly app: PartitionedApp<Cmd, Res, unknown>;
  private readonly random: () => number;
  private readonly cache: LocationCache;
  private readonly guess = new Map<GroupId, ReplicaId>();
  private readonly lastSeqTo = new Map<GroupId, number>();
  private readonly outgoing = new Map<number, Outgoing<Cmd>>();
  private readonly backlog: McastMessage<DsPayload<Cmd>>[] = [];
  private readonly commands = new Map<number, CommandState<Cmd>>();
  private readonly bySeq = new Map<number, number>();
  private sends: {
    to: ReplicaId;
    msg: McastRequest<DsPayload<Cmd>> | QueryRequest<DsPayload<Cmd>>;
  }[] = [];
  /** Location queries in flight: query id → the command and how long it has waited. */
  private readonly queries = new Map<number, { readonly command: number; elapsed: number }>();
  private nextQuery = 1;
  private results: ProxyResult<Res>[] = [];
  private seq = 0;
  private nextId = 1;
  /** Moving average of wrong placement guesses (see shouldGuess). */
  private wrongGuessRate = 0;
  private probe = 0;

  constructor(options: ProxyOptions, app: PartitionedApp<Cmd, Res, unknown>, random: () => number) {
    if (!Number.isInteger(options.retryThreshold) || options.retryThreshold < 0) {
      throw new ConfigError(
        `retryThreshold must be an integer >= 0, got ${options.retryThreshold}`,
      );
    }
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) {
      throw new ConfigError(`maxInFlight must be a positive integer, got ${options.maxInFlight}`);
    }
    if (options.deployment.partitions.length === 0) throw new ConfigError("no partitions");
    for (const g of [
      ...options.deployment.partitions,
      ...(options.deployment.mode === "dssmr" ? [ORACLE] : []),
    ]) {
      const replicas = options.groups.get(g);
      if (replicas === undefined || replicas.length === 0) {
        throw new ConfigError(`group ${g} has no replicas`);
      }
      this.guess.set(g, replicas[Math.floor(random() * replicas.length)]!);
    }
    this.options = options;
    this.app = app;
    this.random = random;
    this.cache = options.cache ?? new LocationCache();
  }

  /** Commands submitted and not completed. */
  get pending(): number {
    return this.commands.size;
  }

  /** True when nothing is in flight (no command, no unanswered message). */
  get idle(): boolean {
    return this.commands.size === 0 && this.outgoing.size === 0 && this.backlog.length === 0;
  }

  /** Where the proxy believes a variable lives (cache), for tests and status. */
  cached(v: VarId): PartitionId | undefined {
    return this.cache.get(v);
  }

  /** Starts a command; returns its id. Throws InputError, changing nothing, if it is invalid. */
  submit(cmd: Cmd): number {
    const why = this.app.validate(cmd);
    if (why !== null) throw new InputError(why);
    const id = this.nextId++;
    const key = this.app.learnKey?.(cmd) ?? null;
    const declared = this.app.variables(cmd);
    const state: CommandState<Cmd> = {
      id,
      cmd,
      vars: key === null ? [...declared] : union(declared, this.cache.learned(key)),
      learnKey: key,
      first: declared[0],
      attempt: 0,
      awaiting: null,
      multi: false,
      retried: false,
      guessed: [],
    };
    this.commands.set(id, state);
    this.cache.touched(state.vars);
    this.stats.submitted++;
    this.begin(state);
    return id;
  }

  /** An answer or a redirect from replica `from`. */
  receive(resp: McastResponse<DsReply<Res>> | QueryResponse<DsReply<Res>>, from: ReplicaId): void {
    if (resp.type === "query-reply") {
      this.onQueryReply(resp.id, resp.result);
      return;
    }
    const out = this.outgoing.get(resp.seq);
    if (resp.type === "mcast-redirect") {
      if (out === undefined || !out.waiting.has(resp.group)) return;
      if (resp.leader !== null && resp.leader !== from) {
        this.guess.set(resp.group, resp.leader);
        this.send(resp.group, out.msg);
      } else {
        this.rotate(resp.group);
      }
      return;
    }
    this.guess.set(resp.group, from);
    if (out?.waiting.delete(resp.group) && out.waiting.size === 0) {
      this.outgoing.delete(resp.seq);
      this.flushBacklog();
    }
    const id = this.bySeq.get(resp.seq);
    const c = id === undefined ? undefined : this.commands.get(id);
    if (c === undefined || c.awaiting === null || c.awaiting.seq !== resp.seq) return;
    const want = c.awaiting.from;
    const fromPartition = resp.group !== ORACLE;
    if (want !== resp.group && !(want === "any-partition" && fromPartition)) return;
    this.decide(c, resp.result);
  }

  /** One unit of time: retransmit what has waited too long. */
  tick(): void {
    for (const [id, q] of this.queries) {
      if (++q.elapsed < this.options.timeoutTicks) continue;
      // No answer: that oracle replica may be gone; ask through the log instead.
      this.rotate(ORACLE);
      this.onQueryReply(id, null);
    }
    for (const out of this.outgoing.values()) {
      if (++out.elapsed < this.options.timeoutTicks) continue;
      out.elapsed = 0;
      for (const g of out.waiting) {
        this.rotate(g);
        this.stats.retransmissions++;
        this.send(g, out.msg);
      }
    }
  }

  /** Messages to send, each to one replica. */
  takeSends(): {
    to: ReplicaId;
    msg: McastRequest<DsPayload<Cmd>> | QueryRequest<DsPayload<Cmd>>;
  }[] {
    const s = this.sends;
    this.sends = [];
    return s;
  }

  /** Commands that completed since the last call. */
  takeResults(): ProxyResult<Res>[] {
    const r = this.results;
    this.results = [];
    return r;
  }

  /** Decides the next step of a command from its answerer's reply. */
  private decide(c: CommandState<Cmd>, reply: DsReply<Res>): void {
    c.awaiting = null;
    switch (reply.type) {
      case "result":
        this.learnGuesses(c, []);
        this.complete(c, { id: c.id, ok: true, result: reply.result });
        return;
      case "invalid":
        this.complete(c, { id: c.id, ok: false, error: reply.reason });
        return;
      case "prophecy":
        this.onProphecy(c, reply.prophecy);
        return;
      case "retry":
        this.onRetry(c, reply);
        return;
      case "done":
        return; // not decisive; cannot come from an answerer
    }
  }

  private begin(c: CommandState<Cmd>): void {
    const { deployment } = this.options;
    const kind = this.app.classify(c.cmd);
    if (deployment.mode === "ssmr") {
      const homes =
        kind.kind === "access" ? c.vars.map((v) => this.home(v)) : [this.home(kind.variable)];
      const dests = sortedUnique(homes);
      this.countMulti(c, dests.length);
      if (kind.kind === "access" && dests.length === 1) {
        this.ask(c, dests, { type: "access", cmd: c.cmd, vars: c.vars }, dests[0]!);
      } else {
        this.ask(c, dests, { type: "global", cmd: c.cmd, vars: c.vars }, "any-partition");
      }
      return;
    }
    if (c.attempt > this.options.retryThreshold) {
      // Keeps losing the race: execute S-SMR style at every partition, which always terminates.
      this.stats.fallbacks++;
      const dests = sortedUnique(
        kind.kind === "access" ? deployment.partitions : [ORACLE, ...deployment.partitions],
      );
      const answerer: Answerer = kind.kind === "access" ? "any-partition" : ORACLE;
      this.ask(c, dests, { type: "global", cmd: c.cmd, vars: c.vars }, answerer);
      return;
    }
    if (kind.kind === "access" && c.attempt === 0 && !c.retried) {
      const known = this.locate(c, this.shouldGuess());
      if (known !== null) {
        this.stats.cacheHits++;
        this.route(c, known);
        return;
      }
      this.stats.cacheMisses++;
    }
    this.askOracle(c, kind.kind);
  }

  /**
   * Where the cache (and, with `guess`, the placement rule) puts every variable; null when one is
   * unknown or there are none.
   */
  private locate(c: CommandState<Cmd>, guess: boolean): Map<VarId, PartitionId> | null {
    if (c.vars.length === 0) return null;
    const known = new Map<VarId, PartitionId>();
    const guessed: VarId[] = [];
    for (const v of c.vars) {
      let p = this.cache.get(v);
      if (p === undefined && guess) {
        p = this.home(v);
        guessed.push(v);
      }
      if (p === undefined) return null;
      known.set(v, p);
    }
    this.stats.placementGuesses += guessed.length;
    c.guessed = guessed;
    return known;
  }

  /**
   * Whether to route unknown variables by placement. Guessing pays while variables stay where
   * they were placed (one partition, keys that never move, cold caches after a restart) and
   * costs a retry per variable that moved, which is most of them once DS-SMR has gathered a
   * workload. So the proxy guesses while fewer than 1 in 10 recent guesses were wrong, and
   * probes with every 16th command otherwise.
   */
  private shouldGuess(): boolean {
    if (!(this.options.guessPlacement ?? true)) return false;
    if (this.wrongGuessRate < 0.1) return true;
    return ++this.probe % 16 === 0;
  }

  /** Updates the wrong-guess rate with the guesses of `c`'s attempt, given what was missing. */
  private learnGuesses(c: CommandState<Cmd>, missing: readonly VarId[]): void {
    if (c.guessed.length === 0) return;
    const gone = new Set(missing);
    for (const v of c.guessed) {
      const wrong = gone.has(v);
      if (wrong) this.stats.wrongGuesses++;
      this.wrongGuessRate += ((wrong ? 1 : 0) - this.wrongGuessRate) / 32;
    }
    c.guessed = [];
  }

  /**
   * A partition answered retry. The variables it lacked leave the cache (or move to where its
   * hint says they went); the others were where the cache said. A retry that only discovered
   * variables the command had not declared does not count toward the fallback: the command grew,
   * it did not lose a race. The next attempt asks the oracle (another replica than last time).
   */
  private onRetry(c: CommandState<Cmd>, reply: Extract<DsReply<Res>, { type: "retry" }>): void {
    this.stats.retries++;
    const before = new Set(c.vars);
    c.vars = union(c.vars, reply.needs);
    if (c.learnKey !== null) this.cache.learn(c.learnKey, c.vars);
    const missing = reply.missing ?? c.vars;
    for (const v of missing) this.cache.delete(v);
    for (const [v, p] of reply.hints ?? []) {
      this.stats.hints++;
      this.cache.set(v, p);
    }
    this.learnGuesses(c, missing);
    const grew = c.vars.length > before.size;
    if (grew && reply.missing?.every((v) => !before.has(v))) {
      this.stats.discoveries++;
    } else {
      c.attempt++;
    }
    c.retried = true;
    // Routing again from the cache and the hints alone, without asking the oracle, was tried
    // and measured: in the transient, hints go stale as fast as they are made, and Mix at 8
    // simulated partitions fell from 16.1k to 4.7k commands/s. The hints feed the cache instead.
    // Ask another oracle replica than last time: that one may lag behind.
    if (this.options.deployment.mode === "dssmr") this.rotate(ORACLE);
    this.begin(c);
  }

  /** Asks the oracle where the command's variables are (a query, else an ordered consult). */
  private askOracle(c: CommandState<Cmd>, kind: CommandKind["kind"]): void {
    if (kind === "access" && this.options.queries) {
      // Ask one oracle replica where the variables are, outside the log: a stale answer only
      // costs a retry. Decisions (an unknown variable) still go through the log.
      const id = this.nextQuery++;
      this.queries.set(id, { command: c.id, elapsed: 0 });
      this.stats.queries++;
      const to = this.guess.get(ORACLE);
      if (to !== undefined) {
        this.stats.messages++;
        const payload: DsPayload<Cmd> = { type: "consult", cmd: c.cmd, vars: c.vars };
        this.sends.push({ to, msg: { type: "query", client: this.options.client, id, payload } });
      }
      return;
    }
    const cls = this.app.classify(c.cmd);
    if (cls.kind === "create" && c.attempt === 0 && !c.retried) {
      // The oracle would answer a consult with the placement rule, which the proxy can apply
      // itself; the create multicast lets the oracle decide "exists" just as well. One ordered
      // round less per create.
      this.stats.placementGuesses++;
      this.onProphecy(c, { kind: "place", partition: this.home(cls.variable) });
      return;
    }
    this.consult(c);
  }

  /** Multicasts a consult to the oracle: ordered, so its answer may be a decision. */
  private consult(c: CommandState<Cmd>): void {
    this.stats.consults++;
    this.ask(c, [ORACLE], { type: "consult", cmd: c.cmd, vars: c.vars }, ORACLE);
  }

  /** A location query was answered (null: not answerable outside the log, or timed out). */
  private onQueryReply(id: number, result: DsReply<Res> | null): void {
    const q = this.queries.get(id);
    if (q === undefined) return;
    this.queries.delete(id);
    const c = this.commands.get(q.command);
    if (c === undefined) return;
    if (result?.type === "prophecy" && result.prophecy.kind === "locations") {
      this.onProphecy(c, result.prophecy);
    } else {
      this.consult(c);
    }
  }

  private onProphecy(c: CommandState<Cmd>, prophecy: Prophecy): void {
    const kind = this.app.classify(c.cmd);
    switch (prophecy.kind) {
      case "nok":
        this.complete(c, {
          id: c.id,
          ok: true,
          result: this.app.rejected(
            c.cmd,
            kind.kind === "create" ? "exists" : "unknown",
            prophecy.variable,
          ),
        });
        return;
      case "ok":
        this.complete(c, { id: c.id, ok: true, result: this.app.deleted(c.cmd) });
        return;
      case "place":
      case "owner": {
        if (kind.kind === "access") return;
        const type = kind.kind;
        const partition = prophecy.partition;
        this.ask(
          c,
          sortedUnique([ORACLE, partition]),
          { type, cmd: c.cmd, variable: kind.variable, partition },
          ORACLE,
        );
        return;
      }
      case "locations": {
        const locations = new Map(prophecy.locations);
        if (prophecy.loads !== undefined) this.cache.setLoads(prophecy.loads);
        for (const [v, p] of locations) this.cache.set(v, p);
        this.route(c, locations);
        return;
      }
    }
  }

  /** Gathers the variables in one partition (moves, not awaited), then sends the command there. */
  private route(c: CommandState<Cmd>, locations: ReadonlyMap<VarId, PartitionId>): void {
    const involved = new Set(locations.values());
    this.countMulti(c, involved.size);
    const first = c.first;
    const dest = chooseDestination(this.options.policy, locations, this.random, {
      loads: this.cache.loads,
      // Logarithmic: a hot variable anchors its command, without letting the first few
      // commands a process sees decide where everything goes (linear heat converged later at
      // 10,000 users: not within 12 s, against 10.2 s).
      heat: (v) => 1 + Math.log2(1 + this.cache.heatOf(v)),
      ...(first === undefined ? {} : { first }),
    });
    // One move message per source partition, carrying every variable needed from it.
    const bySource = new Map<PartitionId, VarId[]>();
    for (const [v, p] of locations) {
      if (p === dest) continue;
      const list = bySource.get(p);
      if (list === undefined) bySource.set(p, [v]);
      else list.push(v);
      this.cache.set(v, dest);
    }
    for (const [from, variables] of bySource) {
      this.stats.moves += variables.length;
      this.cache.moved(from, dest, variables.length);
      this.multicast(sortedUnique([ORACLE, from, dest]), {
        type: "move",
        variables,
        from,
        to: dest,
      });
    }
    this.ask(c, [dest], { type: "access", cmd: c.cmd, vars: c.vars }, dest);
  }

  /** Counts a command as multi-partition the first time it spans several partitions. */
  private countMulti(c: CommandState<Cmd>, partitions: number): void {
    if (c.multi || partitions < 2) return;
    c.multi = true;
    this.stats.multiPartition++;
  }

  private ask(
    c: CommandState<Cmd>,
    dests: readonly GroupId[],
    payload: DsPayload<Cmd>,
    from: Answerer,
  ): void {
    const seq = this.multicast(dests, payload);
    c.awaiting = { seq, from };
    this.bySeq.set(seq, c.id);
  }

  private complete(c: CommandState<Cmd>, result: ProxyResult<Res>): void {
    this.commands.delete(c.id);
    for (const [seq, id] of this.bySeq) if (id === c.id) this.bySeq.delete(seq);
    this.stats.completed++;
    this.results.push(result);
  }

  /** Builds a message with the next sequence number and sends it (or queues it when full). */
  private multicast(dests: readonly GroupId[], payload: DsPayload<Cmd>): number {
    const seq = ++this.seq;
    const prev = dests.map((g) => this.lastSeqTo.get(g) ?? 0);
    for (const g of dests) this.lastSeqTo.set(g, seq);
    const msg: McastMessage<DsPayload<Cmd>> = {
      client: this.options.client,
      seq,
      dests,
      prev,
      payload,
    };
    this.backlog.push(msg);
    this.flushBacklog();
    return seq;
  }

  private flushBacklog(): void {
    while (this.backlog.length > 0) {
      // `outgoing` is in seq order (insertion order), so its first key is the oldest unanswered.
      const oldest = this.outgoing.keys().next();
      if (!oldest.done && this.backlog[0]!.seq - oldest.value >= this.options.maxInFlight) break;
      const msg = this.backlog.shift()!;
      this.outgoing.set(msg.seq, { msg, waiting: new Set(msg.dests), elapsed: 0 });
      for (const g of msg.dests) this.send(g, msg);
    }
  }

  private send(g: GroupId, msg: McastMessage<DsPayload<Cmd>>): void {
    const to = this.guess.get(g);
    if (to === undefined) return;
    this.stats.messages++;
    this.sends.push({ to, msg: { type: "mcast", msg } });
  }

  private rotate(g: GroupId): void {
    const replicas = this.options.groups.get(g);
    if (replicas === undefined || replicas.length === 0) return;
    const i = replicas.indexOf(this.guess.get(g)!);
    this.guess.set(g, replicas[(i + 1) % replicas.length]!);
  }

  private home(v: VarId): PartitionId {
    return this.app.place(v, this.options.deployment.partitions);
  }
}

function sortedUnique(groups: readonly GroupId[]): GroupId[] {
  return [...new Set(groups)].sort((a, b) => a - b);
}

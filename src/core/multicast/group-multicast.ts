// The replicated atomic multicast state of one group: fault-tolerant Skeen applied from its log.
import { ConfigError, FormatError, invariant } from "../errors.ts";
import type { ClientId, GroupId } from "../ids.ts";
import { Channels } from "./channels.ts";
import { ClientFifo } from "./client-fifo.ts";
import { EarlyProposals } from "./early-proposals.ts";
import { MinHeap } from "./heap.ts";
import { destIndex, sameMessage, validateMessage } from "./message.ts";
import { compareFinal, mayPrecede, type Pending } from "./pending.ts";
import { maxTs } from "./timestamp.ts";
import {
  type ApplyOutcome,
  type ChannelBody,
  type ClientSnapshot,
  DECLINE,
  type Delivery,
  MCAST_SNAPSHOT_FORMAT,
  type McastBugs,
  type McastCommand,
  type McastMessage,
  type McastOptions,
  type McastSnapshot,
  type OutboxView,
  type PendingSnapshot,
  type Timestamp,
} from "./types.ts";
import { UndecidedQueue } from "./undecided-queue.ts";

/** Default bounds (see McastOptions). */
export const defaultMcastOptions = {
  maxPending: 10_000,
  maxWaitingPerClient: 64,
  maxEarly: 100_000,
} as const;

/**
 * The multicast state machine of group `self`, applied to that group's committed log on every
 * replica. It knows nothing of consensus: `apply` is called in log order, it never fails on
 * input, and its outputs (deliveries, outboxes) are a pure function of the commands applied.
 * The leader performs the sends that the outboxes describe, re-sending them until acknowledged
 * (periodically and after a leader change), so a new leader re-sends the proposals of every
 * pending message without any extra protocol.
 *
 * Protocol (DESIGN §2), per message m with dests D:
 * - start(m) at g: ignore if known; else, once m's FIFO predecessor at g is final here,
 *   activate: clock += 1, local ts (clock, g); a single-group message is final at once, else
 *   send the local ts as a proposal to every other dest;
 * - a proposal is recorded; when every dest's proposal is held, final = max (t, then group) and
 *   clock = max(clock, final.t);
 * - deliver, while possible, the message with the smallest final ts, unless an undecided
 *   message has a smaller local ts (its final ts, at least its local one, might come first).
 *
 * Invariants:
 * - state changes only in `apply` (and `send`, which the application calls while it processes
 *   deliveries taken after an `apply`), so replicas at the same log index are identical;
 * - the clock never decreases, and each activation takes a fresh clock value: (t, self) pairs
 *   are unique, local timestamps grow in activation order;
 * - a message is delivered at most once here, after its final timestamp is known, in ascending
 *   (final t, final g, client, seq) order; final timestamps of delivered messages only grow;
 * - every activated, undelivered message is either undecided (in `undecided`) or final (in
 *   `finals`); `pendingCount` counts both.
 *
 * FIFO per sender: m2 (the client's next message to g after m1) is activated at g only once m1
 * has its final timestamp here. Then local(m2) > clock >= final(m1).t at every common dest, so
 * final(m2) > final(m1) everywhere: FIFO order is part of the timestamp order, which stays
 * acyclic. Merely holding back m2's *delivery* behind m1 would not do: m2 could then carry a
 * smaller timestamp than m1 while a third message sits between them in another group's order,
 * and the groups' orders would form a cycle.
 *
 * Bounds (never grow without limit; refuse instead, the sender retries):
 * - admitted messages (activated plus waiting) at most `maxPending`, and a client's waiting
 *   messages at most `maxWaitingPerClient`: a start beyond either is refused. Exception: a start
 *   for which another group's proposal is already held is always admitted. That group has
 *   activated m and cannot deliver anything above m's timestamp until we propose, so refusing
 *   could deadlock two full groups on each other; the exception is bounded by the early store.
 * - early proposals at most `maxEarly` messages: a proposal that would overflow it is refused
 *   (the channel message is not consumed, so the sender re-sends it later). With honest peers
 *   this needs more early proposals than the other groups' pending messages together.
 * - per-client records are kept for the group's life: one watermark record per client.
 * A message whose client never sends its start to some dest (a crashed client) stays pending at
 * the dests that have it and blocks their deliveries above it: clients must retry until done.
 *
 * Broken FIFO chains: if a client's predecessor of m never reaches g (the client crashed or
 * stopped retransmitting), m waits at g for ever while the dests that activated m wait for g's
 * proposal. The leader then logs `abandon` (see `stalled`): g activates m, and the client's
 * waiting messages below it in seq order, without the missing predecessors. Every seq the chain
 * skipped, from the client's watermark up to each missing predecessor, becomes a hole (ranges,
 * at most `maxWaitingPerClient` per client, the lowest forgotten first): not just the direct
 * predecessor, because any of those seqs may be a multi-group message that another group
 * activated and that reaches us later, and nothing here says which are addressed to us. A hole
 * that arrives, from its client or with another group's proposal, is admitted and activated at
 * once, beside the client's undecided message rather than behind it: other groups may have
 * ordered the two the other way round, and each would wait on the other. The price: FIFO order
 * is broken for that client only, and `delivered` is then only the highest seq delivered.
 * Timestamp order, hence agreement and acyclic order, is unaffected: each activation still takes
 * a fresh clock value and finals are still the max of every dest's proposal. The proposals of
 * messages activated out of chain order (taken or late) say `broken`, so that a dest where such
 * a message stalls abandons it at once: a broken chain across groups costs one abandon period,
 * not one per link (only the leader's timing depends on it, never what an entry does).
 *
 * Inconsistent chains: a client that lies about `prev` can send a message that its chain here
 * can never admit in order (a predecessor below the watermark, one another waiting message
 * already names, or a seq below the watermark that was never activated here), while another
 * dest admits and activates it. Such a message is delivered everywhere or nowhere: a group
 * activates it at once, late, as soon as it holds another dest's proposal for it (learnt from
 * that proposal, which carries it, if need be), and ignores it until then; a proposal for a seq
 * its watermark already passed is declined (below). The decision is taken when the `start` or
 * `channel` entry is applied, so every replica takes the same one. Waiting messages whose
 * predecessor the watermark passes are handled the same way (`dropPassed`), so `waiting` never
 * holds a message that only an abandon refused behind `active` could free.
 *
 * Reused seqs: a faulty client may send different messages (versions) under one id. A group
 * activates at most one version of an id, for good (once activated, the seq stays at or below
 * the watermark and is never a hole). Proposals carry their version and count only for that
 * version (`sameMessage`). A proposal for a version this group will never activate (it activated
 * another, or the seq is below its watermark: one record per client cannot say which) is
 * answered by a proposal with timestamp DECLINE; a version with a declining proposal is final
 * but delivered nowhere. So each version is delivered at all of its dests or none, two versions
 * delivered anywhere have disjoint dests, no group delivers an id twice, and every activated
 * version gets an answer from each of its dests (a real proposal or a decline): nothing waits.
 */
export class GroupMulticast<P, R> {
  /** The group this state belongs to. */
  readonly self: GroupId;
  private readonly maxPending: number;
  private readonly maxWaitingPerClient: number;
  private readonly bugs: McastBugs;

  private clockValue = 0;
  private pending = 0;
  private waiting = 0;
  private readonly clients = new Map<ClientId, ClientFifo<P>>();
  /**
   * The client records of the last snapshot, in `clients` order, with each client's position,
   * and the clients whose record may have changed since (reached through {@link fifo}). A
   * snapshot rebuilds only those: a group holds a record for every client it ever heard from,
   * and replicas snapshot often.
   */
  private snapClients: ClientSnapshot<P>[] = [];
  private readonly snapPosition = new Map<ClientId, number>();
  private readonly touched = new Set<ClientId>();
  private readonly undecided = new UndecidedQueue<P>();
  private readonly finals = new MinHeap<Pending<P>>(compareFinal);
  private readonly early: EarlyProposals<P>;
  private readonly channels = new Channels<P, R>();
  private deliveries: Delivery<P, R>[] = [];

  constructor(self: GroupId, options: McastOptions = {}) {
    this.self = self;
    this.maxPending = positive("maxPending", options.maxPending, defaultMcastOptions.maxPending);
    this.maxWaitingPerClient = positive(
      "maxWaitingPerClient",
      options.maxWaitingPerClient,
      defaultMcastOptions.maxWaitingPerClient,
    );
    this.early = new EarlyProposals(
      positive("maxEarly", options.maxEarly, defaultMcastOptions.maxEarly),
    );
    this.bugs = options.bugs ?? {};
  }

  /** Applies one committed command; then delivers whatever became deliverable. */
  apply(cmd: McastCommand<P, R>): ApplyOutcome {
    let outcome: ApplyOutcome;
    switch (cmd.kind) {
      case "start":
        outcome = this.start(cmd.msg);
        break;
      case "channel":
        outcome = this.channel(cmd.from, cmd.seq, cmd.body);
        break;
      case "ack":
        outcome = this.channels.ack(cmd.from, cmd.upTo);
        break;
      case "abandon":
        outcome = this.abandon(cmd.client, cmd.seq);
        break;
    }
    this.deliverReady();
    return outcome;
  }

  /** The deliveries produced since the last call, in the order `apply` produced them. */
  takeDeliveries(): Delivery<P, R>[] {
    const out = this.deliveries;
    this.deliveries = [];
    return out;
  }

  /**
   * The application (processing a delivery of this group, deterministically) sends `payload`
   * reliably to group `to`: it joins the outbox for `to` with the next channel seq.
   */
  send(to: GroupId, payload: R): void {
    if (to === this.self) invariant(false, `group ${to} sends an app message to itself`);
    this.channels.push(to, { type: "app", payload });
  }

  /** Unacknowledged channel messages for `to` (a live view: read it before the next apply). */
  outbox(to: GroupId): OutboxView<P, R> {
    return this.channels.outbox(to);
  }

  /** Every non-empty outbox (live views, as for `outbox`). */
  outboxes(): Iterable<[GroupId, OutboxView<P, R>]> {
    return this.channels.outboxes();
  }

  /** Highest channel seq appended from `from`: what the leader acknowledges to `from`. */
  received(from: GroupId): number {
    return this.channels.received(from);
  }

  /** The logical clock. */
  get clock(): number {
    return this.clockValue;
  }

  /** Activated messages not yet delivered. */
  get pendingCount(): number {
    return this.pending;
  }

  /** Started messages waiting for their FIFO predecessor. */
  get waitingCount(): number {
    return this.waiting;
  }

  /** Messages with proposals held before their start. */
  get earlyCount(): number {
    return this.early.size;
  }

  /** Highest seq of `client` delivered here (0 if none). */
  deliveredSeq(client: ClientId): number {
    return this.clients.get(client)?.delivered ?? 0;
  }

  /** True when a start of (client, seq) would be a duplicate: activated, waiting or delivered. */
  isKnown(client: ClientId, seq: number): boolean {
    return this.clients.get(client)?.knows(seq) ?? false;
  }

  /**
   * Waiting messages that another group has already activated (an early proposal is held): that
   * group waits for our proposal. The leader abandons those that stay here too long, and at once
   * those that another group activated outside their client's chain (`broken`): that group
   * already waited `abandonTicks` on the client.
   */
  *stalled(): Iterable<{ client: ClientId; seq: number; broken: boolean }> {
    for (const k of this.early.keys()) {
      const f = this.clients.get(k.client);
      if (f !== undefined && f.waitingWith(k.seq) !== undefined) yield k;
    }
  }

  /**
   * Every waiting message: started here but not activated, because its FIFO predecessor here is
   * not activated yet. The leader ages them all, from when each starts to wait, so that one that
   * becomes stalled late (another group activated it only after an abandon there) and has
   * already waited `abandonTicks` is abandoned at once rather than after another full period.
   */
  *waitingIds(): Iterable<{ client: ClientId; seq: number }> {
    if (this.waiting === 0) return;
    for (const [client, f] of this.clients) {
      for (const m of f.waiting.values()) yield { client, seq: m.seq };
    }
  }

  /**
   * True when an `abandon` of (client, seq) would be applied now: the message waits for its FIFO
   * predecessor and the client has no undecided chain message here (else it is refused).
   */
  canAbandon(client: ClientId, seq: number): boolean {
    const f = this.clients.get(client);
    return f !== undefined && f.active === null && f.waitingWith(seq) !== undefined;
  }

  /** True when (client, seq) is an abandoned seq that is still admitted if it arrives. */
  awaitsLate(client: ClientId, seq: number): boolean {
    return this.clients.get(client)?.holes.has(seq) ?? false;
  }

  /**
   * A client's record, for a path that may change it: every change of a record goes through
   * here (or creates the record), so that the next snapshot rebuilds it.
   */
  private fifo(client: ClientId): ClientFifo<P> | undefined {
    const f = this.clients.get(client);
    if (f !== undefined) this.touched.add(client);
    return f;
  }

  /** A copy of the whole state. Deliveries must have been taken first (the app's state follows them). */
  snapshot(): McastSnapshot<P, R> {
    invariant(this.deliveries.length === 0, "snapshot with deliveries not yet taken");
    const live: Pending<P>[] = [...this.undecided.undecided(), ...this.finals.values()];
    live.sort((a, b) => a.local - b.local);
    const pending: PendingSnapshot<P>[] = live.map((p) => ({
      msg: p.msg,
      local: p.local,
      proposals: [...p.proposals],
      final: p.final,
    }));
    const clients = this.snapClients.slice();
    for (const client of this.touched) {
      const s = this.clients.get(client)!.snapshot(client);
      const at = this.snapPosition.get(client);
      if (at !== undefined) clients[at] = s;
      else {
        // Records are never removed and are touched when created, so new ones come in order.
        this.snapPosition.set(client, clients.length);
        clients.push(s);
      }
    }
    this.touched.clear();
    invariant(clients.length === this.clients.size, "snapshot: client records out of step");
    this.snapClients = clients;
    const channels = this.channels.snapshot();
    return {
      format: MCAST_SNAPSHOT_FORMAT,
      self: this.self,
      clock: this.clockValue,
      pending,
      clients,
      early: this.early.snapshot(),
      received: channels.received,
      outboxes: channels.outboxes,
    };
  }

  /** A group's state rebuilt from its snapshot (options are configuration, not state). */
  static fromSnapshot<P, R>(
    snap: McastSnapshot<P, R>,
    options: McastOptions = {},
  ): GroupMulticast<P, R> {
    const gm = new GroupMulticast<P, R>(snap.self, options);
    gm.restore(snap);
    return gm;
  }

  /** Replaces the whole state with a snapshot's (taken from this same group). */
  restore(snap: McastSnapshot<P, R>): void {
    if (snap.format !== MCAST_SNAPSHOT_FORMAT) {
      // Reading another layout would rebuild wrong state: refuse it, saying what to do.
      throw new FormatError(
        `group ${this.self}: multicast snapshot format ${String(snap.format ?? 1)}, this build reads ` +
          `${MCAST_SNAPSHOT_FORMAT}; it was written by another version of dssmr. Restart this ` +
          "replica with an empty data directory: it catches up from its group.",
      );
    }
    invariant(snap.self === this.self, `group ${this.self} restores group ${snap.self}'s snapshot`);
    this.clockValue = snap.clock;
    this.deliveries = [];
    this.clients.clear();
    this.snapClients = [];
    this.snapPosition.clear();
    this.touched.clear();
    this.waiting = 0;
    const late = new Map<ClientId, ReadonlySet<number>>();
    for (const c of snap.clients) {
      const f = new ClientFifo<P>(this.maxWaitingPerClient);
      f.activated = c.activated;
      f.delivered = c.delivered;
      for (const m of c.waiting) f.waiting.set(m.prev[destIndex(m.dests, this.self)]!, m);
      for (const [lo, hi] of c.holes) f.holes.add(lo, hi);
      f.taken.push(...c.taken);
      late.set(c.client, new Set(c.late));
      this.waiting += c.waiting.length + c.taken.length;
      this.clients.set(c.client, f);
      this.touched.add(c.client);
    }
    this.undecided.clear();
    this.finals.clear();
    for (const s of snap.pending) {
      const p: Pending<P> = {
        msg: s.msg,
        local: s.local,
        proposals: new Map(s.proposals),
        final: s.final,
      };
      if (p.final !== null) {
        this.finals.push(p);
      } else {
        const f = this.clients.get(p.msg.client);
        invariant(f !== undefined, "snapshot: undecided message without client");
        if (late.get(p.msg.client)?.has(p.msg.seq) === true) {
          f.late.set(p.msg.seq, p);
        } else {
          invariant(f.active === null, "snapshot: two undecided chain messages of one client");
          f.active = p;
        }
        this.undecided.push(p);
      }
    }
    this.pending = snap.pending.length;
    this.early.restore(snap.early);
    this.channels.restore(snap.received, snap.outboxes);
  }

  private start(msg: McastMessage<P>): ApplyOutcome {
    if (validateMessage(msg) !== null) return "ignored";
    const pos = destIndex(msg.dests, this.self);
    if (pos < 0) return "ignored"; // not addressed to this group
    const prev = msg.prev[pos]!;
    const known = this.fifo(msg.client);
    if (known?.holes.delete(msg.seq) === true) {
      // A seq abandoned here arrives late: admit it whatever the bounds (it may be activated
      // elsewhere, waiting on our proposal) and activate it now, out of chain order.
      this.activateOne(msg, known, true);
      return "applied";
    }
    if (known !== undefined) {
      if (known.knows(msg.seq)) return "duplicate";
      // Its predecessor here is older than a message already activated, or another message
      // already claims it: only a client that lies about `prev` sends this (see `inconsistent`).
      if (prev < known.activated || known.waiting.has(prev)) return this.inconsistent(msg, known);
    }
    const activated = known?.activated ?? 0;
    const ready = prev === activated && (known?.active ?? null) === null;
    if (!this.early.has(msg.client, msg.seq)) {
      if (this.pending + this.waiting >= this.maxPending) return "refused";
      if (!ready && (known?.waiting.size ?? 0) >= this.maxWaitingPerClient) return "refused";
    }
    let fifo = known;
    if (fifo === undefined) {
      fifo = new ClientFifo<P>(this.maxWaitingPerClient);
      this.clients.set(msg.client, fifo);
      this.touched.add(msg.client);
    }
    if (ready) {
      this.activateOne(msg, fifo);
      this.activateNext(fifo);
    } else {
      fifo.waiting.set(prev, msg);
      this.waiting++;
    }
    return "applied";
  }

  private channel(from: GroupId, seq: number, body: ChannelBody<P, R>): ApplyOutcome {
    if (from === this.self) return "ignored";
    const last = this.channels.received(from);
    if (seq <= last) return "duplicate";
    if (seq !== last + 1) return "ignored"; // a gap: the sender re-sends from its first unacked
    if (body.type === "app") {
      this.channels.accept(from, seq);
      this.deliveries.push({ kind: "channel", from, payload: body.payload });
      return "applied";
    }
    const { client, seq: mseq, ts, msg } = body;
    if (!this.proposalWellFormed(from, body)) {
      this.channels.accept(from, seq); // no honest group sends it; nothing can wait on it
      return "applied";
    }
    if (!this.isKnown(client, mseq)) {
      // The proposal carries the message: if its client never got it to us (it may have crashed
      // half-way), start it from here, so that a message that reached one destination reaches
      // them all. The proposal is held first, which admits the start over the bounds (see
      // `start`). A decline cannot concern a message unknown here (we proposed it), so it is
      // only consumed.
      if (ts !== DECLINE) {
        if (!this.early.add(msg, from, ts, body.broken === true)) return "refused";
        this.start(msg);
      }
      this.channels.accept(from, seq);
      return "applied";
    }
    const fifo = this.fifo(client)!;
    const p = fifo.undecided(mseq);
    if (p !== undefined) {
      // Another version of the id is activated here: this one never will be. Tell `from`.
      if (sameMessage(p.msg, msg)) this.propose(p, fifo, from, ts);
      else if (ts !== DECLINE) this.decline(from, msg);
    } else if (
      mseq <= fifo.activated &&
      fifo.waitingWith(mseq) === undefined &&
      !fifo.isTaken(mseq)
    ) {
      // At or below the watermark, not undecided, waiting or taken: some version of the id is
      // final or delivered here, or the client's chain skipped it (its `prev` lied). The record is
      // one watermark, so the two cannot be told apart, and activating it could deliver the id
      // twice: decline it, so that `from` is not left waiting and delivers it nowhere. (This
      // version itself cannot be final here: it would hold `from`'s one proposal already.) With
      // the early-delivery bug messages are final without proposals: ignore, as the bug did.
      if (ts !== DECLINE && this.bugs.earlyDelivery !== true) this.decline(from, msg);
    } else if (!this.early.add(msg, from, ts, body.broken === true)) {
      // Waiting or taken here: whichever version gets activated decides (see `activateOne`).
      return "refused"; // not consumed: the sender re-sends it once starts have drained the store
    }
    this.channels.accept(from, seq);
    return "applied";
  }

  /**
   * True when a proposal's message matches its header, is well formed, and is addressed to both
   * this group and the proposer: every honest group's proposal is.
   */
  private proposalWellFormed(
    from: GroupId,
    body: { readonly client: ClientId; readonly seq: number; readonly msg: McastMessage<P> },
  ): boolean {
    const m = body.msg;
    return (
      m.client === body.client &&
      m.seq === body.seq &&
      validateMessage(m) === null &&
      destIndex(m.dests, from) >= 0 &&
      destIndex(m.dests, this.self) >= 0
    );
  }

  /**
   * Answers group `to`'s proposal for a version of an id that this group will never activate
   * (it holds another version, or the id is below its watermark): a proposal with timestamp
   * {@link DECLINE}. Every destination then cancels that version: delivered nowhere.
   */
  private decline(to: GroupId, msg: McastMessage<P>): void {
    this.channels.push(to, {
      type: "proposal",
      client: msg.client,
      seq: msg.seq,
      ts: DECLINE,
      msg,
    });
  }

  /** Records group `from`'s proposal for the active message `p`; finalises it when complete. */
  private propose(p: Pending<P>, fifo: ClientFifo<P>, from: GroupId, t: number): void {
    if (destIndex(p.msg.dests, from) < 0 || p.proposals.has(from)) return;
    p.proposals.set(from, t);
    if (p.proposals.size === p.msg.dests.length) {
      this.finalize(p, fifo, this.maxProposal(p));
      this.activateNext(fifo);
    }
  }

  /**
   * While the client has no undecided chain message here, activates its next one: the first
   * taken message if any, else the waiting successor of its highest activated message.
   */
  private activateNext(fifo: ClientFifo<P>): void {
    while (fifo.active === null) {
      const taken = fifo.taken.shift();
      const next = taken ?? fifo.takeSuccessor(fifo.activated);
      if (next === undefined) return;
      this.waiting--;
      this.activateOne(next, fifo, false, taken !== undefined);
    }
  }

  /**
   * The leader gave up on the FIFO predecessor of the client's waiting message `seq`: activate
   * it now, after the client's waiting messages below it (in seq order, one at a time), and
   * make a hole of every seq the chain skipped on the way: from the watermark (or the previous
   * taken message) up to each taken message's predecessor. Any of those may be a message to us
   * that arrives later, possibly already activated elsewhere; only the direct predecessors are
   * certain to exist. Refused while the client has an undecided chain message here (its
   * successor may be the one awaited; the leader retries later).
   */
  private abandon(client: ClientId, seq: number): ApplyOutcome {
    const fifo = this.fifo(client);
    if (fifo === undefined || fifo.waitingWith(seq) === undefined) return "ignored";
    if (fifo.active !== null) return "refused";
    const taken: McastMessage<P>[] = [];
    for (const [prev, m] of fifo.waiting) {
      if (m.seq <= seq) {
        fifo.waiting.delete(prev);
        taken.push(m);
      }
    }
    taken.sort((a, b) => a.seq - b.seq);
    // With `active` null the previous abandon's taken messages are all activated, so these holes
    // lie above every seq activated here: none of them can admit a message a second time.
    let before = fifo.activated;
    for (const m of taken) {
      const prev = m.prev[destIndex(m.dests, this.self)]!;
      fifo.holes.add(before + 1, prev);
      before = Math.max(before, m.seq);
      fifo.taken.push(m);
    }
    this.activateNext(fifo);
    return "applied";
  }

  /**
   * A start that the client's chain here can never admit in order: its `prev` is below the
   * watermark, or another waiting message already names the same predecessor. Only a faulty
   * client sends one. If another group has activated it (its proposal is held), that group waits
   * for ours: activate it at once, late, whatever the bounds (as for a hole). Otherwise ignore
   * it: no dest has activated it, and if one does later, its proposal brings it back here.
   */
  private inconsistent(msg: McastMessage<P>, fifo: ClientFifo<P>): ApplyOutcome {
    if (!this.early.has(msg.client, msg.seq)) return "ignored";
    this.activateOne(msg, fifo, true);
    return "applied";
  }

  /**
   * After the watermark rose past some waiting messages' predecessors (a late activation above
   * it, only for a faulty client), those can never be activated in chain order: they leave
   * `waiting` and are handled as inconsistent starts, so that a message another group waits on
   * is activated at once rather than left waiting behind `active` for an abandon that would be
   * refused (the two groups could wait on each other).
   */
  private dropPassed(fifo: ClientFifo<P>): void {
    const passed: McastMessage<P>[] = [];
    for (const [prev, m] of fifo.waiting) {
      if (prev < fifo.activated) passed.push(m);
    }
    if (passed.length === 0) return;
    passed.sort((a, b) => a.seq - b.seq);
    for (const m of passed) {
      fifo.waiting.delete(m.prev[destIndex(m.dests, this.self)]!);
      this.waiting--;
    }
    for (const m of passed) this.inconsistent(m, fifo);
  }

  /**
   * Activates `msg`: in chain order (it becomes the client's `active` message), or `late`, out
   * of chain order, beside whatever the client has undecided here. A late or `taken` message
   * (one an abandon took) tells the other dests that its client's chain is broken here.
   */
  private activateOne(
    msg: McastMessage<P>,
    fifo: ClientFifo<P>,
    late = false,
    taken = false,
  ): Pending<P> {
    if (!late && fifo.active !== null) {
      invariant(false, `client ${msg.client}: two undecided chain messages`);
    }
    this.clockValue += 1;
    const local = this.clockValue;
    const p: Pending<P> = { msg, local, proposals: new Map([[this.self, local]]), final: null };
    const raised = msg.seq > fifo.activated;
    if (raised) fifo.activated = msg.seq;
    if (late) fifo.late.set(msg.seq, p);
    else fifo.active = p;
    this.pending++;
    const early = this.early.take(msg.client, msg.seq);
    if (early !== undefined) {
      // Proposals for this very version count; those for another version of the id are
      // declined, since this group has now chosen its version for good.
      for (const [g, e] of early) {
        if (g === this.self) continue;
        if (sameMessage(e.msg, msg)) p.proposals.set(g, e.t);
        else if (e.t !== DECLINE) this.decline(g, e.msg);
      }
    }
    if (msg.dests.length === 1 || this.bugs.earlyDelivery === true) {
      // BUG on purpose when earlyDelivery: a multi-group message treats its local ts as final.
      this.finalize(p, fifo, { t: local, g: this.self });
    }
    for (const d of msg.dests) {
      if (d !== this.self) {
        this.channels.push(d, {
          type: "proposal",
          client: msg.client,
          seq: msg.seq,
          ts: local,
          msg,
          ...(late || taken ? { broken: true as const } : {}),
        });
      }
    }
    if (p.final === null) {
      if (p.proposals.size === msg.dests.length) this.finalize(p, fifo, this.maxProposal(p));
      else this.undecided.push(p);
    }
    if (raised) this.dropPassed(fifo);
    return p;
  }

  private maxProposal(p: Pending<P>): Timestamp {
    let best: Timestamp | null = null;
    for (const [g, t] of p.proposals) {
      const ts = { t, g };
      best = best === null ? ts : maxTs(best, ts);
    }
    invariant(best !== null, "a message without proposals");
    return best;
  }

  private finalize(p: Pending<P>, fifo: ClientFifo<P>, ts: Timestamp): void {
    invariant(p.final === null, "final timestamp set twice");
    p.final = ts;
    if (ts.t > this.clockValue) this.clockValue = ts.t;
    if (fifo.active === p) fifo.active = null;
    else fifo.late.delete(p.msg.seq);
    this.finals.push(p);
  }

  /** The delivery rule (see the class comment), until it stops. */
  private deliverReady(): void {
    for (;;) {
      const f = this.finals.peek();
      if (f === undefined) return;
      const u = this.undecided.first();
      if (u !== undefined && mayPrecede(u, this.self, f)) return;
      this.finals.pop();
      this.pending--;
      const fifo = this.fifo(f.msg.client);
      invariant(fifo !== undefined, "delivering a message of an unknown client");
      const ts = f.final;
      invariant(ts !== null, "a message in the final heap without a final timestamp");
      if (declined(f)) continue; // a version some destination declined: delivered nowhere
      // In chain order unless a predecessor arrived after an abandon (see the class comment).
      if (f.msg.seq > fifo.delivered) fifo.delivered = f.msg.seq;
      this.deliveries.push({ kind: "deliver", msg: f.msg, ts });
    }
  }
}

/** True when a destination declined this version (see `decline`): it is delivered nowhere. */
function declined<P>(p: Pending<P>): boolean {
  for (const t of p.proposals.values()) if (t === DECLINE) return true;
  return false;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) {
    throw new ConfigError(`multicast ${name} must be a positive integer, got ${v}`);
  }
  return v;
}

// A multicast client over TCP: sends to each destination's leader, follows redirects, retries.
import { ConfigError } from "../core/errors.ts";
import type { McastResponse } from "../core/group/wire.ts";
import type { ClientId, GroupId, ReplicaId } from "../core/ids.ts";
import type { McastMessage } from "../core/multicast/types.ts";
import type { PeerAddress, TransportOptions } from "../net/transport.ts";
import { Transport } from "../net/transport.ts";
import type { StatusReply } from "./status.ts";

/** Who the client is and where the groups are. */
export interface McastClientConfig {
  readonly id: ClientId;
  readonly groups: ReadonlyMap<GroupId, readonly ReplicaId[]>;
  readonly addresses: ReadonlyMap<ReplicaId, PeerAddress>;
}

/** Tunables; every field has a default. */
export interface McastClientOptions {
  /** Without an answer from a group for this long, try its next replica. Default 300 ms. */
  readonly timeoutMs?: number;
  /** Wait before retrying when a group has no known leader. Default 20 ms. */
  readonly redirectDelayMs?: number;
  /**
   * A message is sent only while its seq is less than this past the oldest unanswered one;
   * later ones wait here. The groups must remember at least this many answers per client
   * (`repliesPerClient`, 16), or a retransmission of the oldest may find its answer forgotten.
   * Default 16.
   */
  readonly maxInFlight?: number;
  readonly transport?: TransportOptions;
}

interface InFlight<P, Res> {
  readonly msg: McastMessage<P>;
  readonly answers: Map<GroupId, Res>;
  /** The replica each destination was last asked. */
  readonly sentTo: Map<GroupId, ReplicaId>;
  readonly resolve: (answers: Map<GroupId, Res>) => void;
  timer: NodeJS.Timeout | null;
}

/** Counters of a client. */
export interface McastClientStats {
  sent: number;
  redirects: number;
  timeouts: number;
}

/**
 * Multicasts messages and collects one answer from every destination group. Messages carry
 * (client id, seq) and, per destination, the seq of this client's previous message to that
 * group, so groups deliver a client's messages in the order it sent them. Any replica may be
 * asked: a follower answers with a redirect naming the leader; silence past the timeout moves on
 * to the next replica. Retransmissions reuse the same (client, seq): groups answer duplicates
 * from their session table instead of ordering them twice.
 */
export class McastClient<P, Res> {
  readonly stats: McastClientStats = { sent: 0, redirects: 0, timeouts: 0 };
  private readonly config: McastClientConfig;
  private readonly timeoutMs: number;
  private readonly redirectDelayMs: number;
  private readonly transport: Transport;
  private readonly guess = new Map<GroupId, ReplicaId>();
  private readonly lastSeqTo = new Map<GroupId, number>();
  /** Sent and unanswered, by seq; Map order is seq order, so the first is the oldest. */
  private readonly inflight = new Map<number, InFlight<P, Res>>();
  /** Made (seq and prev fixed) but not yet sent: the window was full. */
  private readonly backlog: InFlight<P, Res>[] = [];
  private readonly maxInFlight: number;
  private readonly statusWaiters = new Map<number, (r: StatusReply) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;
  private statusSeq = 0;

  constructor(config: McastClientConfig, options: McastClientOptions = {}) {
    this.config = config;
    this.timeoutMs = options.timeoutMs ?? 300;
    this.redirectDelayMs = options.redirectDelayMs ?? 20;
    this.maxInFlight = options.maxInFlight ?? 16;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) {
      throw new ConfigError(`maxInFlight must be a positive integer, got ${this.maxInFlight}`);
    }
    for (const [g, ids] of config.groups) if (ids[0] !== undefined) this.guess.set(g, ids[0]);
    this.transport = new Transport(
      { id: config.id, peers: config.addresses },
      (from, msg) => this.onMessage(from, msg),
      options.transport,
    );
  }

  /** Multicasts `payload` to `dests`; resolves with every destination's answer. */
  multicast(dests: readonly GroupId[], payload: P): Promise<Map<GroupId, Res>> {
    const sorted = [...new Set(dests)].sort((a, b) => a - b);
    const seq = ++this.seq;
    const prev = sorted.map((g) => this.lastSeqTo.get(g) ?? 0);
    for (const g of sorted) this.lastSeqTo.set(g, seq);
    const msg: McastMessage<P> = { client: this.config.id, seq, dests: sorted, prev, payload };
    return new Promise((resolve) => {
      const f: InFlight<P, Res> = {
        msg,
        answers: new Map(),
        sentTo: new Map(),
        resolve,
        timer: null,
      };
      this.backlog.push(f);
      this.flushBacklog();
    });
  }

  /** Sends waiting messages, oldest first, while they fit the window. */
  private flushBacklog(): void {
    while (this.backlog.length > 0) {
      const oldest = this.inflight.keys().next();
      const f = this.backlog[0]!;
      if (!oldest.done && f.msg.seq - oldest.value >= this.maxInFlight) return;
      this.backlog.shift();
      this.inflight.set(f.msg.seq, f);
      for (const g of f.msg.dests) this.sendTo(g, f);
      this.arm(f);
    }
  }

  /** Asks one replica for its status; null if it does not answer within `timeoutMs`. */
  status(replica: ReplicaId, timeoutMs = 500): Promise<StatusReply | null> {
    const id = ++this.statusSeq;
    return new Promise((resolve) => {
      const timer = this.later(timeoutMs, () => {
        this.statusWaiters.delete(id);
        resolve(null);
      });
      this.statusWaiters.set(id, (r) => {
        clearTimeout(timer);
        this.timers.delete(timer);
        resolve(r);
      });
      this.transport.send(replica, { type: "status", id });
    });
  }

  /** Messages not yet answered by every destination (sent, or waiting for the window). */
  get pending(): number {
    return this.inflight.size + this.backlog.length;
  }

  /** Stops timers and closes connections; unanswered multicasts never resolve. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.transport.close();
  }

  private sendTo(g: GroupId, f: InFlight<P, Res>): void {
    const to = this.guess.get(g);
    if (to === undefined) return;
    this.stats.sent++;
    f.sentTo.set(g, to);
    this.transport.send(to, { type: "mcast", msg: f.msg });
  }

  private arm(f: InFlight<P, Res>): void {
    if (f.timer !== null) {
      clearTimeout(f.timer);
      this.timers.delete(f.timer);
    }
    f.timer = this.later(this.timeoutMs, () => {
      f.timer = null;
      if (!this.inflight.has(f.msg.seq)) return;
      this.stats.timeouts++;
      for (const g of f.msg.dests) {
        if (f.answers.has(g)) continue;
        // Move on only from the replica this message was sent to: a message may be silent
        // because it waits for an earlier one (FIFO), not because the guess is wrong, and many
        // such timeouts at once must not rotate away from a leader learned meanwhile.
        if (this.guess.get(g) === f.sentTo.get(g)) this.rotate(g);
        this.sendTo(g, f);
      }
      this.arm(f);
    });
  }

  private rotate(g: GroupId): void {
    const ids = this.config.groups.get(g) ?? [];
    const cur = this.guess.get(g);
    const next = ids[(cur === undefined ? 0 : ids.indexOf(cur) + 1) % Math.max(1, ids.length)];
    if (next !== undefined) this.guess.set(g, next);
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private onMessage(from: number, raw: unknown): void {
    if (typeof raw !== "object" || raw === null) return;
    const type = (raw as { type?: unknown }).type;
    if (type === "status-reply") {
      const r = raw as StatusReply;
      this.statusWaiters.get(r.id)?.(r);
      this.statusWaiters.delete(r.id);
      return;
    }
    if (type !== "mcast-reply" && type !== "mcast-redirect") return;
    const res = raw as McastResponse<Res>;
    const f = this.inflight.get(res.seq);
    if (f === undefined || f.answers.has(res.group) || !f.msg.dests.includes(res.group)) return;
    if (res.type === "mcast-redirect") {
      this.stats.redirects++;
      if (res.leader !== null && res.leader !== from) {
        this.guess.set(res.group, res.leader);
        this.sendTo(res.group, f);
      } else {
        // No leader known yet (an election): try another replica shortly.
        if (this.guess.get(res.group) === from) this.rotate(res.group);
        this.later(this.redirectDelayMs, () => {
          if (this.inflight.has(f.msg.seq) && !f.answers.has(res.group)) this.sendTo(res.group, f);
        });
      }
      return;
    }
    this.guess.set(res.group, from as ReplicaId);
    f.answers.set(res.group, res.result);
    if (f.answers.size < f.msg.dests.length) return;
    this.inflight.delete(res.seq);
    if (f.timer !== null) {
      clearTimeout(f.timer);
      this.timers.delete(f.timer);
    }
    f.resolve(f.answers);
    this.flushBacklog();
  }
}

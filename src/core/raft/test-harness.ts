// In-memory cluster for Raft tests: synchronous delivery, drop/partition filters, storage, apply checks.
import { invariant } from "../errors.ts";
import { type ReplicaId, replicaId } from "../ids.ts";
import { Raft } from "./raft.ts";
import {
  defaultRaftOptions,
  type Entry,
  type HardState,
  type RaftMessage,
  type RaftOptions,
  type RaftStorageState,
  type Ready,
  type Snapshot,
} from "./types.ts";

/** Commands are plain numbers; the state machine's state is the list of applied commands. */
export type Cmd = number;
/** Snapshot data: every command applied so far, in order. */
export type State = readonly Cmd[];
/** A message of the test cluster. */
export type Msg = RaftMessage<Cmd, State>;

/** A small deterministic PRNG (mulberry32) returning numbers in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Durable storage of one replica, following the persistence steps of the Ready contract. */
export class MemStorage {
  hardState: HardState = { term: 0, vote: null };
  snapshot: Snapshot<State> | null = null;
  /** Entries after the snapshot, contiguous. */
  entries: Entry<Cmd>[] = [];
  /** Number of save calls that wrote something (a stand-in for fsyncs). */
  saves = 0;

  get snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  /** Step 1 of the Ready contract. */
  save(rd: Ready<Cmd, State>): void {
    if (rd.hardState !== null || rd.snapshot !== null || rd.entries.length > 0) this.saves++;
    if (rd.hardState !== null) this.hardState = rd.hardState;
    if (rd.snapshot !== null) {
      const { index, term } = rd.snapshot.meta;
      invariant(index >= this.snapshotIndex, "storage: older snapshot");
      const at = this.entries[index - this.snapshotIndex - 1];
      const holdsIt = index === this.snapshotIndex || (at !== undefined && at.term === term);
      this.entries = rd.restore || !holdsIt ? [] : this.entries.slice(index - this.snapshotIndex);
      this.snapshot = rd.snapshot;
    }
    const first = rd.entries[0];
    if (first !== undefined) {
      invariant(first.index > this.snapshotIndex, "storage: entries inside the snapshot");
      invariant(first.index <= this.lastIndex + 1, "storage: gap before new entries");
      this.entries.length = first.index - this.snapshotIndex - 1;
      for (const e of rd.entries) this.entries.push(e);
    }
  }

  /** What a restarting replica finds. */
  load(): RaftStorageState<Cmd, State> {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: this.entries.slice() };
  }
}

/** One replica of the test cluster, with its storage and state machine. */
export interface Node {
  readonly id: ReplicaId;
  raft: Raft<Cmd, State>;
  storage: MemStorage;
  alive: boolean;
  /** Applied commands, in order (the state machine). */
  applied: Cmd[];
  /** Index of the last applied entry (or restored snapshot). */
  appliedIndex: number;
  /** When set, the random source returns this value (to choose who times out first). */
  fixedRandom: number | null;
  /** When true, the cluster does not drive this replica's Ready loop: the test does. */
  manual: boolean;
  /** When true, messages to this replica stay in the network until it is cleared. */
  hold: boolean;
}

/** How the network treats messages that pass the filter. */
export interface Chaos {
  /** Probability a message is lost. */
  readonly drop: number;
  /** Probability a message is delivered twice. */
  readonly duplicate: number;
  /** When true, the next message delivered is picked at random from those in flight. */
  readonly reorder: boolean;
}

/**
 * N replicas connected by an in-memory network. By default messages are delivered in FIFO order,
 * synchronously, by `settle()`; `filter` returning false drops a message (partitions). Every
 * applied entry is checked against every other replica's entry at the same index.
 */
export class Cluster {
  readonly nodes = new Map<ReplicaId, Node>();
  readonly ids: readonly ReplicaId[];
  readonly options: RaftOptions;
  /** Messages in flight, in send order. */
  queue: Msg[] = [];
  /** Return false to drop a message (checked when it would be delivered). */
  filter: (m: Msg) => boolean = () => true;
  chaos: Chaos | null = null;
  /** Every message sent, when recording (for assertions on traffic). */
  sent: Msg[] = [];
  record = false;
  /** Largest number of unacknowledged appends with entries seen from a leader to a follower. */
  maxInflight = 0;
  private readonly outstanding = new Map<string, number[]>();
  /** Term of the entry applied at each index by anyone: all replicas must agree. */
  readonly appliedTerms = new Map<number, number>();
  /** For each applied index, a term at or after the one in which it was committed. */
  private readonly commitTermBound = new Map<number, number>();
  private readonly rand: () => number;

  constructor(n: number, options: Partial<RaftOptions> = {}, seed = 1) {
    this.options = { ...defaultRaftOptions, ...options };
    this.ids = Array.from({ length: n }, (_, i) => replicaId(i + 1));
    this.rand = rng(seed);
    for (const id of this.ids) {
      const storage = new MemStorage();
      const node: Node = {
        id,
        raft: undefined as unknown as Raft<Cmd, State>,
        storage,
        alive: true,
        applied: [],
        appliedIndex: 0,
        fixedRandom: null,
        manual: false,
        hold: false,
      };
      this.nodes.set(id, node);
      node.raft = this.makeRaft(node);
    }
  }

  private makeRaft(node: Node): Raft<Cmd, State> {
    const random = (): number => node.fixedRandom ?? this.rand();
    return new Raft<Cmd, State>(
      { id: node.id, members: this.ids, random },
      this.options,
      node.storage.load(),
    );
  }

  /** The replica with this (1-based) id. */
  node(id: number): Node {
    const n = this.nodes.get(replicaId(id));
    invariant(n !== undefined, `no node ${id}`);
    return n;
  }

  /** The raft of replica `id`. */
  raft(id: number): Raft<Cmd, State> {
    return this.node(id).raft;
  }

  /** Live leaders (normally zero or one per term). */
  leaders(): Node[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.raft.role === "leader");
  }

  /** The live leader with the highest term, if any. */
  leader(): Node | undefined {
    let best: Node | undefined;
    for (const n of this.leaders())
      if (best === undefined || n.raft.term > best.raft.term) best = n;
    return best;
  }

  /** Drives one replica's Ready loop until it has nothing more to say. */
  process(node: Node): void {
    if (!node.alive || node.manual) return;
    for (let rounds = 0; node.raft.hasReady(); rounds++) {
      invariant(rounds < 10_000, `node ${node.id}: the Ready loop never ends`);
      const rd = node.raft.ready();
      this.persistAndSend(node, rd);
      this.applyAndAdvance(node, rd);
    }
  }

  /** Steps 1-3 of a Ready: persist, restore, send. */
  persistAndSend(node: Node, rd: Ready<Cmd, State>): void {
    node.storage.save(rd);
    if (rd.restore) {
      invariant(rd.snapshot !== null, "restore without a snapshot");
      node.applied = rd.snapshot.data.slice();
      node.appliedIndex = rd.snapshot.meta.index;
    }
    for (const m of rd.eager) this.enqueue(m);
    for (const m of rd.messages) this.enqueue(m);
  }

  /** Steps 4-5 of a Ready: apply committed entries (checking agreement), then advance. */
  applyAndAdvance(node: Node, rd: Ready<Cmd, State>): void {
    for (const e of rd.committed) {
      invariant(
        e.index === node.appliedIndex + 1,
        `node ${node.id}: applied ${e.index} out of order`,
      );
      const seen = this.appliedTerms.get(e.index);
      invariant(seen === undefined || seen === e.term, `safety: two entries applied at ${e.index}`);
      this.appliedTerms.set(e.index, e.term);
      // It was committed in a term no later than the applier's current one.
      const bound = this.commitTermBound.get(e.index);
      if (bound === undefined || node.raft.term < bound) {
        this.commitTermBound.set(e.index, node.raft.term);
      }
      for (const c of e.cmds) node.applied.push(c);
      node.appliedIndex = e.index;
    }
    node.raft.advance();
  }

  private enqueue(m: Msg): void {
    if (this.record) this.sent.push(m);
    if (m.type === "append" && m.entries.length > 0) {
      const key = `${m.term}:${m.from}:${m.to}`;
      let list = this.outstanding.get(key);
      if (list === undefined) {
        list = [];
        this.outstanding.set(key, list);
      }
      list.push(m.prevIndex + m.entries.length);
      if (list.length > this.maxInflight) this.maxInflight = list.length;
    }
    this.queue.push(m);
  }

  private acknowledge(m: Msg): void {
    if (m.type !== "append-reply") return;
    const key = `${m.term}:${m.to}:${m.from}`;
    const list = this.outstanding.get(key);
    if (list === undefined) return;
    if (!m.success) list.length = 0;
    else
      this.outstanding.set(
        key,
        list.filter((i) => i > m.index),
      );
  }

  /** Delivers one message (if any); returns false when nothing is in flight. */
  deliverOne(): boolean {
    const chaos = this.chaos;
    let m: Msg;
    if (chaos?.reorder) {
      if (this.queue.length === 0) return false;
      const i = Math.floor(this.rand() * this.queue.length);
      m = this.queue[i] as Msg;
      this.queue[i] = this.queue[this.queue.length - 1] as Msg;
      this.queue.pop();
    } else {
      const i = this.queue.findIndex((q) => this.nodes.get(q.to)?.hold !== true);
      if (i < 0) return false;
      m = this.queue[i] as Msg;
      this.queue.splice(i, 1);
    }
    if (chaos !== null && this.rand() < chaos.drop) return true;
    if (chaos !== null && this.rand() < chaos.duplicate) this.queue.push(m);
    this.deliver(m);
    return true;
  }

  /** Hands `m` to its destination now, if alive and allowed by the filter. */
  deliver(m: Msg): void {
    const to = this.nodes.get(m.to);
    if (to === undefined || !to.alive || !this.filter(m)) return;
    const from = this.nodes.get(m.from);
    if (from === undefined || !from.alive) return; // a crashed sender's messages vanish too
    this.acknowledge(m);
    to.raft.step(m);
    this.process(to);
  }

  /** Processes every replica and delivers messages until the network is quiet. */
  settle(maxMessages = 1_000_000): void {
    for (const n of this.nodes.values()) this.process(n);
    let budget = maxMessages;
    while (this.deliverOne()) {
      invariant(--budget > 0, "settle: the network never went quiet");
    }
  }

  /** `n` rounds of: every live replica ticks, then the network settles. */
  tick(n = 1, only?: readonly number[]): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) {
        if (!node.alive || node.manual) continue;
        if (only !== undefined && !only.includes(node.id)) continue;
        node.raft.tick();
        this.process(node);
      }
      this.settle();
    }
  }

  /** Ticks until some replica leads (at most `limit` rounds); returns it. */
  elect(limit = 200): Node {
    for (let i = 0; i < limit; i++) {
      const l = this.leader();
      if (l !== undefined && this.quiet()) return l;
      this.tick();
    }
    throw new Error("no leader elected");
  }

  /**
   * Ticks until replica `id` leads: its timeouts are the shortest, and (pre)vote requests from
   * anyone else are dropped so that nobody else can win meanwhile.
   */
  electNode(id: number, limit = 200): Node {
    const base = this.filter;
    this.filter = (m) => base(m) && !((m.type === "prevote" || m.type === "vote") && m.from !== id);
    for (const n of this.nodes.values()) n.fixedRandom = n.id === id ? 0 : 0.999;
    try {
      for (let i = 0; i < limit; i++) {
        if (this.raft(id).role === "leader") return this.node(id);
        this.tick();
      }
    } finally {
      this.filter = base;
      for (const n of this.nodes.values()) n.fixedRandom = null;
    }
    throw new Error(`node ${id} was not elected`);
  }

  private quiet(): boolean {
    return this.queue.length === 0;
  }

  /** Proposes at replica `id`. */
  propose(id: number, cmd: Cmd): boolean {
    return this.raft(id).propose(cmd);
  }

  /** Cuts every link to and from the given replicas. */
  isolate(...ids: number[]): void {
    this.filter = (m) => !ids.includes(m.from) && !ids.includes(m.to);
  }

  /** Restores every link. */
  heal(): void {
    this.filter = () => true;
  }

  /** Stops a replica: it loses its volatile state and in-flight messages to it. */
  crash(id: number): void {
    const n = this.node(id);
    n.alive = false;
    this.queue = this.queue.filter((m) => m.to !== n.id && m.from !== n.id);
  }

  /** Restarts a crashed replica from its storage (or from nothing, with `wipe`). */
  restart(id: number, wipe = false): void {
    const n = this.node(id);
    invariant(!n.alive, "restart a live node");
    if (wipe) n.storage = new MemStorage();
    const snap = n.storage.snapshot;
    n.applied = snap === null ? [] : snap.data.slice();
    n.appliedIndex = snap === null ? 0 : snap.meta.index;
    n.raft = this.makeRaft(n);
    n.alive = true;
  }

  /** Takes a state machine snapshot at replica `id`'s applied index. */
  compact(id: number): void {
    const n = this.node(id);
    n.raft.compact(n.raft.appliedIndex, n.applied.slice());
    this.process(n);
  }

  /**
   * Leader completeness, checked from outside: a leader of a term after the one in which an
   * entry was committed holds that entry (above its snapshot), with the same term.
   */
  checkLeaders(): void {
    for (const l of this.leaders()) {
      for (const [index, term] of this.appliedTerms) {
        if (index <= l.raft.snapshotIndex) continue;
        if ((this.commitTermBound.get(index) ?? 0) >= l.raft.term) continue;
        invariant(
          l.raft.termAt(index) === term,
          `safety: leader ${l.id} of term ${l.raft.term} lacks committed entry ${index}`,
        );
      }
    }
  }

  /** Every live replica's applied commands are a prefix of the longest; returns the longest. */
  checkPrefixes(): Cmd[] {
    let longest: Cmd[] = [];
    for (const n of this.nodes.values()) if (n.applied.length > longest.length) longest = n.applied;
    for (const n of this.nodes.values()) {
      for (let i = 0; i < n.applied.length; i++) {
        invariant(n.applied[i] === longest[i], `node ${n.id} diverges at command ${i}`);
      }
    }
    return longest;
  }
}

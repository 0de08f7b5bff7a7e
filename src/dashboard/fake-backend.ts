// A pretend cluster for the dashboard: deterministic counters that advance, kill and restart, an in-memory Chirper.
import { chirper } from "../apps/chirper/chirper.ts";
import type { ChirperCmd, ChirperResult, ChirperUser } from "../apps/chirper/types.ts";
import { runSequential } from "../apps/sequential.ts";
import type { VarId } from "../core/dssmr/types.ts";
import { Rng } from "../sim/rng.ts";
import { chirperInitialVars } from "../workload/chirper-init.ts";
import { generateSocialGraph, type SocialGraph } from "../workload/social-graph.ts";
import {
  type ClusterSnapshot,
  type DashboardBackend,
  DashboardError,
  type DashboardWorkloadName,
  type GroupView,
  type WorkloadRequest,
} from "./backend.ts";

/** Options of {@link FakeBackend}. */
export interface FakeBackendOptions {
  /** Seed of the demo graph, the initial placement and the noise (default 1). */
  seed?: number;
  /** Partition groups (default 3); group 0 is the oracle. */
  partitions?: number;
  /** Replicas per group (default 3). */
  replicas?: number;
  /** Users of the demo graph (default 300). */
  users?: number;
  /** Communities of the demo graph (default: one per partition). */
  communities?: number;
  mode?: "dssmr" | "ssmr";
  /** The clock (default Date.now); counters advance with the time it reports. */
  now?: () => number;
}

interface FakeReplica {
  readonly id: number;
  readonly group: number;
  up: boolean;
  role: "leader" | "follower";
  term: number;
  commitIndex: number;
  delivered: number;
}

interface Counters {
  completed: number;
  moves: number;
  retries: number;
  fallbacks: number;
  cacheHits: number;
  cacheMisses: number;
  multiPartition: number;
  consults: number;
}

const ZERO: Counters = {
  completed: 0,
  moves: 0,
  retries: 0,
  fallbacks: 0,
  cacheHits: 0,
  cacheMisses: 0,
  multiPartition: 0,
  consults: 0,
};

/** Share of commands of each workload that may span partitions (post, follow and unfollow). */
const CROSSING: Record<DashboardWorkloadName, number> = {
  timeline: 0,
  post: 1,
  follow: 1,
  mix: 0.15,
};

/** Simulation step: time advances in steps of at most this many milliseconds. */
const STEP_MS = 100;

/**
 * A deterministic in-memory stand-in for a cluster: given the same options and the same clock
 * readings it reports the same snapshots. A running workload completes commands at a rate that
 * grows with its clients and shrinks with the share of multi-partition commands; in dssmr mode
 * misplaced users move to their community's partition, so the placement matrix turns diagonal
 * and commands become single-partition. A group without a majority of live replicas stops
 * serving; killing a leader elects another replica with a higher term. It also runs Chirper
 * commands on one in-memory copy of the demo graph ({@link FakeBackend.execute}).
 */
export class FakeBackend implements DashboardBackend {
  /** The demo social graph; its users exist in the in-memory Chirper from the start. */
  readonly graph: SocialGraph;
  private readonly now: () => number;
  private readonly rng: Rng;
  private readonly mode: "dssmr" | "ssmr";
  private readonly partitionIds: number[];
  private readonly replicas: FakeReplica[] = [];
  /** Partition index of each graph user. */
  private readonly home: number[];
  private readonly chirperState: Map<VarId, ChirperUser>;
  /** Users added through execute, by partition index. */
  private readonly added: number[];
  private last: number;
  private counters: Counters = { ...ZERO };
  private workload: { name: DashboardWorkloadName; clients: number; endsAt: number } | null = null;
  private lastName: DashboardWorkloadName | null = null;
  private latency: { p50: number; p95: number; p99: number } | null = null;

  constructor(opts: FakeBackendOptions = {}) {
    const seed = opts.seed ?? 1;
    const partitions = opts.partitions ?? 3;
    const perGroup = opts.replicas ?? 3;
    this.now = opts.now ?? Date.now;
    this.mode = opts.mode ?? "dssmr";
    this.rng = new Rng(seed).fork("fake-backend");
    this.graph = generateSocialGraph(new Rng(seed), {
      users: opts.users ?? 300,
      communities: opts.communities ?? partitions,
      avgFollowing: 5,
      maxFollowers: 50,
    });
    this.partitionIds = Array.from({ length: partitions }, (_, i) => i + 1);
    for (let g = 0; g <= partitions; g++) {
      for (let r = 1; r <= perGroup; r++) {
        this.replicas.push({
          id: g * 100 + r,
          group: g,
          up: true,
          role: r === 1 ? "leader" : "follower",
          term: 1,
          commitIndex: 1,
          delivered: 0,
        });
      }
    }
    // Users start at random partitions (the paper's setup), so DS-SMR has something to fix.
    const place = this.rng.fork("placement");
    this.home = this.graph.users.map(() => place.int(partitions));
    this.chirperState = new Map(chirperInitialVars(this.graph));
    this.added = this.partitionIds.map(() => 0);
    this.last = this.now();
  }

  /** Runs a Chirper command on the in-memory copy, as the Chirper HTTP API's executor. */
  async execute(cmd: ChirperCmd): Promise<ChirperResult> {
    this.advance();
    const result = runSequential(chirper, this.chirperState, cmd, this.now());
    if (cmd.type === "adduser" && result.ok) {
      const i = this.chirperState.size % this.partitionIds.length;
      this.added[i] = (this.added[i] ?? 0) + 1;
    }
    return result;
  }

  async snapshot(): Promise<ClusterSnapshot> {
    this.advance();
    const groups: GroupView[] = [];
    const users = this.usersPerPartition();
    for (let g = 0; g <= this.partitionIds.length; g++) {
      groups.push({
        id: g,
        kind: g === 0 ? "oracle" : "partition",
        variables: g === 0 ? null : (users[g - 1] ?? 0) + (this.added[g - 1] ?? 0),
        replicas: this.replicas
          .filter((r) => r.group === g)
          .map((r) => ({
            id: r.id,
            address: `127.0.0.1:${7000 + r.id}`,
            pid: null,
            up: r.up,
            role: r.up ? r.role : null,
            term: r.up ? r.term : null,
            commitIndex: r.up ? r.commitIndex : null,
            delivered: r.up ? r.delivered : null,
          })),
      });
    }
    const c = this.counters;
    return {
      time: this.last,
      mode: this.mode,
      app: "chirper",
      groups,
      workload: {
        running: this.workload !== null,
        name: this.workload?.name ?? this.lastName,
        completed: Math.floor(c.completed),
        moves: Math.floor(c.moves),
        retries: Math.floor(c.retries),
        fallbacks: Math.floor(c.fallbacks),
        cacheHits: Math.floor(c.cacheHits),
        cacheMisses: Math.floor(c.cacheMisses),
        multiPartition: Math.floor(c.multiPartition),
        consults: Math.floor(c.consults),
        latencyMs: this.workload === null ? null : this.latency,
      },
      placement: {
        communities: this.graph.communities,
        partitions: [...this.partitionIds],
        matrix: this.matrix(),
      },
    };
  }

  async startWorkload(opts: WorkloadRequest): Promise<void> {
    this.advance();
    if (this.workload !== null) throw new DashboardError(409, "a workload is already running");
    this.counters = { ...ZERO };
    this.latency = null;
    this.workload = {
      name: opts.workload,
      clients: opts.clients,
      endsAt: this.last + opts.durationMs,
    };
    this.lastName = opts.workload;
  }

  async stopWorkload(): Promise<void> {
    this.advance();
    this.workload = null;
  }

  async kill(replica: number): Promise<void> {
    this.advance();
    this.replica(replica).up = false;
  }

  async restart(replica: number): Promise<void> {
    this.advance();
    const r = this.replica(replica);
    if (r.up) return;
    r.up = true;
    r.role = "follower";
    const leader = this.leaderOf(r.group);
    if (leader !== undefined) {
      r.term = leader.term;
      r.commitIndex = leader.commitIndex;
      r.delivered = leader.delivered;
    }
  }

  private replica(id: number): FakeReplica {
    const r = this.replicas.find((x) => x.id === id);
    if (r === undefined) throw new DashboardError(404, `no replica ${id}`);
    return r;
  }

  private leaderOf(group: number): FakeReplica | undefined {
    return this.replicas.find((r) => r.group === group && r.up && r.role === "leader");
  }

  /** Whether a group has a majority of live replicas (and elects a leader if it lacks one). */
  private serving(group: number): boolean {
    const members = this.replicas.filter((r) => r.group === group);
    const live = members.filter((r) => r.up);
    if (live.length * 2 <= members.length) return false;
    if (this.leaderOf(group) === undefined) {
      const term = Math.max(...members.map((r) => r.term)) + 1;
      for (const r of live) {
        r.term = term;
        r.role = "follower";
      }
      live[0]!.role = "leader";
    }
    return true;
  }

  private usersPerPartition(): number[] {
    const counts = this.partitionIds.map(() => 0);
    for (const p of this.home) counts[p] = (counts[p] ?? 0) + 1;
    return counts;
  }

  private matrix(): number[][] {
    const m = Array.from({ length: this.graph.communities }, () => this.partitionIds.map(() => 0));
    for (const [u, p] of this.home.entries()) {
      const row = m[this.graph.community[u]!]!;
      row[p] = (row[p] ?? 0) + 1;
    }
    return m;
  }

  /** Share of users outside their community's partition. */
  private misplaced(): number {
    let n = 0;
    const parts = this.partitionIds.length;
    for (const [u, p] of this.home.entries()) if (this.graph.community[u]! % parts !== p) n++;
    return n / this.home.length;
  }

  /** Advances the pretend cluster to the clock's present, in steps of STEP_MS. */
  private advance(): void {
    const now = this.now();
    while (this.last < now) {
      const dt = Math.min(STEP_MS, now - this.last);
      this.last += dt;
      this.step(dt);
    }
  }

  private step(dtMs: number): void {
    const groups = this.partitionIds.length + 1;
    const serving = Array.from({ length: groups }, (_, g) => this.serving(g));
    const w = this.workload;
    if (w === null) return;
    if (this.last >= w.endsAt) {
      this.workload = null;
      return;
    }
    const dt = dtMs / 1000;
    const crossing = CROSSING[w.name] * this.misplaced();
    const live = serving.slice(1).filter(Boolean).length / this.partitionIds.length;
    const oracle = serving[0] ? 1 : 0.2;
    const capacity = 2500 * this.partitionIds.length;
    const offered = w.clients * 450;
    const rate = Math.min(offered, capacity) * live * oracle * (1 - 0.6 * crossing);
    const noise = 0.9 + 0.2 * this.rng.next();
    const n = rate * dt * noise;
    const c = this.counters;
    const multi = n * crossing;
    const misses = n * (0.01 + 0.5 * crossing);
    c.completed += n;
    c.multiPartition += multi;
    c.cacheMisses += misses;
    c.cacheHits += n - misses;
    c.retries += multi * 0.3;
    c.fallbacks += multi * 0.02;
    c.consults += misses + multi * 0.3;
    if (this.mode === "dssmr" && multi > 0) {
      // Each multi-partition command moves a few misplaced users home.
      const moves = Math.min(Math.ceil(multi * 0.02), this.home.length);
      c.moves += this.moveHome(moves) * 1.5;
    }
    const base = 1.5 + w.clients * 0.04 + 8 * crossing;
    const jitter = 0.9 + 0.2 * this.rng.next();
    this.latency = { p50: base * jitter, p95: base * 2.2 * jitter, p99: base * 3.6 * jitter };
    for (let g = 0; g < groups; g++) {
      if (!serving[g]) continue;
      const share =
        g === 0 ? (misses + multi * 0.3) / Math.max(n, 1) : 1 / this.partitionIds.length;
      const delivered = Math.round(n * share);
      for (const r of this.replicas) {
        if (r.group !== g || !r.up) continue;
        r.delivered += delivered;
        r.commitIndex += Math.ceil(delivered / 16);
      }
    }
  }

  /** Moves up to `k` misplaced users, drawn at random, to their community's partition. */
  private moveHome(k: number): number {
    const parts = this.partitionIds.length;
    let moved = 0;
    for (let tries = 0; moved < k && tries < 4 * k; tries++) {
      const u = this.rng.int(this.home.length);
      const target = this.graph.community[u]! % parts;
      if (this.home[u] !== target) {
        this.home[u] = target;
        moved++;
      }
    }
    return moved;
  }
}

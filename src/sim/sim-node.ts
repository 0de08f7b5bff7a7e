// One simulated server: a replica behind an input queue, with service times from the cost model.
import type { Ready } from "../core/raft/types.ts";
import type { CostModel } from "./cost.ts";
import type { Rng } from "./rng.ts";
import { SimStorage } from "./storage.ts";

/** What the simulator needs from a replica of any kind: inputs in, Ready out, advance. */
export interface DrivenReplica<In, C, S, Rd extends { readonly raft: Ready<C, S> }, Adv> {
  tick(): void;
  input(x: In): void;
  hasReady(): boolean;
  ready(): Rd;
  advance(rd: Rd): Adv;
}

/**
 * A replica as a single server with a queue. `run` takes every queued input, steps the replica,
 * writes the Ready to storage and reports how long that took (CPU + fsync); the simulator calls
 * `finish` once that time has passed, which makes the writes durable and applies; only then are
 * the Ready's messages sent. A crash between `run` and `finish` loses the unsynced writes. A
 * driver may apply committed entries at `run` already (see GroupReplica.applyCommitted); `cpu`
 * says when that work is done, before the fsync.
 */
export class SimNode<
  In,
  C,
  S,
  Rd extends { readonly raft: Ready<C, S> },
  Adv,
  Rep extends DrivenReplica<In, C, S, Rd, Adv>,
> {
  /** The node's network address. */
  readonly id: number;
  readonly storage = new SimStorage<C, S>();
  replica: Rep | null = null;
  /** Bumped on every crash so that events scheduled before it are ignored. */
  epoch = 0;
  busy = false;
  runScheduled = false;
  private inbox: ({ readonly tick: true } | { readonly tick: false; readonly x: In })[] = [];
  private inFlight: Rd | null = null;
  private persisted = false;
  private readonly build: (storage: SimStorage<C, S>) => Rep;
  private readonly rng: Rng;
  private readonly cost: CostModel;

  constructor(id: number, build: (storage: SimStorage<C, S>) => Rep, rng: Rng, cost: CostModel) {
    this.id = id;
    this.build = build;
    this.rng = rng;
    this.cost = cost;
    this.start();
  }

  /** True while the replica runs. */
  get up(): boolean {
    return this.replica !== null;
  }

  /** Inputs waiting to be handled. */
  get queued(): number {
    return this.inbox.length;
  }

  /** Builds the replica from what storage holds (first start and restarts). */
  start(): void {
    this.replica = this.build(this.storage);
    this.reset();
  }

  /** Crash: volatile state is gone, unsynced writes partly lost. */
  crash(): void {
    this.replica = null;
    this.epoch++;
    this.reset();
    this.storage.crash(this.rng);
  }

  /** Queues an input (dropped while down). */
  push(x: In): void {
    if (this.replica !== null) this.inbox.push({ tick: false, x });
  }

  /** Queues a tick (dropped while down). */
  pushTick(): void {
    if (this.replica !== null) this.inbox.push({ tick: true });
  }

  /**
   * Handles every queued input and starts persisting the result. Returns the service time and
   * the Ready (whose `sends`, if any, need no persistence), or null when idle.
   */
  run(): { readonly duration: number; readonly cpu: number; readonly ready: Rd | null } | null {
    const replica = this.replica;
    if (replica === null || this.busy) return null;
    const inputs = this.inbox;
    this.inbox = [];
    for (const i of inputs) {
      if (i.tick) replica.tick();
      else replica.input(i.x);
    }
    let duration = inputs.length * this.cost.cpuPerInput;
    if (!replica.hasReady()) return duration > 0 ? { duration, cpu: duration, ready: null } : null;
    const rd = replica.ready();
    const { hardState, snapshot, entries, committed, messages, eager } = rd.raft;
    this.persisted = hardState !== null || snapshot !== null || entries.length > 0;
    if (this.persisted) {
      this.storage.save(hardState, snapshot, entries);
      duration += this.cost.fsyncLatency;
    }
    let commands = 0;
    for (const e of committed) commands += e.cmds.length;
    duration +=
      commands * this.cost.cpuPerCommand + (messages.length + eager.length) * this.cost.cpuPerSend;
    this.inFlight = rd;
    this.busy = true;
    // The CPU part of the service time; the fsync, if any, overlaps nothing after it.
    const cpu = duration - (this.persisted ? this.cost.fsyncLatency : 0);
    return { duration, cpu, ready: rd };
  }

  /** The service time has passed: writes are durable; apply and advance. */
  finish(): { readonly rd: Rd; readonly adv: Adv } | null {
    const replica = this.replica;
    const rd = this.inFlight;
    this.busy = false;
    this.inFlight = null;
    if (replica === null || rd === null) return null;
    if (this.persisted) this.storage.fsync();
    return { rd, adv: replica.advance(rd) };
  }

  private reset(): void {
    this.inbox = [];
    this.busy = false;
    this.runScheduled = false;
    this.inFlight = null;
  }
}

// One simulated replica: drives a Replica over simulated storage with the cost model's service times.
import type { ReplicaId } from "../core/ids.ts";
import type { ClientRequest, ClientResponse, Command } from "../core/replica/messages.ts";
import {
  type GroupMessage,
  Replica,
  type ReplicaOptions,
  type ReplicaReady,
  type ReplicaSnapshot,
} from "../core/replica/replica.ts";
import type { StateMachine } from "../core/replica/state-machine.ts";
import type { CostModel } from "./cost.ts";
import type { Rng } from "./rng.ts";
import { SimStorage } from "./storage.ts";

/** An input waiting in a replica's queue. */
export type NodeInput<Op, Res, Snap> =
  | { readonly kind: "tick" }
  | { readonly kind: "raft"; readonly msg: GroupMessage<Op, Res, Snap> }
  | { readonly kind: "request"; readonly req: ClientRequest<Op> };

/** What a node hands back to the cluster to send, and when it is free again. */
export interface NodeOutput<Op, Res, Snap> {
  readonly messages: readonly GroupMessage<Op, Res, Snap>[];
  readonly replies: readonly ClientResponse<Res>[];
}

/**
 * A replica as a single server with a queue. `run` takes every queued input, steps the replica,
 * writes the Ready to storage and reports how long that took (CPU + fsync); the cluster calls
 * `finish` when that time has passed, which makes the writes durable, and only then are the
 * Ready's messages sent. A crash between `run` and `finish` loses the unsynced writes.
 */
export class SimReplicaNode<Op, Res, Snap> {
  replica: Replica<Op, Res, Snap> | null = null;
  readonly storage = new SimStorage<Command<Op>, ReplicaSnapshot<Snap, Res>>();
  inbox: NodeInput<Op, Res, Snap>[] = [];
  /** Bumped on every crash so that events scheduled before it are ignored. */
  epoch = 0;
  busy = false;
  runScheduled = false;
  private inFlight: ReplicaReady<Op, Res, Snap> | null = null;
  private persisted = false;
  readonly id: ReplicaId;
  private readonly members: readonly ReplicaId[];
  private readonly options: ReplicaOptions;
  private readonly makeApp: () => StateMachine<Op, Res, Snap>;
  private readonly rng: Rng;
  private readonly cost: CostModel;

  constructor(
    id: ReplicaId,
    members: readonly ReplicaId[],
    options: ReplicaOptions,
    makeApp: () => StateMachine<Op, Res, Snap>,
    rng: Rng,
    cost: CostModel,
  ) {
    this.id = id;
    this.members = members;
    this.options = options;
    this.makeApp = makeApp;
    this.rng = rng;
    this.cost = cost;
    this.start();
  }

  /** True while the replica runs. */
  get up(): boolean {
    return this.replica !== null;
  }

  /** Builds the replica from what storage holds (first start and restarts). */
  start(): void {
    this.replica = new Replica(
      { id: this.id, members: this.members, random: () => this.rng.next() },
      this.options,
      this.makeApp,
      this.storage.load(),
    );
    this.inbox = [];
    this.busy = false;
    this.runScheduled = false;
    this.inFlight = null;
  }

  /** Crash: volatile state is gone, unsynced writes partly lost. */
  crash(): void {
    this.replica = null;
    this.epoch++;
    this.inbox = [];
    this.busy = false;
    this.runScheduled = false;
    this.inFlight = null;
    this.storage.crash(this.rng);
  }

  /**
   * Handles every queued input and starts persisting the result. Returns the service time and
   * the replies that need no persistence, or null when there was nothing to do.
   */
  run(): { readonly duration: number; readonly early: readonly ClientResponse<Res>[] } | null {
    const replica = this.replica;
    if (replica === null || this.busy) return null;
    const inputs = this.inbox;
    this.inbox = [];
    for (const input of inputs) {
      if (input.kind === "tick") replica.tick();
      else if (input.kind === "raft") replica.step(input.msg);
      else replica.request(input.req);
    }
    let duration = inputs.length * this.cost.cpuPerInput;
    if (!replica.hasReady()) return duration > 0 ? { duration, early: [] } : null;
    const rd = replica.ready();
    const { hardState, snapshot, entries, committed, messages } = rd.raft;
    this.persisted = hardState !== null || snapshot !== null || entries.length > 0;
    if (this.persisted) {
      this.storage.save(hardState, snapshot, entries);
      duration += this.cost.fsyncLatency;
    }
    let commands = 0;
    for (const e of committed) commands += e.cmds.length;
    duration += commands * this.cost.cpuPerCommand + messages.length * this.cost.cpuPerSend;
    this.inFlight = rd;
    this.busy = true;
    return { duration, early: rd.replies };
  }

  /** The service time has passed: writes are durable; apply, and return what to send. */
  finish(): {
    readonly out: NodeOutput<Op, Res, Snap>;
    readonly rd: ReplicaReady<Op, Res, Snap>;
    readonly applied: ReturnType<Replica<Op, Res, Snap>["advance"]>;
  } | null {
    const replica = this.replica;
    const rd = this.inFlight;
    this.busy = false;
    if (replica === null || rd === null) return null;
    this.inFlight = null;
    if (this.persisted) this.storage.fsync();
    const applied = replica.advance(rd);
    return { out: { messages: rd.raft.messages, replies: applied.replies }, rd, applied };
  }
}

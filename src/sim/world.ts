// The simulated world: virtual time, one event queue, the network, server nodes and fault injection.
import type { FaultEvent } from "./faults.ts";
import { type NetworkOptions, SimNetwork } from "./network.ts";
import { EventQueue } from "./queue.ts";
import type { Rng } from "./rng.ts";

/** What the world needs from a server node (see SimNode). */
export interface WorldNode {
  readonly id: number;
  readonly up: boolean;
  readonly busy: boolean;
  runScheduled: boolean;
  readonly epoch: number;
  pushTick(): void;
  crash(): void;
  start(): void;
}

/** Events every simulation has, plus the simulation's own (`E`, e.g. client timers). */
export type WorldEvent<W, E> =
  | { readonly kind: "deliver"; readonly from: number; readonly to: number; readonly msg: W }
  | { readonly kind: "tick"; readonly node: number; readonly epoch: number }
  | { readonly kind: "run"; readonly node: number; readonly epoch: number }
  | { readonly kind: "finish"; readonly node: number; readonly epoch: number }
  | { readonly kind: "fault"; readonly fault: FaultEvent }
  | { readonly kind: "own"; readonly event: E };

/** How a simulation reacts to the world's events. */
export interface WorldHandlers<W, E, N extends WorldNode> {
  /** A message arrived at `to` (a server node or not). */
  deliver(to: number, from: number, msg: W): void;
  /** `node` is free and has work: handle its queue (schedule `finish` with `world.finishAt`). */
  run(node: N): void;
  /** `node`'s service time has passed. */
  finish(node: N): void;
  /** A node crashed or restarted. */
  crashed(node: N): void;
  restarted(node: N): void;
  /** One of the simulation's own events. */
  own(event: E): void;
}

/**
 * Owns virtual time. Every source of nondeterminism is a fork of the run's seeded generator, and
 * events at equal times run in the order they were scheduled, so a seed replays exactly.
 */
export class SimWorld<W, E, N extends WorldNode> {
  now = 0;
  events = 0;
  readonly net: SimNetwork;
  readonly nodes = new Map<number, N>();
  private readonly queue = new EventQueue<WorldEvent<W, E>>();
  private readonly rng: Rng;
  private readonly tickMs: number;

  constructor(rng: Rng, network: Partial<NetworkOptions>, tickMs: number) {
    this.rng = rng;
    this.net = new SimNetwork(rng.fork("network"), network);
    this.tickMs = tickMs;
  }

  /** Adds a server node and starts its clock. */
  add(node: N): void {
    this.nodes.set(node.id, node);
    this.startTicks(node);
  }

  /** Sends a message over the simulated network (lost, delayed, duplicated as it decides). */
  send(from: number, to: number, msg: W): void {
    this.sendAt(this.now, from, to, msg);
  }

  /** Sends a message as if it left `delay` from now (work a node does before it sends). */
  sendAfter(delay: number, from: number, to: number, msg: W): void {
    this.sendAt(this.now + delay, from, to, msg);
  }

  private sendAt(at: number, from: number, to: number, msg: W): void {
    const n = this.net.arrivals(from, to, at);
    if (n === 0) return;
    const ev: WorldEvent<W, E> = { kind: "deliver", from, to, msg };
    // A duplicate shares the event: events are never mutated, and each copy is queued apart.
    const times = this.net.arrivalTimes;
    for (let i = 0; i < n; i++) this.queue.push(times[i]!, ev);
  }

  /** Schedules one of the simulation's own events `delay` from now. */
  after(delay: number, event: E): void {
    this.queue.push(this.now + delay, { kind: "own", event });
  }

  /** Schedules the faults of a schedule. */
  inject(schedule: readonly FaultEvent[]): void {
    for (const fault of schedule) this.queue.push(fault.at, { kind: "fault", fault });
  }

  /** Asks for `node` to handle its queue as soon as it is free. */
  wake(node: N): void {
    if (!node.up || node.busy || node.runScheduled) return;
    node.runScheduled = true;
    this.queue.push(this.now, { kind: "run", node: node.id, epoch: node.epoch });
  }

  /** `node` will be done with its current work after `duration`. */
  finishAt(node: N, duration: number): void {
    this.queue.push(this.now + duration, { kind: "finish", node: node.id, epoch: node.epoch });
  }

  /**
   * Runs events until `done()` holds, the queue empties, or time passes `deadline`.
   * Returns true when `done()` held.
   */
  run(handlers: WorldHandlers<W, E, N>, done: () => boolean, deadline: number): boolean {
    while (!done()) {
      const time = this.queue.peekTime();
      if (time === undefined) return false;
      // Taken even when past the deadline (and then lost), as it always was: replays depend on it.
      const item = this.queue.popItem();
      if (time > deadline) return false;
      this.now = time;
      this.events++;
      this.dispatch(item, handlers);
    }
    return true;
  }

  private dispatch(ev: WorldEvent<W, E>, h: WorldHandlers<W, E, N>): void {
    switch (ev.kind) {
      case "deliver":
        h.deliver(ev.to, ev.from, ev.msg);
        return;
      case "own":
        h.own(ev.event);
        return;
      case "fault":
        this.applyFault(ev.fault, h);
        return;
    }
    const node = this.nodes.get(ev.node);
    if (node === undefined || node.epoch !== ev.epoch || !node.up) return;
    switch (ev.kind) {
      case "tick":
        node.pushTick();
        this.wake(node);
        this.queue.push(this.now + this.tickMs, { kind: "tick", node: node.id, epoch: node.epoch });
        return;
      case "run":
        node.runScheduled = false;
        h.run(node);
        return;
      case "finish":
        h.finish(node);
        return;
    }
  }

  private startTicks(node: N): void {
    // Replicas tick at the same rate, each with its own phase, as real clocks would.
    const phase = this.rng.fork(`tick-${node.id}-${node.epoch}`).next() * this.tickMs;
    this.queue.push(this.now + phase, { kind: "tick", node: node.id, epoch: node.epoch });
  }

  private applyFault(f: FaultEvent, h: WorldHandlers<W, E, N>): void {
    switch (f.type) {
      case "crash": {
        const node = this.nodes.get(f.node);
        if (node?.up) {
          node.crash();
          h.crashed(node);
        }
        return;
      }
      case "restart": {
        const node = this.nodes.get(f.node);
        if (node !== undefined && !node.up) {
          node.start();
          h.restarted(node);
          this.startTicks(node);
        }
        return;
      }
      case "partition":
        this.net.partition(f.sides);
        return;
      case "cut":
        this.net.cut(f.from, f.to);
        return;
      case "heal":
        this.net.healAll();
        return;
      case "rates":
        this.net.setRates({ dropRate: f.dropRate, duplicateRate: f.duplicateRate });
        return;
    }
  }
}

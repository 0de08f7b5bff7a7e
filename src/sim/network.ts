// Simulated network: per-message latency, drops, duplicates and cut links between numeric nodes.
import { ConfigError } from "../core/errors.ts";
import type { Rng } from "./rng.ts";

/** Latency and fault rates of the simulated network. Times are abstract units (the caller's). */
export interface NetworkOptions {
  /** Smallest one-way delay of a message (≥ 0). */
  readonly minLatency: number;
  /** Mean of the exponential tail added to `minLatency` (≥ 0); random per copy, so reordering. */
  readonly meanExtraLatency: number;
  /** Probability that a message is lost, in [0, 1]. */
  readonly dropRate: number;
  /** Probability that a delivered message arrives twice, in [0, 1]. */
  readonly duplicateRate: number;
}

/** Defaults: one unit of fixed latency plus a mean unit of jitter, no loss, no duplicates. */
export const defaultNetworkOptions: NetworkOptions = {
  minLatency: 1,
  meanExtraLatency: 1,
  dropRate: 0,
  duplicateRate: 0,
};

/** Fault rates that may change while a simulation runs. */
export interface NetworkRates {
  readonly dropRate: number;
  readonly duplicateRate: number;
}

/** Counters of what the network did, for reports and for tests that a fault actually fired. */
export interface NetworkStats {
  /** Messages handed to {@link SimNetwork.deliveries}. */
  sent: number;
  /** Messages lost to the drop rate. */
  dropped: number;
  /** Messages delivered twice. */
  duplicated: number;
  /** Messages lost because their link was cut. */
  cut: number;
}

function checkRate(name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new ConfigError(`network ${name} must be in [0, 1], got ${v}`);
}

function checkLatency(name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0)) {
    throw new ConfigError(`network ${name} must be a finite number >= 0, got ${v}`);
  }
}

/**
 * A network between numeric addresses. It does not own the event queue: for each message sent
 * the caller asks {@link deliveries} when copies arrive and schedules them itself. Links are
 * directed; a link is down when it was cut explicitly or either end is isolated.
 */
export class SimNetwork {
  /** Counters since construction. */
  readonly stats: NetworkStats = { sent: 0, dropped: 0, duplicated: 0, cut: 0 };
  private readonly rng: Rng;
  private readonly minLatency: number;
  private readonly meanExtraLatency: number;
  private dropRate: number;
  private duplicateRate: number;
  /** Cut links: from → set of destinations that `from` cannot reach. */
  private readonly cuts = new Map<number, Set<number>>();
  /** Nodes cut from everyone, including nodes the network has not heard of yet. */
  private readonly isolated = new Set<number>();
  /** Arrival times of the copies of the last message given to {@link arrivals}. */
  readonly arrivalTimes = new Float64Array(2);

  /** A network drawing its randomness from `rng` (pass a fork owned by the network alone). */
  constructor(rng: Rng, options: Partial<NetworkOptions> = {}) {
    const o = { ...defaultNetworkOptions, ...options };
    checkLatency("minLatency", o.minLatency);
    checkLatency("meanExtraLatency", o.meanExtraLatency);
    checkRate("dropRate", o.dropRate);
    checkRate("duplicateRate", o.duplicateRate);
    this.rng = rng;
    this.minLatency = o.minLatency;
    this.meanExtraLatency = o.meanExtraLatency;
    this.dropRate = o.dropRate;
    this.duplicateRate = o.duplicateRate;
  }

  /** The current options, rates included. */
  get options(): NetworkOptions {
    return {
      minLatency: this.minLatency,
      meanExtraLatency: this.meanExtraLatency,
      dropRate: this.dropRate,
      duplicateRate: this.duplicateRate,
    };
  }

  /** Changes the fault rates (e.g. for a burst of loss); omitted fields keep their value. */
  setRates(rates: Partial<NetworkRates>): void {
    const dropRate = rates.dropRate ?? this.dropRate;
    const duplicateRate = rates.duplicateRate ?? this.duplicateRate;
    checkRate("dropRate", dropRate);
    checkRate("duplicateRate", duplicateRate);
    this.dropRate = dropRate;
    this.duplicateRate = duplicateRate;
  }

  /**
   * Arrival times of one message sent from `from` to `to` at `now`: none when the link is cut or
   * the message is dropped, two when it is duplicated. Each copy draws its own latency, so
   * messages on one link can overtake each other.
   */
  deliveries(from: number, to: number, now: number): number[] {
    const n = this.arrivals(from, to, now);
    return Array.from(this.arrivalTimes.subarray(0, n));
  }

  /**
   * As {@link deliveries}, drawing the same randomness, without allocating: returns the number
   * of copies (0, 1 or 2) and leaves their arrival times in `arrivalTimes`, valid until the
   * next call. The simulator sends hundreds of thousands of messages per run.
   */
  arrivals(from: number, to: number, now: number): number {
    this.stats.sent++;
    if (this.isCut(from, to)) {
      this.stats.cut++;
      return 0;
    }
    // Draw only for rates in use, so a fault-free run spends its randomness on latency alone.
    if (this.dropRate > 0 && this.rng.chance(this.dropRate)) {
      this.stats.dropped++;
      return 0;
    }
    this.arrivalTimes[0] = now + this.latency();
    if (this.duplicateRate > 0 && this.rng.chance(this.duplicateRate)) {
      this.stats.duplicated++;
      this.arrivalTimes[1] = now + this.latency();
      return 2;
    }
    return 1;
  }

  /** Cuts the one-way link from `from` to `to`. */
  cut(from: number, to: number): void {
    let set = this.cuts.get(from);
    if (set === undefined) {
      set = new Set();
      this.cuts.set(from, set);
    }
    set.add(to);
  }

  /** Cuts both directions between `a` and `b`. */
  cutBoth(a: number, b: number): void {
    this.cut(a, b);
    this.cut(b, a);
  }

  /**
   * Cuts every link, both ways, between nodes on different sides. Nodes not listed keep their
   * links; links within a side are left as they are. A node on two sides is a caller bug.
   */
  partition(sides: readonly (readonly number[])[]): void {
    const sideOf = new Map<number, number>();
    sides.forEach((side, i) => {
      for (const n of side) {
        const prev = sideOf.get(n);
        if (prev !== undefined && prev !== i) {
          throw new ConfigError(`partition sides: node ${n} is on sides ${prev} and ${i}`);
        }
        sideOf.set(n, i);
      }
    });
    for (let i = 0; i < sides.length; i++) {
      for (let j = i + 1; j < sides.length; j++) {
        for (const a of sides[i] ?? []) for (const b of sides[j] ?? []) this.cutBoth(a, b);
      }
    }
  }

  /** Cuts `node` off from every other node, both ways, until {@link rejoin} or {@link healAll}. */
  isolate(node: number): void {
    this.isolated.add(node);
  }

  /** Ends the isolation of `node` (explicit link cuts stay). */
  rejoin(node: number): void {
    this.isolated.delete(node);
  }

  /** Restores the one-way link from `from` to `to` if it was cut (isolation is separate). */
  heal(from: number, to: number): void {
    const set = this.cuts.get(from);
    if (set === undefined) return;
    set.delete(to);
    if (set.size === 0) this.cuts.delete(from);
  }

  /** Restores every link and ends every isolation. */
  healAll(): void {
    this.cuts.clear();
    this.isolated.clear();
  }

  /** True when messages from `from` to `to` are currently lost. A node always reaches itself. */
  isCut(from: number, to: number): boolean {
    if (from === to) return false;
    // Nothing cut (every fault-free run, most of a faulty one): no lookups.
    if (this.isolated.size === 0 && this.cuts.size === 0) return false;
    if (this.isolated.has(from) || this.isolated.has(to)) return true;
    return this.cuts.get(from)?.has(to) ?? false;
  }

  private latency(): number {
    return this.meanExtraLatency > 0
      ? this.minLatency + this.rng.exponential(this.meanExtraLatency)
      : this.minLatency;
  }
}

// Reliable group-to-group channel properties checked from observed sends and appends: exactly-once, agreement, FIFO, liveness.
import { checkCompleteness, examples, GroupSequences, Violations } from "./multicast-checker.ts";

interface ChannelSend {
  readonly from: number;
  readonly to: number;
  readonly id: string;
}

/** Options of ChannelChecker.finish. */
export interface ChannelFinishOptions {
  /** Each group's replicas. */
  readonly replicasByGroup: ReadonlyMap<number, readonly number[]>;
  /** Replicas up at the end and expected to have caught up. */
  readonly correct: ReadonlySet<number>;
  /** Whether faults healed long enough for every channel message to be appended. */
  readonly checkLiveness: boolean;
}

/**
 * Checks the reliable group-to-group channel. A group sends each message once (its replicas
 * agree on what to send, the simulator reports it once); each replica of the receiving group
 * reports the position at which it applied it in its group's sequence of channel deliveries,
 * again after restarts. Checks:
 * - exactly-once (online): every applied message was sent to that group, and sits at one
 *   position only;
 * - agreement (online): the replicas of a group apply the same message at each position;
 * - fifo: messages from one group to another are applied in send order, and none is applied
 *   while an earlier one on the same channel is not;
 * - liveness (when asked): every sent message is applied, and every correct replica has applied
 *   its group's whole sequence.
 */
export class ChannelChecker {
  private readonly found = new Violations();
  /** Violations found online so far (exactly-once and agreement). */
  readonly violations: string[] = this.found.list;
  private readonly seqs = new GroupSequences();
  /** Interned (from, to, id) triples: the key of one is its index here. */
  private readonly messages: ChannelSend[] = [];
  private readonly keyOf = new Map<string, number>();
  private readonly sent: boolean[] = [];
  /** Keys sent on each channel, in send order: channels[to][from]. */
  private readonly channels = new Map<number, Map<number, number[]>>();

  /** Group `from` sent message `id` to group `to`. */
  onSend(from: number, to: number, id: string): void {
    const key = this.intern(from, to, id);
    if (this.sent[key] === true) {
      this.found.add("exactly-once", `group ${from} sent ${id} to group ${to} twice`);
      return;
    }
    this.sent[key] = true;
    let byFrom = this.channels.get(to);
    if (byFrom === undefined) {
      byFrom = new Map();
      this.channels.set(to, byFrom);
    }
    let keys = byFrom.get(from);
    if (keys === undefined) {
      keys = [];
      byFrom.set(from, keys);
    }
    keys.push(key);
  }

  /** Replica `replica` of group `to` applied message `id` from `from` as its `position`-th. */
  onAppend(to: number, replica: number, position: number, from: number, id: string): void {
    const name = `${from}->${to} ${id}`;
    if (!Number.isInteger(position) || position < 1) {
      this.found.add("exactly-once", `replica ${replica} applied ${name} at position ${position}`);
      return;
    }
    const key = this.intern(from, to, id);
    const outcome = this.seqs.report(to, replica, position, key);
    if (outcome.kind === "conflict") {
      this.found.add(
        "agreement",
        `replica ${replica} of group ${to} applied ${name} at position ${position}, where another replica applied ${this.name(outcome.fixed)}`,
      );
      return;
    }
    // Only the first report of a position is checked: restarts repeat the same appends.
    if (outcome.kind !== "fixed") return;
    if (this.sent[key] !== true) {
      this.found.add("exactly-once", `group ${to} applied ${name}, which was never sent`);
    }
    if (outcome.duplicateOf !== undefined) {
      this.found.add(
        "exactly-once",
        `group ${to} applied ${name} twice, at positions ${Math.min(outcome.duplicateOf, position)} and ${Math.max(outcome.duplicateOf, position)}`,
      );
    }
  }

  /**
   * Optional: replica `replica` (re)started from a snapshot covering its group's first `count`
   * channel deliveries. Without it, a replica's count is its latest reported position.
   */
  onRestore(replica: number, count: number): void {
    this.seqs.restore(replica, count);
  }

  /** Runs the whole-history checks; returns every violation (online ones first), capped. */
  finish(opts: ChannelFinishOptions): string[] {
    const found = this.found.copy();
    checkCompleteness(found, this.seqs, opts, "channel deliveries");
    for (const [to, byFrom] of this.channels) {
      for (const [from, keys] of byFrom) this.checkChannel(found, from, to, keys, opts);
    }
    return found.report();
  }

  private checkChannel(
    found: Violations,
    from: number,
    to: number,
    keys: readonly number[],
    opts: ChannelFinishOptions,
  ): void {
    let lastPos = 0;
    let lastKey: number | undefined;
    let skipped: number | undefined;
    const undelivered: string[] = [];
    let ordered = true;
    for (const key of keys) {
      const pos = this.seqs.position(to, key);
      if (pos === undefined) {
        skipped ??= key;
        undelivered.push(this.messages[key]!.id);
        continue;
      }
      if (!ordered) continue;
      // The receiver accepts only the next seq of a channel, so a gap is never legitimate.
      if (skipped !== undefined) {
        ordered = false;
        found.add(
          "fifo",
          `group ${to} applied ${this.name(key)} but never ${this.messages[skipped]!.id}, sent before it`,
        );
      } else if (lastKey !== undefined && pos < lastPos) {
        ordered = false;
        found.add(
          "fifo",
          `group ${to} applied ${this.name(key)} before ${this.messages[lastKey]!.id}, sent before it`,
        );
      } else {
        lastPos = pos;
        lastKey = key;
      }
    }
    if (opts.checkLiveness && undelivered.length > 0) {
      found.add(
        "liveness",
        `${undelivered.length} messages from group ${from} to group ${to} were never applied (${examples(undelivered)})`,
      );
    }
  }

  private name(key: number): string {
    const m = this.messages[key]!;
    return `${m.from}->${m.to} ${m.id}`;
  }

  private intern(from: number, to: number, id: string): number {
    const text = `${from}>${to}:${id}`;
    let key = this.keyOf.get(text);
    if (key === undefined) {
      key = this.messages.length;
      this.messages.push({ from, to, id });
      this.sent.push(false);
      this.keyOf.set(text, key);
    }
    return key;
  }
}

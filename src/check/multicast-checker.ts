// Atomic multicast properties checked from observed sends and deliveries: integrity, agreement, prefix and acyclic order, FIFO, liveness.
import { findCycle } from "./cycle.ts";

/** How many violations of one property, and in all, a report lists before it only counts. */
const PER_PROPERTY = 5;
const TOTAL = 20;
/** How many example ids a summary line names. */
const EXAMPLES = 3;
/** How many messages of a cycle a report names. */
const CYCLE_SHOWN = 12;

/**
 * Violations, each a line that starts with its property's name. Only the first few per property
 * and in all are kept (the first ones tell the story); the rest are counted per property.
 */
export class Violations {
  /** The violations kept, in the order found. */
  readonly list: string[] = [];
  private readonly counts = new Map<string, number>();

  /** Records a violation of `property`. */
  add(property: string, detail: string): void {
    const count = (this.counts.get(property) ?? 0) + 1;
    this.counts.set(property, count);
    if (count <= PER_PROPERTY && this.list.length < TOTAL) {
      this.list.push(`${property}: ${detail}`);
    }
  }

  /** An independent copy, so a final check can add to it without touching the online record. */
  copy(): Violations {
    const other = new Violations();
    other.list.push(...this.list);
    for (const [property, count] of this.counts) other.counts.set(property, count);
    return other;
  }

  /** The kept violations, then one line per property saying how many were left out. */
  report(): string[] {
    const kept = new Map<string, number>();
    for (const line of this.list) {
      const property = line.slice(0, line.indexOf(":"));
      kept.set(property, (kept.get(property) ?? 0) + 1);
    }
    const out = [...this.list];
    for (const [property, count] of this.counts) {
      const left = count - (kept.get(property) ?? 0);
      if (left > 0) out.push(`${property}: ${left} more violations not shown`);
    }
    return out;
  }
}

/** What became of one reported (replica, position, key) observation. */
export type ReportOutcome =
  /** The position was first fixed by this report; `duplicateOf` is the key's earlier position. */
  | { readonly kind: "fixed"; readonly duplicateOf: number | undefined }
  /** Another report had already fixed the same key here (a replica or a restart repeating it). */
  | { readonly kind: "confirmed" }
  /** The position holds another key: replicas disagree. */
  | { readonly kind: "conflict"; readonly fixed: number };

const CONFIRMED: ReportOutcome = { kind: "confirmed" };

interface Sequence {
  /** Key at position p is at index p - 1; positions nobody reported yet are holes. */
  readonly keys: number[];
  /** The first position each key was fixed at. */
  readonly first: Map<number, number>;
}

/**
 * The one true delivery sequence of each group, assembled from replicas that each report
 * positions of it (again after restarts): the first report fixes a position, later ones must
 * agree. Keys are small integers (interned ids). Also tracks each replica's delivered count.
 */
export class GroupSequences {
  private readonly groups = new Map<number, Sequence>();
  /** Each replica's delivered count: its latest reported position, or its restored snapshot. */
  private readonly delivered = new Map<number, number>();

  /** Replica `replica` of `group` reports `key` at 1-based `position`. */
  report(group: number, replica: number, position: number, key: number): ReportOutcome {
    this.delivered.set(replica, position);
    const seq = this.sequence(group);
    const known = seq.keys[position - 1];
    if (known === key) return CONFIRMED;
    if (known !== undefined) return { kind: "conflict", fixed: known };
    seq.keys[position - 1] = key;
    const earlier = seq.first.get(key);
    if (earlier === undefined || earlier > position) seq.first.set(key, position);
    return { kind: "fixed", duplicateOf: earlier };
  }

  /** A replica restored a snapshot covering its first `count` deliveries. */
  restore(replica: number, count: number): void {
    this.delivered.set(replica, count);
  }

  /** The replica's delivered count (0 if it never reported). */
  deliveredBy(replica: number): number {
    return this.delivered.get(replica) ?? 0;
  }

  /** Groups with at least one report, in first-report order. */
  groupIds(): number[] {
    return [...this.groups.keys()];
  }

  /** The highest position fixed at `group` (its sequence's length, holes included). */
  length(group: number): number {
    return this.groups.get(group)?.keys.length ?? 0;
  }

  /** The first position `key` holds at `group`, if any. */
  position(group: number, key: number): number | undefined {
    return this.groups.get(group)?.first.get(key);
  }

  /** Positions of `group` below its highest that nobody reported. */
  holes(group: number): number[] {
    const keys = this.groups.get(group)?.keys ?? [];
    const out: number[] = [];
    for (let i = 0; i < keys.length; i++) if (keys[i] === undefined) out.push(i + 1);
    return out;
  }

  /** The keys of `group` in position order, each once (at its first position), holes skipped. */
  distinct(group: number): number[] {
    const seq = this.groups.get(group);
    if (seq === undefined) return [];
    const out: number[] = [];
    for (let i = 0; i < seq.keys.length; i++) {
      const key = seq.keys[i];
      if (key !== undefined && seq.first.get(key) === i + 1) out.push(key);
    }
    return out;
  }

  private sequence(group: number): Sequence {
    let seq = this.groups.get(group);
    if (seq === undefined) {
      seq = { keys: [], first: new Map() };
      this.groups.set(group, seq);
    }
    return seq;
  }
}

/** Names the first few ids of a list, with an ellipsis when there are more. */
export function examples(ids: readonly string[]): string {
  const shown = ids.slice(0, EXAMPLES).join(", ");
  return ids.length > EXAMPLES ? `${shown}, ...` : shown;
}

/** Reports positions nobody reported below a group's highest, and correct replicas that lag. */
export function checkCompleteness(
  found: Violations,
  seqs: GroupSequences,
  opts: {
    readonly replicasByGroup: ReadonlyMap<number, readonly number[]>;
    readonly correct: ReadonlySet<number>;
    readonly checkLiveness: boolean;
  },
  what: string,
): void {
  for (const group of seqs.groupIds()) {
    // A snapshot only covers deliveries some replica made and reported, so a hole below the top
    // means positions were skipped or a report was lost.
    const holes = seqs.holes(group);
    if (holes.length > 0) {
      found.add(
        "agreement",
        `group ${group} has ${what} up to position ${seqs.length(group)} but nobody reported positions ${examples(holes.map(String))} (${holes.length} in all)`,
      );
    }
  }
  if (!opts.checkLiveness) return;
  for (const [group, replicas] of opts.replicasByGroup) {
    const total = seqs.length(group);
    for (const replica of replicas) {
      if (!opts.correct.has(replica)) continue;
      const count = seqs.deliveredBy(replica);
      if (count < total) {
        found.add(
          "liveness",
          `correct replica ${replica} of group ${group} has ${count} of the group's ${total} ${what} (${total - count} missing)`,
        );
      }
    }
  }
}

interface Send {
  readonly sender: number;
  readonly order: number;
  readonly dests: readonly number[];
}

/** Options of MulticastChecker.finish. */
export interface MulticastFinishOptions {
  /** Each group's replicas. */
  readonly replicasByGroup: ReadonlyMap<number, readonly number[]>;
  /** Replicas up at the end and expected to have caught up. */
  readonly correct: ReadonlySet<number>;
  /** Whether faults healed long enough for every message to be delivered everywhere. */
  readonly checkLiveness: boolean;
  /** Senders whose messages must all be delivered (all senders when omitted). */
  readonly correctSenders?: ReadonlySet<number>;
  /**
   * With liveness: a message of a sender outside `correctSenders` may be delivered nowhere, but
   * once one destination has delivered it, every destination must (off when omitted).
   */
  readonly faultyAllOrNone?: boolean;
}

/**
 * Checks atomic multicast from what clients sent and what replicas delivered. Each replica reports
 * (position, id) pairs of its group's one delivery sequence, again after a restart; the checker
 * rebuilds each group's sequence and checks:
 * - integrity (online): a delivered id was sent, to this group, and sits at one position only;
 * - agreement (online): the replicas of a group report the same id at each position;
 * - prefix order: if group h delivers m before m', and m' is delivered at g while both are
 *   addressed to g, then g delivered m before m' (two groups never order two common messages
 *   differently, and g cannot skip a message h ordered first);
 * - acyclic order: the union of all groups' delivery orders has no cycle;
 * - fifo: a correct sender's messages are delivered at each common destination in send order,
 *   and none is delivered there while an earlier one to the same group is not (a faulty sender's
 *   chain may be abandoned, which gives up FIFO for it alone);
 * - liveness (when asked): every message of a correct sender reaches all its destinations (and,
 *   with `faultyAllOrNone`, every other message that reached one), and every correct replica
 *   has delivered its group's whole sequence.
 */
export class MulticastChecker {
  private readonly found = new Violations();
  /** Violations found online so far (integrity and agreement). */
  readonly violations: string[] = this.found.list;
  private readonly seqs = new GroupSequences();
  /** Interned message ids: the key of an id is its index here. */
  private readonly ids: string[] = [];
  private readonly keyOf = new Map<string, number>();
  /** The send of each key (undefined for ids delivered but never sent). */
  private readonly sends: (Send | undefined)[] = [];

  /** A client multicast message `id` to `dests`; `order` is its rank among the sender's sends. */
  onSend(id: string, sender: number, order: number, dests: readonly number[]): void {
    const key = this.intern(id);
    if (this.sends[key] !== undefined) {
      this.found.add("integrity", `message ${id} was sent twice`);
      return;
    }
    this.sends[key] = { sender, order, dests: [...dests] };
  }

  /** Replica `replica` of `group` delivered `id` as its group's `position`-th delivery. */
  onDeliver(group: number, replica: number, position: number, id: string): void {
    if (!Number.isInteger(position) || position < 1) {
      this.found.add(
        "integrity",
        `replica ${replica} of group ${group} delivered ${id} at position ${position}`,
      );
      return;
    }
    const key = this.intern(id);
    const outcome = this.seqs.report(group, replica, position, key);
    if (outcome.kind === "conflict") {
      this.found.add(
        "agreement",
        `replica ${replica} of group ${group} delivered ${id} at position ${position}, where another replica delivered ${this.ids[outcome.fixed]}`,
      );
      return;
    }
    // Only the first report of a position is checked: restarts repeat the same deliveries.
    if (outcome.kind !== "fixed") return;
    const send = this.sends[key];
    if (send === undefined) {
      this.found.add("integrity", `group ${group} delivered ${id}, which was never sent`);
    } else if (!send.dests.includes(group)) {
      this.found.add(
        "integrity",
        `group ${group} delivered ${id}, which was sent to groups ${send.dests.join(",")} only`,
      );
    }
    if (outcome.duplicateOf !== undefined) {
      this.found.add(
        "integrity",
        `group ${group} delivered ${id} twice, at positions ${Math.min(outcome.duplicateOf, position)} and ${Math.max(outcome.duplicateOf, position)}`,
      );
    }
  }

  /**
   * Optional: replica `replica` (re)started from a snapshot covering its group's first `count`
   * deliveries. Without it, a replica's delivered count is its latest reported position.
   */
  onRestore(replica: number, count: number): void {
    this.seqs.restore(replica, count);
  }

  /** Runs the whole-history checks; returns every violation (online ones first), capped. */
  finish(opts: MulticastFinishOptions): string[] {
    const found = this.found.copy();
    checkCompleteness(found, this.seqs, opts, "deliveries");
    this.checkPrefixOrder(found);
    this.checkAcyclic(found);
    this.checkFifo(found, opts.correctSenders);
    if (opts.checkLiveness) {
      this.checkDelivered(found, opts.correctSenders, opts.faultyAllOrNone === true);
    }
    return found.report();
  }

  private checkPrefixOrder(found: Violations): void {
    const reported = new Set<string>();
    for (const h of this.seqs.groupIds()) {
      // Per other group g: the highest g-position among messages to g seen so far at h, and the
      // first message to g seen at h that g has not delivered.
      const highest = new Map<number, { pos: number; key: number }>();
      const missing = new Map<number, number>();
      for (const key of this.seqs.distinct(h)) {
        const send = this.sends[key];
        if (send === undefined) continue; // reported as integrity
        for (const g of send.dests) {
          if (g === h) continue;
          const pos = this.seqs.position(g, key);
          if (pos === undefined) {
            if (!missing.has(g)) missing.set(g, key);
            continue;
          }
          const skipped = missing.get(g);
          if (skipped !== undefined && !reported.has(`${h}>${g}`)) {
            reported.add(`${h}>${g}`);
            found.add(
              "prefix order",
              `group ${g} delivered ${this.ids[key]} but never ${this.ids[skipped]}, which group ${h} delivered before it and which is also addressed to ${g}`,
            );
          }
          const top = highest.get(g);
          if (top !== undefined && top.pos > pos) {
            // The same inversion shows from both sides; report it once per pair of groups.
            const pair = `${Math.min(g, h)}<>${Math.max(g, h)}`;
            if (!reported.has(pair)) {
              reported.add(pair);
              found.add(
                "prefix order",
                `group ${h} delivered ${this.ids[top.key]} before ${this.ids[key]} but group ${g} delivered them in the opposite order`,
              );
            }
          } else {
            highest.set(g, { pos, key });
          }
        }
      }
    }
  }

  private checkAcyclic(found: Violations): void {
    // Vertices are message keys; each group adds an edge from every delivered message to the
    // next one it delivered. Edges are stored as adjacency arrays, labelled with their group.
    const n = this.ids.length;
    const orders = this.seqs.groupIds().map((g) => ({ g, keys: this.seqs.distinct(g) }));
    const offsets = new Int32Array(n + 1);
    let edgeCount = 0;
    for (const { keys } of orders) {
      for (let i = 0; i + 1 < keys.length; i++) offsets[keys[i]! + 1]!++;
      edgeCount += Math.max(keys.length - 1, 0);
    }
    for (let v = 0; v < n; v++) offsets[v + 1]! += offsets[v]!;
    const targets = new Int32Array(edgeCount);
    const groups = new Int32Array(edgeCount);
    const cursor = offsets.slice(0, n);
    for (const { g, keys } of orders) {
      for (let i = 0; i + 1 < keys.length; i++) {
        const e = cursor[keys[i]!]!++;
        targets[e] = keys[i + 1]!;
        groups[e] = g;
      }
    }
    const cycle = findCycle({ offsets, targets });
    if (cycle === null) return;
    const steps = cycle.vertices.map((v, i) => `${this.ids[v]} -(g${groups[cycle.edges[i]!]})->`);
    const shown =
      steps.length > CYCLE_SHOWN
        ? [...steps.slice(0, CYCLE_SHOWN), `... (${steps.length} messages)`]
        : steps;
    found.add(
      "acyclic order",
      `delivery orders form a cycle: ${shown.join(" ")} ${this.ids[cycle.vertices[0]!]}`,
    );
  }

  private checkFifo(found: Violations, correctSenders: ReadonlySet<number> | undefined): void {
    const bySender = new Map<number, number[]>();
    for (let key = 0; key < this.sends.length; key++) {
      const send = this.sends[key];
      if (send === undefined) continue;
      let keys = bySender.get(send.sender);
      if (keys === undefined) {
        keys = [];
        bySender.set(send.sender, keys);
      }
      keys.push(key);
    }
    for (const [sender, keys] of bySender) {
      keys.sort((a, b) => this.sends[a]!.order - this.sends[b]!.order);
      // Only a faulty sender (one that crashed, or sent a message to only some destinations) may
      // see its chain abandoned: its late predecessors are then delivered after their successors,
      // by design (docs/multicast.md), so FIFO is promised to correct senders only.
      const strict = correctSenders === undefined || correctSenders.has(sender);
      // Per destination: the last delivered message so far, and the first undelivered one.
      const last = new Map<number, { pos: number; key: number }>();
      const missing = new Map<number, number>();
      const done = new Set<number>();
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const send = this.sends[key]!;
        const prev = keys[i - 1];
        if (prev !== undefined && this.sends[prev]!.order === send.order) {
          found.add(
            "integrity",
            `sender ${sender} sent ${this.ids[prev]} and ${this.ids[key]} with the same order ${send.order}`,
          );
        }
        for (const g of send.dests) {
          if (done.has(g)) continue;
          const pos = this.seqs.position(g, key);
          if (pos === undefined) {
            if (!missing.has(g)) missing.set(g, key);
            continue;
          }
          const skipped = missing.get(g);
          if (strict && skipped !== undefined) {
            done.add(g);
            found.add(
              "fifo",
              `group ${g} delivered ${this.ids[key]} of sender ${sender} but never ${this.ids[skipped]}, sent to it earlier`,
            );
            continue;
          }
          const before = last.get(g);
          if (strict && before !== undefined && before.pos > pos) {
            done.add(g);
            found.add(
              "fifo",
              `group ${g} delivered ${this.ids[key]} of sender ${sender} before ${this.ids[before.key]}, sent earlier`,
            );
            continue;
          }
          last.set(g, { pos, key });
        }
      }
    }
  }

  private checkDelivered(
    found: Violations,
    correctSenders: ReadonlySet<number> | undefined,
    faultyAllOrNone: boolean,
  ): void {
    const missing = new Map<number, string[]>();
    for (let key = 0; key < this.sends.length; key++) {
      const send = this.sends[key];
      if (send === undefined) continue;
      if (correctSenders !== undefined && !correctSenders.has(send.sender)) {
        if (!faultyAllOrNone) continue;
        // Delivered nowhere is allowed for a faulty sender; delivered somewhere means everywhere.
        if (!send.dests.some((g) => this.seqs.position(g, key) !== undefined)) continue;
      }
      for (const g of send.dests) {
        if (this.seqs.position(g, key) !== undefined) continue;
        let ids = missing.get(g);
        if (ids === undefined) {
          ids = [];
          missing.set(g, ids);
        }
        ids.push(this.ids[key]!);
      }
    }
    for (const [g, ids] of missing) {
      found.add(
        "liveness",
        `${ids.length} messages addressed to group ${g} were never delivered there (${examples(ids)})`,
      );
    }
  }

  private intern(id: string): number {
    let key = this.keyOf.get(id);
    if (key === undefined) {
      key = this.ids.length;
      this.ids.push(id);
      this.keyOf.set(id, key);
      this.sends.push(undefined);
    }
    return key;
  }
}

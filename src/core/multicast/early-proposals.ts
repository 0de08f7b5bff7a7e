// Proposals that arrived from other groups before this group applied the message's start.
import type { ClientId, GroupId } from "../ids.ts";
import type { EarlySnapshot, McastMessage } from "./types.ts";

/** One group's early proposal: its timestamp and the version of the message it proposed for. */
export interface EarlyProposal<P> {
  readonly t: number;
  readonly msg: McastMessage<P>;
}

interface Early<P> {
  readonly client: ClientId;
  readonly seq: number;
  readonly proposals: Map<GroupId, EarlyProposal<P>>;
  /** Some proposal held says the client's chain is broken at its proposer (see ChannelBody). */
  broken: boolean;
}

/**
 * Another group may activate a message (and send us its proposal) before the client's start
 * reaches our log. The proposal is kept here until the message is activated here. Each proposal
 * keeps the message it was made for: a faulty client may send different versions under one id,
 * and only proposals for the version activated here count for it (see GroupMulticast).
 *
 * Bounded by `capacity` messages. Honest peers cannot exceed it in practice: a proposal waits
 * here only while its message is undecided at the proposer, so there are at most as many as the
 * other groups' pending messages together. The caller refuses (does not consume) a channel
 * message that would overflow it.
 */
export class EarlyProposals<P> {
  private readonly entries = new Map<string, Early<P>>();
  private readonly capacity: number;

  /** `capacity`: most messages held at once. */
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Number of messages with early proposals. */
  get size(): number {
    return this.entries.size;
  }

  /** True when a proposal for (client, seq) is held: some other group already activated it. */
  has(client: ClientId, seq: number): boolean {
    return this.entries.has(key(client, seq));
  }

  /**
   * The (client, seq) of every message with proposals held, in insertion order, and whether a
   * proposer said the client's chain is broken there.
   */
  *keys(): Iterable<{ client: ClientId; seq: number; broken: boolean }> {
    for (const e of this.entries.values()) yield { client: e.client, seq: e.seq, broken: e.broken };
  }

  /**
   * Records group `from`'s proposal `t` for `msg`. False when the store is full and the message
   * is not in it yet: nothing was recorded. A second proposal from the same group keeps the first
   * (the channel delivers each once, so this is only defence). `broken`: the proposal says the
   * client's chain is broken at `from`.
   */
  add(msg: McastMessage<P>, from: GroupId, t: number, broken = false): boolean {
    const { client, seq } = msg;
    const k = key(client, seq);
    let e = this.entries.get(k);
    if (e === undefined) {
      if (this.entries.size >= this.capacity) return false;
      e = { client, seq, proposals: new Map(), broken: false };
      this.entries.set(k, e);
    }
    if (broken) e.broken = true;
    if (!e.proposals.has(from)) e.proposals.set(from, { t, msg });
    return true;
  }

  /** Removes and returns the proposals held for (client, seq), if any. */
  take(client: ClientId, seq: number): Map<GroupId, EarlyProposal<P>> | undefined {
    const k = key(client, seq);
    const e = this.entries.get(k);
    if (e === undefined) return undefined;
    this.entries.delete(k);
    return e.proposals;
  }

  /** A copy for a snapshot, in insertion order. */
  snapshot(): EarlySnapshot<P>[] {
    return [...this.entries.values()].map((e) => ({
      client: e.client,
      seq: e.seq,
      proposals: [...e.proposals].map(([g, { t, msg }]) => [g, t, msg] as const),
      ...(e.broken ? { broken: true as const } : {}),
    }));
  }

  /** Replaces the contents with a snapshot's. */
  restore(snap: readonly EarlySnapshot<P>[]): void {
    this.entries.clear();
    for (const e of snap) {
      this.entries.set(key(e.client, e.seq), {
        client: e.client,
        seq: e.seq,
        proposals: new Map(e.proposals.map(([g, t, msg]) => [g, { t, msg }])),
        broken: e.broken === true,
      });
    }
  }
}

// A string key: a Map keyed by strings iterates in insertion order, unlike a plain object.
function key(client: ClientId, seq: number): string {
  return `${client}/${seq}`;
}

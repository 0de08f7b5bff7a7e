// Chirper command streams over a social graph: the paper's Timeline, Post, Follow/unfollow and Mix workloads.
import type { ChirperCmd } from "../apps/chirper/types.ts";
import { TEXT_MAX } from "../apps/chirper/types.ts";
import { ConfigError } from "../core/errors.ts";
import type { Rng } from "../sim/rng.ts";
import type { SocialGraph } from "./social-graph.ts";

/** The share of each command in a workload; the shares sum to 1. */
export interface ChirperMix {
  readonly timeline: number;
  readonly post: number;
  readonly follow: number;
  readonly unfollow: number;
}

/** The paper's workloads (DS-SMR, DSN 2016). */
export const CHIRPER_MIXES = {
  timeline: { timeline: 1, post: 0, follow: 0, unfollow: 0 },
  post: { timeline: 0, post: 1, follow: 0, unfollow: 0 },
  follow: { timeline: 0, post: 0, follow: 0.5, unfollow: 0.5 },
  mix: { timeline: 0.85, post: 0.075, follow: 0.0375, unfollow: 0.0375 },
} as const satisfies Record<string, ChirperMix>;

/** A workload by name. */
export type ChirperWorkloadName = keyof typeof CHIRPER_MIXES;

/** Options of {@link ChirperWorkload}. */
export interface ChirperWorkloadOptions {
  /** A named workload or explicit shares (default "mix"). */
  readonly mix?: ChirperWorkloadName | ChirperMix;
  /** Length of post texts (default 140, at most TEXT_MAX). */
  readonly textLength?: number;
}

/** Draws to find a suitable user before settling for a less suitable one. */
const ATTEMPTS = 16;

/**
 * Generates Chirper commands over a graph. Acting users are drawn by activity. Follows pick a
 * user not yet followed, by popularity and within the community except for the graph's
 * crossFraction of them (so strong locality stays strong); unfollows pick an existing followee.
 * The generator tracks the follow graph as its own commands change it, assuming they succeed
 * (follow and unfollow are idempotent, so concurrent clients that disagree do no harm).
 * Deterministic: the same graph, options and sequence of `next` calls and Rng draws give the
 * same commands.
 */
export class ChirperWorkload {
  readonly graph: SocialGraph;
  readonly mix: ChirperMix;
  private readonly textLength: number;
  /** Following lists changed by this generator's commands; others are the graph's. */
  private readonly changed = new Map<number, number[]>();
  private posts = 0;

  constructor(graph: SocialGraph, opts: ChirperWorkloadOptions = {}) {
    const mix = opts.mix ?? "mix";
    this.graph = graph;
    this.mix = typeof mix === "string" ? CHIRPER_MIXES[mix] : mix;
    this.textLength = opts.textLength ?? 140;
    const m = this.mix;
    const shares = [m.timeline, m.post, m.follow, m.unfollow];
    if (shares.some((s) => !(s >= 0)) || Math.abs(shares.reduce((a, b) => a + b, 0) - 1) > 1e-9) {
      throw new ConfigError(`workload shares must be >= 0 and sum to 1, got ${shares.join(", ")}`);
    }
    if (m.follow + m.unfollow > 0 && graph.size < 2) {
      throw new ConfigError("follow and unfollow need at least two users");
    }
    if (!Number.isInteger(this.textLength) || this.textLength < 0 || this.textLength > TEXT_MAX) {
      throw new ConfigError(`textLength must be an integer in [0, ${TEXT_MAX}]`);
    }
  }

  /** Whom user `u` follows, as far as this generator knows. */
  following(u: number): readonly number[] {
    return this.changed.get(u) ?? this.graph.following[u]!;
  }

  /** The next command. */
  next(rng: Rng): ChirperCmd {
    const m = this.mix;
    const x = rng.next();
    if (x < m.timeline) return this.timeline(rng);
    if (x < m.timeline + m.post) return this.post(rng);
    if (x < m.timeline + m.post + m.follow) return this.follow(rng);
    return m.unfollow > 0 ? this.unfollow(rng) : this.follow(rng);
  }

  private name(u: number): string {
    return this.graph.users[u]!;
  }

  private timeline(rng: Rng): ChirperCmd {
    return { type: "timeline", user: this.name(this.graph.pickActiveUser(rng)) };
  }

  private post(rng: Rng): ChirperCmd {
    const user = this.name(this.graph.pickActiveUser(rng));
    const n = ++this.posts;
    // Distinct, recognisable texts of a fixed length, without spending random draws on them.
    const text = `${user} #${n} `.padEnd(this.textLength, "lorem ipsum ").slice(0, this.textLength);
    return { type: "post", user, text };
  }

  private follow(rng: Rng): ChirperCmd {
    const g = this.graph;
    const u = g.pickActiveUser(rng);
    const mine = this.following(u);
    let other = -1;
    for (let i = 0; i < ATTEMPTS && other < 0; i++) {
      const t = g.pickFollowee(rng, u);
      if (t !== u && !mine.includes(t)) other = t;
    }
    if (other < 0) {
      // Everyone drawn is followed already: follow again someone (idempotent) other than u.
      other = (u + 1 + rng.int(g.size - 1)) % g.size;
    }
    if (!mine.includes(other)) this.changed.set(u, [...mine, other]);
    return { type: "follow", user: this.name(u), other: this.name(other) };
  }

  private unfollow(rng: Rng): ChirperCmd {
    for (let i = 0; i < ATTEMPTS; i++) {
      const u = this.graph.pickActiveUser(rng);
      const mine = this.following(u);
      if (mine.length === 0) continue;
      const other = rng.pick(mine);
      this.changed.set(
        u,
        mine.filter((x) => x !== other),
      );
      return { type: "unfollow", user: this.name(u), other: this.name(other) };
    }
    // Nobody drawn follows anyone: a follow keeps the stream going and makes the next unfollow possible.
    return this.follow(rng);
  }
}

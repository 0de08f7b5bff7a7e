// A seeded synthetic follower graph: balanced communities, Zipf popularity and activity, tunable locality.
import { FOLLOW_CAP } from "../apps/chirper/types.ts";
import { ConfigError } from "../core/errors.ts";
import type { Rng } from "../sim/rng.ts";
import { WeightedSampler, zipfWeights } from "./weighted.ts";

/** Options of {@link generateSocialGraph}. */
export interface SocialGraphOptions {
  /** Number of users (1 .. 1,000,000). */
  readonly users: number;
  /** Number of communities, balanced in size (default 1). */
  readonly communities?: number;
  /** Mean number of users each user follows (default 10); each draws uniformly in [0, 2·mean]. */
  readonly avgFollowing?: number;
  /** Zipf exponent of popularity: how skewed follower counts are (default 1). */
  readonly followerExponent?: number;
  /** Most followers one user gets (default 1000, at most FOLLOW_CAP). */
  readonly maxFollowers?: number;
  /** Zipf exponent of activity: how skewed post and read rates are (default 1). */
  readonly activityExponent?: number;
  /**
   * Fraction of follow edges that cross communities, in [0, 1] (default 0). 0 is strong
   * locality: the communities are balanced partitions no command crosses. Anything above 0 is
   * weak locality. Ignored (always 0) with a single community.
   */
  readonly crossFraction?: number;
}

/** Attempts to find a valid followee for one edge before the edge is dropped. */
const EDGE_ATTEMPTS = 32;

/**
 * A follower graph over users 0 .. n-1. Communities are contiguous blocks of indices, so
 * popularity (shuffled over users) is independent of community. Data fields are plain arrays.
 */
export class SocialGraph {
  /** User names, `u00042` style, by index. */
  readonly users: readonly string[];
  /** Community of each user. */
  readonly community: readonly number[];
  /** Followers of each user, ascending by index. */
  readonly followers: readonly (readonly number[])[];
  /** Users each user follows, in the order the edges were drawn. */
  readonly following: readonly (readonly number[])[];
  /** Relative post and read rate of each user (they sum to 1). */
  readonly activity: readonly number[];
  /** Number of communities. */
  readonly communities: number;
  /** Fraction of edges meant to cross communities (0 with one community). */
  readonly crossFraction: number;
  /** First index of each community, plus n at the end. */
  private readonly starts: readonly number[];
  private readonly popular: WeightedSampler;
  private readonly active: WeightedSampler;

  constructor(init: {
    users: readonly string[];
    community: readonly number[];
    followers: readonly (readonly number[])[];
    following: readonly (readonly number[])[];
    activity: readonly number[];
    communities: number;
    crossFraction: number;
    starts: readonly number[];
    popular: WeightedSampler;
    active: WeightedSampler;
  }) {
    this.users = init.users;
    this.community = init.community;
    this.followers = init.followers;
    this.following = init.following;
    this.activity = init.activity;
    this.communities = init.communities;
    this.crossFraction = init.crossFraction;
    this.starts = init.starts;
    this.popular = init.popular;
    this.active = init.active;
  }

  /** Number of users. */
  get size(): number {
    return this.users.length;
  }

  /** A user drawn by activity: who posts or reads next. */
  pickActiveUser(rng: Rng): number {
    return this.active.pickIn(rng);
  }

  /**
   * A user for `user` to follow, drawn by popularity: from another community with probability
   * `crossFraction` (or when `cross` says so), else from `user`'s own. It may be `user` itself or someone already followed;
   * callers that care draw again.
   */
  pickFollowee(rng: Rng, user: number, cross?: boolean): number {
    // `cross` lets the caller make the choice (the generator draws it once per edge).
    cross ??= this.communities > 1 && rng.chance(this.crossFraction);
    const c = this.community[user]!;
    const lo = this.starts[c]!;
    const hi = this.starts[c + 1]!;
    return cross ? this.popular.pickOutside(rng, lo, hi) : this.popular.pickIn(rng, lo, hi);
  }

  /** Number of follow edges. */
  edges(): number {
    let e = 0;
    for (const f of this.followers) e += f.length;
    return e;
  }

  /** Fraction of follow edges whose ends are in different communities (0 without edges). */
  crossEdgeFraction(): number {
    let cross = 0;
    let all = 0;
    for (const [t, fs] of this.followers.entries()) {
      for (const f of fs) {
        all++;
        if (this.community[f] !== this.community[t]) cross++;
      }
    }
    return all === 0 ? 0 : cross / all;
  }
}

/** The name of user `i` in a graph of `n` users: `u` and the index, zero-padded to 5+ digits. */
export function userName(i: number, n: number): string {
  return `u${String(i).padStart(Math.max(5, String(n - 1).length), "0")}`;
}

/** A uniformly shuffled 0 .. n-1. */
function permutation(rng: Rng, n: number): number[] {
  return rng.shuffle(Array.from({ length: n }, (_, i) => i));
}

/**
 * Generates a follower graph from `rng` (the same seed and options give the same graph).
 * Users are split into balanced contiguous communities; popularity and activity follow Zipf laws
 * over independent random rankings. Each user follows about `avgFollowing` others, each edge
 * crossing communities with probability `crossFraction` and landing on a user drawn by
 * popularity; an edge that finds no user that is new, not itself and under `maxFollowers`
 * within a few draws is dropped. 100,000 users take well under a second.
 */
export function generateSocialGraph(rng: Rng, opts: SocialGraphOptions): SocialGraph {
  const n = opts.users;
  const communities = opts.communities ?? 1;
  const avgFollowing = opts.avgFollowing ?? 10;
  const maxFollowers = opts.maxFollowers ?? 1000;
  const crossFraction = communities > 1 ? (opts.crossFraction ?? 0) : 0;
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
    throw new ConfigError(`users must be an integer in [1, 1000000], got ${n}`);
  }
  if (!Number.isInteger(communities) || communities < 1 || communities > n) {
    throw new ConfigError(`communities must be an integer in [1, users], got ${communities}`);
  }
  if (!(avgFollowing >= 0) || 2 * avgFollowing > FOLLOW_CAP) {
    throw new ConfigError(`avgFollowing must be in [0, ${FOLLOW_CAP / 2}], got ${avgFollowing}`);
  }
  if (!Number.isInteger(maxFollowers) || maxFollowers < 0 || maxFollowers > FOLLOW_CAP) {
    throw new ConfigError(`maxFollowers must be an integer in [0, ${FOLLOW_CAP}]`);
  }
  if (!(crossFraction >= 0 && crossFraction <= 1)) {
    throw new ConfigError(`crossFraction must be in [0, 1], got ${crossFraction}`);
  }
  // Separate streams, so changing how edges are drawn leaves rankings (and vice versa) unchanged.
  const popRank = permutation(rng.fork("popularity"), n);
  const actRank = permutation(rng.fork("activity"), n);
  const edgeRng = rng.fork("edges");

  const users = Array.from({ length: n }, (_, i) => userName(i, n));
  const community = Array.from({ length: n }, (_, i) => Math.floor((i * communities) / n));
  // Community c is the indices i with floor(i·C/n) = c, which start at ceil(c·n/C).
  const starts = Array.from({ length: communities + 1 }, (_, c) =>
    Math.ceil((c * n) / communities),
  );
  const popular = new WeightedSampler(zipfWeights(popRank, opts.followerExponent ?? 1));
  const actW = zipfWeights(actRank, opts.activityExponent ?? 1);
  const actSum = actW.reduce((a, b) => a + b, 0);
  const activity = Array.from(actW, (w) => w / actSum);
  const active = new WeightedSampler(actW);

  const followers: number[][] = Array.from({ length: n }, () => []);
  const following: number[][] = Array.from({ length: n }, () => []);
  const graph = new SocialGraph({
    users,
    community,
    followers,
    following,
    activity,
    communities,
    crossFraction,
    starts,
    popular,
    active,
  });
  const maxOut = Math.round(2 * avgFollowing);
  for (let f = 0; f < n; f++) {
    const c = community[f]!;
    const ownSize = starts[c + 1]! - starts[c]!;
    const out = edgeRng.int(maxOut + 1);
    const mine = following[f]!;
    for (let e = 0; e < out; e++) {
      const cross = crossFraction > 0 && edgeRng.chance(crossFraction);
      if (!cross && ownSize < 2) continue;
      for (let attempt = 0; attempt < EDGE_ATTEMPTS; attempt++) {
        const t = graph.pickFollowee(edgeRng, f, cross);
        if (t === f || followers[t]!.length >= maxFollowers || mine.includes(t)) continue;
        mine.push(t);
        followers[t]!.push(f);
        break;
      }
    }
  }
  return graph;
}

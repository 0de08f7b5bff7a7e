// Chirper's vocabulary: users, posts, commands, results and the limits that keep values bounded.

/** Most recent own posts a user keeps. */
export const POSTS_CAP = 100;
/** Most recent posts a user's materialised timeline keeps. */
export const TIMELINE_CAP = 100;
/**
 * Most followers, and most followees, one user may have. Unlike the post lists these cannot
 * simply drop old entries (a dropped follower would silently stop receiving posts), so a follow
 * beyond the limit fails instead.
 */
export const FOLLOW_CAP = 10_000;
/** Longest post text, in UTF-16 code units. */
export const TEXT_MAX = 280;
/** Longest user name, in UTF-16 code units. */
export const NAME_MAX = 64;

/** One post. `time` is the posting command's final multicast timestamp. */
export interface Post {
  readonly author: string;
  readonly text: string;
  readonly time: number;
}

/** The value of a user's variable (the variable's id is the user name). */
export interface ChirperUser {
  /** Users who follow this user, in follow order. */
  readonly followers: readonly string[];
  /** Users this user follows, in follow order. */
  readonly following: readonly string[];
  /** This user's own most recent posts, newest first. */
  readonly posts: readonly Post[];
  /** Posts of everyone this user follows plus its own, newest first. */
  readonly timeline: readonly Post[];
}

/** A Chirper command (a discriminated union on `type`). */
export type ChirperCmd =
  | { readonly type: "adduser"; readonly user: string }
  | { readonly type: "post"; readonly user: string; readonly text: string }
  | { readonly type: "timeline"; readonly user: string }
  /** `user` starts following `other`. */
  | { readonly type: "follow"; readonly user: string; readonly other: string }
  /** `user` stops following `other`. */
  | { readonly type: "unfollow"; readonly user: string; readonly other: string };

/** Why a Chirper command failed. */
export type ChirperErrorCode =
  /** The named user does not exist. */
  | "unknown-user"
  /** adduser of a name that is taken. */
  | "user-exists"
  /** A follow would exceed FOLLOW_CAP for the named user. */
  | "follow-limit";

/** The result of a Chirper command. Failures name the user they are about. */
export type ChirperResult =
  | { readonly type: "adduser"; readonly ok: true; readonly user: string }
  /** `time` is the post's timestamp, as it appears in timelines. */
  | { readonly type: "post"; readonly ok: true; readonly time: number }
  /** The user's timeline, newest first. */
  | { readonly type: "timeline"; readonly ok: true; readonly posts: readonly Post[] }
  | { readonly type: "follow"; readonly ok: true }
  | { readonly type: "unfollow"; readonly ok: true }
  | {
      readonly type: ChirperCmd["type"];
      readonly ok: false;
      readonly error: ChirperErrorCode;
      readonly user: string;
    };

/** A user with no followers, followees or posts: what adduser creates. */
export const NEW_USER: ChirperUser = { followers: [], following: [], posts: [], timeline: [] };

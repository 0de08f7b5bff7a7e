// Executes Chirper's access commands (post, timeline, follow, unfollow) over a VarView.
import type { ExecContext, VarView } from "../../core/dssmr/app.ts";
import { insertPost, mergePosts, withoutAuthor } from "./posts.ts";
import {
  type ChirperCmd,
  type ChirperResult,
  type ChirperUser,
  FOLLOW_CAP,
  NEW_USER,
  POSTS_CAP,
  type Post,
  TIMELINE_CAP,
} from "./types.ts";

/** The failure result of `cmd` about `user`. */
export function chirperError(
  cmd: ChirperCmd,
  error: "unknown-user" | "user-exists" | "follow-limit",
  user: string,
): ChirperResult {
  return { type: cmd.type, ok: false, error, user };
}

/**
 * Runs `cmd` over `view`. Stored values are frozen and shared, so every change builds new
 * arrays. The variables asked for depend only on the command and its declared variables
 * (post asks for the followers its user lists), and results depend only on declared variables:
 * what the system needs for S-SMR execution to agree across partitions.
 */
export function executeChirper(
  cmd: ChirperCmd,
  view: VarView<ChirperUser>,
  ctx: ExecContext,
): ChirperResult {
  const u = view.get(cmd.user);
  if (cmd.type === "adduser") {
    // The engine creates variables itself; this is only the same meaning, for completeness.
    if (u !== undefined) return chirperError(cmd, "user-exists", cmd.user);
    view.set(cmd.user, NEW_USER);
    return { type: "adduser", ok: true, user: cmd.user };
  }
  if (u === undefined) return chirperError(cmd, "unknown-user", cmd.user);
  switch (cmd.type) {
    case "timeline":
      return { type: "timeline", ok: true, posts: u.timeline };
    case "post":
      return post(cmd.user, u, cmd.text, view, ctx);
    case "follow":
    case "unfollow": {
      const o = view.get(cmd.other);
      if (o === undefined) return chirperError(cmd, "unknown-user", cmd.other);
      return cmd.type === "follow"
        ? follow(cmd, cmd.user, u, cmd.other, o, view)
        : unfollow(cmd.user, u, cmd.other, o, view);
    }
  }
}

/**
 * Appends the post to the author's posts and timeline and to the timeline of every follower the
 * view holds. A follower the view lacks is skipped: asking for it is what tells the engine the
 * command needs it (it aborts and retries with the follower included, or, in S-SMR execution,
 * the follower does not exist). The result does not say how many followers were reached.
 */
function post(
  user: string,
  u: ChirperUser,
  text: string,
  view: VarView<ChirperUser>,
  ctx: ExecContext,
): ChirperResult {
  // The post and the new lists are frozen here, as the engine freezes what a command writes:
  // its deep freeze then stops at them instead of visiting every post of every timeline again
  // (a post reaches each follower, and that walk was most of a post's cost).
  const p: Post = Object.freeze({ author: user, text, time: ctx.time });
  for (const f of u.followers) {
    if (f === user) continue; // never the case for valid data; the author's write below wins
    const fv = view.get(f);
    if (fv === undefined) continue;
    view.set(f, { ...fv, timeline: Object.freeze(insertPost(fv.timeline, p, TIMELINE_CAP)) });
  }
  view.set(user, {
    ...u,
    posts: Object.freeze(insertPost(u.posts, p, POSTS_CAP)),
    timeline: Object.freeze(insertPost(u.timeline, p, TIMELINE_CAP)),
  });
  return { type: "post", ok: true, time: ctx.time };
}

/**
 * `user` follows `other`: each joins the other's list and `other`'s recent posts merge into
 * `user`'s timeline. Following twice changes nothing: lists keep each name once and the merge
 * keeps each post once.
 */
function follow(
  cmd: ChirperCmd,
  user: string,
  u: ChirperUser,
  other: string,
  o: ChirperUser,
  view: VarView<ChirperUser>,
): ChirperResult {
  const addFollowing = !u.following.includes(other);
  const addFollower = !o.followers.includes(user);
  if (addFollowing && u.following.length >= FOLLOW_CAP) {
    return chirperError(cmd, "follow-limit", user);
  }
  if (addFollower && o.followers.length >= FOLLOW_CAP) {
    return chirperError(cmd, "follow-limit", other);
  }
  const timeline = mergePosts(u.timeline, o.posts, TIMELINE_CAP);
  const timelineChanged =
    timeline.length !== u.timeline.length || timeline.some((p, i) => p !== u.timeline[i]);
  if (addFollowing || timelineChanged) {
    view.set(user, {
      ...u,
      following: addFollowing ? [...u.following, other] : u.following,
      timeline: timelineChanged ? timeline : u.timeline,
    });
  }
  if (addFollower) view.set(other, { ...o, followers: [...o.followers, user] });
  return { type: "follow", ok: true };
}

/**
 * `user` stops following `other`: each leaves the other's list and `other`'s posts leave
 * `user`'s timeline. Unfollowing someone not followed changes nothing.
 */
function unfollow(
  user: string,
  u: ChirperUser,
  other: string,
  o: ChirperUser,
  view: VarView<ChirperUser>,
): ChirperResult {
  const timeline = withoutAuthor(u.timeline, other);
  if (u.following.includes(other) || timeline.length !== u.timeline.length) {
    view.set(user, { ...u, following: u.following.filter((x) => x !== other), timeline });
  }
  if (o.followers.includes(user)) {
    view.set(other, { ...o, followers: o.followers.filter((x) => x !== user) });
  }
  return { type: "unfollow", ok: true };
}

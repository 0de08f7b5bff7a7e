// Operations on newest-first post lists: insert, merge, filter, all bounded by a cap and pure.
import type { Post } from "./types.ts";

/**
 * Orders posts newest first: by time descending, then author descending. Timestamps are unique
 * per command and one command posts once, so (time, author) identifies a post and the order is
 * total and identical at every replica.
 */
export function newerFirst(a: Post, b: Post): number {
  if (a.time !== b.time) return b.time - a.time;
  return a.author < b.author ? 1 : a.author > b.author ? -1 : 0;
}

/**
 * The newest `cap` posts of two newest-first lists, newest first, each post once (equal by
 * time and author). Never mutates its arguments: stored values are shared and frozen.
 */
export function mergePosts(a: readonly Post[], b: readonly Post[], cap: number): Post[] {
  const out: Post[] = [];
  let i = 0;
  let j = 0;
  while (out.length < cap && (i < a.length || j < b.length)) {
    const x = a[i];
    const y = b[j];
    let next: Post;
    if (x === undefined) next = b[j++]!;
    else if (y === undefined) next = a[i++]!;
    else {
      const c = newerFirst(x, y);
      if (c === 0) j++; // the same post on both sides: keep one
      next = c <= 0 ? a[i++]! : b[j++]!;
    }
    const last = out[out.length - 1];
    if (last === undefined || newerFirst(last, next) !== 0) out.push(next);
  }
  return out;
}

/**
 * `posts` with `post` inserted in order, capped: `mergePosts(posts, [post], cap)`. `posts` must
 * be strictly ordered newest first (no post twice), as every list these functions build from
 * empty ones is. A new post is nearly always newer than all of them: it then goes in front
 * without reading the others, which a merge would (a post is inserted into every follower's
 * timeline, so that read was most of a post's cost).
 */
export function insertPost(posts: readonly Post[], post: Post, cap: number): Post[] {
  const first = posts[0];
  if (cap >= 1 && (first === undefined || newerFirst(post, first) < 0)) {
    const n = Math.min(cap, posts.length + 1);
    const out = new Array<Post>(n);
    out[0] = post;
    for (let i = 1; i < n; i++) out[i] = posts[i - 1]!;
    return out;
  }
  return mergePosts(posts, [post], cap);
}

/** `posts` without the posts of `author`. */
export function withoutAuthor(posts: readonly Post[], author: string): Post[] {
  return posts.filter((p) => p.author !== author);
}

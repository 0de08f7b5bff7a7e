// Tests of the newest-first post list operations.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { insertPost, mergePosts, newerFirst, withoutAuthor } from "./posts.ts";
import type { Post } from "./types.ts";

const p = (author: string, time: number): Post => ({ author, text: `${author}@${time}`, time });

describe("post lists", () => {
  it("orders by time, then author, newest first", () => {
    const sorted = [p("a", 1), p("b", 3), p("a", 3), p("c", 2)].sort(newerFirst);
    expect(sorted.map((x) => x.text)).toEqual(["b@3", "a@3", "c@2", "a@1"]);
  });

  it("merges, drops duplicates and caps", () => {
    const a = [p("a", 9), p("a", 5), p("a", 1)];
    const b = [p("b", 7), p("a", 5), p("b", 2)];
    expect(mergePosts(a, b, 10).map((x) => x.text)).toEqual(["a@9", "b@7", "a@5", "b@2", "a@1"]);
    expect(mergePosts(a, b, 3).map((x) => x.text)).toEqual(["a@9", "b@7", "a@5"]);
    expect(mergePosts([], [], 3)).toEqual([]);
  });

  it("inserts in place and filters by author without touching the input", () => {
    const list = Object.freeze([p("a", 9), p("a", 1)]);
    expect(insertPost(list, p("b", 4), 10).map((x) => x.time)).toEqual([9, 4, 1]);
    expect(insertPost(list, p("b", 4), 2).map((x) => x.time)).toEqual([9, 4]);
    expect(withoutAuthor([...list, p("b", 0)], "a")).toEqual([p("b", 0)]);
    expect(list).toHaveLength(2);
  });

  it("inserts as a merge with a one-post list would, for any strictly ordered list", () => {
    const post = fc.record({
      author: fc.constantFrom("a", "b", "c"),
      time: fc.integer({ min: 0, max: 9 }),
    });
    fc.assert(
      fc.property(
        fc.array(post, { maxLength: 12 }),
        post,
        fc.integer({ min: 0, max: 8 }),
        (xs, x, cap) => {
          // Strictly ordered, as every stored list is: sorted newest first, each post once.
          const list = mergePosts([...xs].map((y) => p(y.author, y.time)).sort(newerFirst), [], 99);
          const q = p(x.author, x.time);
          expect(insertPost(list, q, cap)).toEqual(mergePosts(list, [q], cap));
        },
      ),
    );
  });
});

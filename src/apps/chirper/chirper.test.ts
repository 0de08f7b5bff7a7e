// Tests of Chirper: every command over an in-memory view, caps, idempotence, unknown users, validation.
import { describe, expect, it } from "vitest";
import { deepFreeze } from "../../core/dssmr/view.ts";
import { groupId } from "../../core/ids.ts";
import { MapView } from "../map-view.ts";
import { runSequential } from "../sequential.ts";
import { createChirper } from "./chirper.ts";
import {
  type ChirperCmd,
  type ChirperResult,
  type ChirperUser,
  FOLLOW_CAP,
  NEW_USER,
  POSTS_CAP,
  TEXT_MAX,
  TIMELINE_CAP,
} from "./types.ts";

const app = createChirper();

/** A fresh world of users (values frozen, as the engine stores them). */
function world(...users: string[]): Map<string, ChirperUser> {
  return new Map(users.map((u) => [u, deepFreeze({ ...NEW_USER })]));
}

/** Runs one command as the system would, at time `time`; values stay frozen. */
function run(state: Map<string, ChirperUser>, cmd: ChirperCmd, time = 0): ChirperResult {
  const r = runSequential(app, state, cmd, time);
  for (const [k, v] of state) state.set(k, deepFreeze(v));
  return r;
}

const post = (user: string, text: string): ChirperCmd => ({ type: "post", user, text });
const follow = (user: string, other: string): ChirperCmd => ({ type: "follow", user, other });
const unfollow = (user: string, other: string): ChirperCmd => ({ type: "unfollow", user, other });
const timeline = (user: string): ChirperCmd => ({ type: "timeline", user });

/** The texts of a user's timeline, newest first. */
function texts(state: Map<string, ChirperUser>, user: string): string[] {
  const r = run(state, timeline(user));
  if (r.type !== "timeline" || !r.ok) throw new Error(`timeline failed: ${JSON.stringify(r)}`);
  return r.posts.map((p) => p.text);
}

describe("chirper classify, variables and placement", () => {
  it("declares the variables of each command", () => {
    expect(app.classify({ type: "adduser", user: "a" })).toEqual({ kind: "create", variable: "a" });
    expect(app.classify(post("a", "x"))).toEqual({ kind: "access" });
    expect(app.variables(post("a", "x"))).toEqual(["a"]);
    expect(app.variables(timeline("a"))).toEqual(["a"]);
    expect(app.variables(follow("a", "b"))).toEqual(["a", "b"]);
    expect(app.variables(unfollow("a", "b"))).toEqual(["a", "b"]);
    expect(app.variables({ type: "adduser", user: "a" })).toEqual(["a"]);
  });

  it("places by a stable hash, by community tag, or by the given function", () => {
    const parts = [1, 2, 3, 4].map(groupId);
    const p = app.place("alice", parts);
    expect(parts).toContain(p);
    expect(app.place("alice", parts)).toBe(p);
    expect(app.place("c2:alice", parts)).toBe(groupId(3));
    expect(app.place("c6:bob", parts)).toBe(groupId(3));
    // Hash placement spreads names over every partition.
    const seen = new Set(Array.from({ length: 200 }, (_, i) => app.place(`u${i}`, parts)));
    expect(seen.size).toBe(4);
    const custom = createChirper({ place: (_u, ps) => ps[ps.length - 1]! });
    expect(custom.place("c0:x", parts)).toBe(groupId(4));
  });
});

describe("chirper adduser", () => {
  it("creates an empty user and rejects an existing name", () => {
    const s = world();
    expect(run(s, { type: "adduser", user: "a" })).toEqual({
      type: "adduser",
      ok: true,
      user: "a",
    });
    expect(s.get("a")).toEqual(NEW_USER);
    expect(run(s, { type: "adduser", user: "a" })).toEqual({
      type: "adduser",
      ok: false,
      error: "user-exists",
      user: "a",
    });
  });

  it("means the same through execute (as S-SMR execution would run it)", () => {
    const s = world("a");
    const v = new MapView(s);
    expect(app.execute({ type: "adduser", user: "a" }, v, { time: 1 })).toEqual(
      app.rejected({ type: "adduser", user: "a" }, "exists", "a"),
    );
    const v2 = new MapView(s);
    expect(app.execute({ type: "adduser", user: "b" }, v2, { time: 1 })).toEqual(
      app.created({ type: "adduser", user: "b" }),
    );
    expect(v2.writes.get("b")).toEqual(NEW_USER);
  });
});

describe("chirper post and timeline", () => {
  it("reaches the author and every follower, newest first, and not non-followers", () => {
    const s = world("a", "b", "c", "d");
    run(s, follow("b", "a"));
    run(s, follow("c", "a"));
    expect(run(s, post("a", "hello"), 10)).toEqual({ type: "post", ok: true, time: 10 });
    run(s, post("a", "again"), 20);
    run(s, post("b", "mine"), 15);
    expect(texts(s, "a")).toEqual(["again", "hello"]);
    expect(texts(s, "b")).toEqual(["again", "mine", "hello"]);
    expect(texts(s, "c")).toEqual(["again", "hello"]);
    expect(texts(s, "d")).toEqual([]);
    expect(s.get("a")!.posts.map((p) => p.time)).toEqual([20, 10]);
    expect(s.get("b")!.timeline[0]).toEqual({ author: "a", text: "again", time: 20 });
  });

  it("orders by time and then author whatever the arrival order", () => {
    const s = world("a", "b", "z");
    run(s, follow("z", "a"));
    run(s, follow("z", "b"));
    run(s, post("b", "late"), 30);
    run(s, post("a", "early"), 5);
    run(s, post("a", "mid"), 17);
    expect(texts(s, "z")).toEqual(["late", "mid", "early"]);
  });

  it("asks for each follower, and skips followers the view does not hold", () => {
    const s = world("a", "b", "c");
    run(s, follow("b", "a"));
    run(s, follow("c", "a"));
    const partial = new Map([...s].filter(([k]) => k !== "c"));
    const v = new MapView(partial);
    expect(app.execute(post("a", "x"), v, { time: 3 })).toEqual({
      type: "post",
      ok: true,
      time: 3,
    });
    expect([...v.asked]).toEqual(["a", "b", "c"]);
    expect(v.missing()).toEqual(["c"]);
    expect([...v.writes.keys()].sort()).toEqual(["a", "b"]);
  });

  it("caps own posts and timelines, keeping the newest", () => {
    const s = world("a", "b");
    run(s, follow("b", "a"));
    const n = Math.max(POSTS_CAP, TIMELINE_CAP) + 25;
    for (let i = 1; i <= n; i++) run(s, post("a", `p${i}`), i);
    const a = s.get("a")!;
    expect(a.posts).toHaveLength(POSTS_CAP);
    expect(a.posts[0]!.text).toBe(`p${n}`);
    expect(a.timeline).toHaveLength(TIMELINE_CAP);
    expect(s.get("b")!.timeline).toHaveLength(TIMELINE_CAP);
    expect(s.get("b")!.timeline.at(-1)!.text).toBe(`p${n - TIMELINE_CAP + 1}`);
  });

  it("never mutates stored values (they are frozen and shared)", () => {
    const s = world("a", "b");
    run(s, follow("b", "a"));
    const before = s.get("b");
    expect(() => run(s, post("a", "x"), 1)).not.toThrow();
    expect(before!.timeline).toEqual([]);
  });
});

describe("chirper follow and unfollow", () => {
  it("links both users and merges the followee's recent posts", () => {
    const s = world("a", "b");
    run(s, post("a", "old"), 1);
    run(s, post("b", "own"), 2);
    expect(run(s, follow("b", "a"))).toEqual({ type: "follow", ok: true });
    expect(s.get("b")!.following).toEqual(["a"]);
    expect(s.get("a")!.followers).toEqual(["b"]);
    expect(texts(s, "b")).toEqual(["own", "old"]);
  });

  it("is idempotent: following twice writes nothing", () => {
    const s = world("a", "b");
    run(s, post("a", "x"), 1);
    run(s, follow("b", "a"));
    const snapshot = structuredClone([...s]);
    const v = new MapView(s);
    expect(app.execute(follow("b", "a"), v, { time: 9 })).toEqual({ type: "follow", ok: true });
    expect(v.writes.size).toBe(0);
    expect([...s]).toEqual(snapshot);
  });

  it("unfollow reverses follow and drops the followee's posts, keeping the rest", () => {
    const s = world("a", "b", "c");
    run(s, follow("c", "a"));
    run(s, follow("c", "b"));
    run(s, post("a", "from a"), 1);
    run(s, post("b", "from b"), 2);
    run(s, post("c", "from c"), 3);
    expect(run(s, unfollow("c", "a"))).toEqual({ type: "unfollow", ok: true });
    expect(s.get("c")!.following).toEqual(["b"]);
    expect(s.get("a")!.followers).toEqual([]);
    expect(texts(s, "c")).toEqual(["from c", "from b"]);
    // Posting after the unfollow no longer reaches c.
    run(s, post("a", "later"), 4);
    expect(texts(s, "c")).toEqual(["from c", "from b"]);
    // Unfollowing again changes nothing.
    const v = new MapView(s);
    app.execute(unfollow("c", "a"), v, { time: 5 });
    expect(v.writes.size).toBe(0);
  });
});

describe("chirper follow limit", () => {
  it("fails a follow that would exceed FOLLOW_CAP on either side, changing nothing", () => {
    const s = world("a", "b", "c");
    const many = Array.from({ length: FOLLOW_CAP }, (_, i) => `x${i}`);
    s.set("a", deepFreeze({ ...NEW_USER, following: many }));
    s.set("c", deepFreeze({ ...NEW_USER, followers: many }));
    expect(run(s, follow("a", "b"))).toEqual({
      type: "follow",
      ok: false,
      error: "follow-limit",
      user: "a",
    });
    expect(run(s, follow("b", "c"))).toEqual({
      type: "follow",
      ok: false,
      error: "follow-limit",
      user: "c",
    });
    expect(s.get("b")).toEqual(NEW_USER);
    // Re-following an existing followee adds nobody, so it is not limited.
    s.set("a", deepFreeze({ ...NEW_USER, following: [...many.slice(1), "b"] }));
    s.set("b", deepFreeze({ ...NEW_USER, followers: ["a"] }));
    expect(run(s, follow("a", "b"))).toEqual({ type: "follow", ok: true });
  });
});

describe("chirper unknown users", () => {
  it("rejects commands on a user or other that does not exist, naming it", () => {
    const s = world("a");
    const cases: [ChirperCmd, string][] = [
      [timeline("x"), "x"],
      [post("x", "t"), "x"],
      [follow("a", "x"), "x"],
      [follow("x", "a"), "x"],
      [unfollow("a", "x"), "x"],
    ];
    for (const [cmd, user] of cases) {
      const expected = { type: cmd.type, ok: false, error: "unknown-user", user };
      expect(run(s, cmd)).toEqual(expected);
      // execute on a view without the user gives exactly the oracle's rejection.
      const v = new MapView(s);
      expect(app.execute(cmd, v, { time: 1 })).toEqual(expected);
      expect(app.rejected(cmd, "unknown", user)).toEqual(expected);
      expect(v.writes.size).toBe(0);
    }
  });
});

describe("chirper validate", () => {
  it("accepts well-formed commands", () => {
    for (const cmd of [
      { type: "adduser", user: "a" },
      { type: "post", user: "a", text: "" },
      { type: "post", user: "a", text: "x".repeat(TEXT_MAX) },
      { type: "timeline", user: "a" },
      { type: "follow", user: "a", other: "b" },
      { type: "unfollow", user: "a", other: "b" },
    ]) {
      expect(app.validate(cmd)).toBeNull();
    }
  });

  it("explains what is wrong with malformed commands", () => {
    const cases: [unknown, RegExp][] = [
      [null, /object/],
      [[], /object/],
      ["post", /object/],
      [{ type: "tweet", user: "a" }, /unknown command type "tweet"/],
      [{ user: "a" }, /unknown command type null/],
      [{ type: "timeline" }, /missing user/],
      [{ type: "timeline", user: 7 }, /user must be a string/],
      [{ type: "timeline", user: "" }, /user must not be empty/],
      [{ type: "timeline", user: "x".repeat(65) }, /longer than 64/],
      [{ type: "post", user: "a" }, /string text/],
      [{ type: "post", user: "a", text: "x".repeat(TEXT_MAX + 1) }, /longer than 280/],
      [{ type: "follow", user: "a" }, /missing other/],
      [{ type: "follow", user: "a", other: "a" }, /cannot follow itself/],
      [{ type: "unfollow", user: "a", other: "a" }, /cannot unfollow itself/],
    ];
    for (const [cmd, msg] of cases) expect(app.validate(cmd)).toMatch(msg);
  });
});

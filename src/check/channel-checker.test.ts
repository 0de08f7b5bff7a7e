// The channel checker must accept healthy channel histories (with restarts) and report each kind of violation fed to it.
import { describe, expect, it } from "vitest";
import { ChannelChecker, type ChannelFinishOptions } from "./channel-checker.ts";

const replicasByGroup = new Map<number, readonly number[]>([
  [0, [1, 2, 3]],
  [1, [11, 12, 13]],
  [2, [21, 22, 23]],
]);
const allReplicas = new Set([...replicasByGroup.values()].flat());
const live: ChannelFinishOptions = { replicasByGroup, correct: allReplicas, checkLiveness: true };
const safe: ChannelFinishOptions = { ...live, checkLiveness: false };

/** One channel delivery: message `id` from group `from`. */
type Item = readonly [from: number, id: string];

/**
 * Every replica of `to` applies `items` in order; its second replica crashes after `crashAt`
 * of them and restarts from a snapshot covering `snapshot`, re-reporting the positions after it.
 */
function apply(
  c: ChannelChecker,
  to: number,
  items: readonly Item[],
  crashAt = 0,
  snapshot = 0,
): void {
  for (const replica of replicasByGroup.get(to)!) {
    const restarts = replica === replicasByGroup.get(to)![1] && crashAt > 0;
    const upTo = restarts ? crashAt : items.length;
    for (let i = 0; i < upTo; i++) c.onAppend(to, replica, i + 1, items[i]![0], items[i]![1]);
    if (!restarts) continue;
    c.onRestore(replica, snapshot);
    for (let i = snapshot; i < items.length; i++) {
      c.onAppend(to, replica, i + 1, items[i]![0], items[i]![1]);
    }
  }
}

describe("ChannelChecker", () => {
  it("accepts interleaved channels applied in per-channel order, with restarts", () => {
    const c = new ChannelChecker();
    for (const id of ["a", "b", "c"]) c.onSend(0, 1, id);
    for (const id of ["x", "y"]) c.onSend(2, 1, id);
    for (const id of ["a", "p"]) c.onSend(1, 2, id);
    apply(
      c,
      1,
      [
        [0, "a"],
        [2, "x"],
        [0, "b"],
        [2, "y"],
        [0, "c"],
      ],
      4,
      2,
    );
    apply(
      c,
      2,
      [
        [1, "a"],
        [1, "p"],
      ],
      1,
      0,
    );
    expect(c.violations).toEqual([]);
    expect(c.finish(live)).toEqual([]);
  });

  it("reports a message applied twice, and one that was never sent to that group", () => {
    const c = new ChannelChecker();
    c.onSend(0, 1, "a");
    c.onSend(0, 1, "b");
    apply(c, 1, [
      [0, "a"],
      [0, "b"],
      [0, "a"],
    ]);
    expect(c.violations).toEqual([
      "exactly-once: group 1 applied 0->1 a twice, at positions 1 and 3",
    ]);
    const d = new ChannelChecker();
    d.onSend(0, 2, "a");
    apply(d, 1, [[0, "a"]]);
    expect(d.violations).toEqual(["exactly-once: group 1 applied 0->1 a, which was never sent"]);
  });

  it("reports replicas of a group that disagree at a position", () => {
    const c = new ChannelChecker();
    c.onSend(0, 1, "a");
    c.onSend(2, 1, "x");
    c.onAppend(1, 11, 1, 0, "a");
    c.onAppend(1, 12, 1, 2, "x");
    expect(c.violations).toEqual([
      "agreement: replica 12 of group 1 applied 2->1 x at position 1, where another replica applied 0->1 a",
    ]);
  });

  it("reports a channel applied out of send order, or with a gap", () => {
    const c = new ChannelChecker();
    c.onSend(0, 1, "a");
    c.onSend(0, 1, "b");
    c.onSend(2, 1, "x");
    apply(c, 1, [
      [0, "b"],
      [2, "x"],
      [0, "a"],
    ]);
    expect(c.finish(live)).toEqual(["fifo: group 1 applied 0->1 b before a, sent before it"]);
    const d = new ChannelChecker();
    d.onSend(0, 1, "a");
    d.onSend(0, 1, "b");
    apply(d, 1, [[0, "b"]]);
    expect(d.finish(safe)).toEqual(["fifo: group 1 applied 0->1 b but never a, sent before it"]);
  });

  it("reports an unapplied message and a lagging correct replica only when liveness is checked", () => {
    const c = new ChannelChecker();
    c.onSend(0, 1, "a");
    c.onSend(0, 2, "a");
    apply(c, 1, [[0, "a"]]);
    expect(c.finish(safe)).toEqual([]);
    expect(c.finish(live)).toEqual([
      "liveness: 1 messages from group 0 to group 2 were never applied (a)",
    ]);
    const d = new ChannelChecker();
    d.onSend(0, 1, "a");
    d.onSend(0, 1, "b");
    d.onAppend(1, 11, 1, 0, "a");
    d.onAppend(1, 11, 2, 0, "b");
    d.onAppend(1, 12, 1, 0, "a");
    const opts = { replicasByGroup: new Map([[1, [11, 12]]]), checkLiveness: true };
    expect(d.finish({ ...opts, correct: new Set([11, 12]) })).toEqual([
      "liveness: correct replica 12 of group 1 has 1 of the group's 2 channel deliveries (1 missing)",
    ]);
    expect(d.finish({ ...opts, correct: new Set([11]) })).toEqual([]);
  });
});

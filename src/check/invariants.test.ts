// The consensus checker must accept a healthy history and report each kind of violation fed to it.
import { describe, expect, it } from "vitest";
import type { Entry } from "../core/raft/types.ts";
import { ConsensusChecker, type LogView } from "./invariants.ts";

function log(entries: Entry<string>[], commitIndex: number, snapshotIndex = 0): LogView {
  const byIndex = new Map(entries.map((e) => [e.index, e]));
  return {
    commitIndex,
    snapshotIndex,
    lastIndex: entries.length === 0 ? snapshotIndex : entries[entries.length - 1]!.index,
    entry: (i) => byIndex.get(i),
  };
}
const e = (index: number, term: number, ...cmds: string[]): Entry<string> => ({
  index,
  term,
  cmds,
});

describe("ConsensusChecker", () => {
  it("accepts replicas that agree", () => {
    const c = new ConsensusChecker();
    const a = log([e(1, 1), e(2, 1, "x"), e(3, 2)], 3);
    const b = log([e(1, 1), e(2, 1, "x")], 2);
    c.observeRole(1, "leader", 1, a);
    c.observeRole(1, "leader", 1, a);
    c.observeCommit(1, a);
    c.observeCommit(2, b);
    c.observeApply(1, [e(1, 1), e(2, 1, "x")]);
    c.observeApply(2, [e(1, 1), e(2, 1, "x")]);
    c.checkLogs(
      new Map([
        [1, a],
        [2, b],
      ]),
    );
    expect(c.violations).toEqual([]);
  });

  it("reports two leaders in one term", () => {
    const c = new ConsensusChecker();
    c.observeRole(1, "leader", 3, log([], 0));
    c.observeRole(2, "leader", 3, log([], 0));
    expect(c.violations.join()).toMatch(/election safety/);
  });

  it("reports an index committed with two different entries", () => {
    const c = new ConsensusChecker();
    c.observeCommit(1, log([e(1, 1, "a")], 1));
    c.observeCommit(2, log([e(1, 2, "b")], 1));
    expect(c.violations.join()).toMatch(/commit safety/);
  });

  it("reports a leader that lacks a committed entry", () => {
    const c = new ConsensusChecker();
    c.observeCommit(1, log([e(1, 1, "a"), e(2, 1, "b")], 2));
    c.observeRole(2, "leader", 2, log([e(1, 1, "a")], 1));
    expect(c.violations.join()).toMatch(/leader completeness/);
    const d = new ConsensusChecker();
    d.observeCommit(1, log([e(1, 1, "a"), e(2, 1, "b")], 2));
    d.observeRole(2, "leader", 2, log([e(1, 1, "a"), e(2, 2, "c")], 1));
    expect(d.violations.join()).toMatch(/leader completeness/);
  });

  it("reports different entries applied at one index and gaps in apply order", () => {
    const c = new ConsensusChecker();
    c.observeApply(1, [e(1, 1, "a")]);
    c.observeApply(2, [e(1, 1, "b")]);
    expect(c.violations.join()).toMatch(/apply safety/);
    const d = new ConsensusChecker();
    d.observeApply(1, [e(1, 1, "a"), e(3, 1, "c")]);
    expect(d.violations.join()).toMatch(/apply order/);
    const r = new ConsensusChecker();
    r.observeRestore(1, 10);
    r.observeApply(1, [e(11, 2, "k")]);
    expect(r.violations).toEqual([]);
  });

  it("reports logs that break log matching", () => {
    const c = new ConsensusChecker();
    c.checkLogs(
      new Map([
        [1, log([e(1, 1, "a")], 0)],
        [2, log([e(1, 1, "b")], 0)],
      ]),
    );
    expect(c.violations.join()).toMatch(/log matching/);
    const d = new ConsensusChecker();
    d.checkLogs(
      new Map([
        [1, log([e(1, 1, "a"), e(2, 3, "c")], 0)],
        [2, log([e(1, 2, "a"), e(2, 3, "c")], 0)],
      ]),
    );
    expect(d.violations.join()).toMatch(/log matching/);
  });
});

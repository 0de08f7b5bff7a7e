// Tests of the simulated disk: pending writes, fsync, crashes, truncation and snapshots.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvariantError } from "../core/errors.ts";
import { replicaId } from "../core/ids.ts";
import type { Entry, RaftStorageState, Snapshot } from "../core/raft/types.ts";
import { Rng } from "./rng.ts";
import { SimStorage } from "./storage.ts";

const e = (index: number, term = 1, cmds: string[] = [`c${index}`]): Entry<string> => ({
  term,
  index,
  cmds,
});
const range = (lo: number, hi: number, term = 1): Entry<string>[] =>
  Array.from({ length: hi - lo + 1 }, (_, i) => e(lo + i, term));
const snap = (index: number, term = 1, data = `s${index}`): Snapshot<string> => ({
  meta: { index, term },
  data,
});
const indexes = (s: RaftStorageState<string, string>): number[] => s.entries.map((x) => x.index);

/** The invariant every load must satisfy: entries contiguous, right after the snapshot. */
const expectConsistent = (s: RaftStorageState<string, string>): void => {
  let next = (s.snapshot?.meta.index ?? 0) + 1;
  for (const x of s.entries) expect(x.index).toBe(next++);
};

describe("SimStorage", () => {
  it("starts empty", () => {
    const d = new SimStorage<string, string>();
    expect(d.load()).toEqual({ hardState: { term: 0, vote: null }, snapshot: null, entries: [] });
    expect(d.lastIndex).toBe(0);
  });

  it("keeps fsynced writes across a crash", () => {
    const d = new SimStorage<string, string>();
    d.save({ term: 2, vote: replicaId(1) }, null, range(1, 3, 2));
    d.fsync();
    d.crash(new Rng(1));
    const s = d.load();
    expect(s.hardState).toEqual({ term: 2, vote: 1 });
    expect(indexes(s)).toEqual([1, 2, 3]);
    expect(d.stats).toMatchObject({ saves: 1, fsyncs: 1, entriesWritten: 3, crashes: 1 });
  });

  it("loses some unsynced tail on a crash, keeping a prefix of the writes", () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const d = new SimStorage<string, string>();
      d.save({ term: 1, vote: null }, null, range(1, 2));
      d.fsync();
      d.save({ term: 2, vote: replicaId(3) }, null, range(3, 5, 2));
      d.save(null, null, range(6, 6, 2));
      d.crash(new Rng(seed));
      const s = d.load();
      expectConsistent(s);
      const last = s.entries.length;
      expect(last).toBeGreaterThanOrEqual(2);
      // A prefix: entries of the second write survive only if its hard state did.
      if (last > 2) expect(s.hardState.term).toBe(2);
      outcomes.add(`${s.hardState.term}:${last}`);
      expect(d.pendingWrites).toBe(0);
      expect(d.lastIndex).toBe(last);
    }
    // None, the hard state alone, and every entry count up to all of them.
    expect([...outcomes].sort()).toEqual(["1:2", "2:2", "2:3", "2:4", "2:5", "2:6"]);
  });

  it("loses every unsynced write in some crashes and none in others", () => {
    const lengths = new Set<number>();
    for (let seed = 0; seed < 50; seed++) {
      const d = new SimStorage<string, string>();
      d.save(null, null, range(1, 1));
      d.crash(new Rng(seed));
      lengths.add(d.load().entries.length);
    }
    expect([...lengths].sort()).toEqual([0, 1]);
  });

  it("truncates from the first entry's index, then appends", () => {
    const d = new SimStorage<string, string>();
    d.save(null, null, range(1, 5, 1));
    d.save(null, null, range(3, 4, 2));
    d.fsync();
    const s = d.load();
    expect(s.entries.map((x) => [x.index, x.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 2],
    ]);
    d.save(null, null, range(5, 5, 2));
    expect(d.lastIndex).toBe(5);
  });

  it("rejects a gap or non-contiguous entries, writing nothing", () => {
    const d = new SimStorage<string, string>();
    d.save({ term: 1, vote: null }, null, range(1, 2));
    expect(() => d.save({ term: 9, vote: null }, null, range(4, 5))).toThrow(InvariantError);
    expect(() => d.save(null, null, [e(3), e(5)])).toThrow(InvariantError);
    expect(d.pendingWrites).toBe(2);
    d.fsync();
    expect(d.load().hardState.term).toBe(1);
    expect(indexes(d.load())).toEqual([1, 2]);
  });

  it("drops entries a snapshot covers and keeps the matching rest", () => {
    const d = new SimStorage<string, string>();
    d.save(null, null, range(1, 10, 1));
    d.save(null, snap(6, 1), []);
    d.fsync();
    const s = d.load();
    expect(s.snapshot).toEqual(snap(6, 1));
    expect(indexes(s)).toEqual([7, 8, 9, 10]);
    // Entries at or before the snapshot cannot be rewritten; appending still works.
    expect(() => d.save(null, null, range(5, 7))).toThrow(InvariantError);
    d.save(null, null, range(9, 9, 2));
    d.fsync();
    expect(indexes(d.load())).toEqual([7, 8, 9]);
  });

  it("drops the whole log for a snapshot past its end or with another term", () => {
    const d = new SimStorage<string, string>();
    d.save(null, null, range(1, 3, 1));
    d.save(null, snap(8, 2), range(9, 10, 2));
    d.fsync();
    expect(indexes(d.load())).toEqual([9, 10]);

    const c = new SimStorage<string, string>();
    c.save(null, null, range(1, 5, 1));
    c.save(null, snap(3, 2), []);
    c.fsync();
    expect(indexes(c.load())).toEqual([]);
    expect(c.lastIndex).toBe(3);
    expect(() => c.save(null, snap(2, 2), [])).toThrow(InvariantError);
  });

  it("compacts long logs and stays consistent", () => {
    const d = new SimStorage<string, string>();
    d.save(null, null, range(1, 5000));
    for (let i = 500; i <= 4500; i += 500) d.save(null, snap(i), []);
    d.fsync();
    const s = d.load();
    expect(s.snapshot?.meta.index).toBe(4500);
    expect(indexes(s)).toEqual(range(4501, 5000).map((x) => x.index));
  });

  it("returns data the replica cannot use to change the disk", () => {
    const d = new SimStorage<string, string>();
    const cmds = ["a"];
    d.save(null, null, [{ term: 1, index: 1, cmds }]);
    d.fsync();
    cmds.push("mutated after save");
    const s = d.load();
    expect(s.entries[0]?.cmds).toEqual(["a"]);
    expect(() => (s.entries as Entry<string>[]).push(e(2))).not.toThrow();
    expect(indexes(d.load())).toEqual([1]);
    const first = s.entries[0] as Entry<string>;
    expect(() => (first.cmds as string[]).push("x")).toThrow(TypeError);
    expect(() => {
      (s.hardState as { term: number }).term = 5;
    }).toThrow(TypeError);
  });

  it("clones snapshot data when asked", () => {
    const d = new SimStorage<string, { n: number }>({ cloneSnapshotData: (x) => ({ ...x }) });
    const data = { n: 1 };
    d.save(null, { meta: { index: 0, term: 0 }, data }, []);
    data.n = 2;
    d.fsync();
    expect(d.load().snapshot?.data).toEqual({ n: 1 });
  });

  it("after any crash, loads the durable state plus a prefix of the pending writes (property)", () => {
    // A naive reference model of the disk: each pending write unit applied with filters.
    type Model = RaftStorageState<string, string>;
    type Unit =
      | { hard: { term: number; vote: null } }
      | { snap: Snapshot<string> }
      | { entry: Entry<string>; truncateFrom: number | null };
    const applyUnit = (m: Model, u: Unit): Model => {
      if ("hard" in u) return { ...m, hardState: u.hard };
      if ("snap" in u) {
        const { index, term } = u.snap.meta;
        const at = m.entries.find((x) => x.index === index);
        const keep = at !== undefined && at.term === term;
        return {
          ...m,
          snapshot: u.snap,
          entries: keep ? m.entries.filter((x) => x.index > index) : [],
        };
      }
      const from = u.truncateFrom ?? u.entry.index;
      return { ...m, entries: [...m.entries.filter((x) => x.index < from), u.entry] };
    };
    const unitsOf = (hard: Unit | null, es: Entry<string>[]): Unit[] => [
      ...(hard ? [hard] : []),
      ...es.map((entry, i) => ({ entry, truncateFrom: i === 0 ? entry.index : null })),
    ];

    const step = fc.oneof(
      fc.record({ append: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ rewrite: fc.nat(), len: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ snapshot: fc.nat() }),
      fc.constant({ fsync: true as const }),
      fc.record({ crash: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const d = new SimStorage<string, string>();
        let term = 1;
        let durable: Model = d.load();
        let pending: Unit[] = [];
        for (const s of steps) {
          if ("append" in s) {
            const es = range(d.lastIndex + 1, d.lastIndex + s.append, term);
            d.save(null, null, es);
            pending.push(...unitsOf(null, es));
          } else if ("rewrite" in s) {
            const span = d.lastIndex - d.snapshotIndex;
            if (span <= 0) continue;
            term++;
            const from = d.lastIndex - (s.rewrite % span);
            const es = range(from, from + s.len - 1, term);
            d.save({ term, vote: null }, null, es);
            pending.push(...unitsOf({ hard: { term, vote: null } }, es));
          } else if ("snapshot" in s) {
            const span = d.lastIndex - d.snapshotIndex;
            if (span <= 0) continue;
            const at = d.lastIndex - (s.snapshot % Math.min(span, 3));
            d.save(null, snap(at, term), []);
            pending.push({ snap: snap(at, term) });
          } else if ("fsync" in s) {
            d.fsync();
            durable = pending.reduce(applyUnit, durable);
            pending = [];
            expect(d.load()).toEqual(durable);
          } else {
            d.crash(new Rng(s.crash));
            const loaded = d.load();
            expectConsistent(loaded);
            const prefixes: Model[] = [durable];
            for (const u of pending) prefixes.push(applyUnit(prefixes.at(-1) as Model, u));
            expect(prefixes).toContainEqual(loaded);
            durable = loaded;
            pending = [];
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

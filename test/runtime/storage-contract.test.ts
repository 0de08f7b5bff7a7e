// One contract suite run against every RaftStore: the simulator's disk and the durable log.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { InvariantError } from "../../src/core/errors.ts";
import { replicaId } from "../../src/core/ids.ts";
import type { Entry, RaftStorageState, Snapshot } from "../../src/core/raft/types.ts";
import { Rng } from "../../src/sim/rng.ts";
import { SimStorage } from "../../src/sim/storage.ts";
import { MemoryStore } from "../../src/storage/memory-store.ts";
import type { RaftStore } from "../../src/storage/raft-store.ts";
import { WalStorage } from "../../src/storage/wal.ts";

type Store = RaftStore<string, { n: number }>;

/** A store under test and how to "restart the machine" under it. */
interface Subject {
  readonly store: Store;
  /** Simulates a crash and restart; returns the store the restarted replica opens. */
  restart(): Promise<Store>;
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const kinds: { readonly name: string; readonly make: () => Promise<Subject> }[] = [
  {
    name: "SimStorage",
    make: async () => {
      const disk = new SimStorage<string, { n: number }>();
      let seed = 0;
      return {
        store: new MemoryStore(disk),
        restart: async () => {
          disk.crash(new Rng(++seed));
          return new MemoryStore(disk);
        },
      };
    },
  },
  {
    name: "WalStorage",
    make: async () => {
      const dir = await mkdtemp(join(tmpdir(), "dssmr-contract-"));
      dirs.push(dir);
      // Small segments so that rotation and deletion happen inside these short tests.
      const opts = { segmentBytes: 512 };
      let current: Store = await WalStorage.open<string, { n: number }>(dir, opts);
      return {
        get store() {
          return current;
        },
        restart: async () => {
          await current.close();
          current = await WalStorage.open<string, { n: number }>(dir, opts);
          return current;
        },
      };
    },
  },
];

const e = (index: number, term = 1): Entry<string> => ({
  term,
  index,
  cmds: [`c${index}.${term}`],
});
const range = (lo: number, hi: number, term = 1): Entry<string>[] =>
  Array.from({ length: hi - lo + 1 }, (_, i) => e(lo + i, term));
const snap = (index: number, term = 1): Snapshot<{ n: number }> => ({
  meta: { index, term },
  data: { n: index },
});
const indexes = (s: RaftStorageState<string, unknown>): number[] => s.entries.map((x) => x.index);

for (const kind of kinds) {
  describe(`RaftStore contract: ${kind.name}`, () => {
    it("starts empty", async () => {
      const { store } = await kind.make();
      expect(store.load()).toEqual({
        hardState: { term: 0, vote: null },
        snapshot: null,
        entries: [],
      });
    });

    it("round-trips hard state and entries", async () => {
      const { store } = await kind.make();
      store.save({ term: 2, vote: replicaId(3) }, null, range(1, 3, 2));
      await store.sync();
      const s = store.load();
      expect(s.hardState).toEqual({ term: 2, vote: 3 });
      expect(s.entries).toEqual(range(1, 3, 2));
      expect(s.snapshot).toBeNull();
    });

    it("truncates a conflicting suffix and appends", async () => {
      const sub = await kind.make();
      sub.store.save({ term: 1, vote: null }, null, range(1, 5, 1));
      await sub.store.sync();
      sub.store.save({ term: 2, vote: null }, null, range(3, 4, 2));
      await sub.store.sync();
      const expected = [...range(1, 2, 1), ...range(3, 4, 2)];
      expect(sub.store.load().entries).toEqual(expected);
      expect((await sub.restart()).load().entries).toEqual(expected);
    });

    it("drops entries a snapshot covers, or the whole log when it does not hold its last entry", async () => {
      const sub = await kind.make();
      sub.store.save(null, null, range(1, 10));
      sub.store.save(null, snap(4), []);
      await sub.store.sync();
      expect(indexes(sub.store.load())).toEqual([5, 6, 7, 8, 9, 10]);
      expect(sub.store.load().snapshot).toEqual(snap(4));
      // A snapshot of another term at 8: the log conflicts with it and goes entirely.
      sub.store.save(null, snap(8, 3), []);
      await sub.store.sync();
      expect(indexes(sub.store.load())).toEqual([]);
      const after = await sub.restart();
      expect(after.load().snapshot).toEqual(snap(8, 3));
      after.save(null, null, range(9, 9, 3));
      await after.sync();
      expect(indexes(after.load())).toEqual([9]);
    });

    it("rejects gaps and rewrites of the snapshot, writing nothing", async () => {
      const { store } = await kind.make();
      store.save(null, null, range(1, 3));
      expect(() => store.save(null, null, range(5, 6))).toThrow(InvariantError);
      store.save(null, snap(2), []);
      expect(() => store.save(null, null, range(2, 2))).toThrow(InvariantError);
      expect(() => store.save(null, snap(1), [])).toThrow(InvariantError);
      await store.sync();
      expect(indexes(store.load())).toEqual([3]);
    });

    it("loses nothing synced across a restart, under random histories", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              term: fc.integer({ min: 0, max: 2 }),
              back: fc.integer({ min: 0, max: 4 }),
              count: fc.integer({ min: 0, max: 6 }),
              snapBack: fc.option(fc.integer({ min: 0, max: 3 })),
              sync: fc.boolean(),
            }),
            { minLength: 1, maxLength: 25 },
          ),
          async (steps) => {
            const sub = await kind.make();
            let store = sub.store;
            let term = 1;
            let last = 0;
            let snapIndex = 0;
            const lastTermAt = new Map<number, number>();
            for (const st of steps) {
              term += st.term;
              const hs = st.term > 0 ? { term, vote: replicaId(term % 3) } : null;
              let sn: Snapshot<{ n: number }> | null = null;
              if (st.snapBack !== null && last - st.snapBack > snapIndex) {
                const at = last - st.snapBack;
                sn = snap(at, lastTermAt.get(at) ?? 1);
                snapIndex = at;
              }
              const from = Math.max(snapIndex + 1, last + 1 - st.back);
              const entries = st.count === 0 ? [] : range(from, from + st.count - 1, term);
              store.save(hs, sn, entries);
              if (entries.length > 0) last = from + st.count - 1;
              for (const x of entries) lastTermAt.set(x.index, x.term);
              if (st.sync) await store.sync();
            }
            await store.sync();
            const before = store.load();
            store = await sub.restart();
            expect(store.load()).toEqual(before);
            expect(indexes(before)[0] ?? snapIndex + 1).toBe(snapIndex + 1);
          },
        ),
        { numRuns: 25 },
      );
    });
  });
}

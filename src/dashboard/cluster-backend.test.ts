// The placement map from the partitions' status: one row per community, zeros for a silent partition.
import { describe, expect, it } from "vitest";
import type { ClusterStatus, GroupStatus } from "../client/status.ts";
import { placementOf } from "./cluster-backend.ts";

const group = (
  id: number,
  kind: GroupStatus["kind"],
  communities: number[] | null,
): GroupStatus => ({
  id,
  kind,
  leader: null,
  term: null,
  commitIndex: null,
  variables: null,
  communities,
  replicas: [],
});

const status = (groups: GroupStatus[]): ClusterStatus => ({
  app: "chirper",
  mode: "dssmr",
  config: null,
  ready: false,
  groups,
});

describe("placementOf", () => {
  it("builds the community × partition matrix, counting zero for a partition that did not answer", () => {
    const s = status([
      group(0, "oracle", null),
      group(1, "partition", [7, 0, 2]),
      group(2, "partition", null),
      group(3, "partition", [1, 9, 0]),
    ]);
    expect(placementOf(s)).toEqual({
      communities: 3,
      partitions: [1, 2, 3],
      matrix: [
        [7, 0, 1],
        [0, 0, 9],
        [2, 0, 0],
      ],
    });
  });

  it("is null when no partition reports communities (no demo graph)", () => {
    expect(placementOf(status([group(0, "oracle", null), group(1, "partition", null)]))).toBe(null);
  });
});

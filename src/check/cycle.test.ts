// findCycle must find cycles of any length, accept DAGs, and survive very long chains.
import { describe, expect, it } from "vitest";
import { findCycle, type Graph } from "./cycle.ts";

/** Builds the adjacency arrays of a graph with `n` vertices from an edge list. */
function graph(n: number, edges: readonly (readonly [number, number])[]): Graph {
  const offsets = new Array<number>(n + 1).fill(0);
  for (const [a] of edges) offsets[a + 1]!++;
  for (let v = 0; v < n; v++) offsets[v + 1]! += offsets[v]!;
  const cursor = offsets.slice(0, n);
  const targets = new Array<number>(edges.length).fill(0);
  for (const [a, b] of edges) targets[cursor[a]!++] = b;
  return { offsets, targets };
}

/** Checks that a reported cycle really is one in `g`. */
function isCycle(g: Graph, vertices: readonly number[], edges: readonly number[]): boolean {
  return vertices.every((v, i) => {
    const e = edges[i]!;
    const next = vertices[(i + 1) % vertices.length]!;
    return e >= g.offsets[v]! && e < g.offsets[v + 1]! && g.targets[e] === next;
  });
}

describe("findCycle", () => {
  it("accepts an empty graph and a DAG with shared descendants", () => {
    expect(findCycle(graph(0, []))).toBeNull();
    const dag = graph(5, [
      [0, 1],
      [0, 2],
      [1, 3],
      [2, 3],
      [3, 4],
      [0, 4],
    ]);
    expect(findCycle(dag)).toBeNull();
  });

  it("finds a self-loop, a 2-cycle and a 3-cycle behind a tail", () => {
    const self = graph(2, [
      [0, 1],
      [1, 1],
    ]);
    expect(findCycle(self)?.vertices).toEqual([1]);
    const g = graph(6, [
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 2],
      [4, 5],
    ]);
    const c = findCycle(g);
    expect(c?.vertices).toEqual([2, 3, 4]);
    expect(c !== null && isCycle(g, c.vertices, c.edges)).toBe(true);
  });

  it("handles a 200k-vertex chain closed into a cycle without overflowing the stack", () => {
    const n = 200_000;
    const edges: [number, number][] = [];
    for (let v = 0; v < n; v++) edges.push([v, (v + 1) % n]);
    const g = graph(n, edges);
    const c = findCycle(g);
    expect(c?.vertices.length).toBe(n);
    expect(c !== null && isCycle(g, c.vertices, c.edges)).toBe(true);
    edges.pop();
    expect(findCycle(graph(n, edges))).toBeNull();
  });
});

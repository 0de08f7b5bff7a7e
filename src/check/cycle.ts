// Cycle detection in a directed graph stored as adjacency arrays, by iterative depth-first search.

/**
 * A directed graph in compressed sparse row form: the out-edges of vertex v are the edge indexes
 * `offsets[v]` up to (excluding) `offsets[v + 1]`, and edge e leads to `targets[e]`.
 * `offsets` has one more entry than there are vertices.
 */
export interface Graph {
  readonly offsets: ArrayLike<number>;
  readonly targets: ArrayLike<number>;
}

/** A cycle: `vertices[i]` leads to `vertices[i + 1]` (the last back to the first) by `edges[i]`. */
export interface Cycle {
  readonly vertices: readonly number[];
  readonly edges: readonly number[];
}

const WHITE = 0;
const ON_PATH = 1;
const DONE = 2;

/**
 * Returns one cycle of `graph`, or null when it is acyclic. Runs in time linear in vertices plus
 * edges. The search keeps its own stack rather than recursing: delivery graphs are long chains
 * (100k messages) that would overflow the call stack. Vertices are tried in index order, so the
 * answer is deterministic.
 */
export function findCycle(graph: Graph): Cycle | null {
  const { offsets, targets } = graph;
  const n = offsets.length - 1;
  const color = new Uint8Array(Math.max(n, 0));
  // Index of each on-path vertex in the stack, to cut the cycle out in O(length).
  const depth = new Int32Array(Math.max(n, 0));
  const stackV: number[] = [];
  // Per frame: the next out-edge to try; the edge taken from the frame is the one before it.
  const stackE: number[] = [];
  for (let start = 0; start < n; start++) {
    if (color[start] !== WHITE) continue;
    color[start] = ON_PATH;
    depth[start] = 0;
    stackV.push(start);
    stackE.push(offsets[start]!);
    while (stackV.length > 0) {
      const top = stackV.length - 1;
      const v = stackV[top]!;
      const e = stackE[top]!;
      if (e >= offsets[v + 1]!) {
        color[v] = DONE;
        stackV.pop();
        stackE.pop();
        continue;
      }
      stackE[top] = e + 1;
      const w = targets[e]!;
      if (color[w] === WHITE) {
        color[w] = ON_PATH;
        depth[w] = stackV.length;
        stackV.push(w);
        stackE.push(offsets[w]!);
      } else if (color[w] === ON_PATH) {
        const from = depth[w]!;
        return {
          vertices: stackV.slice(from),
          edges: stackE.slice(from).map((next) => next - 1),
        };
      }
    }
  }
  return null;
}

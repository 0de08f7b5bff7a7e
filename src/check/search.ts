// Wing & Gong's linearizability search with Lowe's memoisation, over one (sub-)history.

import { Bitset, containsAll } from "./bitset.ts";
import { deadline, isComplete, type Operation } from "./history.ts";
import type { Model } from "./model.ts";

/** How a search of one history ended. */
export type SearchOutcome<I, O> =
  | { readonly kind: "ok" }
  /** No linearization exists; `prefix` is the longest linearizable prefix found, in order. */
  | { readonly kind: "fail"; readonly prefix: readonly Operation<I, O>[] }
  /** The step budget ran out; `placed` is the longest prefix length reached. */
  | { readonly kind: "budget"; readonly steps: number; readonly placed: number };

/**
 * Searches for a linearization of `ops` against `model`, in at most `maxSteps` steps (one step =
 * one visit of an event in the loop), so the outcome never depends on the machine's speed.
 *
 * As in Porcupine and Knossos: the call and return events, sorted by time, form a doubly linked
 * list. Walking it from the head, a call event is an operation that may take effect now: if the
 * model accepts it and the (set of linearized operations, model state) pair is not known to fail,
 * it is lifted out of the list (both its events) and pushed on a stack. Reaching a return event
 * means that operation had to take effect already, so the search backtracks: it records the
 * configuration on top as failed, pops it, puts its events back and tries the next candidate.
 * The cache is what makes this practical: two orders that lead to the same set and the same state
 * have the same future. (Lowe caches every visited pair; caching pairs when they fail prunes the
 * same, since a pair can never recur below itself: the set grows along a path.)
 *
 * Real time: B must follow A only if A returned strictly before B was called. Equal times count
 * as concurrent (call events sort before return events at the same time), the lenient choice:
 * with a discrete clock an equal timestamp does not prove that one happened before the other,
 * and a checker that might reject a correct system is worse than one a shade too permissive.
 *
 * Incomplete operations (no output) return at infinity, so they can take effect anywhere after
 * their call; and since they may also never have taken effect, the search succeeds as soon as
 * every complete operation is linearized, whichever incomplete ones were placed by then.
 * Candidates are tried in list order, as in Porcupine, so an incomplete operation is first tried
 * right after its call: timed-out requests that did take effect mostly did so early, and this
 * order finds linearizations of such histories fast. (Trying complete candidates first instead
 * was measured to be much slower on linearizable histories and no better at refuting others.)
 * The cache refines Lowe's with subsumption: see `failed` below.
 *
 * Limitation: every pending incomplete operation can be placed or not at each point until its
 * effect is overwritten, so refuting a long history in which many incomplete operations share
 * one partition can exhaust the budget; the verdict is then "unknown", never a wrong answer.
 */
export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  maxSteps: number,
): SearchOutcome<I, O> {
  // Numbering by call time keeps the linearized set a dense prefix (short cache keys).
  const ops = history
    .map((op, index) => ({ op, index }))
    .sort((a, b) => a.op.call - b.op.call || a.index - b.index)
    .map((x) => x.op);
  const n = ops.length;
  const complete = ops.map((op) => isComplete(op));
  let remaining = complete.filter(Boolean).length;
  if (remaining === 0) return { kind: "ok" };

  // Events: node 0 is the list head; nodes 1..2n are the events in time order.
  const events: { time: number; isCall: boolean; op: number }[] = [];
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    events.push(
      { time: op.call, isCall: true, op: i },
      { time: deadline(op), isCall: false, op: i },
    );
  }
  events.sort(
    (a, b) =>
      (a.time === b.time ? 0 : a.time < b.time ? -1 : 1) ||
      Number(b.isCall) - Number(a.isCall) ||
      a.op - b.op,
  );
  const size = 2 * n + 1;
  const next = new Int32Array(size);
  const prev = new Int32Array(size);
  const nodeOp = new Int32Array(size);
  const nodeIsCall = new Uint8Array(size);
  const callNode = new Int32Array(n);
  const retNode = new Int32Array(n);
  for (let k = 0; k < events.length; k++) {
    const e = events[k]!;
    const node = k + 1;
    nodeOp[node] = e.op;
    nodeIsCall[node] = e.isCall ? 1 : 0;
    if (e.isCall) callNode[e.op] = node;
    else retNode[e.op] = node;
    prev[node] = node - 1;
    next[node - 1] = node;
  }
  next[size - 1] = -1;

  // Dancing links: removals are undone in reverse order, which the stack guarantees.
  const lift = (c: number): void => {
    const r = retNode[nodeOp[c]!]!;
    next[prev[c]!] = next[c]!;
    prev[next[c]!] = prev[c]!; // a call always has its return after it
    next[prev[r]!] = next[r]!;
    if (next[r]! !== -1) prev[next[r]!] = prev[r]!;
  };
  const unlift = (c: number): void => {
    const r = retNode[nodeOp[c]!]!;
    next[prev[r]!] = r;
    if (next[r]! !== -1) prev[next[r]!] = r;
    next[prev[c]!] = c;
    prev[next[c]!] = c;
  };

  // Complete and incomplete operations get separate dense numberings (by call time), so the set
  // of linearized complete operations stays a dense prefix even when incomplete ones never land.
  const slot = new Int32Array(n);
  let completeCount = 0;
  let optionalCount = 0;
  for (let i = 0; i < n; i++) slot[i] = complete[i] ? completeCount++ : optionalCount++;
  const done = new Bitset(completeCount);
  const optional = new Bitset(optionalCount);
  const noOptional = new Uint32Array(0);
  // Configurations proven to have no future: (done set, state) key -> optional sets that failed.
  // A failed optional set U also rules out every superset of U: incomplete operations can always
  // be left out, so whatever succeeds with more of them linearized succeeds with fewer.
  const failed = new Map<string, Uint32Array[]>();
  const isFailed = (key: string): boolean =>
    failed.get(key)?.some((u) => optional.containsAll(u)) ?? false;
  const recordFailure = (key: string): void => {
    if (optionalCount === 0) {
      failed.set(key, [noOptional]);
      return;
    }
    const u = optional.snapshot();
    const known = failed.get(key);
    if (known === undefined) {
      failed.set(key, [u]);
      return;
    }
    // Keep an antichain: sets that contain u are implied by it and only slow lookups down.
    let kept = 0;
    for (const v of known) if (!containsAll(v, u)) known[kept++] = v;
    known.length = kept;
    known.push(u);
  };
  const stackOp = new Int32Array(n);
  const stackState: (S | undefined)[] = new Array<S | undefined>(n);
  const stackKey: string[] = new Array<string>(n);
  let depth = 0;
  // Longest prefix so far; entries below `agree` are still equal to the current stack, so a new
  // record copies only what changed since the last one.
  const best = new Int32Array(n);
  let bestLen = 0;
  let agree = 0;

  let state = model.init();
  let entry = next[0]!;
  let steps = 0;
  for (;;) {
    if (++steps > maxSteps) return { kind: "budget", steps: maxSteps, placed: bestLen };
    // entry === -1 would mean only calls of optional operations were left, i.e. success was
    // already reported; backtracking there is the safe reading.
    if (entry !== -1 && nodeIsCall[entry] === 1) {
      const i = nodeOp[entry]!;
      const op = ops[i]!;
      const after = model.step(state, op.input, op.output);
      if (after !== undefined) {
        const bits = complete[i] ? done : optional;
        bits.set(slot[i]!);
        const key = done.key() + model.key(after);
        if (!isFailed(key)) {
          stackOp[depth] = i;
          stackState[depth] = state;
          stackKey[depth] = key;
          depth++;
          if (depth > bestLen) {
            best.set(stackOp.subarray(agree, depth), agree);
            bestLen = depth;
            agree = depth;
          }
          state = after;
          lift(entry);
          if (complete[i] && --remaining === 0) return { kind: "ok" };
          entry = next[0]!;
          continue;
        }
        bits.clear(slot[i]!);
      }
      entry = next[entry]!;
    } else {
      if (depth === 0) {
        return { kind: "fail", prefix: Array.from(best.subarray(0, bestLen), (i) => ops[i]!) };
      }
      // The configuration on top has tried every candidate: record it as failed, then undo it.
      depth--;
      if (depth < agree) agree = depth;
      recordFailure(stackKey[depth]!);
      const i = stackOp[depth]!;
      state = stackState[depth]!;
      stackState[depth] = undefined;
      if (complete[i]) {
        done.clear(slot[i]!);
        remaining++;
      } else {
        optional.clear(slot[i]!);
      }
      const c = callNode[i]!;
      unlift(c);
      entry = next[c]!;
    }
  }
}

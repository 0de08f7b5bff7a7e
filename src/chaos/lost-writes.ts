// The lost-write check: every acknowledged write that no later write can explain away must read back.
import { dsKvKeys } from "../apps/kv/keys.ts";
import type { KvOperation } from "./history.ts";

/** A write the final state does not hold although nothing could have overwritten it. */
export interface LostWrite {
  readonly key: string;
  /** The acknowledged operation's id in the history. */
  readonly op: number;
  /** The value it wrote. */
  readonly value: string;
  /** What the key held at the end (null: the key no longer exists). */
  readonly found: string | null;
  readonly reason: string;
}

/** A write with a unique value: create, put, or a cas that succeeded or may have. */
interface Write {
  readonly op: number;
  readonly value: string;
  readonly acked: boolean;
  readonly call: number;
  readonly ret: number;
}

/** The writes of `history`, by key, and the keys some transfer touches (values not unique). */
function writesByKey(history: readonly KvOperation[]): {
  writes: Map<string, Write[]>;
  shared: Set<string>;
} {
  const writes = new Map<string, Write[]>();
  const shared = new Set<string>();
  const add = (key: string, w: Write): void => {
    const list = writes.get(key);
    if (list === undefined) writes.set(key, [w]);
    else list.push(w);
  };
  for (const op of history) {
    const { input, output } = op;
    const base = { op: op.id, call: op.call, ret: op.ret };
    switch (input.type) {
      case "create":
        // A create refused (key-exists) wrote nothing.
        if (output === undefined || output.type === "create")
          add(input.key, { ...base, value: input.value, acked: output !== undefined });
        break;
      case "put":
        if (output === undefined || output.type === "put")
          add(input.key, { ...base, value: input.value, acked: output !== undefined });
        break;
      case "cas":
        if (output === undefined || (output.type === "cas" && output.ok))
          add(input.key, { ...base, value: input.value, acked: output !== undefined });
        break;
      case "transfer":
        shared.add(input.from);
        shared.add(input.to);
        break;
      case "delete":
      case "tx":
        // Not in the chaos workload; the keys they touch are not checked (see below).
        for (const k of dsKvKeys(input)) shared.add(k);
        break;
      default:
        break;
    }
  }
  return { writes, shared };
}

/**
 * The acknowledged writes lost by the cluster, given the value each key held at the end
 * (`finals`: null when the key no longer existed; keys whose final read failed are absent and
 * go unchecked). Values must be unique per write, as the chaos workload makes them.
 *
 * The rule never blames the cluster for a legitimate order: if the key ends with the value of
 * write F, every acknowledged write W that was called after F had returned must have taken
 * effect after F, so F's value surviving means W was lost. A final value no write produced,
 * or a key gone although its creation was acknowledged, loses every acknowledged write to it.
 * Keys that transfers (or deletes, transactions) also change are skipped: their values repeat.
 */
export function findLostWrites(
  history: readonly KvOperation[],
  finals: ReadonlyMap<string, string | null>,
): LostWrite[] {
  const { writes, shared } = writesByKey(history);
  const lost: LostWrite[] = [];
  for (const [key, list] of writes) {
    if (shared.has(key) || !finals.has(key)) continue;
    const found = finals.get(key)!;
    const last = found === null ? undefined : list.find((w) => w.value === found);
    for (const w of list) {
      if (!w.acked || w === last) continue;
      if (last === undefined) {
        lost.push({
          key,
          op: w.op,
          value: w.value,
          found,
          reason:
            found === null
              ? "the key no longer exists"
              : "the key holds a value that no write produced",
        });
      } else if (last.ret < w.call) {
        lost.push({
          key,
          op: w.op,
          value: w.value,
          found,
          reason: `overwritten by operation ${last.op}, which had returned before this write began`,
        });
      }
    }
  }
  return lost;
}

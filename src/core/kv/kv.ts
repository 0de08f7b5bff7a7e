// The replicated key-value store used to test the system: get, put, cas and two multi-key commands.

/** A key-value command. `mget` and `transfer` touch several keys atomically. */
export type KvOp =
  | { readonly type: "get"; readonly key: string }
  | { readonly type: "put"; readonly key: string; readonly value: string }
  | {
      readonly type: "cas";
      readonly key: string;
      /** Expected current value; null means "the key is absent". */
      readonly expected: string | null;
      readonly value: string;
    }
  | { readonly type: "mget"; readonly keys: readonly string[] }
  | {
      readonly type: "transfer";
      readonly from: string;
      readonly to: string;
      /** Positive integer moved from `from` to `to`; absent keys count as 0. */
      readonly amount: number;
    };

/** The result of a key-value command (a discriminated union on `type`, mirroring KvOp). */
export type KvResult =
  | { readonly type: "get"; readonly value: string | null }
  | { readonly type: "put" }
  | { readonly type: "cas"; readonly ok: boolean; readonly current: string | null }
  | { readonly type: "mget"; readonly values: readonly (string | null)[] }
  | { readonly type: "transfer"; readonly ok: boolean };

/** The store's whole state. A Map keeps iteration (and so snapshots) deterministic. */
export type KvState = Map<string, string>;

/** Keys a command reads or writes, in a fixed order. */
export function kvKeys(op: KvOp): readonly string[] {
  switch (op.type) {
    case "get":
    case "put":
    case "cas":
      return [op.key];
    case "mget":
      return op.keys;
    case "transfer":
      return [op.from, op.to];
  }
}

/** True for commands that never change the state. */
export function kvIsReadOnly(op: KvOp): boolean {
  return op.type === "get" || op.type === "mget";
}

/** Reads a balance for `transfer`: absent is 0, anything not a non-negative integer is null. */
function balance(state: KvState, key: string): number | null {
  const raw = state.get(key);
  if (raw === undefined) return 0;
  return /^\d+$/.test(raw) ? Number(raw) : null;
}

/**
 * Applies one command to `state` in place and returns its result. Deterministic: the same state
 * and command always give the same result and the same new state. The linearizability checker
 * uses this very function as its model, so the checker and the system agree on what a command means.
 */
export function kvApply(state: KvState, op: KvOp): KvResult {
  switch (op.type) {
    case "get":
      return { type: "get", value: state.get(op.key) ?? null };
    case "put":
      state.set(op.key, op.value);
      return { type: "put" };
    case "cas": {
      const current = state.get(op.key) ?? null;
      if (current !== op.expected) return { type: "cas", ok: false, current };
      state.set(op.key, op.value);
      return { type: "cas", ok: true, current };
    }
    case "mget":
      return { type: "mget", values: op.keys.map((k) => state.get(k) ?? null) };
    case "transfer": {
      const from = balance(state, op.from);
      const to = balance(state, op.to);
      if (
        from === null ||
        to === null ||
        op.from === op.to ||
        !Number.isSafeInteger(op.amount) ||
        op.amount <= 0 ||
        from < op.amount
      ) {
        return { type: "transfer", ok: false };
      }
      state.set(op.from, String(from - op.amount));
      state.set(op.to, String(to + op.amount));
      return { type: "transfer", ok: true };
    }
  }
}

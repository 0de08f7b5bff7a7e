// The KV store on DS-SMR: the single-group store's commands plus create and delete of keys.
import type { KvOp, KvResult } from "../../core/kv/kv.ts";
import type { TxOp, TxReply } from "./tx.ts";

/** Longest key, in UTF-16 code units. */
export const KEY_MAX = 256;
/** Most keys one mget may read. */
export const MGET_MAX = 100;

/**
 * A command of the partitioned KV store. Keys are variables: `create` introduces one, `delete`
 * removes it, and every other command needs its keys to exist.
 */
export type DsKvCmd =
  | KvOp
  | { readonly type: "create"; readonly key: string; readonly value: string }
  | { readonly type: "delete"; readonly key: string }
  /** Redis-like operations run in order, atomically, over keys that must all exist (tx.ts). */
  | { readonly type: "tx"; readonly ops: readonly TxOp[] };

/** The result of a partitioned KV command. */
export type DsKvResult =
  | KvResult
  | { readonly type: "create" }
  | { readonly type: "delete" }
  /** One reply per operation of a tx. */
  | { readonly type: "tx"; readonly replies: readonly TxReply[] }
  /** The command named a key that does not exist, or created one that does. */
  | {
      readonly type: "error";
      readonly error: "unknown-key" | "key-exists";
      readonly key: string;
    };

// The partitioned KV store's public surface.
export { createDsKv, type DsKvOptions, dsKv } from "./dskv.ts";
export { executeDsKv } from "./execute.ts";
export { dsKvIsReadOnly, dsKvKeys } from "./keys.ts";
export * from "./tx.ts";
export * from "./types.ts";
export { validateDsKv } from "./validate.ts";

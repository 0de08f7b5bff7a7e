// Branded identifiers: a replica id cannot be passed where a client id is expected.

/** A replica of a group, unique within the cluster. */
export type ReplicaId = number & { readonly __brand: "ReplicaId" };
/** A client session; every command carries one, with a sequence number. */
export type ClientId = number & { readonly __brand: "ClientId" };
/** A replicated group (0 is the oracle once there are several). */
export type GroupId = number & { readonly __brand: "GroupId" };

/** Brands a plain number as a replica id. */
export const replicaId = (n: number): ReplicaId => n as ReplicaId;
/** Brands a plain number as a client id. */
export const clientId = (n: number): ClientId => n as ClientId;
/** Brands a plain number as a group id. */
export const groupId = (n: number): GroupId => n as GroupId;

// Client ids: drawn at random above every replica id, since clients and replicas share one id space.
import { randomInt } from "node:crypto";
import { CLIENT_ID_BASE } from "../cluster/config.ts";
import { type ClientId, clientId } from "../core/ids.ts";

/** Largest client id (ids stay small integers on the wire). */
export const MAX_CLIENT_ID = 2 ** 31 - 1;

/**
 * A fresh client id in [CLIENT_ID_BASE, MAX_CLIENT_ID], random per client so that concurrent
 * client processes get distinct sessions (a collision, about one in two billion per pair, would
 * make the groups treat two clients' commands as one session's).
 */
export function randomClientId(): ClientId {
  return clientId(randomInt(CLIENT_ID_BASE, MAX_CLIENT_ID + 1));
}

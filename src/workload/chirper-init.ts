// Turns a social graph into Chirper's initial variables, so a cluster boots with the graph loaded.
import type { ChirperUser } from "../apps/chirper/types.ts";
import type { VarId } from "../core/dssmr/types.ts";
import type { SocialGraph } from "./social-graph.ts";

/**
 * One entry per user, in index order: the user's name and a ChirperUser whose followers and
 * following are the graph's (by name) and whose posts and timeline are empty. Placing each entry
 * with the application's `place` gives every partition its share.
 */
export function chirperInitialVars(graph: SocialGraph): [VarId, ChirperUser][] {
  const names = graph.users;
  return names.map((name, i) => [
    name,
    {
      followers: graph.followers[i]!.map((f) => names[f]!),
      following: graph.following[i]!.map((f) => names[f]!),
      posts: [],
      timeline: [],
    },
  ]);
}

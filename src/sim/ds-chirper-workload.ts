// Chirper over a generated social graph as a DS-SMR simulation workload (the paper's experiments).
import { createChirper } from "../apps/chirper/chirper.ts";
import type { ChirperCmd, ChirperResult, ChirperUser } from "../apps/chirper/types.ts";
import type { PartitionId } from "../core/dssmr/types.ts";
import { chirperInitialVars } from "../workload/chirper-init.ts";
import { ChirperWorkload, type ChirperWorkloadName } from "../workload/chirper-workload.ts";
import { placeRandomly } from "../workload/graph-placement.ts";
import { generateSocialGraph, type SocialGraphOptions } from "../workload/social-graph.ts";
import type { DsWorkload } from "./ds-sim.ts";
import { Rng } from "./rng.ts";

/** Options of a simulated Chirper workload. */
export interface DsChirperOptions {
  readonly graph: SocialGraphOptions;
  readonly mix: ChirperWorkloadName;
  /** Seed of the graph (independent of the run's seed, so runs compare on one graph). */
  readonly graphSeed: number;
}

/**
 * Chirper with users placed at random, independently of their communities, as in the paper's
 * experiments: DS-SMR has to discover the locality by moving users; S-SMR keeps the placement.
 */
export function dsChirperWorkload(
  o: DsChirperOptions,
): DsWorkload<ChirperCmd, ChirperResult, ChirperUser> {
  const graph = generateSocialGraph(new Rng(o.graphSeed), o.graph);
  const place = placeRandomly(o.graphSeed);
  const app = createChirper({ place });
  const vars = chirperInitialVars(graph);
  // One generator per client, each following the graph as its own commands change it.
  const generators = new Map<number, ChirperWorkload>();
  return {
    app,
    initial: (partitions: readonly PartitionId[]) =>
      vars.map(([v, value]) => [v, place(v, partitions), value] as const),
    next(rng: Rng, client: number): ChirperCmd {
      let g = generators.get(client);
      if (g === undefined) {
        g = new ChirperWorkload(graph, { mix: o.mix });
        generators.set(client, g);
      }
      return g.next(rng);
    },
  };
}

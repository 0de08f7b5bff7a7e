// The application a cluster config names, with its placement and boot variables, built the same everywhere.
import { createChirper } from "../apps/chirper/chirper.ts";
import type { ChirperCmd, ChirperResult, ChirperUser } from "../apps/chirper/types.ts";
import { createDsKv } from "../apps/kv/dskv.ts";
import type { DsKvCmd, DsKvResult } from "../apps/kv/types.ts";
import type { PartitionedApp } from "../core/dssmr/app.ts";
import type { InitialState } from "../core/dssmr/group-app.ts";
import { Rng } from "../sim/rng.ts";
import { chirperInitialVars } from "../workload/chirper-init.ts";
import { type Placement, placeByCommunity, placeRandomly } from "../workload/graph-placement.ts";
import { generateSocialGraph, type SocialGraph } from "../workload/social-graph.ts";
import { AppModuleError, isBuiltinApp, loadAppModule, setAppIdentity } from "./app-module.ts";
import type { ClusterConfig, LoadedConfig } from "./config.ts";
import { partitionsOf } from "./topology.ts";

/** An application and the variables every node boots with. */
export interface AppSetup<Cmd, Res, Val> {
  readonly app: PartitionedApp<Cmd, Res, Val>;
  readonly initial: InitialState<Val>;
}

/** The application of a config, tagged by name. */
export type AnyAppSetup =
  | ({ readonly kind: "chirper" } & AppSetup<ChirperCmd, ChirperResult, ChirperUser>)
  | ({ readonly kind: "kv" } & AppSetup<DsKvCmd, DsKvResult, string>);

/** Any application a config may name: a built-in one, or one loaded from a module. */
export type LoadedAppSetup = (
  | AnyAppSetup
  | ({ readonly kind: "module"; readonly file: string } & AppSetup<unknown, unknown, unknown>)
) & {
  /** What replicas and clients send in their handshake (`kv`, `chirper`, or `name@hash`). */
  readonly identity: string;
};

/** The demo social graph a config describes (deterministic from its seed), or null. */
export function demoGraph(config: ClusterConfig): SocialGraph | null {
  const demo = config.demo;
  if (demo === undefined || config.app !== "chirper") return null;
  return generateSocialGraph(new Rng(demo.seed), {
    users: demo.users,
    communities: demo.communities ?? Math.min(demo.users, partitionsOf(config).length),
    avgFollowing: demo.avgFollowing ?? 5,
    maxFollowers: Math.max(1, Math.min(1000, demo.users - 1)),
  });
}

/**
 * The placement of a config's demo graph: by community (strong locality from the start) or at
 * random from the graph seed (scattered; DS-SMR gathers the communities as commands run).
 */
export function demoPlacement(config: ClusterConfig, graph: SocialGraph): Placement {
  return config.demo?.placement === "random"
    ? placeRandomly(config.demo.seed)
    : placeByCommunity(graph);
}

/**
 * Builds the application and boot state of `config`. Every node and every client must use the
 * same placement (clients route S-SMR commands by it), so it comes from the config alone:
 * Chirper with a demo graph places graph users as `demo.placement` says (by community, or at
 * random from the seed) and everyone else by name hash; without a graph, by interest. Boot
 * variables sit where `place` puts them.
 */
export function appSetup(config: ClusterConfig): AnyAppSetup {
  const partitions = partitionsOf(config);
  if (!isBuiltinApp(config.app)) {
    throw new AppModuleError(
      `this command serves the built-in apps (chirper, kv); the cluster runs the app module ${JSON.stringify(config.app)} (use \`dssmr call\`)`,
    );
  }
  if (config.app === "kv") {
    const app = createDsKv();
    setAppIdentity(app, "kv");
    return { kind: "kv", app, initial: { variables: [] } };
  }
  const graph = demoGraph(config);
  if (graph === null) {
    const app = createChirper();
    setAppIdentity(app, "chirper");
    return { kind: "chirper", app, initial: { variables: [] } };
  }
  const place = demoPlacement(config, graph);
  const app = createChirper({ place });
  setAppIdentity(app, "chirper");
  const variables = chirperInitialVars(graph).map(
    ([user, value]) => [user, place(user, partitions), value] as const,
  );
  return { kind: "chirper", app, initial: { variables } };
}

/**
 * Builds the application of `loaded` as appSetup does, or loads the module its `app` names
 * (relative to the config file's folder; see app-module.ts). Replicas and clients both call it,
 * so both run the same code and present the same identity in their handshakes. A module app
 * boots with no variables: its commands create them.
 */
export async function loadAppSetup(loaded: LoadedConfig): Promise<LoadedAppSetup> {
  const { config } = loaded;
  if (isBuiltinApp(config.app)) return { ...appSetup(config), identity: config.app };
  const m = await loadAppModule(config.app, loaded.dir, {
    mode: config.mode,
    partitions: partitionsOf(config),
  });
  return {
    kind: "module",
    file: m.file,
    app: m.app,
    initial: { variables: [] },
    identity: m.identity,
  };
}
